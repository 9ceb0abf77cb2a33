// JackBackend: the JACK client (see the header for which thread does what).
#include "rtgraph/backend/jack_backend.hpp"

#include <jack/midiport.h>
#include <jack/thread.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>

namespace rtgraph::backend {

namespace {

// How many cycles a retired port stays registered after it left its slot: the
// process callback may have loaded the pointer just before it was cleared.
constexpr std::uint64_t kRetireAfterCycles = 2;

// How long connection changes must be quiet before we read them back.
constexpr auto kRefreshQuiet = std::chrono::milliseconds(100);
// How often remembered connections whose peer exists are tried again.
constexpr auto kConnectionRetry = std::chrono::milliseconds(250);

std::string full_name(const std::string& client, const std::string& port) {
    return client + ":" + port;
}

}  // namespace

bool SchedInfo::is_fifo() const { return policy == SCHED_FIFO; }

std::string SchedInfo::describe() const {
    const char* name = policy == SCHED_FIFO    ? "SCHED_FIFO"
                       : policy == SCHED_RR    ? "SCHED_RR"
                       : policy == SCHED_OTHER ? "SCHED_OTHER"
                                               : "another policy";
    return std::string(name) + " priority " + std::to_string(priority);
}

JackBackend::JackBackend(JackBackendConfig config)
    : config_(std::move(config)),
      midi_in_events_(std::make_unique<engine::MidiBuffer[]>(kMaxSlots)),
      midi_out_events_(std::make_unique<engine::MidiBuffer[]>(kMaxSlots)) {}

JackBackend::~JackBackend() { close(); }

// ---------------------------------------------------------------------------
// Audio thread

int JackBackend::process_callback(jack_nframes_t nframes, void* self) noexcept {
    static_cast<JackBackend*>(self)->process(nframes);
    return 0;
}

void JackBackend::process(jack_nframes_t nframes) noexcept {
    load_meter_.begin();
    // Cycles the server ran without us (an xrun) still pass in real time: keep
    // the engine's frame clock on JACK's so timetagged changes keep their frame.
    const jack_nframes_t cycle_start = jack_last_frame_time(client_);
    if (restart_frame_clock_.exchange(false, std::memory_order_acq_rel)) have_expected_frame_ = false;
    if (have_expected_frame_) {
        const auto gap = static_cast<std::int32_t>(cycle_start - expected_jack_frame_);
        const auto limit = static_cast<std::int32_t>(sample_rate_.load(std::memory_order_relaxed)) * 60;
        if (gap > 0 && gap < limit) engine_->skip_frames(static_cast<std::uint64_t>(gap));
    }
    expected_jack_frame_ = cycle_start + nframes;
    have_expected_frame_ = true;
    // This cycle on JACK's clock (DLL-filtered, the same figures every client
    // of the server reads): timetagged changes land on the frame JACK says
    // their time falls on, however far JACK's rate is from the nominal one.
    jack_nframes_t cycle_frames = 0;
    jack_time_t cycle_usecs = 0;
    jack_time_t next_usecs = 0;
    float period_usecs = 0.0f;
    if (jack_get_cycle_times(client_, &cycle_frames, &cycle_usecs, &next_usecs, &period_usecs) == 0 &&
        next_usecs > cycle_usecs && cycle_frames == cycle_start) {
        engine_->set_cycle_clock(static_cast<std::int64_t>(cycle_usecs),
                                 static_cast<double>(next_usecs - cycle_usecs) / nframes,
                                 static_cast<std::int64_t>(next_usecs));
    } else {
        engine_->forget_cycle_clock();
    }
    // Publish where this cycle sits on both clocks (a seqlock: wait-free here).
    const std::uint32_t seq = clock_seq_.load(std::memory_order_relaxed);
    clock_seq_.store(seq + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    cycle_jack_frame_.store(cycle_start, std::memory_order_relaxed);
    cycle_engine_frame_.store(engine_->counters().frame.load(std::memory_order_relaxed),
                              std::memory_order_relaxed);
    clock_seq_.store(seq + 2, std::memory_order_release);
    std::uint32_t input_count = 0;
    std::uint32_t output_count = 0;
    for (std::uint32_t slot = 0; slot < kMaxSlots; ++slot) {
        jack_port_t* in = audio_inputs_[slot].port.load(std::memory_order_acquire);
        input_buffers_[slot] =
            in != nullptr ? static_cast<const float*>(jack_port_get_buffer(in, nframes)) : nullptr;
        if (in != nullptr) input_count = slot + 1;
        jack_port_t* out = audio_outputs_[slot].port.load(std::memory_order_acquire);
        output_buffers_[slot] =
            out != nullptr ? static_cast<float*>(jack_port_get_buffer(out, nframes)) : nullptr;
        if (out != nullptr) output_count = slot + 1;
    }
    std::uint32_t midi_input_count = 0;
    std::uint32_t midi_output_count = 0;
    for (std::uint32_t slot = 0; slot < kMaxSlots; ++slot) {
        midi_input_buffers_[slot] = nullptr;
        if (jack_port_t* in = midi_inputs_[slot].port.load(std::memory_order_acquire)) {
            read_midi(in, nframes, midi_in_events_[slot]);
            midi_input_buffers_[slot] = &midi_in_events_[slot];
            midi_input_count = slot + 1;
        }
        midi_output_buffers_[slot] = nullptr;
        if (midi_outputs_[slot].port.load(std::memory_order_acquire) != nullptr) {
            midi_out_events_[slot].clear();
            midi_output_buffers_[slot] = &midi_out_events_[slot];
            midi_output_count = slot + 1;
        }
    }
    engine::AudioIo io{input_buffers_.data(), input_count, output_buffers_.data(), output_count};
    io.midi_inputs = midi_input_buffers_.data();
    io.midi_input_count = midi_input_count;
    io.midi_outputs = midi_output_buffers_.data();
    io.midi_output_count = midi_output_count;
    engine_->process(io, nframes);
    for (std::uint32_t slot = 0; slot < midi_output_count; ++slot) {
        // Reload: a port that left its slot meanwhile is still registered for
        // two more cycles, so writing to the one loaded above is safe too.
        jack_port_t* out = midi_outputs_[slot].port.load(std::memory_order_acquire);
        if (out != nullptr && midi_output_buffers_[slot] != nullptr) {
            write_midi(out, nframes, *midi_output_buffers_[slot]);
        }
    }
    const double rate = sample_rate_.load(std::memory_order_relaxed);
    const double period_us = rate > 0 ? 1e6 * nframes / rate : 0.0;
    // One load record about every half second.
    const auto window = static_cast<std::uint32_t>(std::max(1.0, rate / 2.0 / nframes));
    const std::uint64_t misses_before = load_meter_.deadline_misses();
    load_meter_.end(period_us, engine_->counters().frame.load(std::memory_order_relaxed), window,
                    engine_->telemetry_ring());
    if (load_meter_.deadline_misses() != misses_before) {
        deadline_misses_.fetch_add(1, std::memory_order_relaxed);
    }
    cycles_.fetch_add(1, std::memory_order_release);
}

void JackBackend::read_midi(jack_port_t* port, jack_nframes_t nframes,
                            engine::MidiBuffer& events) noexcept {
    events.clear();
    void* buffer = jack_port_get_buffer(port, nframes);
    const jack_nframes_t count = jack_midi_get_event_count(buffer);
    for (jack_nframes_t i = 0; i < count; ++i) {
        jack_midi_event_t event;
        if (jack_midi_event_get(&event, buffer, i) != 0) continue;
        if (!events.push(event.time, event.buffer, static_cast<std::uint32_t>(event.size))) {
            midi_refused_.fetch_add(1, std::memory_order_relaxed);
        }
    }
}

void JackBackend::write_midi(jack_port_t* port, jack_nframes_t nframes,
                             const engine::MidiBuffer& events) noexcept {
    void* buffer = jack_port_get_buffer(port, nframes);
    jack_midi_clear_buffer(buffer);
    for (const engine::MidiEvent& event : events.events()) {
        if (event.frame >= nframes ||
            jack_midi_event_write(buffer, event.frame, event.data.data(), event.size) != 0) {
            midi_refused_.fetch_add(1, std::memory_order_relaxed);
        }
    }
}

// ---------------------------------------------------------------------------
// JACK notification threads: atomics, and a wake-up for the control loop
// (WakeFd: one non-blocking write) when tick() has something to act on. JACK2
// runs these on its notification thread, never in the process callback.
int JackBackend::buffer_size_callback(jack_nframes_t nframes, void* self) noexcept {
    // Nothing to rebuild: buffers are sized for the engine's maximum block and
    // longer periods are rendered in pieces. Only the figure changes.
    static_cast<JackBackend*>(self)->period_.store(nframes, std::memory_order_release);
    return 0;
}

int JackBackend::sample_rate_callback(jack_nframes_t rate, void* self) noexcept {
    static_cast<JackBackend*>(self)->sample_rate_.store(rate, std::memory_order_release);
    static_cast<JackBackend*>(self)->wake_.signal();
    return 0;
}

int JackBackend::xrun_callback(void* self) noexcept {
    static_cast<JackBackend*>(self)->xruns_.fetch_add(1, std::memory_order_relaxed);
    return 0;
}

void JackBackend::shutdown_callback(jack_status_t, const char*, void* self) noexcept {
    static_cast<JackBackend*>(self)->server_lost_.store(true, std::memory_order_release);
    static_cast<JackBackend*>(self)->wake_.signal();
}

void JackBackend::connect_callback(jack_port_id_t, jack_port_id_t, int, void* self) noexcept {
    static_cast<JackBackend*>(self)->connections_changed_.store(true, std::memory_order_release);
    static_cast<JackBackend*>(self)->wake_.signal();
}

void JackBackend::registration_callback(jack_port_id_t, int registered, void* self) noexcept {
    if (registered != 0) {
        static_cast<JackBackend*>(self)->ports_appeared_.store(true, std::memory_order_release);
        static_cast<JackBackend*>(self)->wake_.signal();
    }
}

// ---------------------------------------------------------------------------
// Control thread

bool JackBackend::open_client(std::string& error) {
    if (client_ != nullptr) return true;
    jack_status_t status{};
    int options = JackNoStartServer;
    if (!config_.server_name.empty()) options |= JackServerName;
    client_ = jack_client_open(config_.client_name.c_str(), static_cast<jack_options_t>(options),
                               &status, config_.server_name.c_str());
    if (client_ == nullptr) {
        error = "cannot connect to JACK server '" +
                (config_.server_name.empty() ? std::string("default") : config_.server_name) +
                "' (JACK status 0x" + [&] {
                    char hex[16];
                    std::snprintf(hex, sizeof hex, "%x", static_cast<unsigned>(status));
                    return std::string(hex);
                }() + "); is jackd running?";
        return false;
    }
    client_name_ = jack_get_client_name(client_);
    sample_rate_.store(jack_get_sample_rate(client_), std::memory_order_release);
    period_.store(jack_get_buffer_size(client_), std::memory_order_release);
    server_lost_.store(false, std::memory_order_release);
    return true;
}

bool JackBackend::start(engine::Engine& engine, const engine::Model& model, std::string& error) {
    if (client_ == nullptr && !open_client(error)) return false;
    engine_ = &engine;
    jack_set_process_callback(client_, &JackBackend::process_callback, this);
    jack_set_buffer_size_callback(client_, &JackBackend::buffer_size_callback, this);
    jack_set_sample_rate_callback(client_, &JackBackend::sample_rate_callback, this);
    jack_set_xrun_callback(client_, &JackBackend::xrun_callback, this);
    jack_set_port_connect_callback(client_, &JackBackend::connect_callback, this);
    jack_set_port_registration_callback(client_, &JackBackend::registration_callback, this);
    jack_on_info_shutdown(client_, &JackBackend::shutdown_callback, this);

    ports_.clear();
    for (const engine::GraphPort& port : model.graph_ports()) register_port(port);
    if (jack_activate(client_) != 0) {
        error = "JACK refused to activate client '" + client_name_ + "'";
        drop_client();
        return false;
    }
    process_thread_.reset();
    restart_frame_clock_.store(true, std::memory_order_release);  // a new server's frames
    make_connections();
    lost_ = false;
    return true;
}

std::array<JackBackend::SlotPort, JackBackend::kMaxSlots>* JackBackend::slots_for(
    engine::PortDirection direction, engine::PortKind kind) {
    if (kind == engine::PortKind::kMidi) {
        return direction == engine::PortDirection::kInput ? &midi_inputs_ : &midi_outputs_;
    }
    return direction == engine::PortDirection::kInput ? &audio_inputs_ : &audio_outputs_;
}

bool JackBackend::register_port(const engine::GraphPort& graph_port) {
    const char* type = graph_port.kind == engine::PortKind::kAudio ? JACK_DEFAULT_AUDIO_TYPE
                                                                    : JACK_DEFAULT_MIDI_TYPE;
    const unsigned long flags =
        graph_port.direction == engine::PortDirection::kInput ? JackPortIsInput : JackPortIsOutput;
    jack_port_t* port = jack_port_register(client_, graph_port.name.c_str(), type, flags, 0);
    if (port == nullptr) return false;
    ports_.push_back({graph_port.name, graph_port.kind, graph_port.direction, graph_port.slot, port});
    if (auto* slots = slots_for(graph_port.direction, graph_port.kind);
        slots != nullptr && graph_port.slot < kMaxSlots) {
        (*slots)[graph_port.slot].port.store(port, std::memory_order_release);
    }
    return true;
}

void JackBackend::sync_ports(const engine::Model& model) {
    if (client_ == nullptr) return;  // start() registers everything on (re)connect
    const auto same = [](const RegisteredPort& r, const engine::GraphPort& g) {
        return r.name == g.name && r.kind == g.kind && r.direction == g.direction && r.slot == g.slot;
    };
    for (auto it = ports_.begin(); it != ports_.end();) {
        const bool kept = std::any_of(model.graph_ports().begin(), model.graph_ports().end(),
                                      [&](const engine::GraphPort& g) { return same(*it, g); });
        if (kept) {
            ++it;
            continue;
        }
        if (auto* slots = slots_for(it->direction, it->kind); slots != nullptr && it->slot < kMaxSlots) {
            (*slots)[it->slot].port.store(nullptr, std::memory_order_release);
        }
        // Its connections go now, the port itself cycles later: jackd 1.9.21
        // can hang its driver thread for good (spinning in
        // JackGraphManager::GetBuffer) when a port still connected to a
        // system playback port is unregistered, as seen in this project's tests.
        jack_port_disconnect(client_, it->port);
        retiring_.push_back({it->port, cycles() + kRetireAfterCycles});
        connections_.erase(it->name);  // the user removed the port: forget its connections
        established_.erase(it->name);
        it = ports_.erase(it);
    }
    for (const engine::GraphPort& g : model.graph_ports()) {
        const bool present = std::any_of(ports_.begin(), ports_.end(),
                                         [&](const RegisteredPort& r) { return same(r, g); });
        if (!present) register_port(g);
    }
}

bool JackBackend::connect_pair(const RegisteredPort& ours, const std::string& external) {
    const std::string our_name = full_name(client_name_, ours.name);
    const int rc = ours.direction == engine::PortDirection::kOutput
                       ? jack_connect(client_, our_name.c_str(), external.c_str())
                       : jack_connect(client_, external.c_str(), our_name.c_str());
    return rc == 0 || rc == EEXIST;
}

const JackBackend::RegisteredPort* JackBackend::registered(const std::string& name,
                                                          std::string& error) const {
    const auto it = std::find_if(ports_.begin(), ports_.end(),
                                 [&](const RegisteredPort& r) { return r.name == name; });
    if (it != ports_.end()) return &*it;
    error = client_ != nullptr ? "no graph port named '" + name + "'"
                               : "the JACK server is away; external connections wait for it";
    return nullptr;
}

bool JackBackend::can_connect_external(const std::string& our_port, const std::string& external,
                                       bool disconnect, std::string& error) const {
    const RegisteredPort* ours = registered(our_port, error);
    if (ours == nullptr) return false;
    const jack_port_t* peer = jack_port_by_name(client_, external.c_str());
    if (peer == nullptr) {
        error = "no JACK port named '" + external + "'";
        return false;
    }
    if (disconnect) {
        if (jack_port_connected_to(ours->port, external.c_str()) == 0) {
            error = full_name(client_name_, our_port) + " is not connected to " + external;
            return false;
        }
        return true;
    }
    const int flags = jack_port_flags(peer);
    const bool peer_input = (flags & JackPortIsInput) != 0;
    if (peer_input != (ours->direction == engine::PortDirection::kOutput)) {
        error = external + " is a JACK " + (peer_input ? "input" : "output") + " and cannot connect to " +
                full_name(client_name_, our_port) + ", also an " + (peer_input ? "input" : "output");
        return false;
    }
    const bool peer_midi = std::string(jack_port_type(peer)) == JACK_DEFAULT_MIDI_TYPE;
    if (peer_midi != (ours->kind == engine::PortKind::kMidi)) {
        error = "cannot connect " + full_name(client_name_, our_port) + " and " + external +
                ": one carries audio, the other MIDI";
        return false;
    }
    return true;
}

bool JackBackend::connect_external(const std::string& our_port, const std::string& external,
                                   std::string& error) {
    const RegisteredPort* it = registered(our_port, error);
    if (it == nullptr) return false;
    if (client_ != nullptr && !connect_pair(*it, external)) {
        error = "JACK could not connect " + full_name(client_name_, our_port) + " and " + external +
                " (does the port exist, and is it of the right kind and direction?)";
        return false;
    }
    connections_[our_port].insert(external);  // remembered across server restarts
    return true;
}

bool JackBackend::disconnect_external(const std::string& our_port, const std::string& external,
                                      std::string& error) {
    const RegisteredPort* it = registered(our_port, error);
    if (it == nullptr) return false;
    connections_[our_port].erase(external);
    if (client_ == nullptr) return true;
    const std::string ours = full_name(client_name_, our_port);
    const bool output = it->direction == engine::PortDirection::kOutput;
    const int rc = output ? jack_disconnect(client_, ours.c_str(), external.c_str())
                          : jack_disconnect(client_, external.c_str(), ours.c_str());
    if (rc != 0) {
        error = ours + " is not connected to " + external;
        return false;
    }
    return true;
}

void JackBackend::make_connections() {
    for (const auto& [port, targets] : config_.autoconnect) {
        connections_[port].insert(targets.begin(), targets.end());
    }
    // A remembered connection whose peer is missing now stays remembered.
    for (const RegisteredPort& port : ports_) {
        const auto it = connections_.find(port.name);
        if (it == connections_.end()) continue;
        for (const std::string& target : it->second) connect_pair(port, target);
    }
}

void JackBackend::refresh_connections() {
    // What JACK reports now, plus remembered peers not connected at the
    // moment: a peer client that quit (its port is gone) or one we could not
    // connect yet (its client not active) is not a user's disconnect; the
    // connection is made when the port is there again. A connection we saw
    // made and that vanished while its peer port still exists was broken by
    // someone (a patchbay, jack_disconnect): that one is forgotten.
    for (const RegisteredPort& r : ports_) {
        std::set<std::string> now;
        if (const char** names = jack_port_get_all_connections(client_, r.port)) {
            for (const char** name = names; *name != nullptr; ++name) now.insert(*name);
            jack_free(names);
        }
        std::set<std::string> kept = now;
        std::set<std::string>& seen = established_[r.name];
        for (const std::string& target : connections_[r.name]) {
            if (now.contains(target)) continue;
            const bool peer_exists = jack_port_by_name(client_, target.c_str()) != nullptr;
            if (!(peer_exists && seen.contains(target))) kept.insert(target);
        }
        seen = now;
        connections_[r.name] = std::move(kept);
    }
}

void JackBackend::retry_connections() {
    // Not while changes wait to be read back: a connection someone just
    // broke must be seen as broken (and forgotten), not made again.
    if (refresh_due_) return;
    for (const RegisteredPort& port : ports_) {
        const auto it = connections_.find(port.name);
        if (it == connections_.end()) continue;
        const std::set<std::string>& seen = established_[port.name];
        for (const std::string& target : it->second) {
            if (seen.contains(target) || jack_port_connected_to(port.port, target.c_str()) != 0) continue;
            if (jack_port_by_name(client_, target.c_str()) == nullptr) continue;  // not back yet
            connect_pair(port, target);
        }
    }
}

int JackBackend::process_thread_priority() const {
    if (client_ == nullptr) return 0;
    return std::max(jack_client_real_time_priority(client_), 0);
}

void JackBackend::read_process_thread_sched() {
    const jack_native_thread_t thread = jack_client_thread_id(client_);
    sched_param param{};
    int policy = 0;
    if (pthread_getschedparam(thread, &policy, &param) == 0) {
        process_thread_ = SchedInfo{policy, param.sched_priority};
    }
}

void JackBackend::drop_client() {
    for (SlotPort& slot : audio_inputs_) slot.port.store(nullptr, std::memory_order_release);
    for (SlotPort& slot : audio_outputs_) slot.port.store(nullptr, std::memory_order_release);
    for (SlotPort& slot : midi_inputs_) slot.port.store(nullptr, std::memory_order_release);
    for (SlotPort& slot : midi_outputs_) slot.port.store(nullptr, std::memory_order_release);
    if (client_ != nullptr) jack_client_close(client_);
    client_ = nullptr;
    ports_.clear();
    retiring_.clear();
    established_.clear();  // a new server has made none of them
    process_thread_.reset();
}

void JackBackend::close() {
    if (client_ == nullptr) return;
    jack_deactivate(client_);  // no process callback runs after this returns
    for (const RegisteredPort& r : ports_) jack_port_unregister(client_, r.port);
    for (const RetiringPort& r : retiring_) jack_port_unregister(client_, r.port);
    ports_.clear();
    retiring_.clear();
    drop_client();
}

void JackBackend::abandon() {
    client_ = nullptr;  // leaked on purpose: the process is about to exit
    ports_.clear();
    retiring_.clear();
}

std::vector<BackendEvent> JackBackend::tick(std::chrono::steady_clock::time_point now,
                                            const engine::Model& model) {
    std::vector<BackendEvent> events;
    if (client_ != nullptr && server_lost_.load(std::memory_order_acquire)) {
        drop_client();
        lost_ = true;
        retry_delay_s_ = config_.reconnect_first_delay_s;
        next_retry_ = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(retry_delay_s_));
        events.push_back({BackendEvent::Kind::kLost,
                          "JACK server went away; the graph is kept, reconnecting"});
    }
    if (lost_ && engine_ != nullptr && now >= next_retry_) {
        std::string error;
        const double expected_rate = engine_->config().sample_rate;
        if (open_client(error)) {
            const double rate = sample_rate_.load(std::memory_order_acquire);
            if (rate != expected_rate) {
                events.push_back({BackendEvent::Kind::kSampleRateChanged,
                                  "JACK is back at " + std::to_string(static_cast<int>(rate)) +
                                      " Hz but the graph runs at " +
                                      std::to_string(static_cast<int>(expected_rate)) +
                                      " Hz"});
                drop_client();
            } else if (start(*engine_, model, error)) {
                std::size_t restored = 0;
                for (const auto& [port, targets] : connections_) restored += targets.size();
                events.push_back({BackendEvent::Kind::kConnected,
                                  "reconnected to JACK as '" + client_name_ + "': " +
                                      std::to_string(ports_.size()) + " ports registered, " +
                                      std::to_string(restored) + " external connections re-made"});
            }
        }
        if (lost_) {
            retry_delay_s_ = std::min(retry_delay_s_ * 2.0, config_.reconnect_max_delay_s);
            next_retry_ = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(retry_delay_s_));
            events.push_back({BackendEvent::Kind::kRetryFailed, error});
        }
    }
    if (client_ == nullptr) return events;

