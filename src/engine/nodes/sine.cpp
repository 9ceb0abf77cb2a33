// "sine" node: an exact integer phase accumulator and a polynomial sine in
// float lanes (see sine_kernel.hpp).
//
// Threads: sine_type_info() and the constructor on the control thread;
// process() and reset() on the audio thread.
#include "rtgraph/engine/nodes/sine.hpp"

#include <algorithm>
#include <cstring>

#include "rtgraph/engine/dsp_kernels.hpp"
#include "rtgraph/engine/sine_kernel.hpp"

namespace rtgraph::engine {

// [nrt] may allocate.
NodeTypeInfo sine_type_info() {
    NodeTypeInfo info;
    info.name = "sine";
    info.description = "Sine oscillator";
    info.ports = {{"out", PortKind::kAudio, PortDirection::kOutput}};
    info.params = {
        {.name = "freq", .min = 0.01f, .max = 20000.0f, .default_value = 440.0f, .unit = "Hz",
         .smoothing_ms = 30.0f},
        {.name = "amp", .min = 0.0f, .max = 4.0f, .default_value = 0.5f, .unit = "",
         .smoothing_ms = 20.0f},
    };
    return info;
}

// [nrt] may allocate.
SineNode::SineNode(const NodeTypeInfo& type, const PrepareSpec& spec,
                   std::span<const float> initial)
    : Node(type, spec, initial), inverse_rate_(1.0 / spec.sample_rate) {}

// [rt] wait-free. In chunks of kChunk samples: the phases first (a constant
// increment when freq is settled, one per sample while it ramps), then the
// sine of four phases at a time, scaled by amp (per sample while it ramps).
// Each sample is the same function of its phase and amp either way, so the
// output does not depend on block splits or on which loop ran.
void SineNode::process(const ProcessBlock& block) noexcept {
    float* out = block.outputs[0];
    SmoothedParam& freq = param(kFreq);
    SmoothedParam& amp = param(kAmp);
    alignas(16) std::uint32_t words[kChunk];
    alignas(16) float values[kChunk];
    for (std::uint32_t done = 0; done < block.nframes;) {
        const std::uint32_t n = std::min(kChunk, block.nframes - done);
        if (freq.is_ramping()) {
            for (std::uint32_t i = 0; i < n; ++i) {
                words[i] = static_cast<std::uint32_t>(phase_ >> 32);
                phase_ +=
                    kernels::phase_increment(static_cast<double>(freq.next()) * inverse_rate_);
            }
        } else {
            phase_ = kernels::advance_phase(words, phase_, increment(freq.current()), n);
        }
        const std::uint32_t padded = (n + 3) & ~3u;
        for (std::uint32_t i = n; i < padded; ++i) words[i] = 0;
        float* dest = out + done;
        if (amp.is_ramping()) {
            kernels::sine_of_phases(values, words, 1.0f, padded);
            std::uint32_t i = 0;
            for (; i < n && amp.is_ramping(); ++i) dest[i] = values[i] * amp.next();
            kernels::scale(dest + i, values + i, amp.current(), n - i);
        } else if (n == padded) {
            kernels::sine_of_phases(dest, words, amp.current(), n);
        } else {
            kernels::sine_of_phases(values, words, amp.current(), padded);
            std::memcpy(dest, values, n * sizeof(float));
        }
        done += n;
    }
}

// [rt] wait-free. The settled frequency's increment, computed once per value.
std::uint64_t SineNode::increment(float freq) noexcept {
    if (freq != increment_freq_) {
        increment_freq_ = freq;
        increment_ = kernels::phase_increment(static_cast<double>(freq) * inverse_rate_);
    }
    return increment_;
}

// [rt] wait-free.
void SineNode::reset() noexcept {
    phase_ = 0;
}

}  // namespace rtgraph::engine
