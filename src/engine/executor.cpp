// Executor: the audio thread's loop over the current program.
//
// Everything in this file except the constructor and destructor runs on the
// audio thread: no allocation, free, lock, log, syscall or throw.
#include "rtgraph/engine/executor.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "rtgraph/rt/denormals.hpp"

namespace rtgraph::engine {

namespace {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

}  // namespace

Executor::Executor(std::uint32_t max_block, rt::SpscQueue<AudioCommand>& commands,
                   rt::RetireQueue& retire, rt::TelemetryRing& telemetry, WorkerTeam* team)
    : max_block_(max_block), commands_(commands), retire_(retire), telemetry_(telemetry), team_(team) {}

Executor::~Executor() {
    AudioCommand command;
    while (commands_.try_pop(command)) {
        if (command.kind == AudioCommandKind::kSwapProgram) delete command.program;
    }
    delete current_;
}

void Executor::process(const AudioIo& io, std::uint32_t nframes) noexcept {
    rt::ScopedFlushDenormals flush_denormals;
    for (std::uint32_t slot = 0; slot < io.output_count; ++slot) {
        if (io.outputs[slot] != nullptr) std::memset(io.outputs[slot], 0, nframes * sizeof(float));
    }
    retire_full_reported_ = false;
    for (std::uint32_t done = 0; done < nframes;) {
        const std::uint32_t chunk = std::min(nframes - done, max_block_);
        render(io, done, chunk);
        done += chunk;
    }
    if (team_ != nullptr) team_->end_block();
    counters_.frame.store(frame_, std::memory_order_release);
    clock_.publish_rendered();
}

void Executor::skip_frames(std::uint64_t frames) noexcept {
    frame_ += frames;
    counters_.frame.store(frame_, std::memory_order_release);
}

void Executor::set_cycle_clock(std::int64_t start_us, double us_per_frame, std::int64_t end_us) noexcept {
    clock_.set(frame_, start_us, us_per_frame, end_us);
    // Re-map what waits by this cycle's clock. Mapping keeps the order of
    // clocked events; an insertion pass keeps frame order (and send order
    // within a frame) should clocked and frame-timed events be mixed.
    for (std::size_t i = 0; i < pending_count_; ++i) {
        AudioCommand& event = pending_[i];
        if (event.clock_us != 0) event.frame = clock_.frame_of(event.clock_us);
        for (std::size_t at = i; at > 0 && pending_[at - 1].frame > pending_[at].frame; --at) {
            std::swap(pending_[at - 1], pending_[at]);
        }
    }
}

std::uint64_t Executor::due_frame(const AudioCommand& command) const noexcept {
    return command.clock_us != 0 && clock_.known() ? clock_.frame_of(command.clock_us) : command.frame;
}

void Executor::render(const AudioIo& io, std::uint32_t offset, std::uint32_t nframes) noexcept {
    std::uint32_t position = 0;
    while (position < nframes) {
        const std::uint64_t now = frame_;
        // Pending events were sent before anything still queued: they go
        // first, so a frame's events apply in send order.
        apply_due_events(now);
        const std::uint64_t blocked_until = take_due_commands(now);
        std::uint64_t next = blocked_until;
        if (pending_count_ > 0) next = std::min(next, pending_[0].frame);
        const std::uint64_t room = nframes - position;
        const std::uint32_t length =
            static_cast<std::uint32_t>(next > now ? std::min(room, next - now) : room);
        run_steps(io, offset + position, length);
        position += length;
        frame_ += length;
    }
}

std::uint64_t Executor::take_due_commands(std::uint64_t now) noexcept {
    while (const AudioCommand* head = commands_.front()) {
        const std::uint64_t head_frame = due_frame(*head);
        if (head_frame > now && head->kind == AudioCommandKind::kSwapProgram) return head_frame;
        if (head->kind == AudioCommandKind::kSwapProgram && current_ != nullptr &&
            retire_.free_slots() == 0) {
            // Keep the old program one more block rather than wait or free here.
            if (!retire_full_reported_) {
                retire_full_reported_ = true;
                counters_.swaps_postponed.fetch_add(1, std::memory_order_relaxed);
                telemetry_.write({rt::TelemetryKind::kRetireQueueFull, 0, 0, now, {}});
            }
            return kNever;
        }
        if (head->kind == AudioCommandKind::kSetParam && head_frame > now &&
            pending_count_ == kMaxPendingEvents) {
            return kNever;  // the earliest pending event frees a place first
        }
        AudioCommand command;
        commands_.try_pop(command);
        command.frame = head_frame;
        if (command.kind == AudioCommandKind::kSwapProgram) {
            adopt(command.program);
        } else if (command.frame > now) {
            schedule(command);
        } else {
            command.node->set_param(command.param, command.value, command.ramp_frames);
        }
        counters_.consumed_seq.store(command.seq, std::memory_order_release);
    }
    return kNever;
}

void Executor::adopt(Program* program) noexcept {
    if (current_ != nullptr) retire_.try_retire(current_);  // space checked by the caller
    current_ = program;
    settled_ = false;
    // An event whose node is not in the new program would touch a node the
    // housekeeping thread may free: drop it.
    std::size_t kept = 0;
    for (std::size_t i = 0; i < pending_count_; ++i) {
        if (program->contains(pending_[i].node)) {
            pending_[kept++] = pending_[i];
        } else {
            counters_.events_dropped.fetch_add(1, std::memory_order_relaxed);
        }
    }
    pending_count_ = kept;
    counters_.live_generation.store(program->generation, std::memory_order_release);
    telemetry_.write({rt::TelemetryKind::kProgramLive, 0,
                      static_cast<std::uint32_t>(program->generation), frame_, {}});
}

bool Executor::schedule(const AudioCommand& event) noexcept {
    if (pending_count_ == kMaxPendingEvents) return false;
    // Insert after every event with the same or an earlier frame, so events
    // for the same frame apply in the order they were sent.
    std::size_t at = pending_count_;
    while (at > 0 && pending_[at - 1].frame > event.frame) {
        pending_[at] = pending_[at - 1];
        --at;
    }
    pending_[at] = event;
    ++pending_count_;
    return true;
}

void Executor::apply_due_events(std::uint64_t now) noexcept {
    std::size_t due = 0;
    while (due < pending_count_ && pending_[due].frame <= now) {
        const AudioCommand& event = pending_[due];
        event.node->set_param(event.param, event.value, event.ramp_frames);
        ++due;
    }
    if (due == 0) return;
    std::copy(pending_.begin() + static_cast<std::ptrdiff_t>(due),
              pending_.begin() + static_cast<std::ptrdiff_t>(pending_count_), pending_.begin());
    pending_count_ -= due;
}

void Executor::read_midi_input(const AudioIo& io, const ProgramStep& step, std::uint32_t offset,
                               std::uint32_t nframes) noexcept {
    Program& program = *current_;
    MidiBuffer& events = program.midi_buffers[program.midi_output_buffers[step.first_midi_output]];
    events.clear();
    const MidiBuffer* source = step.slot < io.midi_input_count ? io.midi_inputs[step.slot] : nullptr;
    if (source == nullptr) return;
    for (const MidiEvent& event : source->events()) {
        if (event.frame < offset || event.frame >= offset + nframes) continue;
        if (!events.push(event, event.frame - offset)) {
            counters_.midi_dropped.fetch_add(1, std::memory_order_relaxed);
        }
        if (event.size == 3 && (event.data[0] & 0xF0) == 0xB0) apply_controller(event);
    }
}

void Executor::apply_controller(const MidiEvent& event) noexcept {
    const std::uint8_t channel = event.data[0] & 0x0F;
    const std::uint8_t controller = event.data[1] & 0x7F;
    const float value = static_cast<float>(event.data[2] & 0x7F);
    if (midi_learn_.load(std::memory_order_relaxed) && midi_learn_.exchange(false)) {
        telemetry_.write({rt::TelemetryKind::kMidiLearn, 0, 0, frame_,
                          {static_cast<float>(channel), static_cast<float>(controller), value, 0}});
    }
    const std::vector<ProgramCcMap>& maps = current_->cc_maps;
    auto it = std::lower_bound(maps.begin(), maps.end(), std::pair{channel, controller},
                               [](const ProgramCcMap& map, std::pair<std::uint8_t, std::uint8_t> key) {
                                   return std::pair{map.channel, map.controller} < key;
                               });
    for (; it != maps.end() && it->channel == channel && it->controller == controller; ++it) {
        const float target = it->min + (it->max - it->min) * (value / 127.0f);
        it->node->set_param(it->param, target, it->ramp_frames);
        telemetry_.write({rt::TelemetryKind::kParamFromMidi, 0, it->node->id(), frame_,
                          {static_cast<float>(it->param), it->node->param(it->param).target(), 0, 0}});
    }
}

void Executor::run_steps(const AudioIo& io, std::uint32_t offset, std::uint32_t nframes) noexcept {
    if (current_ == nullptr || nframes == 0) return;
    Program& program = *current_;
    const SpanContext span{&program, &io, offset, nframes, frame_, settled_, &counters_};
    bool fading = false;
    if (team_ != nullptr && program.schedule.parallel() &&
        program.scratch.size() == team_->workers() + 1) {
        for (std::uint32_t s = 0; s < program.schedule.prologue_steps; ++s) {
            read_midi_input(io, program.steps[s], offset, nframes);
        }
        fading = team_->run_span(span, telemetry_);
    } else {
        StepThread own{&program.scratch[0], &telemetry_};
        for (const ProgramStep& step : program.steps) {
            if (step.kind == StepKind::kGraphMidiInput) {
                read_midi_input(io, step, offset, nframes);
            } else {
                run_step(span, own, step);
            }
        }
        fading = own.fading;
    }
    // A segment in which no edge moved: from now on the program is settled
    // until the next one is adopted.
    settled_ = !fading;
}

}  // namespace rtgraph::engine
