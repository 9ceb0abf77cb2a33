// "delay" node: a power-of-two ring buffer, written then read each sample.
//
// Threads: delay_type_info() and the constructor (which allocates the line) on
// the control thread; process() and reset() on the audio thread.
//
// Per sample, with d the delay: line[w] = x; delayed = line[w - d];
// line[w] = x + feedback * delayed; out = (1 - mix) * x + mix * delayed.
// So a delay of 0 passes the input through (and feeds nothing back), and the
// stored signal obeys s[n] = x[n] + feedback * s[n - d].
#include "rtgraph/engine/nodes/delay.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace rtgraph::engine {

namespace {

// [rt] wait-free. The shared last step of both paths, so that they agree bit
// for bit whenever their parameter values agree.
inline float finish_sample(float* line, std::uint32_t w, float x, float delayed, float feedback,
                           float mix) noexcept RTGRAPH_NONBLOCKING {
    line[w] = x + feedback * delayed;
    return (1.0f - mix) * x + mix * delayed;
}

}  // namespace

// [nrt] may allocate.
NodeTypeInfo delay_type_info() {
    NodeTypeInfo info;
    info.name = "delay";
    info.description = "Feedback delay line with dry/wet mix";
    info.ports = {{"in", PortKind::kAudio, PortDirection::kInput},
                  {"out", PortKind::kAudio, PortDirection::kOutput}};
    info.params = {
        {.name = "max_time", .min = 0.001f, .max = 10.0f, .default_value = 1.0f, .unit = "s",
         .smoothing_ms = 0.0f, .kind = ParamKind::kContinuous, .creation_only = true},
        {.name = "time", .min = 0.0f, .max = 10.0f, .default_value = 0.25f, .unit = "s",
         .smoothing_ms = 50.0f},
        {.name = "feedback", .min = 0.0f, .max = 0.99f, .default_value = 0.0f, .unit = "",
         .smoothing_ms = 20.0f},
        {.name = "mix", .min = 0.0f, .max = 1.0f, .default_value = 1.0f, .unit = "",
         .smoothing_ms = 20.0f},
    };
    return info;
}

// [nrt] may allocate: the line, zero-filled, with room for the interpolated
// read one sample past the longest delay.
DelayNode::DelayNode(const NodeTypeInfo& type, const PrepareSpec& spec,
                     std::span<const float> initial)
    : Node(type, spec, initial), sample_rate_(spec.sample_rate) {
    const double max_time = std::clamp(static_cast<double>(param(kMaxTime).current()), 0.0, 10.0);
    max_delay_ = static_cast<std::uint32_t>(std::max(1.0, std::round(max_time * sample_rate_)));
    const std::uint32_t length = std::bit_ceil(max_delay_ + 2u);
    mask_ = length - 1;
    line_ = std::make_unique<float[]>(length);  // value-initialized: silence
}

// [rt] wait-free.
std::uint32_t DelayNode::steady_delay(float time) const noexcept {
    const double samples = std::round(static_cast<double>(time) * sample_rate_);
    if (!(samples > 0.0)) return 0;
    return samples >= max_delay_ ? max_delay_ : static_cast<std::uint32_t>(samples);
}

// [rt] wait-free.
void DelayNode::process_steady(const float* in, float* out, std::uint32_t n) noexcept {
    const std::uint32_t d = steady_delay(param(kTime).current());
    const float feedback = d == 0 ? 0.0f : param(kFeedback).current();
    const float mix = param(kMix).current();
    float* line = line_.get();
    std::uint32_t w = write_;
    for (std::uint32_t i = 0; i < n; ++i) {
        const float x = in[i];
        line[w] = x;
        out[i] = finish_sample(line, w, x, line[(w - d) & mask_], feedback, mix);
        w = (w + 1) & mask_;
    }
    write_ = w;
}

// [rt] wait-free.
void DelayNode::process_ramping(const float* in, float* out, std::uint32_t n) noexcept {
    SmoothedParam& time = param(kTime);
    SmoothedParam& feedback = param(kFeedback);
    SmoothedParam& mix = param(kMix);
    const double max_delay = static_cast<double>(max_delay_);
    float* line = line_.get();
    std::uint32_t w = write_;
    for (std::uint32_t i = 0; i < n; ++i) {
        const float t = time.next();
        float fb = feedback.next();
        const float m = mix.next();
        const float x = in[i];
        line[w] = x;
        float delayed;
        if (time.is_ramping()) {
            const double exact = std::clamp(static_cast<double>(t) * sample_rate_, 0.0, max_delay);
            const double whole = std::floor(exact);
            const auto k = static_cast<std::uint32_t>(whole);
            const auto frac = static_cast<float>(exact - whole);
            const float a = line[(w - k) & mask_];
            const float b = line[(w - k - 1) & mask_];
            delayed = a + frac * (b - a);
        } else {
            const std::uint32_t d = steady_delay(t);
            if (d == 0) fb = 0.0f;
            delayed = line[(w - d) & mask_];
        }
        out[i] = finish_sample(line, w, x, delayed, fb, m);
        w = (w + 1) & mask_;
    }
    write_ = w;
}

// [rt] wait-free.
void DelayNode::process(const ProcessBlock& block) noexcept {
    const bool ramping = param(kTime).is_ramping() || param(kFeedback).is_ramping() ||
                         param(kMix).is_ramping();
    if (ramping) {
        process_ramping(block.inputs[0], block.outputs[0], block.nframes);
    } else {
        process_steady(block.inputs[0], block.outputs[0], block.nframes);
    }
}

// [rt] wait-free: bounded by the line length fixed at construction.
void DelayNode::reset() noexcept {
    std::fill(line_.get(), line_.get() + mask_ + 1, 0.0f);
    write_ = 0;
}

}  // namespace rtgraph::engine
