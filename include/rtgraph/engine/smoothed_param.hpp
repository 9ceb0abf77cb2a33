// A parameter value that moves towards its target in a straight line.
//
// Threads: the audio thread alone, once the node is published. A node reads
// next() once per sample, so a ramp advances the same way whatever the block
// size or wherever the executor splits a block: output is block-size independent.
#pragma once

#include <cstdint>

namespace rtgraph::engine {

class SmoothedParam {
public:
    SmoothedParam() = default;
    explicit SmoothedParam(float value) noexcept : current_(value), target_(value) {}

    // [rt] wait-free. ramp_frames == 0 jumps at once.
    void set_target(float target, std::uint32_t ramp_frames) noexcept {
        target_ = target;
        if (ramp_frames == 0 || target == current_) {
            current_ = target;
            step_ = 0.0f;
            remaining_ = 0;
            return;
        }
        step_ = (target - current_) / static_cast<float>(ramp_frames);
        remaining_ = ramp_frames;
    }

    // [rt] wait-free. Advances one sample and returns that sample's value: the
    // first sample after set_target already moves, the ramp_frames-th lands on
    // the target exactly. The value is computed from the samples remaining,
    // not accumulated, so it never drifts and skip(n) equals n calls of next().
    float next() noexcept {
        if (remaining_ != 0) {
            --remaining_;
            current_ = target_ - step_ * static_cast<float>(remaining_);
        }
        return current_;
    }

    // [rt] wait-free. Advances n samples without reading them.
    void skip(std::uint32_t n) noexcept {
        remaining_ = n >= remaining_ ? 0 : remaining_ - n;
        current_ = target_ - step_ * static_cast<float>(remaining_);
    }

    bool is_ramping() const noexcept { return remaining_ != 0; }
    float current() const noexcept { return current_; }
    float target() const noexcept { return target_; }

private:
    float current_ = 0.0f;
    float target_ = 0.0f;
    float step_ = 0.0f;
    std::uint32_t remaining_ = 0;
};

}  // namespace rtgraph::engine
