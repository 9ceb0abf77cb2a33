// "noise" node: xorshift64* white noise, uniform in [-amp, amp).
//
// Threads: noise_type_info() and the constructor on the control thread;
// process() and reset() on the audio thread.
//
// The generator is Marsaglia's xorshift (shifts 12, 25, 27 on 64 bits) with the
// output multiplied by an odd constant (Vigna's xorshift64*); the top 24 bits
// of each output make a float in [-1, 1) with no rounding, so the mean of the
// distribution is -2^-24 and its RMS is sqrt(1/3) to within 1e-7.
#include "rtgraph/engine/nodes/noise.hpp"

namespace rtgraph::engine {

// [nrt] may allocate.
NodeTypeInfo noise_type_info() {
    NodeTypeInfo info;
    info.name = "noise";
    info.description = "White noise, uniform, reproducible";
    info.ports = {{"out", PortKind::kAudio, PortDirection::kOutput}};
    info.params = {
        {.name = "amp", .min = 0.0f, .max = 4.0f, .default_value = 0.25f, .unit = "",
         .smoothing_ms = 20.0f},
    };
    return info;
}

// [nrt] may allocate.
NoiseNode::NoiseNode(const NodeTypeInfo& type, const PrepareSpec& spec,
                     std::span<const float> initial)
    : Node(type, spec, initial) {}

// [rt] wait-free.
float NoiseNode::next_uniform() noexcept {
    std::uint64_t x = state_;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    state_ = x;
    const std::uint64_t scrambled = x * 0x2545F4914F6CDD1Dull;
    const auto top24 = static_cast<std::int32_t>(scrambled >> 40);  // 0 .. 2^24 - 1
    constexpr float kScale = 1.0f / 8388608.0f;                       // 2^-23
    return static_cast<float>(top24 - 8388608) * kScale;              // exact in float
}

// [rt] wait-free.
void NoiseNode::process(const ProcessBlock& block) noexcept {
    float* out = block.outputs[0];
    SmoothedParam& amp = param(kAmp);
    for (std::uint32_t n = 0; n < block.nframes; ++n) out[n] = amp.next() * next_uniform();
}

// [rt] wait-free.
void NoiseNode::reset() noexcept { state_ = kSeed; }

}  // namespace rtgraph::engine
