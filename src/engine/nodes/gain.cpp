// "gain" node: out = in * gain, the gain read per sample while it ramps.
//
// Threads: gain_type_info() and the constructor on the control thread;
// process() on the audio thread.
#include "rtgraph/engine/nodes/gain.hpp"

#include "rtgraph/engine/dsp_kernels.hpp"

namespace rtgraph::engine {

// [nrt] may allocate.
NodeTypeInfo gain_type_info() {
    NodeTypeInfo info;
    info.name = "gain";
    info.description = "Linear gain";
    info.ports = {{"in", PortKind::kAudio, PortDirection::kInput},
                  {"out", PortKind::kAudio, PortDirection::kOutput}};
    info.params = {
        {.name = "gain", .min = 0.0f, .max = 16.0f, .default_value = 1.0f, .unit = "",
         .smoothing_ms = 20.0f},
    };
    return info;
}

// [nrt] may allocate.
GainNode::GainNode(const NodeTypeInfo& type, const PrepareSpec& spec,
                   std::span<const float> initial)
    : Node(type, spec, initial) {}

// [rt] wait-free.
void GainNode::process(const ProcessBlock& block) noexcept {
    const float* in = block.inputs[0];
    float* out = block.outputs[0];
    SmoothedParam& gain = param(kGain);
    std::uint32_t n = 0;
    // While ramping, read per sample; once settled, next() would return the
    // same value every sample, so the rest of the block uses it directly.
    for (; n < block.nframes && gain.is_ramping(); ++n) out[n] = in[n] * gain.next();
    if (n == 0) {
        if (kernels::scale_finite(out, in, gain.current(), block.nframes)) outputs_found_finite();
        return;
    }
    kernels::scale(out + n, in + n, gain.current(), block.nframes - n);
}

}  // namespace rtgraph::engine
