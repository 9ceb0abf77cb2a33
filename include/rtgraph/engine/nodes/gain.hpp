// "gain": multiplies its input by a smoothed linear gain.
//
// Threads: constructed and described on the control thread; process() runs on
// the audio thread only.
#pragma once

#include <cstdint>
#include <span>

#include "rtgraph/engine/node.hpp"

namespace rtgraph::engine {

// [nrt] may allocate. Ports: in "in", out "out". Params: gain (linear).
NodeTypeInfo gain_type_info();

class GainNode final : public Node {
public:
    static constexpr std::uint32_t kGain = 0;

    // [nrt] may allocate.
    GainNode(const NodeTypeInfo& type, const PrepareSpec& spec, std::span<const float> initial);

    // [rt] wait-free.
    void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override;
};

}  // namespace rtgraph::engine
