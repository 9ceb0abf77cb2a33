// "biquad" node: RBJ cookbook filters in transposed direct form II.
//
// Threads: biquad_type_info() and the constructor on the control thread;
// process(), reset() and on_param_changed() on the audio thread.
#include "rtgraph/engine/nodes/biquad.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace rtgraph::engine {

// [nrt] may allocate.
NodeTypeInfo biquad_type_info() {
    NodeTypeInfo info;
    info.name = "biquad";
    info.description = "RBJ biquad: 0 lowpass, 1 highpass, 2 bandpass, 3 notch, 4 peaking";
    info.ports = {{"in", PortKind::kAudio, PortDirection::kInput},
                  {"out", PortKind::kAudio, PortDirection::kOutput}};
    info.params = {
        {.name = "mode", .min = 0.0f, .max = 4.0f, .default_value = 0.0f, .unit = "",
         .smoothing_ms = 0.0f, .kind = ParamKind::kInteger},
        {.name = "freq", .min = 10.0f, .max = 20000.0f, .default_value = 1000.0f, .unit = "Hz",
         .smoothing_ms = 30.0f},
        {.name = "q", .min = 0.1f, .max = 40.0f, .default_value = 0.7071f, .unit = "",
         .smoothing_ms = 30.0f},
        {.name = "gain_db", .min = -24.0f, .max = 24.0f, .default_value = 0.0f, .unit = "dB",
         .smoothing_ms = 30.0f},
    };
    return info;
}

// [nrt] may allocate.
BiquadNode::BiquadNode(const NodeTypeInfo& type, const PrepareSpec& spec,
                       std::span<const float> initial)
    : Node(type, spec, initial),
      sample_rate_(spec.sample_rate),
      mode_fade_frames_(std::max(
          1u, static_cast<std::uint32_t>(std::lround(kModeFadeSeconds * spec.sample_rate)))) {
    used_mode_ = requested_mode();
    compute_coefficients(param(kFreq).current(), param(kQ).current(), param(kGainDb).current());
}

// [rt] wait-free. The cookbook: w0 = 2 pi f / fs, alpha = sin(w0) / (2 Q),
// A = 10^(gain_db / 40); each mode gives b0 b1 b2 a0 a1 a2, stored divided by a0.
void BiquadNode::compute_coefficients(float freq, float q, float gain_db) noexcept {
    used_freq_ = freq;
    used_q_ = q;
    used_gain_db_ = gain_db;
    // Keep w0 below Nyquist when the sample rate is low; keep Q positive.
    const double f = std::clamp(static_cast<double>(freq), 1.0, 0.49 * sample_rate_);
    const double qq = std::max(static_cast<double>(q), 1e-3);
    const double w0 = 2.0 * std::numbers::pi * f / sample_rate_;
    const double cos_w0 = std::cos(w0);
    const double alpha = std::sin(w0) / (2.0 * qq);
    double b0 = 1.0, b1 = 0.0, b2 = 0.0, a0 = 1.0, a1 = -2.0 * cos_w0, a2 = 0.0;
    switch (used_mode_) {
        case kLowpass:
            b1 = 1.0 - cos_w0;
            b0 = b2 = 0.5 * b1;
            a0 = 1.0 + alpha;
            a2 = 1.0 - alpha;
            break;
        case kHighpass:
            b1 = -(1.0 + cos_w0);
            b0 = b2 = -0.5 * b1;
            a0 = 1.0 + alpha;
            a2 = 1.0 - alpha;
            break;
        case kBandpass:  // constant 0 dB peak gain
            b0 = alpha;
            b1 = 0.0;
            b2 = -alpha;
            a0 = 1.0 + alpha;
            a2 = 1.0 - alpha;
            break;
        case kNotch:
            b0 = 1.0;
            b1 = -2.0 * cos_w0;
            b2 = 1.0;
            a0 = 1.0 + alpha;
            a2 = 1.0 - alpha;
            break;
        default: {  // kPeaking
            const double a = std::pow(10.0, static_cast<double>(gain_db) / 40.0);
            b0 = 1.0 + alpha * a;
            b1 = -2.0 * cos_w0;
            b2 = 1.0 - alpha * a;
            a0 = 1.0 + alpha / a;
            a2 = 1.0 - alpha / a;
            break;
        }
    }
    const double inv_a0 = 1.0 / a0;
    section_.b0 = b0 * inv_a0;
    section_.b1 = b1 * inv_a0;
    section_.b2 = b2 * inv_a0;
    section_.a1 = a1 * inv_a0;
    section_.a2 = a2 * inv_a0;
}

