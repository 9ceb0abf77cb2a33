// An LV2 plugin instance as a node. process() and what it calls run on the
// audio thread: no allocation, lock, syscall, log or throw there.
#include "rtgraph/plugins/lv2_node.hpp"

#include <lv2/atom/atom.h>
#include <lv2/state/state.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "lv2_internal.hpp"
#include "lv2_state_files.hpp"

namespace rtgraph::plugins {

namespace {

// Set while this thread is inside a plugin's run(): a plugin that logs from
// there must not reach stdio.
thread_local bool t_in_audio = false;

constexpr std::uint32_t pad8(std::uint32_t size) { return (size + 7U) & ~7U; }

LV2_Atom_Sequence* sequence_at(std::uint64_t* buffer) {
    return reinterpret_cast<LV2_Atom_Sequence*>(buffer);
}

// [rt] An empty input sequence.
void clear_input_sequence(LV2_Atom_Sequence* sequence, LV2_URID sequence_type) noexcept {
    sequence->atom.type = sequence_type;
    sequence->atom.size = sizeof(LV2_Atom_Sequence_Body);
    sequence->body.unit = 0;
    sequence->body.pad = 0;
}

// [rt] Appends one event; false when it does not fit in `capacity` bytes.
bool append_event(LV2_Atom_Sequence* sequence, std::uint32_t capacity, std::int64_t frames,
                  LV2_URID type, std::uint32_t size, const void* data) noexcept {
    const std::uint32_t used = static_cast<std::uint32_t>(sizeof(LV2_Atom)) + sequence->atom.size;
    const std::uint32_t need = static_cast<std::uint32_t>(sizeof(LV2_Atom_Event)) + pad8(size);
    if (used + need > capacity) return false;
    auto* event = reinterpret_cast<LV2_Atom_Event*>(reinterpret_cast<std::uint8_t*>(sequence) + used);
    event->time.frames = frames;
    event->body.type = type;
    event->body.size = size;
    std::memcpy(event + 1, data, size);
    sequence->atom.size += need;
    return true;
}

// [nrt] Builds a patch:Set object with an atom:Path value.
std::vector<std::uint8_t> patch_set_path(const Lv2Urids& u, LV2_URID property, const std::string& path) {
    const auto string_size = static_cast<std::uint32_t>(path.size() + 1);
    std::vector<std::uint8_t> out(sizeof(LV2_Atom_Object) + sizeof(LV2_Atom_Property_Body) + 8 +
                                      sizeof(LV2_Atom_Property_Body) + pad8(string_size),
                                  0);
    auto* object = reinterpret_cast<LV2_Atom_Object*>(out.data());
    object->atom.type = u.atom_object;
    object->atom.size = static_cast<std::uint32_t>(out.size() - sizeof(LV2_Atom));
    object->body.id = 0;
    object->body.otype = u.patch_set;
    auto* first = reinterpret_cast<LV2_Atom_Property_Body*>(object + 1);
    first->key = u.patch_property;
    first->context = 0;
    first->value.type = u.atom_urid;
    first->value.size = sizeof(LV2_URID);
    std::memcpy(first + 1, &property, sizeof property);
    auto* second = reinterpret_cast<LV2_Atom_Property_Body*>(reinterpret_cast<std::uint8_t*>(first + 1) + 8);
    second->key = u.patch_value;
    second->context = 0;
    second->value.type = u.atom_path;
    second->value.size = string_size;
    std::memcpy(second + 1, path.c_str(), string_size);
    return out;
}

}  // namespace

std::unique_ptr<engine::Node> make_lv2_node(std::shared_ptr<const Lv2PluginDesc> desc,
                                            const engine::NodeTypeInfo& type,
                                            const engine::PrepareSpec& spec,
                                            std::span<const float> initial) {
    return std::make_unique<Lv2Node>(std::move(desc), type, spec, initial);
}

Lv2Node::Lv2Node(std::shared_ptr<const Lv2PluginDesc> desc, const engine::NodeTypeInfo& type,
                 const engine::PrepareSpec& spec, std::span<const float> initial)
    : Node(type, spec, initial), desc_(std::move(desc)) {
    Lv2Host::Shared& shared = *desc_->shared;
    if (spec.max_block > shared.max_block || spec.sample_rate != shared.sample_rate) {
        throw std::runtime_error("the LV2 host was set up for another sample rate or block size");
    }
    schedule_ = {this, &Lv2Node::schedule_work};
    log_ = {this, &Lv2Node::log_printf, &Lv2Node::log_vprintf};
    schedule_feature_ = {LV2_WORKER__schedule, &schedule_};
    log_feature_ = {LV2_LOG__log, &log_};
    features_ = {&shared.map_feature,     &shared.unmap_feature,        &shared.options_feature,
                 &shared.bounded_feature, &shared.default_state_feature, &schedule_feature_,
                 &log_feature_,           nullptr};

    control_in_.assign(initial.begin(), initial.end());
    control_out_.assign(desc_->role_count(Lv2Role::kControlOut), 0.0f);
    control_out_mirror_ = std::make_unique<std::atomic<float>[]>(control_out_.size());
    cv_silence_.assign(shared.max_block, 0.0f);
    cv_scratch_.assign(shared.max_block, 0.0f);
    if (desc_->has_worker) {
        requests_ = std::make_unique<rt::SpscQueue<WorkMessage>>(16);
        responses_ = std::make_unique<rt::SpscQueue<WorkMessage>>(16);
    }

    instance_ = lilv_plugin_instantiate(desc_->plugin, spec.sample_rate, features_.data());
    if (instance_ == nullptr) {
        throw std::runtime_error("the plugin " + desc_->uri + " refused to instantiate");
    }
    for (const Lv2Port& port : desc_->ports) {
        void* buffer = nullptr;
        switch (port.role) {
            case Lv2Role::kControlIn: buffer = &control_in_[port.slot]; break;
            case Lv2Role::kControlOut:
                buffer = &control_out_[port.slot];
                if (port.latency) latency_slot_ = static_cast<std::int32_t>(port.slot);
                break;
            case Lv2Role::kMidiIn:
            case Lv2Role::kMidiOut:
            case Lv2Role::kAtomIn:
            case Lv2Role::kAtomOut: {
                auto storage = std::make_unique<std::uint64_t[]>(Lv2Host::Shared::kAtomCapacity / 8);
                LV2_Atom_Sequence* sequence = sequence_at(storage.get());
                clear_input_sequence(sequence, shared.urids.atom_sequence);
                buffer = storage.get();
                atom_buffers_.push_back(std::move(storage));
                break;
            }
            case Lv2Role::kCvIn: buffer = cv_silence_.data(); break;
            case Lv2Role::kCvOut: buffer = cv_scratch_.data(); break;
            case Lv2Role::kAudioIn:
            case Lv2Role::kAudioOut: break;  // connected per block
        }
        if (buffer != nullptr) lilv_instance_connect_port(instance_, port.index, buffer);
    }
    worker_interface_ = static_cast<const LV2_Worker_Interface*>(
        lilv_instance_get_extension_data(instance_, LV2_WORKER__interface));
    if (worker_interface_ != nullptr && requests_ == nullptr) worker_interface_ = nullptr;

    // state:loadDefaultState: the plugin's own default state, restored before
    // activation (the Instantiation threading class, so nothing runs yet).
    if (desc_->has_default_state) {
        LilvNode* uri = lilv_new_uri(desc_->world, desc_->uri.c_str());
        LilvState* state = lilv_state_new_from_world(desc_->world, shared.urid_map.map_feature(), uri);
        lilv_node_free(uri);
        if (state != nullptr) {
            // Port values from the state are not applied: the model's values are the truth.
            lilv_state_restore(state, instance_, nullptr, nullptr, 0, features_.data());
            lilv_state_free(state);
        }
    }
    lilv_instance_activate(instance_);
    activated_ = true;
    if (worker_interface_ != nullptr) {
        shared.worker.add(this);
        worker_registered_ = true;
    }
}

Lv2Node::~Lv2Node() {
    if (worker_registered_) desc_->shared->worker.remove(this);
    if (instance_ != nullptr) {
        if (activated_) lilv_instance_deactivate(instance_);
        lilv_instance_free(instance_);
    }
}

float Lv2Node::control_output(std::uint32_t index) const noexcept {
    if (index >= control_out_.size()) return 0.0f;
    return control_out_mirror_[index].load(std::memory_order_relaxed);
}

std::uint32_t Lv2Node::latency_frames() const noexcept {
    if (latency_slot_ < 0) return 0;
    const float latency = control_output(static_cast<std::uint32_t>(latency_slot_));
    return latency > 0.0f ? static_cast<std::uint32_t>(latency + 0.5f) : 0;
}

void Lv2Node::process(const engine::ProcessBlock& block) noexcept {
    t_in_audio = true;
    LV2_Handle handle = lilv_instance_get_handle(instance_);
    if (worker_interface_ != nullptr && worker_interface_->work_response != nullptr) {
        // Responses to work scheduled in earlier blocks, before this run.
        WorkMessage message;
        while (responses_->try_pop(message)) {
            worker_interface_->work_response(handle, message.size, message.data);
            work_responses_.fetch_add(1, std::memory_order_relaxed);
        }
    }
    bool ramping = false;
    for (std::uint32_t i = 0; i < param_count(); ++i) ramping = ramping || param(i).is_ramping();
    const std::uint32_t chunk = ramping ? kRampChunk : block.nframes;
    for (std::uint32_t start = 0; start < block.nframes; start += chunk) {
        run_span(block, start, std::min(chunk, block.nframes - start), start == 0);
    }
    if (worker_interface_ != nullptr && worker_interface_->end_run != nullptr) {
        worker_interface_->end_run(handle);
    }
    for (std::size_t i = 0; i < control_out_.size(); ++i) {
        control_out_mirror_[i].store(control_out_[i], std::memory_order_relaxed);
    }
    t_in_audio = false;
}

void Lv2Node::run_span(const engine::ProcessBlock& block, std::uint32_t start, std::uint32_t nframes,
                       bool first) noexcept {
    const Lv2Host::Shared& shared = *desc_->shared;
    for (std::uint32_t i = 0; i < param_count(); ++i) {
        // The value at the end of the span: a ramp reaches its target on time.
        param(i).skip(nframes);
        control_in_[i] = param(i).current();
    }
    std::size_t atom = 0;
    for (const Lv2Port& port : desc_->ports) {
        switch (port.role) {
            case Lv2Role::kAudioIn:
                lilv_instance_connect_port(instance_, port.index,
                                           const_cast<float*>(block.inputs[port.slot] + start));
                break;
            case Lv2Role::kAudioOut:
                lilv_instance_connect_port(instance_, port.index, block.outputs[port.slot] + start);
                break;
            case Lv2Role::kMidiIn:
            case Lv2Role::kAtomIn: {
                LV2_Atom_Sequence* sequence = sequence_at(atom_buffers_[atom++].get());
                clear_input_sequence(sequence, shared.urids.atom_sequence);
                if (first && port.host_messages) {
                    HostMessage message;
                    while (host_messages_.try_pop(message)) {
                        const auto* body = reinterpret_cast<const LV2_Atom*>(message.data);
                        append_event(sequence, Lv2Host::Shared::kAtomCapacity, 0, body->type,
                                     body->size, body + 1);
                    }
                }
                if (port.role == Lv2Role::kMidiIn && block.midi_inputs != nullptr) {
                    for (const engine::MidiEvent& event : block.midi_inputs[port.slot]->events()) {
                        if (event.frame < start || event.frame >= start + nframes) continue;
                        append_event(sequence, Lv2Host::Shared::kAtomCapacity, event.frame - start,
                                     shared.urids.midi_event, event.size, event.data.data());
                    }
                }
                break;
            }
            case Lv2Role::kMidiOut:
            case Lv2Role::kAtomOut: {
                // An output sequence starts as a chunk the size of the buffer.
                LV2_Atom_Sequence* sequence = sequence_at(atom_buffers_[atom++].get());
                sequence->atom.type = shared.urids.atom_chunk;
                sequence->atom.size = Lv2Host::Shared::kAtomCapacity - sizeof(LV2_Atom);
                break;
            }
            default:
                break;
        }
    }
    lilv_instance_run(instance_, nframes);

    atom = 0;
    for (const Lv2Port& port : desc_->ports) {
        const bool is_atom = port.role == Lv2Role::kMidiIn || port.role == Lv2Role::kAtomIn ||
                             port.role == Lv2Role::kMidiOut || port.role == Lv2Role::kAtomOut;
        if (!is_atom) continue;
        const std::size_t position = atom++;
        if (port.role != Lv2Role::kMidiOut || block.midi_outputs == nullptr) continue;
        const LV2_Atom_Sequence* sequence = sequence_at(atom_buffers_[position].get());
        if (sequence->atom.type != shared.urids.atom_sequence) continue;  // wrote nothing
        const std::uint32_t body_size = sequence->atom.size;
        if (body_size > Lv2Host::Shared::kAtomCapacity - sizeof(LV2_Atom)) continue;  // corrupt
        const auto* base = reinterpret_cast<const std::uint8_t*>(&sequence->body);
        std::uint32_t offset = sizeof(LV2_Atom_Sequence_Body);
        while (offset + sizeof(LV2_Atom_Event) <= body_size) {
            const auto* event = reinterpret_cast<const LV2_Atom_Event*>(base + offset);
            if (event->body.type == shared.urids.midi_event && event->body.size <= 3) {
                const std::int64_t frame = std::clamp<std::int64_t>(event->time.frames, 0, nframes - 1);
                block.midi_outputs[port.slot]->push(static_cast<std::uint32_t>(frame) + start,
                                                    reinterpret_cast<const std::uint8_t*>(event + 1),
                                                    event->body.size);
            }
            offset += static_cast<std::uint32_t>(sizeof(LV2_Atom_Event)) + pad8(event->body.size);
        }
    }
}

std::optional<std::string> Lv2Node::save_state() {
    if (lilv_instance_get_extension_data(instance_, LV2_STATE__interface) == nullptr) {
        return std::nullopt;
    }
    if (pending_restore_) {
        // A restore the plugin handed to its worker has not been answered
        // yet: the plugin would report its old state. The restored text is
        // what it is about to be.
        if (work_responses() <= responses_at_restore_) return pending_restore_;
        pending_restore_.reset();
    }
    Lv2Host::Shared& shared = *desc_->shared;
    LilvState* state = lilv_state_new_from_instance(
        desc_->plugin, instance_, shared.urid_map.map_feature(), nullptr, nullptr, nullptr, nullptr,
        [](const char*, void*, std::uint32_t* size, std::uint32_t* type) -> const void* {
            *size = 0;
            *type = 0;
            return nullptr;  // port values live in the model
        },
        nullptr, LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE, features_.data());
    if (state == nullptr) return std::nullopt;
    char* text = lilv_state_to_string(desc_->world, shared.urid_map.map_feature(),
                                      shared.urid_map.unmap_feature(), state,
                                      "urn:rtgraph:state", nullptr);
    lilv_state_free(state);
    if (text == nullptr) return std::nullopt;
    std::string out(text);
    lilv_free(text);
    return out;
}

engine::Error Lv2Node::restore_state(const std::string& text) {
    Lv2Host::Shared& shared = *desc_->shared;
    // Every file the state names passes the media-directory check before
    // lilv sees the text: lilv hands those paths to the plugin, which opens them.
    const StateFiles files = lv2_state_files(text);
    if (!files.parsed) {
        return engine::Error{engine::ErrorCode::kInstantiationFailed,
                             "not an LV2 state (Turtle): " + files.error};
    }
    for (const std::string& path : files.paths) {
        std::string resolved;
        if (engine::Error refused = shared.media_dirs->check_readable(path, resolved)) return refused;
    }
    LilvState* state = lilv_state_new_from_string(desc_->world, shared.urid_map.map_feature(), text.c_str());
    if (state == nullptr) {
        return engine::Error{engine::ErrorCode::kInstantiationFailed,
                             "not an LV2 state (Turtle) that lilv can read"};
    }
    // Not published yet: restore() may not run beside run(), and nothing runs.
    const std::uint64_t scheduled_before = work_scheduled();
    responses_at_restore_ = work_responses();
    lilv_state_restore(state, instance_, nullptr, nullptr, 0, features_.data());
    lilv_state_free(state);
    if (work_scheduled() > scheduled_before) pending_restore_ = text;  // finished by the worker
    return {};
}

LV2_Worker_Status Lv2Node::schedule_work(LV2_Worker_Schedule_Handle handle, std::uint32_t size,
                                         const void* data) {
    auto* self = static_cast<Lv2Node*>(handle);
    if (self->requests_ == nullptr || size > kMaxWorkSize) return LV2_WORKER_ERR_NO_SPACE;
    WorkMessage message;
    message.size = size;
    std::memcpy(message.data, data, size);
    if (!self->requests_->try_push(message)) return LV2_WORKER_ERR_NO_SPACE;
    self->work_scheduled_.fetch_add(1, std::memory_order_relaxed);
    return LV2_WORKER_SUCCESS;
}

LV2_Worker_Status Lv2Node::respond(LV2_Worker_Respond_Handle handle, std::uint32_t size,
                                   const void* data) {
    auto* self = static_cast<Lv2Node*>(handle);
    if (size > kMaxWorkSize) return LV2_WORKER_ERR_NO_SPACE;
    auto message = std::make_unique<WorkMessage>();  // worker thread: may allocate
    message->size = size;
    std::memcpy(message->data, data, size);
    return self->responses_->try_push(*message) ? LV2_WORKER_SUCCESS : LV2_WORKER_ERR_NO_SPACE;
}

std::uint32_t Lv2Node::run_pending_work() {
    if (worker_interface_ == nullptr || worker_interface_->work == nullptr) return 0;
    std::uint32_t count = 0;
    auto message = std::make_unique<WorkMessage>();
    while (requests_->try_pop(*message)) {
        worker_interface_->work(lilv_instance_get_handle(instance_), &Lv2Node::respond, this,
                                message->size, message->data);
        ++count;
    }
    return count;
}

engine::Error Lv2Node::send_path(const std::string& property_uri, const std::string& path) {
    const auto refused = [](std::string why) {
        return engine::Error{engine::ErrorCode::kInstantiationFailed, std::move(why)};
    };
    const bool has_port = std::any_of(desc_->ports.begin(), desc_->ports.end(),
                                      [](const Lv2Port& port) { return port.host_messages; });
    if (!has_port) return refused("plugin " + desc_->uri + " has no control port for host messages");
    Lv2Host::Shared& shared = *desc_->shared;
    // The plugin gets the resolved path: a symlink changed after the check
    // changes nothing.
    std::string resolved;
    if (engine::Error bad = shared.media_dirs->check_readable(path, resolved)) return bad;
    const std::vector<std::uint8_t> body =
        patch_set_path(shared.urids, shared.urid_map.map(property_uri), resolved);
    auto message = std::make_unique<HostMessage>();
    if (body.size() > sizeof message->data) return refused("path too long");
    message->size = static_cast<std::uint32_t>(body.size());
    std::memcpy(message->data, body.data(), body.size());
    if (!host_messages_.try_push(*message)) return refused("too many messages waiting for node; try again");
    return {};
}

int Lv2Node::log_printf(LV2_Log_Handle handle, LV2_URID type, const char* format, ...) {
    va_list args;
    va_start(args, format);
    const int written = log_vprintf(handle, type, format, args);
    va_end(args);
    return written;
}

int Lv2Node::log_vprintf(LV2_Log_Handle handle, LV2_URID /*type*/, const char* format, va_list args) {
    if (t_in_audio) return 0;  // never stdio on the audio thread: dropped
    const auto* self = static_cast<const Lv2Node*>(handle);
    std::fprintf(stderr, "lv2 %s: ", self->desc_->uri.c_str());
    return std::vfprintf(stderr, format, args);
}

}  // namespace rtgraph::plugins
