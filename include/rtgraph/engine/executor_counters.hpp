// ExecutorCounters: what the executor counts, for any thread to read.
//
// Threads: written by the audio thread (and, while a span runs in parallel,
// by the workers: only with fetch_add); read by any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace rtgraph::engine {

struct ExecutorCounters {
    std::atomic<std::uint64_t> frame{0};            // frames processed so far
    std::atomic<std::uint64_t> live_generation{0};  // generation of the running program
    std::atomic<std::uint64_t> consumed_seq{0};     // last command taken from the queue
    std::atomic<std::uint64_t> events_dropped{0};   // events whose node left before their frame
    std::atomic<std::uint64_t> nonfinite_blocks{0}; // node outputs silenced for NaN/Inf
    std::atomic<std::uint64_t> swaps_postponed{0};  // blocks a swap waited for retire space
    std::atomic<std::uint64_t> midi_dropped{0};     // MIDI events beyond a buffer's capacity
};

}  // namespace rtgraph::engine
