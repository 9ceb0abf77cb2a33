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

// [rt] wait-free.
void SineNode::process(const ProcessBlock& block) noexcept {
    constexpr double kTwoPi = 2.0 * std::numbers::pi;
    float* out = block.outputs[0];
    SmoothedParam& freq = param(kFreq);
    SmoothedParam& amp = param(kAmp);
    double phase = phase_;
    for (std::uint32_t n = 0; n < block.nframes; ++n) {
        const double increment = static_cast<double>(freq.next()) * inverse_rate_;
        const float a = amp.next();
        out[n] = a * static_cast<float>(std::sin(kTwoPi * phase));
        phase += increment;
        phase -= std::floor(phase);
    }
    phase_ = phase;
}

// [rt] wait-free.
void SineNode::reset() noexcept { phase_ = 0.0; }

}  // namespace rtgraph::engine
