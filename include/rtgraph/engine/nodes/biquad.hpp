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
//
// A mode switch does not click: the filter of the old mode keeps running on
// the input and is crossfaded, over kModeFadeSeconds, into a filter of the new
// mode that starts from rest. A switch that arrives during a crossfade starts
// when that one ends, so at most two filters run at once.
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
    static constexpr double kModeFadeSeconds = 0.01;

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
    // One second-order section: coefficients normalized by a0, and its memory.
    struct Section {
        double b0 = 1.0, b1 = 0.0, b2 = 0.0, a1 = 0.0, a2 = 0.0;
        double z1 = 0.0, z2 = 0.0;
        // [rt] wait-free. One sample through the section.
        float tick(float x) noexcept {
            const double in = x;
            const double y = b0 * in + z1;
            z1 = b1 * in - a1 * y + z2;
            z2 = b2 * in - a2 * y;
            return static_cast<float>(y);
        }
    };

    // [rt] wait-free. Coefficients of used_mode_ for these parameter values.
    void compute_coefficients(float freq, float q, float gain_db) noexcept RTGRAPH_NONBLOCKING;
    // [rt] wait-free. True when no event, ramp or mode crossfade is pending and
    // the coefficients match the parameters: the block can take the plain loop.
    bool parameters_settled() const noexcept RTGRAPH_NONBLOCKING;
    // [rt] wait-free. The parameters' sample-by-sample loop.
    void process_moving(const float* in, float* out,
                        const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING;
    // [rt] wait-free. The mode parameter, as a valid mode.
    int requested_mode() const noexcept RTGRAPH_NONBLOCKING;
    // [rt] wait-free. Hands the running section to the crossfade and starts a
    // section of the requested mode from rest.
    void begin_mode_fade() noexcept RTGRAPH_NONBLOCKING;

    double sample_rate_;
    std::uint32_t mode_fade_frames_;
    Section section_;                   // the filter of used_mode_
    Section fading_;                    // the previous mode's filter, while a crossfade runs
    std::uint32_t fade_remaining_ = 0;  // samples of crossfade left; 0 when none runs
    // The parameter values the current coefficients were computed from.
    int used_mode_ = 0;
    float used_freq_ = 0.0f, used_q_ = 0.0f, used_gain_db_ = 0.0f;
    bool dirty_ = false;  // a parameter event arrived: recompute at the next sample
};

}  // namespace rtgraph::engine
