// "noise": white noise, uniform in [-amp, amp), from a small seeded PRNG.
//
// Threads: constructed and described on the control thread; process() and
// reset() run on the audio thread only. Every instance starts from the same
// seed, so a render is reproducible sample for sample.
#pragma once

#include <cstdint>
#include <span>

#include "rtgraph/engine/node.hpp"

namespace rtgraph::engine {

// [nrt] may allocate. Ports: out "out". Params: amp (linear).
NodeTypeInfo noise_type_info();

class NoiseNode final : public Node {
public:
    static constexpr std::uint32_t kAmp = 0;
    static constexpr std::uint64_t kSeed = 0x9E3779B97F4A7C15ull;

    // [nrt] may allocate.
    NoiseNode(const NodeTypeInfo& type, const PrepareSpec& spec, std::span<const float> initial);

    // [rt] wait-free.
    void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override;
    // [rt] wait-free. Goes back to the seed: output restarts from its beginning.
    void reset() noexcept RTGRAPH_NONBLOCKING override;

private:
    // [rt] wait-free. Uniform in [-1, 1), 24 bits of resolution.
    float next_uniform() noexcept RTGRAPH_NONBLOCKING;

    std::uint64_t state_ = kSeed;
};

}  // namespace rtgraph::engine
