// Executor: the audio thread's loop over the current program.
//
// Everything in this file except the constructor and destructor runs on the
// audio thread: no allocation, free, lock, log, syscall or throw.
#include "rtgraph/engine/executor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "rtgraph/engine/dsp_kernels.hpp"
#include "rtgraph/rt/denormals.hpp"

namespace rtgraph::engine {

namespace {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// [rt] wait-free. dst (+)= src * gain, the gain moving towards target by at
// most `step` per sample. Returns the gain reached.
float mix_edge(float* dst, const float* src, std::uint32_t nframes, float gain, float target,
               float step, bool accumulate) noexcept {
    if (gain == target) {
        if (accumulate) {
            kernels::accumulate(dst, src, gain, nframes);
        } else if (gain == 1.0f) {
            std::memcpy(dst, src, nframes * sizeof(float));
        } else {
            kernels::scale(dst, src, gain, nframes);
        }
        return gain;
    }
    for (std::uint32_t i = 0; i < nframes; ++i) {
        gain = gain < target ? std::min(gain + step, target) : std::max(gain - step, target);
        dst[i] = (accumulate ? dst[i] : 0.0f) + src[i] * gain;
    }
    return gain;
}

}  // namespace

Executor::Executor(std::uint32_t max_block, rt::SpscQueue<AudioCommand>& commands,
                   rt::RetireQueue& retire, rt::TelemetryRing& telemetry)
    : max_block_(max_block), commands_(commands), retire_(retire), telemetry_(telemetry) {}

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

const float* Executor::mix_input(const ProgramInput& input, std::uint32_t scratch,
                                 std::uint32_t nframes) noexcept {
    Program& program = *current_;
    if (input.edge_count == 0) return program.buffers[program.silence_buffer];
    if (settled_) {
        // No edge of this program is fading: every gain equals its target, so
        // the per-edge state need not be read at all.
        if (input.edge_count == 1 && program.edges[input.first_edge].target_gain == 1.0f) {
            return program.buffers[program.edges[input.first_edge].source_buffer];
        }
    } else if (input.edge_count == 1) {
        const ProgramEdge& edge = program.edges[input.first_edge];
        if (edge.state->gain == 1.0f && edge.target_gain == 1.0f) {
            return program.buffers[edge.source_buffer];  // settled unity edge: no copy
        }
    }
    float* mix = program.buffers[program.mix_buffer_base + scratch];
    bool written = false;
    for (std::uint32_t e = 0; e < input.edge_count; ++e) {
        const ProgramEdge& edge = program.edges[input.first_edge + e];
        if (settled_) {
            if (edge.target_gain == 0.0f) continue;
            mix_edge(mix, program.buffers[edge.source_buffer], nframes, edge.target_gain,
                     edge.target_gain, program.fade_step, written);
            written = true;
            continue;
        }
        EdgeState& state = *edge.state;
        if (state.gain == 0.0f && edge.target_gain == 0.0f) {
            state.silent_generation.store(program.generation, std::memory_order_release);
            continue;
        }
        if (state.gain != edge.target_gain) fading_ = true;
        state.gain = mix_edge(mix, program.buffers[edge.source_buffer], nframes, state.gain,
                              edge.target_gain, program.fade_step, written);
        written = true;
    }
    return written ? mix : program.buffers[program.silence_buffer];
}

void Executor::run_node(const ProgramStep& step, std::uint32_t nframes) noexcept {
    Program& program = *current_;
    for (std::uint32_t i = 0; i < step.input_count; ++i) {
        program.input_pointers[i] = mix_input(program.inputs[step.first_input + i], i, nframes);
    }
    for (std::uint32_t o = 0; o < step.output_count; ++o) {
        program.output_pointers[o] = program.buffers[program.output_buffers[step.first_output + o]];
    }
    for (std::uint32_t i = 0; i < step.midi_input_count; ++i) {
        program.midi_input_pointers[i] =
            mix_midi_input(program.midi_inputs[step.first_midi_input + i], i);
    }
    for (std::uint32_t o = 0; o < step.midi_output_count; ++o) {
        MidiBuffer& out =
            program.midi_buffers[program.midi_output_buffers[step.first_midi_output + o]];
        out.clear();
        program.midi_output_pointers[o] = &out;
    }
    step.node->process(ProcessBlock{program.input_pointers.data(), program.output_pointers.data(),
                                    nframes, frame_, &telemetry_,
                                    program.midi_input_pointers.data(),
                                    program.midi_output_pointers.data()});
    if (step.bypass) {
        // MIDI has nothing to crossfade: a bypassed node passes its MIDI
        // inputs straight through (input i to output i) from the first block.
        for (std::uint32_t o = 0; o < step.midi_output_count; ++o) {
            MidiBuffer& out = *program.midi_output_pointers[o];
            out.clear();
            if (o >= step.midi_input_count) continue;
            for (const MidiEvent& event : program.midi_input_pointers[o]->events()) {
                out.push(event, event.frame);
            }
        }
    }
    if (step.bypass || step.node->bypass_mix() != 0.0f) apply_bypass(step, nframes);
    bool finite = true;
    for (std::uint32_t o = 0; o < step.output_count; ++o) {
        finite = finite && kernels::all_finite(program.output_pointers[o], nframes);
    }
    if (finite) return;
    // Silence the node instead of letting NaN/Inf poison everything after it,
    // and clear its state so it can recover.
    for (std::uint32_t o = 0; o < step.output_count; ++o) {
        std::memset(program.output_pointers[o], 0, nframes * sizeof(float));
    }
    step.node->reset();
    counters_.nonfinite_blocks.fetch_add(1, std::memory_order_relaxed);
    telemetry_.write({rt::TelemetryKind::kNodeNonFinite, 0, step.node->id(), frame_, {}});
}

const MidiBuffer* Executor::mix_midi_input(const ProgramInput& input,
                                           std::uint32_t scratch) noexcept {
    Program& program = *current_;
    std::uint32_t sources = 0;
    bool releasing = false;
    for (std::uint32_t e = 0; e < input.edge_count; ++e) {
        const ProgramEdge& edge = program.midi_edges[input.first_edge + e];
        if (edge.target_gain == 0.0f) {
            // A leaving MIDI connection carries nothing from its first block;
            // it is silent once the notes it started have been ended.
            if (edge.state->held_notes.any()) {
                releasing = true;
            } else {
                edge.state->silent_generation.store(program.generation, std::memory_order_release);
            }
            continue;
        }
        const MidiBuffer& source = program.midi_buffers[edge.source_buffer];
        for (const MidiEvent& event : source.events()) edge.state->held_notes.track(event);
        program.midi_merge_sources[sources++] = &source;
    }
    if (!releasing) {
        if (sources == 0) return &program.midi_buffers[program.midi_empty_buffer];
        if (sources == 1) return program.midi_merge_sources[0];
    }
    MidiBuffer& merged = program.midi_buffers[program.midi_merge_base + scratch];
    merged.clear();
    if (releasing) {
        // Note-offs first, at the span's first frame, for the notes a removed
        // connection left sounding in this input's node.
        for (std::uint32_t e = 0; e < input.edge_count; ++e) {
            const ProgramEdge& edge = program.midi_edges[input.first_edge + e];
            if (edge.target_gain != 0.0f || !edge.state->held_notes.any()) continue;
            if (edge.state->held_notes.release_into(merged, 0)) {
                edge.state->silent_generation.store(program.generation, std::memory_order_release);
            }
        }
    }
    merge_midi(merged, {program.midi_merge_sources.data(), sources},
               {program.midi_merge_cursors.data(), sources});
    return &merged;
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

void Executor::write_midi_output(const AudioIo& io, const ProgramStep& step, std::uint32_t offset) noexcept {
    Program& program = *current_;
    const MidiBuffer* merged = mix_midi_input(program.midi_inputs[step.first_midi_input], 0);
    MidiBuffer* destination =
        step.slot < io.midi_output_count ? io.midi_outputs[step.slot] : nullptr;
    if (destination == nullptr) return;
    for (const MidiEvent& event : merged->events()) {
        if (!destination->push(event, event.frame + offset)) {
            counters_.midi_dropped.fetch_add(1, std::memory_order_relaxed);
        }
    }
}

void Executor::apply_bypass(const ProgramStep& step, std::uint32_t nframes) noexcept {
    Program& program = *current_;
    const float target = step.bypass ? 1.0f : 0.0f;
    const float start = step.node->bypass_mix();
    float mix = start;
    for (std::uint32_t o = 0; o < step.output_count; ++o) {
        float* out = program.output_pointers[o];
        const float* dry = o < step.input_count ? program.input_pointers[o]
                                                : program.buffers[program.silence_buffer];
        mix = start;
        if (mix == target) {  // settled fully bypassed
            std::memcpy(out, dry, nframes * sizeof(float));
            continue;
        }
        for (std::uint32_t i = 0; i < nframes; ++i) {
            mix = mix < target ? std::min(mix + program.fade_step, target)
                               : std::max(mix - program.fade_step, target);
            out[i] += mix * (dry[i] - out[i]);
        }
    }
    if (mix != target) fading_ = true;
    step.node->bypass_mix() = step.output_count > 0 ? mix : target;
}

void Executor::run_steps(const AudioIo& io, std::uint32_t offset, std::uint32_t nframes) noexcept {
    if (current_ == nullptr || nframes == 0) return;
    Program& program = *current_;
    fading_ = false;
    for (const ProgramStep& step : program.steps) {
        switch (step.kind) {
            case StepKind::kNode:
                run_node(step, nframes);
                break;
            case StepKind::kGraphInput: {
                float* dst = program.buffers[program.output_buffers[step.first_output]];
                const float* src = step.slot < io.input_count ? io.inputs[step.slot] : nullptr;
                if (src != nullptr && kernels::all_finite(src + offset, nframes)) {
                    std::memcpy(dst, src + offset, nframes * sizeof(float));
                } else {
                    std::memset(dst, 0, nframes * sizeof(float));
                }
                break;
            }
            case StepKind::kGraphMidiInput:
                read_midi_input(io, step, offset, nframes);
                break;
            case StepKind::kGraphMidiOutput:
                write_midi_output(io, step, offset);
                break;
            case StepKind::kGraphOutput: {
                const float* mixed = mix_input(program.inputs[step.first_input], 0, nframes);
                float* dst = step.slot < io.output_count ? io.outputs[step.slot] : nullptr;
                if (dst == nullptr) break;
                for (std::uint32_t i = 0; i < nframes; ++i) dst[offset + i] += mixed[i];
                break;
            }
        }
    }
    // A segment in which no edge moved: from now on the program is settled
    // until the next one is adopted.
    settled_ = !fading_;
}

}  // namespace rtgraph::engine
