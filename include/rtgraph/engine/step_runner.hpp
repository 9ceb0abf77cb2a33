// Running one program step: mixing its inputs, running its node, bypass,
// NaN guard, graph outputs. The same code runs a step on the audio thread and
// on a worker; a thread only touches its own StepScratch, telemetry ring and
// fading flag, and the buffers the step owns.
//
// Threads: audio thread and workers, [rt]. Graph MIDI inputs are not steps
// this runs: their controller maps touch other nodes, so the executor runs
// them on the audio thread before anything else (the schedule's prologue).
#pragma once

#include <cstdint>

#include "rtgraph/engine/audio_io.hpp"
#include "rtgraph/engine/executor_counters.hpp"
#include "rtgraph/engine/program.hpp"
#include "rtgraph/rt/annotations.hpp"
#include "rtgraph/rt/telemetry.hpp"

namespace rtgraph::engine {

// One span of frames of one program: the same for every thread running it.
struct SpanContext {
    Program* program = nullptr;
    const AudioIo* io = nullptr;
    std::uint32_t offset = 0;   // into the backend's buffers
    std::uint32_t nframes = 0;
    std::uint64_t frame = 0;    // absolute frame of the span's first sample
    bool settled = false;       // no edge of the program fades any more
    ExecutorCounters* counters = nullptr;
};

// What one thread brings to the steps it runs.
struct StepThread {
    StepScratch* scratch = nullptr;
    rt::TelemetryRing* telemetry = nullptr;
    bool fading = false;  // set when an edge or a bypass moved
};

// [rt] wait-free apart from the node it runs.
void run_step(const SpanContext& span, StepThread& thread, const ProgramStep& step) noexcept
    RTGRAPH_NONBLOCKING;

}  // namespace rtgraph::engine
