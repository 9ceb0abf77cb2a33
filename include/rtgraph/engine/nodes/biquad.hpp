// "biquad": a second-order filter (lowpass, highpass, bandpass, notch, peaking)
// from the RBJ Audio EQ Cookbook, run in transposed direct form II in double.
//
// Threads: constructed and described on the control thread; process(), reset()
// and on_param_changed() run on the audio thread only.
//
// Block-size independence: a parameter event recomputes the coefficients at
// once (the executor splits blocks at the event's frame); while freq, q or
// gain_db ramp, the coefficients are recomputed only at absolute frames that are
// multiples of kRecomputeInterval, so output does not depend on block splits.
#pragma once

#include <cstdint>
#include <span>

#include "rtgraph/engine/node.hpp"

namespace rtgraph::engine {

// [nrt] may allocate. Ports: in "in", out "out".
// Params: mode (integer 0..4), freq (Hz), q, gain_db (dB, peaking only).
NodeTypeInfo biquad_type_info();

class BiquadNode final : public Node {
public:
    static constexpr std::uint32_t kMode = 0;
    static constexpr std::uint32_t kFreq = 1;
    static constexpr std::uint32_t kQ = 2;
    static constexpr std::uint32_t kGainDb = 3;

    enum Mode : int { kLowpass = 0, kHighpass = 1, kBandpass = 2, kNotch = 3, kPeaking = 4 };

    static constexpr std::uint64_t kRecomputeInterval = 16;

    // [nrt] may allocate.
    BiquadNode(const NodeTypeInfo& type, const PrepareSpec& spec, std::span<const float> initial);

    // [rt] wait-free.
    void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override;
    // [rt] wait-free. Clears the filter memory.
    void reset() noexcept RTGRAPH_NONBLOCKING override;

protected:
    // [rt] wait-free.
    void on_param_changed(std::uint32_t index) noexcept RTGRAPH_NONBLOCKING override;

private:
    // [rt] wait-free. Coefficients for these parameter values, normalized by a0.
    void compute_coefficients(float freq, float q, float gain_db) noexcept RTGRAPH_NONBLOCKING;
    // [rt] wait-free. One sample through the filter.
    float tick(float x) noexcept RTGRAPH_NONBLOCKING {
        const double in = x;
        const double y = b0_ * in + z1_;
        z1_ = b1_ * in - a1_ * y + z2_;
        z2_ = b2_ * in - a2_ * y;
        return static_cast<float>(y);
    }
    // [rt] wait-free. True when no event or ramp is pending and the
    // coefficients match the parameters: the block can take the plain loop.
    bool parameters_settled() const noexcept RTGRAPH_NONBLOCKING;

    double sample_rate_;
    double b0_ = 1.0, b1_ = 0.0, b2_ = 0.0, a1_ = 0.0, a2_ = 0.0;
    double z1_ = 0.0, z2_ = 0.0;
    // The parameter values the current coefficients were computed from.
    float used_freq_ = 0.0f, used_q_ = 0.0f, used_gain_db_ = 0.0f;
    bool dirty_ = false;  // a parameter event arrived: recompute at the next sample
};

}  // namespace rtgraph::engine
