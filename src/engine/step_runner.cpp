// Running one step of a program (audio thread or worker): no allocation,
// free, lock, log, syscall or throw.
#include "rtgraph/engine/step_runner.hpp"

#include <algorithm>
#include <cstring>

#include "rtgraph/engine/dsp_kernels.hpp"

namespace rtgraph::engine {

namespace {

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

// [rt] The input's edges summed, in the order the compiler fixed, into the
// thread's mix buffer `scratch` (or a source buffer itself, when one settled
// unity edge feeds it).
const float* mix_input(const SpanContext& span, StepThread& thread, const ProgramInput& input,
                       std::uint32_t scratch) noexcept {
    Program& program = *span.program;
    const std::uint32_t nframes = span.nframes;
    if (input.edge_count == 0) return program.buffers[program.silence_buffer];
    if (span.settled) {
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
    float* mix = program.buffers[thread.scratch->mix_buffer_base + scratch];
    bool written = false;
    for (std::uint32_t e = 0; e < input.edge_count; ++e) {
        const ProgramEdge& edge = program.edges[input.first_edge + e];
        if (span.settled) {
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
        if (state.gain != edge.target_gain) thread.fading = true;
        state.gain = mix_edge(mix, program.buffers[edge.source_buffer], nframes, state.gain,
                              edge.target_gain, program.fade_step, written);
        written = true;
    }
    return written ? mix : program.buffers[program.silence_buffer];
}

// [rt] The common case inline: in a settled program, an input fed by one
// unity edge reads the source buffer itself. Everything else is mix_input's.
inline const float* input_samples(const SpanContext& span, StepThread& thread,
                                  const ProgramInput& input, std::uint32_t scratch) noexcept {
    if (span.settled && input.edge_count == 1) {
        const ProgramEdge& edge = span.program->edges[input.first_edge];
        if (edge.target_gain == 1.0f) return span.program->buffers[edge.source_buffer];
    }
    return mix_input(span, thread, input, scratch);
}

// [rt] A MIDI input's edges merged in frame order (sources in edge order at
// equal frames), with note-offs first for a leaving connection's held notes.
const MidiBuffer* mix_midi_input(const SpanContext& span, StepThread& thread,
                                 const ProgramInput& input, std::uint32_t scratch) noexcept {
    Program& program = *span.program;
    StepScratch& own = *thread.scratch;
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
        own.midi_merge_sources[sources++] = &source;
    }
    if (!releasing) {
        if (sources == 0) return &program.midi_buffers[program.midi_empty_buffer];
        if (sources == 1) return own.midi_merge_sources[0];
    }
    MidiBuffer& merged = program.midi_buffers[own.midi_merge_base + scratch];
    merged.clear();
    if (releasing) {
        for (std::uint32_t e = 0; e < input.edge_count; ++e) {
            const ProgramEdge& edge = program.midi_edges[input.first_edge + e];
            if (edge.target_gain != 0.0f || !edge.state->held_notes.any()) continue;
            if (edge.state->held_notes.release_into(merged, 0)) {
                edge.state->silent_generation.store(program.generation, std::memory_order_release);
            }
        }
    }
    merge_midi(merged, {own.midi_merge_sources.data(), sources}, {own.midi_merge_cursors.data(), sources});
    return &merged;
}

// [rt] Crossfades a node's outputs towards its inputs (bypass on or off).
void apply_bypass(const SpanContext& span, StepThread& thread, const ProgramStep& step) noexcept {
    Program& program = *span.program;
    StepScratch& own = *thread.scratch;
    const float target = step.bypass ? 1.0f : 0.0f;
    const float start = step.node->bypass_mix();
    float mix = start;
    for (std::uint32_t o = 0; o < step.output_count; ++o) {
        float* out = own.output_pointers[o];
        const float* dry = o < step.input_count ? own.input_pointers[o]
                                                : program.buffers[program.silence_buffer];
        mix = start;
        if (mix == target) {  // settled fully bypassed
            std::memcpy(out, dry, span.nframes * sizeof(float));
            continue;
        }
        for (std::uint32_t i = 0; i < span.nframes; ++i) {
            mix = mix < target ? std::min(mix + program.fade_step, target)
                               : std::max(mix - program.fade_step, target);
            out[i] += mix * (dry[i] - out[i]);
        }
    }
    if (mix != target) thread.fading = true;
    step.node->bypass_mix() = step.output_count > 0 ? mix : target;
}

void run_node(const SpanContext& span, StepThread& thread, const ProgramStep& step) noexcept {
    Program& program = *span.program;
    StepScratch& own = *thread.scratch;
    const std::uint32_t nframes = span.nframes;
    for (std::uint32_t i = 0; i < step.input_count; ++i) {
        own.input_pointers[i] = input_samples(span, thread, program.inputs[step.first_input + i], i);
    }
    for (std::uint32_t o = 0; o < step.output_count; ++o) {
        own.output_pointers[o] = program.buffers[program.output_buffers[step.first_output + o]];
    }
    for (std::uint32_t i = 0; i < step.midi_input_count; ++i) {
        own.midi_input_pointers[i] =
            mix_midi_input(span, thread, program.midi_inputs[step.first_midi_input + i], i);
    }
    for (std::uint32_t o = 0; o < step.midi_output_count; ++o) {
        MidiBuffer& out = program.midi_buffers[program.midi_output_buffers[step.first_midi_output + o]];
        out.clear();
        own.midi_output_pointers[o] = &out;
    }
    step.node->process(ProcessBlock{own.input_pointers.data(), own.output_pointers.data(), nframes,
                                    span.frame, thread.telemetry, own.midi_input_pointers.data(),
                                    own.midi_output_pointers.data()});
    if (step.bypass) {
        // MIDI has nothing to crossfade: a bypassed node passes its MIDI
        // inputs straight through (input i to output i) from the first block.
        for (std::uint32_t o = 0; o < step.midi_output_count; ++o) {
            MidiBuffer& out = *own.midi_output_pointers[o];
            out.clear();
            if (o >= step.midi_input_count) continue;
            for (const MidiEvent& event : own.midi_input_pointers[o]->events()) out.push(event, event.frame);
        }
    }
    const bool found_finite = step.node->take_outputs_found_finite();
    if (step.bypass || step.node->bypass_mix() != 0.0f) {
        apply_bypass(span, thread, step);
    } else if (found_finite) {
        return;
    }
    bool finite = true;
    for (std::uint32_t o = 0; o < step.output_count; ++o) {
        finite = finite && kernels::all_finite(own.output_pointers[o], nframes);
    }
    if (finite) return;
    // Silence the node instead of letting NaN/Inf poison everything after it,
    // and clear its state so it can recover.
    for (std::uint32_t o = 0; o < step.output_count; ++o) {
        std::memset(own.output_pointers[o], 0, nframes * sizeof(float));
    }
    step.node->reset();
    span.counters->nonfinite_blocks.fetch_add(1, std::memory_order_relaxed);
    thread.telemetry->write({rt::TelemetryKind::kNodeNonFinite, 0, step.node->id(), span.frame, {}});
}

void write_midi_output(const SpanContext& span, StepThread& thread, const ProgramStep& step) noexcept {
    Program& program = *span.program;
    const MidiBuffer* merged = mix_midi_input(span, thread, program.midi_inputs[step.first_midi_input], 0);
    const AudioIo& io = *span.io;
    MidiBuffer* destination = step.slot < io.midi_output_count ? io.midi_outputs[step.slot] : nullptr;
    if (destination == nullptr) return;
    for (const MidiEvent& event : merged->events()) {
        if (!destination->push(event, event.frame + span.offset)) {
            span.counters->midi_dropped.fetch_add(1, std::memory_order_relaxed);
        }
    }
}

}  // namespace

void run_step(const SpanContext& span, StepThread& thread, const ProgramStep& step) noexcept {
    Program& program = *span.program;
    const AudioIo& io = *span.io;
    switch (step.kind) {
        case StepKind::kNode:
            run_node(span, thread, step);
            break;
        case StepKind::kGraphInput: {
            float* dst = program.buffers[program.output_buffers[step.first_output]];
            const float* src = step.slot < io.input_count ? io.inputs[step.slot] : nullptr;
            if (src != nullptr && kernels::all_finite(src + span.offset, span.nframes)) {
                std::memcpy(dst, src + span.offset, span.nframes * sizeof(float));
            } else {
                std::memset(dst, 0, span.nframes * sizeof(float));
            }
            break;
        }
        case StepKind::kGraphMidiOutput:
            write_midi_output(span, thread, step);
            break;
        case StepKind::kGraphOutput: {
            const float* mixed = mix_input(span, thread, program.inputs[step.first_input], 0);
            float* dst = step.slot < io.output_count ? io.outputs[step.slot] : nullptr;
            if (dst == nullptr) break;
            for (std::uint32_t i = 0; i < span.nframes; ++i) dst[span.offset + i] += mixed[i];
            break;
        }
        case StepKind::kGraphMidiInput:
            break;  // the executor's (see the header)
    }
}

}  // namespace rtgraph::engine
