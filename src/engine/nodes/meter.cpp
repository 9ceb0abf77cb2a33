// "meter" node: pass-through plus peak/RMS telemetry on a fixed frame grid.
//
// Threads: meter_type_info() and the constructor on the control thread;
// process(), reset() and on_param_changed() on the audio thread. The records go
// to the telemetry ring, which the housekeeping thread drains.
#include "rtgraph/engine/nodes/meter.hpp"

#include <algorithm>
#include <cmath>

namespace rtgraph::engine {

// [nrt] may allocate.
NodeTypeInfo meter_type_info() {
    NodeTypeInfo info;
    info.name = "meter";
    info.description = "Pass-through; reports peak and RMS every interval";
    info.ports = {{"in", PortKind::kAudio, PortDirection::kInput},
                  {"out", PortKind::kAudio, PortDirection::kOutput}};
    info.params = {
        {.name = "interval_ms", .min = 1.0f, .max = 1000.0f, .default_value = 50.0f,
         .unit = "ms", .smoothing_ms = 0.0f, .kind = ParamKind::kInteger},
    };
    return info;
}

// [nrt] may allocate.
MeterNode::MeterNode(const NodeTypeInfo& type, const PrepareSpec& spec,
                     std::span<const float> initial)
    : Node(type, spec, initial), sample_rate_(spec.sample_rate) {
    interval_frames_ = frames_for_interval();
}

// [rt] wait-free. At least one frame.
std::uint64_t MeterNode::frames_for_interval() const noexcept {
    const double frames =
        std::round(static_cast<double>(param(kIntervalMs).current()) * sample_rate_ / 1000.0);
    return frames >= 1.0 ? static_cast<std::uint64_t>(frames) : 1u;
}

// [rt] wait-free. Works in runs that stop at window ends; a window that ends
// inside this block is reported from this block.
void MeterNode::process(const ProcessBlock& block) noexcept {
    const float* in = block.inputs[0];
    float* out = block.outputs[0];
    std::uint32_t n = 0;
    while (n < block.nframes) {
        const std::uint64_t frame = block.frame + n;
        const std::uint64_t to_boundary = interval_frames_ - frame % interval_frames_;
        const auto run = static_cast<std::uint32_t>(
            std::min<std::uint64_t>(to_boundary, block.nframes - n));
        float peak = peak_;
        double sum_squares = sum_squares_;
        for (std::uint32_t i = n; i < n + run; ++i) {
            const float x = in[i];
            out[i] = x;
            peak = std::max(peak, std::fabs(x));
            sum_squares += static_cast<double>(x) * x;
        }
        count_ += run;
        n += run;
        if (run == to_boundary) {
            if (block.telemetry != nullptr) {
                const auto rms = static_cast<float>(std::sqrt(sum_squares / count_));
                block.telemetry->write(rt::TelemetryRecord{.kind = rt::TelemetryKind::kMeter,
                                                           .reserved = 0,
                                                           .source = id(),
                                                           .frame = block.frame + n,
                                                           .values = {peak, rms, 0.0f, 0.0f}});
            }
            peak = 0.0f;
            sum_squares = 0.0;
            count_ = 0;
        }
        peak_ = peak;
        sum_squares_ = sum_squares;
    }
}

// [rt] wait-free.
void MeterNode::reset() noexcept {
    peak_ = 0.0f;
    sum_squares_ = 0.0;
    count_ = 0;
}

// [rt] wait-free. The new grid applies from the next sample; the window in
// progress ends at the new grid's next boundary.
void MeterNode::on_param_changed(std::uint32_t index) noexcept {
    if (index == kIntervalMs) interval_frames_ = frames_for_interval();
}

}  // namespace rtgraph::engine