    const std::uint64_t cycle = cycles();
    finish_port_retirement();
    if (ports_appeared_.exchange(false, std::memory_order_acq_rel)) make_connections();
    // A client that quits has its connections removed a moment before its
    // ports are unregistered; read too early, that would look like a user's
    // disconnect and the connection would be forgotten. So wait for quiet.
    if (connections_changed_.exchange(false, std::memory_order_acq_rel)) refresh_due_ = now + kRefreshQuiet;
    if (refresh_due_ && now >= *refresh_due_) {
        refresh_due_.reset();
        refresh_connections();
    }
    // A peer port can appear before its client is active, and JACK refuses
    // to connect it then; try the remembered connections again now and then.
    if (now >= next_connection_retry_) {
        next_connection_retry_ = now + kConnectionRetry;
        retry_connections();
    }
    if (!process_thread_ && cycle > 0) {
        read_process_thread_sched();
        if (process_thread_) {
            events.push_back({BackendEvent::Kind::kInfo,
                              "JACK process thread runs " + process_thread_->describe()});
        }
    }
    const std::uint32_t period = period_.load(std::memory_order_acquire);
    if (period != reported_period_) {
        if (reported_period_ != 0) {
            events.push_back({BackendEvent::Kind::kPeriodChanged,
                              "JACK period changed from " + std::to_string(reported_period_) +
                                  " to " + std::to_string(period) + " frames"});
        }
        reported_period_ = period;
    }
    return events;
}

