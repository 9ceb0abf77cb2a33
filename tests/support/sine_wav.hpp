// A test fixture file: a mono 16-bit PCM WAV of a sine, written byte by byte
// (what eg-sampler loads in the plugin tests).
#pragma once

#include <string>

namespace rtgraph::test_support {

// [nrt] amplitude 0.5; false when the file cannot be written.
bool write_sine_wav(const std::string& path, double frequency, double seconds,
                    double sample_rate = 48000.0);

}  // namespace rtgraph::test_support
