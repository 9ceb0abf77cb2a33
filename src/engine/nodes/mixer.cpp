// "mixer" node: out = master * sum_k(gain_k * in_k), gains read per sample.
//
// Threads: mixer_type_info() and the constructor on the control thread;
// process() on the audio thread.
#include "rtgraph/engine/nodes/mixer.hpp"

#include <string>

namespace rtgraph::engine {

namespace {

// [rt] wait-free. acc[n] += gain(n) * in[n] where gain(n) is the parameter's
// value at sample n: per sample while it ramps, one constant after.
void accumulate(SmoothedParam& gain, const float* in, float* acc, std::uint32_t count) noexcept
    RTGRAPH_NONBLOCKING {
    std::uint32_t n = 0;
    for (; n < count && gain.is_ramping(); ++n) acc[n] += gain.next() * in[n];
    const float g = gain.current();
    for (; n < count; ++n) acc[n] += g * in[n];
}

}  // namespace

// [nrt] may allocate.
NodeTypeInfo mixer_type_info() {
    NodeTypeInfo info;
    info.name = "mixer";
    info.description = "Eight-input mixer with per-input and master gain";
    for (std::uint32_t k = 1; k <= MixerNode::kInputs; ++k) {
        info.ports.push_back({"in_" + std::to_string(k), PortKind::kAudio, PortDirection::kInput});
    }
    info.ports.push_back({"out", PortKind::kAudio, PortDirection::kOutput});
    for (std::uint32_t k = 1; k <= MixerNode::kInputs; ++k) {
        info.params.push_back({.name = "gain_" + std::to_string(k), .min = 0.0f, .max = 16.0f,
                               .default_value = 1.0f, .unit = "", .smoothing_ms = 20.0f});
    }
    info.params.push_back({.name = "master", .min = 0.0f, .max = 16.0f, .default_value = 1.0f,
                           .unit = "", .smoothing_ms = 20.0f});
    return info;
}

// [nrt] may allocate.
MixerNode::MixerNode(const NodeTypeInfo& type, const PrepareSpec& spec,
                     std::span<const float> initial)
    : Node(type, spec, initial) {}

// [rt] wait-free. Sums input by input into the output buffer (the same order
// of additions as a per-sample loop over inputs), then applies the master.
void MixerNode::process(const ProcessBlock& block) noexcept {
    float* out = block.outputs[0];
    const std::uint32_t count = block.nframes;
    for (std::uint32_t n = 0; n < count; ++n) out[n] = 0.0f;
    for (std::uint32_t k = 0; k < kInputs; ++k) {
        accumulate(param(kGain1 + k), block.inputs[k], out, count);
    }
    SmoothedParam& master = param(kMaster);
    std::uint32_t n = 0;
    for (; n < count && master.is_ramping(); ++n) out[n] *= master.next();
    const float m = master.current();
    for (; n < count; ++n) out[n] *= m;
}

}  // namespace rtgraph::engine
