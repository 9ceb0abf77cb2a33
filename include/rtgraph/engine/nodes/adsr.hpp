// "adsr": a linear attack-decay-sustain-release envelope driven by a gate.
//
// Threads: constructed and described on the control thread; process() and
// reset() run on the audio thread only.
//
// Outputs "out" = in * envelope and "env" = the envelope itself. A gate change
// takes effect on the first sample of the next process() call; the executor
// splits blocks at an event's frame, so that is the event's exact frame.
//   attack:  from the current level up to 1, at a slope of 1 per `attack` s
//            (from 0 the N-th sample is 1, N = round(attack * sr))
//   decay:   from 1 down to sustain in round(decay * sr) samples
//   sustain: follows the (smoothed) sustain parameter while the gate is on
//   release: from the current level down to 0 in round(release * sr) samples
#pragma once

#include <cstdint>
#include <span>

#include "rtgraph/engine/node.hpp"

namespace rtgraph::engine {

// [nrt] may allocate. Ports: in "in", out "out", out "env".
// Params: gate (toggle), attack, decay (s), sustain (0..1), release (s).
NodeTypeInfo adsr_type_info();

class AdsrNode final : public Node {
public:
    static constexpr std::uint32_t kGate = 0;
    static constexpr std::uint32_t kAttack = 1;
    static constexpr std::uint32_t kDecay = 2;
    static constexpr std::uint32_t kSustain = 3;
    static constexpr std::uint32_t kRelease = 4;

    enum class Stage : std::uint8_t { kIdle, kAttack, kDecay, kSustain, kRelease };

    // [nrt] may allocate.
    AdsrNode(const NodeTypeInfo& type, const PrepareSpec& spec, std::span<const float> initial);

    // [rt] wait-free.
    void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override;
    // [rt] wait-free. Back to silence; a gate still on retriggers next block.
    void reset() noexcept RTGRAPH_NONBLOCKING override;

    Stage stage() const noexcept { return stage_; }

private:
    // [rt] wait-free. Starts a linear segment from the current level; its end
    // level follows from the stage (1, sustain or 0). length 0 lands at once.
    void begin_segment(Stage stage, std::uint32_t length) noexcept RTGRAPH_NONBLOCKING;
    // [rt] wait-free. The envelope's value for the next sample.
    float next_level(float sustain) noexcept RTGRAPH_NONBLOCKING;
    // [rt] wait-free. round(seconds * sample_rate), at least 0.
    std::uint32_t frames_for(float seconds) const noexcept RTGRAPH_NONBLOCKING;

    double sample_rate_;
    Stage stage_ = Stage::kIdle;
    bool gate_ = false;          // the gate as last seen by process()
    double level_ = 0.0;         // the last sample's envelope value
    double segment_start_ = 0.0; // level where the segment began
    std::uint32_t segment_length_ = 0;
    std::uint32_t segment_pos_ = 0;
};

}  // namespace rtgraph::engine
