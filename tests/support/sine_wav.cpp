// Writes the RIFF/WAVE header and 16-bit samples by hand (test fixture).
#include "support/sine_wav.hpp"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <numbers>

namespace rtgraph::test_support {

bool write_sine_wav(const std::string& path, double frequency, double seconds, double sample_rate) {
    const auto frames = static_cast<std::uint32_t>(seconds * sample_rate);
    const auto rate = static_cast<std::uint32_t>(sample_rate);
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    const auto u32 = [&](std::uint32_t v) { file.write(reinterpret_cast<const char*>(&v), 4); };
    const auto u16 = [&](std::uint16_t v) { file.write(reinterpret_cast<const char*>(&v), 2); };
    file.write("RIFF", 4);
    u32(36 + frames * 2);
    file.write("WAVEfmt ", 8);
    u32(16);        // fmt chunk size
    u16(1);         // PCM
    u16(1);         // mono
    u32(rate);
    u32(rate * 2);  // bytes per second
    u16(2);         // bytes per frame
    u16(16);        // bits per sample
    file.write("data", 4);
    u32(frames * 2);
    for (std::uint32_t n = 0; n < frames; ++n) {
        const double x = 0.5 * std::sin(2.0 * std::numbers::pi * frequency * n / sample_rate);
        u16(static_cast<std::uint16_t>(static_cast<std::int16_t>(std::lround(x * 32767.0))));
    }
    return static_cast<bool>(file);
}

}  // namespace rtgraph::test_support
