// "sine" node: a phase accumulator in double, read once per sample.
//
// Threads: sine_type_info() and the constructor on the control thread;
// process() and reset() on the audio thread.
#include "rtgraph/engine/nodes/sine.hpp"

#include <cmath>
#include <numbers>

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

namespace {

// [rt] sin(2 pi cycles) for cycles in [0, 1), without a libm call. Folded
// into [-pi/2, pi/2] by symmetry, then the Taylor series to x^13 in Horner
// form: the error is below 7e-10, far under a float sample's resolution.
double sine_of_cycles(double cycles) noexcept {
    double t = 0.5 - cycles;  // sin(2 pi c) = sin(2 pi (0.5 - c)), t in (-0.5, 0.5]
    if (t > 0.25) t = 0.5 - t;
    if (t < -0.25) t = -0.5 - t;
    const double x = 2.0 * std::numbers::pi * t;
    const double x2 = x * x;
    return x * (1.0 + x2 * (-1.0 / 6 + x2 * (1.0 / 120 + x2 * (-1.0 / 5040 + x2 * (
               1.0 / 362880 + x2 * (-1.0 / 39916800 + x2 * (1.0 / 6227020800.0)))))));
}

}  // namespace

// [rt] wait-free.
void SineNode::process(const ProcessBlock& block) noexcept {
    float* out = block.outputs[0];
    SmoothedParam& freq = param(kFreq);
    SmoothedParam& amp = param(kAmp);
    double phase = phase_;
    for (std::uint32_t n = 0; n < block.nframes; ++n) {
        const double increment = static_cast<double>(freq.next()) * inverse_rate_;
        const float a = amp.next();
        out[n] = a * static_cast<float>(sine_of_cycles(phase));
        phase += increment;
        phase -= static_cast<double>(static_cast<std::int64_t>(phase));  // phase >= 0
    }
    phase_ = phase;
}

// [rt] wait-free.
void SineNode::reset() noexcept { phase_ = 0.0; }

}  // namespace rtgraph::engine