// [rt] wait-free.
int BiquadNode::requested_mode() const noexcept {
    return std::clamp(static_cast<int>(param(kMode).current()), 0, 4);
}

// [rt] wait-free. The new section starts from rest: its own response to the
// input builds up while the crossfade brings it in from zero.
void BiquadNode::begin_mode_fade() noexcept {
    fading_ = section_;
    section_.z1 = 0.0;
    section_.z2 = 0.0;
    used_mode_ = requested_mode();
    fade_remaining_ = mode_fade_frames_;
}

// [rt] wait-free.
bool BiquadNode::parameters_settled() const noexcept {
    const SmoothedParam& freq = param(kFreq);
    const SmoothedParam& q = param(kQ);
    const SmoothedParam& gain = param(kGainDb);
    return !dirty_ && fade_remaining_ == 0 && !freq.is_ramping() && !q.is_ramping() &&
           !gain.is_ramping() && freq.current() == used_freq_ && q.current() == used_q_ &&
           gain.current() == used_gain_db_;
}

// [rt] wait-free. Settled parameters take the plain loop.
void BiquadNode::process(const ProcessBlock& block) noexcept {
    const float* in = block.inputs[0];
    float* out = block.outputs[0];
    if (parameters_settled()) {
        for (std::uint32_t n = 0; n < block.nframes; ++n) out[n] = section_.tick(in[n]);
        return;
    }
    process_moving(in, out, block);
}

// [rt] wait-free. Each sample reads the smoothed values; an event recomputes
// at once, a ramp (or a ramp's end) only at frames that are multiples of
// kRecomputeInterval. A mode switch starts a crossfade, or waits for the
// running one to end. The crossfade's weight is computed from the samples
// left, like a SmoothedParam, so it is the same however the block is split.
void BiquadNode::process_moving(const float* in, float* out, const ProcessBlock& block) noexcept {
    SmoothedParam& freq = param(kFreq);
    SmoothedParam& q = param(kQ);
    SmoothedParam& gain = param(kGainDb);
    const float fade_scale = 1.0f / static_cast<float>(mode_fade_frames_);
    for (std::uint32_t n = 0; n < block.nframes; ++n) {
        const float f = freq.next();
        const float qv = q.next();
        const float g = gain.next();
        const bool switch_mode = fade_remaining_ == 0 && requested_mode() != used_mode_;
        if (switch_mode) begin_mode_fade();
        const bool on_grid = (block.frame + n) % kRecomputeInterval == 0;
        const bool stale = f != used_freq_ || qv != used_q_ || g != used_gain_db_;
        if (dirty_ || switch_mode || (on_grid && stale)) {
            compute_coefficients(f, qv, g);
            dirty_ = false;
        }
        const float y = section_.tick(in[n]);
        if (fade_remaining_ == 0) {
            out[n] = y;
            continue;
        }
        const float old = fading_.tick(in[n]);
        --fade_remaining_;
        const float weight = 1.0f - static_cast<float>(fade_remaining_) * fade_scale;
        out[n] = old + weight * (y - old);
    }
}

// [rt] wait-free.
void BiquadNode::reset() noexcept {
    section_.z1 = 0.0;
    section_.z2 = 0.0;
    fade_remaining_ = 0;
    used_mode_ = requested_mode();
    dirty_ = true;
}

// [rt] wait-free. Any change recomputes at the next sample; a mode switch
// also starts its crossfade there.
void BiquadNode::on_param_changed(std::uint32_t /*index*/) noexcept { dirty_ = true; }

}  // namespace rtgraph::engine
