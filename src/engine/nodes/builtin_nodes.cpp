// Registers the built-in node types (sine, noise, gain, mixer, biquad, delay,
// adsr, meter) with a NodeRegistry.
//
// Threads: control thread, at start. Nothing here runs on the audio thread.
#include <memory>

#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/engine/nodes/adsr.hpp"
#include "rtgraph/engine/nodes/biquad.hpp"
#include "rtgraph/engine/nodes/delay.hpp"
#include "rtgraph/engine/nodes/gain.hpp"
#include "rtgraph/engine/nodes/meter.hpp"
#include "rtgraph/engine/nodes/mixer.hpp"
#include "rtgraph/engine/nodes/noise.hpp"
#include "rtgraph/engine/nodes/sine.hpp"

namespace rtgraph::engine {

namespace {

// [nrt] may allocate. A factory that constructs a T.
template <typename T>
NodeFactory factory_for() {
    return [](const NodeTypeInfo& type, const PrepareSpec& spec,
              std::span<const float> initial) -> std::unique_ptr<Node> {
        return std::make_unique<T>(type, spec, initial);
    };
}

}  // namespace

// [nrt] may allocate. A name already taken is left as it is.
void register_builtin_nodes(NodeRegistry& registry) {
    registry.add(sine_type_info(), factory_for<SineNode>());
    registry.add(noise_type_info(), factory_for<NoiseNode>());
    registry.add(gain_type_info(), factory_for<GainNode>());
    registry.add(mixer_type_info(), factory_for<MixerNode>());
    registry.add(biquad_type_info(), factory_for<BiquadNode>());
    registry.add(delay_type_info(), factory_for<DelayNode>());
    registry.add(adsr_type_info(), factory_for<AdsrNode>());
    registry.add(meter_type_info(), factory_for<MeterNode>());
}

}  // namespace rtgraph::engine
