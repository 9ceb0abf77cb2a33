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

bool TelemetryReporter::drain(engine::Engine& engine, control::CommandRouter* router, double meter_rate_hz,
                              std::vector<control::Outgoing>& out, std::chrono::steady_clock::time_point now) {
    using Clock = std::chrono::steady_clock;
    const auto meter_interval = meter_rate_hz > 0
                                    ? std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(1.0 / meter_rate_hz))
                                    : Clock::duration::max();
    bool param_moved = false;
    rt::TelemetryRecord record;
    while (engine.read_telemetry(record)) {
        consume(record, engine.model(), now);
        if (record.kind == rt::TelemetryKind::kParamFromMidi) {
            engine.note_param_from_midi(record.source, static_cast<std::uint32_t>(record.values[0]),
                                        record.values[1]);
            param_moved = true;
        } else if (record.kind == rt::TelemetryKind::kMidiLearn && router != nullptr) {
            router->midi_learned(static_cast<int>(record.values[0]), static_cast<int>(record.values[1]), out);
        }
        if (record.kind != rt::TelemetryKind::kMeter || router == nullptr || meter_rate_hz <= 0) continue;
        auto& last = last_meter_[record.source];
        const engine::ModelNode* node = engine.model().node(record.source);
        if (node == nullptr || now - last < meter_interval) continue;
        last = now;
        router->notify("meter",
                       control::OscMessage{"/notify/meter",
                                           {{'s', node->name}, {'f', record.values[0]}, {'f', record.values[1]}}},
                       out);
    }
    return param_moved;
}

void TelemetryReporter::consume(const rt::TelemetryRecord& record, const engine::Model& model,
                                std::chrono::steady_clock::time_point now) {
    switch (record.kind) {
        case rt::TelemetryKind::kMeter:
        case rt::TelemetryKind::kParamFromMidi:
        case rt::TelemetryKind::kMidiLearn:
        case rt::TelemetryKind::kProgramLive:
            ++prompt_records_;
            break;
        default:
            break;
    }
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
