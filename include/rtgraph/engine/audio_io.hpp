// AudioIo: the external buffers of one block, as the backend hands them over.
//
// Threads: filled by the backend on the audio thread for each process() call.
#pragma once

#include <cstdint>

#include "rtgraph/engine/midi_buffer.hpp"

namespace rtgraph::engine {

struct AudioIo {
    const float* const* inputs = nullptr;  // by graph input slot; a null entry reads as silence
    std::uint32_t input_count = 0;
    float* const* outputs = nullptr;  // by graph output slot; null entries are skipped
    std::uint32_t output_count = 0;
    // MIDI by graph MIDI slot. Event frames count from the first frame of the
    // process() call. Inputs are read; outputs are appended to (the backend
    // clears them). Null entries are skipped.
    const MidiBuffer* const* midi_inputs = nullptr;
    std::uint32_t midi_input_count = 0;
    MidiBuffer* const* midi_outputs = nullptr;
    std::uint32_t midi_output_count = 0;
};

}  // namespace rtgraph::engine