void JackBackend::finish_port_retirement() {
    if (client_ == nullptr) return;
    const std::uint64_t cycle = cycles();
    std::erase_if(retiring_, [&](const RetiringPort& r) {
        if (cycle < r.after_cycle) return false;
        jack_port_unregister(client_, r.port);
        return true;
    });
}

bool JackBackend::ports_settled(const engine::Model& model) {
    finish_port_retirement();
    if (!retiring_.empty()) return false;
    // A port removed and added again under the same name (another kind or
    // direction, in one transaction or snapshot) could not be registered
    // while the old one was still retiring: it can now.
    sync_ports(model);
    return retiring_.empty();
}

std::int64_t JackBackend::clock_us_at(double unix_seconds) const {
    if (client_ == nullptr) return 0;
    // The wall clock against JACK's, read between two JACK readings; the
    // tightest of a few brackets, so a preemption between reads does not
    // skew the offset.
    double best_offset_us = 0.0;
    jack_time_t best_span = std::numeric_limits<jack_time_t>::max();
    for (int attempt = 0; attempt < 8; ++attempt) {
        const jack_time_t before = jack_get_time();
        timespec wall{};
        clock_gettime(CLOCK_REALTIME, &wall);
        const jack_time_t after = jack_get_time();
        if (after - before >= best_span) continue;
        best_span = after - before;
        const double wall_us = static_cast<double>(wall.tv_sec) * 1e6 + static_cast<double>(wall.tv_nsec) * 1e-3;
        best_offset_us = wall_us - (static_cast<double>(before) + static_cast<double>(after)) / 2.0;
    }
    return std::llround(unix_seconds * 1e6 - best_offset_us);
}

