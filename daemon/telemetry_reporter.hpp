// TelemetryReporter: turns the audio thread's telemetry records into log
// lines and status figures.
//
// Threads: housekeeping (the daemon's control loop) only. The audio thread
// never formats or logs; it writes records, and this is where they become
// words, rate-limited so a misbehaving node cannot flood the journal.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>

#include <vector>

#include "rtgraph/control/command_router.hpp"
#include "rtgraph/engine/engine.hpp"
#include "rtgraph/engine/model.hpp"
#include "rtgraph/rt/telemetry.hpp"

namespace rtgraph::daemon {

struct LoadFigures {
    double max_load = 0.0;   // share of the period used by the busiest block, last window
    double mean_load = 0.0;  // average share over the last window
    double max_block_us = 0.0;
    std::uint64_t deadline_misses = 0;
    std::uint64_t nonfinite_reports = 0;
};

class TelemetryReporter {
public:
    // [nrt] Every record the audio thread has left: figures and log lines,
    // parameters moved by MIDI into the model, and through `router` (null
    // while there is none) what MIDI learn caught and the meters, at most
    // `meter_rate_hz` per meter. True when MIDI moved a parameter: it is
    // saved like a /param/set.
    bool drain(engine::Engine& engine, control::CommandRouter* router, double meter_rate_hz,
               std::vector<control::Outgoing>& out, std::chrono::steady_clock::time_point now);
    // The engine was rebuilt: its meters start afresh.
    void forget_meters() { last_meter_.clear(); }

    // [nrt] Takes one record; `model` names the nodes it mentions.
    void consume(const rt::TelemetryRecord& record, const engine::Model& model,
                 std::chrono::steady_clock::time_point now);

    // [nrt] Logs what was held back by rate limits, at most every few seconds.
    void flush(std::chrono::steady_clock::time_point now);

    const LoadFigures& figures() const { return figures_; }

    // Records consumed so far that someone waits on promptly: meters (sent
    // to subscribers), parameters moved by MIDI (saved within the durability
    // bound), MIDI learn, program swaps. While they come, the control loop
    // keeps looking often; load figures, xruns and the like can wait.
    std::uint64_t prompt_records() const { return prompt_records_; }

private:
    LoadFigures figures_;
    std::uint64_t prompt_records_ = 0;
    std::uint64_t misses_unreported_ = 0;
    std::chrono::steady_clock::time_point last_miss_log_{};
    std::map<std::uint32_t, std::chrono::steady_clock::time_point> last_nonfinite_log_;
    std::map<std::uint32_t, std::uint64_t> nonfinite_unreported_;
    std::map<std::uint32_t, std::chrono::steady_clock::time_point> last_meter_;
};

}  // namespace rtgraph::daemon
