// Block kernels for the audio thread: the few loops every block runs many
// times (copy with gain, accumulate with gain, finite check).
//
// Threads: audio thread; all functions are wait-free and allocate nothing.
// Written with GCC/clang vector extensions, 16 samples per step in four
// independent 4-lane registers, so they vectorise on any x86-64 or ARM64
// target without -ffast-math and without relying on the optimiser's cost
// model for loops whose length is only known at run time.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace rtgraph::engine::kernels {

using Lanes = float __attribute__((vector_size(16)));

inline Lanes load(const float* p) noexcept {
    Lanes v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline void store(float* p, Lanes v) noexcept { std::memcpy(p, &v, sizeof v); }

// [rt] out[i] = in[i] * gain, and whether every out[i] is finite (the same
// test as all_finite, on the values while they are still in registers).
inline bool scale_finite(float* out, const float* in, float gain, std::uint32_t n) noexcept {
    Lanes sa{}, sb{}, sc{}, sd{};
    std::uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const Lanes a = load(in + i) * gain, b = load(in + i + 4) * gain;
        const Lanes c = load(in + i + 8) * gain, d = load(in + i + 12) * gain;
        store(out + i, a);
        store(out + i + 4, b);
        store(out + i + 8, c);
        store(out + i + 12, d);
        sa += a;
        sb += b;
        sc += c;
        sd += d;
    }
    const Lanes lanes = (sa + sb) + (sc + sd);
    float sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < n; ++i) {
        out[i] = in[i] * gain;
        sum += out[i];
    }
    return std::isfinite(sum);
}

// [rt] out[i] = in[i] * gain. The same loop; inlined, the unused sums go.
inline void scale(float* out, const float* in, float gain, std::uint32_t n) noexcept {
    static_cast<void>(scale_finite(out, in, gain, n));
}

// [rt] out[i] += in[i] * gain.
inline void accumulate(float* out, const float* in, float gain, std::uint32_t n) noexcept {
    std::uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const Lanes a = load(out + i) + load(in + i) * gain;
        const Lanes b = load(out + i + 4) + load(in + i + 4) * gain;
        const Lanes c = load(out + i + 8) + load(in + i + 8) * gain;
        const Lanes d = load(out + i + 12) + load(in + i + 12) * gain;
        store(out + i, a);
        store(out + i + 4, b);
        store(out + i + 8, c);
        store(out + i + 12, d);
    }
    for (; i < n; ++i) out[i] += in[i] * gain;
}

// [rt] False when a sample is NaN or Inf: any of them makes the sum
// non-finite (Inf + -Inf is NaN too). Also false for output so large the sum
// overflows (beyond ~1e36), which is broken audio all the same.
inline bool all_finite(const float* samples, std::uint32_t n) noexcept {
    Lanes a{}, b{}, c{}, d{};
    std::uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a += load(samples + i);
        b += load(samples + i + 4);
        c += load(samples + i + 8);
        d += load(samples + i + 12);
    }
    const Lanes lanes = (a + b) + (c + d);
    float sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < n; ++i) sum += samples[i];
    return std::isfinite(sum);
}

}  // namespace rtgraph::engine::kernels