std::int64_t JackBackend::engine_frame_in(double seconds) const {
    if (client_ == nullptr) return 0;
    std::uint32_t jack_frame = 0;
    std::uint64_t engine_frame = 0;
    for (;;) {
        const std::uint32_t before = clock_seq_.load(std::memory_order_acquire);
        jack_frame = cycle_jack_frame_.load(std::memory_order_relaxed);
        engine_frame = cycle_engine_frame_.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if ((before & 1u) == 0 && clock_seq_.load(std::memory_order_relaxed) == before) break;
    }
    const double rate = sample_rate_.load(std::memory_order_acquire);
    // jack_frame_time() estimates the frame being played now; JACK frame
    // numbers wrap at 2^32, so only differences are used.
    const auto since_cycle = static_cast<std::int32_t>(jack_frame_time(client_) - jack_frame);
    return static_cast<std::int64_t>(engine_frame) + since_cycle +
           static_cast<std::int64_t>(std::llround(seconds * rate));
}

BackendFigures JackBackend::figures() const {
    BackendFigures figures;
    figures.connected = client_ != nullptr;
    figures.client_name = client_name_;
    figures.sample_rate = sample_rate_.load(std::memory_order_acquire);
    figures.period = period_.load(std::memory_order_acquire);
    figures.jack_dsp_load = client_ != nullptr ? jack_cpu_load(client_) : 0.0;
    figures.xruns = xruns_.load(std::memory_order_relaxed);
    figures.cycles = cycles();
    figures.deadline_misses = deadline_misses_.load(std::memory_order_relaxed);
    figures.process_thread = process_thread_;
    return figures;
}

}  // namespace rtgraph::backend
