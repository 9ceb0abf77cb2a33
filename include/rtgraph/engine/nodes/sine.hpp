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
    // Samples per inner pass: the phase and value buffers live on the stack.
    static constexpr std::uint32_t kChunk = 64;

    // [rt] wait-free.
    std::uint64_t increment(float freq) noexcept RTGRAPH_NONBLOCKING;

    double inverse_rate_;           // 1 / sample rate
    std::uint64_t phase_ = 0;       // 2^64 is one cycle
    float increment_freq_ = -1.0f;  // the frequency increment_ was computed for
    std::uint64_t increment_ = 0;
};

}  // namespace rtgraph::engine
