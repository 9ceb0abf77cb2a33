// AudioCommand: what the control thread sends the audio thread.
//
// Threads: written by the control thread (the single producer), read by the
// audio thread (the single consumer) through one SPSC queue. Program swaps and
// parameter events share that queue so the audio thread sees them in the order
// they were made: an event for a node never arrives before the program that
// holds the node.
#pragma once

#include <cstdint>
#include <type_traits>

namespace rtgraph::engine {

class Node;
struct Program;

enum class AudioCommandKind : std::uint8_t { kSwapProgram, kSetParam };

struct AudioCommand {
    AudioCommandKind kind = AudioCommandKind::kSetParam;
    std::uint32_t param = 0;
    std::uint32_t ramp_frames = 0;
    float value = 0.0f;
    std::uint64_t frame = 0;  // absolute engine frame it takes effect at; 0 = next block
    // Nonzero: takes effect at this time on the backend's clock (microseconds,
    // see CycleClock), mapped onto a frame by the cycle it falls in; `frame`
    // is then the control thread's estimate, used only where no clock runs.
    std::int64_t clock_us = 0;
    std::uint64_t seq = 0;    // increasing per command, for acknowledgements
    Node* node = nullptr;     // kSetParam
    Program* program = nullptr;  // kSwapProgram: ownership passes to the audio thread
};

static_assert(std::is_trivially_copyable_v<AudioCommand>);

}  // namespace rtgraph::engine
