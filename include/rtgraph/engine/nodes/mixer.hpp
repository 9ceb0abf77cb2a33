// "mixer": sums eight inputs, each with its own smoothed gain, then a master gain.
//
// Threads: constructed and described on the control thread; process() runs on
// the audio thread only.
#pragma once

#include <cstdint>
#include <span>

#include "rtgraph/engine/node.hpp"

namespace rtgraph::engine {

// [nrt] may allocate. Ports: in "in_1".."in_8", out "out".
// Params: gain_1..gain_8 (indices 0..7), master (index 8), all linear.
NodeTypeInfo mixer_type_info();

class MixerNode final : public Node {
public:
    static constexpr std::uint32_t kInputs = 8;
    static constexpr std::uint32_t kGain1 = 0;  // gain_k is kGain1 + k - 1
    static constexpr std::uint32_t kMaster = kInputs;

    // [nrt] may allocate.
    MixerNode(const NodeTypeInfo& type, const PrepareSpec& spec, std::span<const float> initial);

    // [rt] wait-free.
    void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override;
};

}  // namespace rtgraph::engine
