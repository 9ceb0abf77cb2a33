// "meter": passes its input through and reports peak and RMS as telemetry.
//
// Threads: constructed and described on the control thread; process(), reset()
// and on_param_changed() run on the audio thread only.
//
// Windows end at absolute frames that are multiples of the interval (in
// frames), so records do not depend on block size. A record for the window
// ending at frame F (samples [F - interval, F)) carries frame = F and
// values = {peak, rms, 0, 0}. Without a telemetry ring the windows still run.
#pragma once

#include <cstdint>
#include <span>

#include "rtgraph/engine/node.hpp"

namespace rtgraph::engine {

// [nrt] may allocate. Ports: in "in", out "out". Params: interval_ms (integer).
NodeTypeInfo meter_type_info();

class MeterNode final : public Node {
public:
    static constexpr std::uint32_t kIntervalMs = 0;

    // [nrt] may allocate.
    MeterNode(const NodeTypeInfo& type, const PrepareSpec& spec, std::span<const float> initial);

    // [rt] wait-free.
    void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override;
    // [rt] wait-free. Drops the partial window.
    void reset() noexcept RTGRAPH_NONBLOCKING override;

    std::uint64_t interval_frames() const noexcept { return interval_frames_; }

protected:
    // [rt] wait-free.
    void on_param_changed(std::uint32_t index) noexcept RTGRAPH_NONBLOCKING override;

private:
    // [rt] wait-free. round(interval_ms * sample_rate / 1000), at least 1.
    std::uint64_t frames_for_interval() const noexcept RTGRAPH_NONBLOCKING;

    double sample_rate_;
    std::uint64_t interval_frames_;
    float peak_ = 0.0f;
    double sum_squares_ = 0.0;
    std::uint64_t count_ = 0;
};

}  // namespace rtgraph::engine
