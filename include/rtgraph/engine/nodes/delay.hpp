// "delay": a feedback delay line with dry/wet mix.
//
// Threads: constructed on the control thread, which allocates the line once,
// sized by the creation-only max_time; process() and reset() run on the audio
// thread only and never resize it.
//
// A steady delay time is round(time * sample_rate) samples, exact to the
// sample; while time ramps the line is read with linear interpolation.
// Echo k (k >= 1) of an impulse arrives k delays later with gain feedback^(k-1).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "rtgraph/engine/node.hpp"

namespace rtgraph::engine {

// [nrt] may allocate. Ports: in "in", out "out".
// Params: max_time (s, creation only), time (s), feedback, mix (1 = wet only).
NodeTypeInfo delay_type_info();

class DelayNode final : public Node {
public:
    static constexpr std::uint32_t kMaxTime = 0;
    static constexpr std::uint32_t kTime = 1;
    static constexpr std::uint32_t kFeedback = 2;
    static constexpr std::uint32_t kMix = 3;

    // [nrt] may allocate: the delay line.
    DelayNode(const NodeTypeInfo& type, const PrepareSpec& spec, std::span<const float> initial);

    // [rt] wait-free.
    void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override;
    // [rt] wait-free (bounded: clears the whole line).
    void reset() noexcept RTGRAPH_NONBLOCKING override;

    // Longest delay in samples: round(max_time * sample_rate).
    std::uint32_t max_delay() const noexcept { return max_delay_; }

private:
    // [rt] wait-free. The whole number of samples for a steady time.
    std::uint32_t steady_delay(float time) const noexcept RTGRAPH_NONBLOCKING;
    // [rt] wait-free. n samples while no parameter ramps: whole-sample delay.
    void process_steady(const float* in, float* out, std::uint32_t n) noexcept
        RTGRAPH_NONBLOCKING;
    // [rt] wait-free. n samples while some parameter ramps: per-sample values,
    // fractional delay read with linear interpolation.
    void process_ramping(const float* in, float* out, std::uint32_t n) noexcept
        RTGRAPH_NONBLOCKING;

    double sample_rate_;
    std::uint32_t max_delay_;
    std::uint32_t mask_;  // line length - 1 (length is a power of two)
    std::unique_ptr<float[]> line_;
    std::uint32_t write_ = 0;
};

}  // namespace rtgraph::engine
