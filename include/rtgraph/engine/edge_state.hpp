// The fade state of one connection, which outlives the programs that use it.
//
// Threads: created by the control thread; `gain` is then written only by the
// audio thread. Programs refer to it by raw pointer and keep it alive through
// a shared_ptr that only non-RT threads touch. When a connection is removed it
// stays in the next programs with target 0 until the audio thread reports it
// silent; only then does the control thread compile it out. A MIDI
// connection is silent once it has ended the notes it started.
#pragma once

#include <atomic>
#include <cstdint>

#include "rtgraph/engine/held_notes.hpp"

namespace rtgraph::engine {

struct EdgeState {
    // [rt] the gain applied now; moves towards the program's target at the
    // engine's fade rate. Starts at 0 so a new connection fades in.
    float gain = 0.0f;

    // [rt] writes, [nrt] reads: the generation of a program in which the audio
    // thread found this edge fully faded out (gain and target both 0).
    std::atomic<std::uint64_t> silent_generation{0};

    // [rt] only, MIDI connections: the notes this connection has started and
    // not ended; ended by the executor when the connection leaves.
    HeldNotes held_notes;
};

}  // namespace rtgraph::engine
