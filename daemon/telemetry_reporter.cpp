// TelemetryReporter: telemetry records to log lines (housekeeping thread).
#include "telemetry_reporter.hpp"

#include <spdlog/spdlog.h>

namespace rtgraph::daemon {

namespace {

constexpr auto kLogInterval = std::chrono::seconds(5);

std::string node_name(const engine::Model& model, std::uint32_t id) {
    const engine::ModelNode* node = model.node(id);
    return node != nullptr ? "'" + node->name + "'" : "#" + std::to_string(id) + " (removed)";
}

}  // namespace

void TelemetryReporter::consume(const rt::TelemetryRecord& record, const engine::Model& model,
                                std::chrono::steady_clock::time_point now) {
    switch (record.kind) {
        case rt::TelemetryKind::kBlockLoad:
            figures_.max_load = record.values[0];
            figures_.mean_load = record.values[1];
            figures_.max_block_us = record.values[2];
            break;
        case rt::TelemetryKind::kDeadlineMiss:
            ++figures_.deadline_misses;
            ++misses_unreported_;
            if (now - last_miss_log_ >= kLogInterval) {
                spdlog::warn("audio block took {:.0f} us of a {:.0f} us period ({} late block(s) "
                             "since the last report)",
                             record.values[0], record.values[1], misses_unreported_);
                misses_unreported_ = 0;
                last_miss_log_ = now;
            }
            break;
        case rt::TelemetryKind::kNodeNonFinite: {
            ++figures_.nonfinite_reports;
            ++nonfinite_unreported_[record.source];
            auto& last = last_nonfinite_log_[record.source];
            if (now - last >= kLogInterval) {
                spdlog::warn("node {} produced NaN/Inf: its output was silenced and its state "
                             "reset ({} block(s) since the last report)",
                             node_name(model, record.source), nonfinite_unreported_[record.source]);
                nonfinite_unreported_[record.source] = 0;
                last = now;
            }
            break;
        }
        case rt::TelemetryKind::kRetireQueueFull:
            spdlog::warn("retire queue full: a graph swap waited one block");
            break;
        case rt::TelemetryKind::kProgramLive:
            spdlog::trace("program generation {} live at frame {}", record.source, record.frame);
            break;
        case rt::TelemetryKind::kMeter:
            spdlog::trace("meter {}: peak {:.3f} rms {:.3f}", node_name(model, record.source),
                          record.values[0], record.values[1]);
            break;
        default:
            break;
    }
}

void TelemetryReporter::flush(std::chrono::steady_clock::time_point now) {
    if (misses_unreported_ > 0 && now - last_miss_log_ >= kLogInterval) {
        spdlog::warn("{} audio block(s) missed their deadline since the last report",
                     misses_unreported_);
        misses_unreported_ = 0;
        last_miss_log_ = now;
    }
}

}  // namespace rtgraph::daemon
