// AudioIo: the external buffers of one block, as the backend hands them over.
//
// Threads: filled by the backend on the audio thread for each process() call.
#pragma once

#include <cstdint>

namespace rtgraph::engine {

struct AudioIo {
    const float* const* inputs = nullptr;  // by graph input slot; a null entry reads as silence
    std::uint32_t input_count = 0;
    float* const* outputs = nullptr;  // by graph output slot; null entries are skipped
    std::uint32_t output_count = 0;
};

}  // namespace rtgraph::engine
