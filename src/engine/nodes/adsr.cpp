// "adsr" node: a linear envelope as a small state machine, one step per sample.
//
// Threads: adsr_type_info() and the constructor on the control thread;
// process() and reset() on the audio thread.
//
// Each segment is computed from its start level and a sample counter, not by
// adding a slope, so it lands exactly on its end value on its last sample.
#include "rtgraph/engine/nodes/adsr.hpp"

#include <cmath>

namespace rtgraph::engine {

// [nrt] may allocate.
NodeTypeInfo adsr_type_info() {
    NodeTypeInfo info;
    info.name = "adsr";
    info.description = "Linear ADSR envelope: out = in * env, env = the envelope";
    info.ports = {{"in", PortKind::kAudio, PortDirection::kInput},
                  {"out", PortKind::kAudio, PortDirection::kOutput},
                  {"env", PortKind::kAudio, PortDirection::kOutput}};
    info.params = {
        {.name = "gate", .min = 0.0f, .max = 1.0f, .default_value = 0.0f, .unit = "",
         .smoothing_ms = 0.0f, .kind = ParamKind::kToggle},
        {.name = "attack", .min = 0.0f, .max = 10.0f, .default_value = 0.01f, .unit = "s",
         .smoothing_ms = 20.0f},
        {.name = "decay", .min = 0.0f, .max = 10.0f, .default_value = 0.1f, .unit = "s",
         .smoothing_ms = 20.0f},
        {.name = "sustain", .min = 0.0f, .max = 1.0f, .default_value = 0.7f, .unit = "",
         .smoothing_ms = 20.0f},
        {.name = "release", .min = 0.0f, .max = 10.0f, .default_value = 0.2f, .unit = "s",
         .smoothing_ms = 20.0f},
    };
    return info;
}

// [nrt] may allocate.
AdsrNode::AdsrNode(const NodeTypeInfo& type, const PrepareSpec& spec,
                   std::span<const float> initial)
    : Node(type, spec, initial), sample_rate_(spec.sample_rate) {}

// [rt] wait-free.
std::uint32_t AdsrNode::frames_for(float seconds) const noexcept {
    const double frames = std::round(static_cast<double>(seconds) * sample_rate_);
    return frames > 0.0 ? static_cast<std::uint32_t>(frames) : 0u;
}

// [rt] wait-free.
void AdsrNode::begin_segment(Stage stage, std::uint32_t length) noexcept {
    stage_ = stage;
    segment_start_ = level_;
    segment_length_ = length;
    segment_pos_ = 0;
}

// [rt] wait-free.
float AdsrNode::next_level(float sustain) noexcept {
    const double s = sustain;
    switch (stage_) {
        case Stage::kIdle:
            level_ = 0.0;
            break;
        case Stage::kAttack:
            if (++segment_pos_ >= segment_length_) {
                level_ = 1.0;
                begin_segment(Stage::kDecay, frames_for(param(kDecay).current()));
            } else {
                level_ = segment_start_ + (1.0 - segment_start_) * segment_pos_ / segment_length_;
            }
            break;
        case Stage::kDecay:
            if (++segment_pos_ >= segment_length_) {
                level_ = s;
                stage_ = Stage::kSustain;
            } else {
                level_ = 1.0 + (s - 1.0) * segment_pos_ / segment_length_;
            }
            break;
        case Stage::kSustain:
            level_ = s;
            break;
        case Stage::kRelease:
            if (++segment_pos_ >= segment_length_) {
                level_ = 0.0;
                stage_ = Stage::kIdle;
            } else {
                level_ = segment_start_ * (1.0 - static_cast<double>(segment_pos_) / segment_length_);
            }
            break;
    }
    return static_cast<float>(level_);
}

// [rt] wait-free. The gate is constant within one call (events split blocks),
// so an edge is looked for once, at the first sample.
void AdsrNode::process(const ProcessBlock& block) noexcept {
    const bool gate = param(kGate).current() >= 0.5f;
    if (gate && !gate_) {
        // Same slope as a rise from 0, so a retrigger from level L takes (1 - L) * attack.
        const double full = frames_for(param(kAttack).current());
        begin_segment(Stage::kAttack, static_cast<std::uint32_t>(std::round((1.0 - level_) * full)));
    } else if (!gate && gate_ && stage_ != Stage::kIdle) {
        begin_segment(Stage::kRelease, frames_for(param(kRelease).current()));
    }
    gate_ = gate;

    const float* in = block.inputs[0];
    float* out = block.outputs[0];
    float* env = block.outputs[1];
    SmoothedParam& attack = param(kAttack);
    SmoothedParam& decay = param(kDecay);
    SmoothedParam& sustain = param(kSustain);
    SmoothedParam& release = param(kRelease);
    for (std::uint32_t n = 0; n < block.nframes; ++n) {
        attack.next();
        decay.next();
        release.next();
        const float e = next_level(sustain.next());
        env[n] = e;
        out[n] = in[n] * e;
    }
}

// [rt] wait-free.
void AdsrNode::reset() noexcept {
    stage_ = Stage::kIdle;
    gate_ = false;
    level_ = 0.0;
    segment_start_ = 0.0;
    segment_length_ = 0;
    segment_pos_ = 0;
}

}  // namespace rtgraph::engine
