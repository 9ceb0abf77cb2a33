// "sine": a sine oscillator with smoothed frequency and amplitude.
//
// Threads: constructed and described on the control thread; process() and
// reset() run on the audio thread only.
#pragma once

#include <cstdint>
#include <span>

#include "rtgraph/engine/node.hpp"

namespace rtgraph::engine {

// [nrt] may allocate. Ports: out "out". Params: freq (Hz), amp (linear).
NodeTypeInfo sine_type_info();

class SineNode final : public Node {
public:
    static constexpr std::uint32_t kFreq = 0;
    static constexpr std::uint32_t kAmp = 1;

    // [nrt] may allocate.
    SineNode(const NodeTypeInfo& type, const PrepareSpec& spec, std::span<const float> initial);

    // [rt] wait-free.
    void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override;
    // [rt] wait-free. Restarts the phase at zero.
    void reset() noexcept RTGRAPH_NONBLOCKING override;

private:
    double inverse_rate_;  // 1 / sample rate
    double phase_ = 0.0;   // in cycles, [0, 1)
};

}  // namespace rtgraph::engine
