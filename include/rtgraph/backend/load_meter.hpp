// LoadMeter: how much of each period the audio thread spends, measured on the
// audio thread and reported as telemetry, never logged there.
//
// Threads: audio thread only (begin/end per cycle). Reads the monotonic clock
// (a vDSO read, no syscall) and writes fixed-size records.
#pragma once

#include <chrono>
#include <cstdint>

#include "rtgraph/rt/telemetry.hpp"

namespace rtgraph::backend {

class LoadMeter {
public:
    // [rt] wait-free. Call at the top of the process callback.
    void begin() noexcept { start_ = std::chrono::steady_clock::now(); }

    // [rt] wait-free. Call at the end; `period_us` is the period's length.
    // Every `window_cycles` cycles writes one kBlockLoad record {max load,
    // mean load, max block µs, period µs}; a cycle longer than its period
    // writes a kDeadlineMiss record at once.
    void end(double period_us, std::uint64_t frame, std::uint32_t window_cycles,
             rt::TelemetryRing& telemetry) noexcept {
        const double used_us =
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start_).count();
        const double load = period_us > 0.0 ? used_us / period_us : 0.0;
        max_load_ = load > max_load_ ? load : max_load_;
        max_us_ = used_us > max_us_ ? used_us : max_us_;
        sum_load_ += load;
        if (used_us > period_us) {
            ++deadline_misses_;
            telemetry.write({rt::TelemetryKind::kDeadlineMiss, 0, 0, frame,
                             {static_cast<float>(used_us), static_cast<float>(period_us), 0, 0}});
        }
        if (++cycles_ >= window_cycles) {
            telemetry.write({rt::TelemetryKind::kBlockLoad, 0, 0, frame,
                             {static_cast<float>(max_load_),
                              static_cast<float>(sum_load_ / static_cast<double>(cycles_)),
                              static_cast<float>(max_us_), static_cast<float>(period_us)}});
            cycles_ = 0;
            max_load_ = sum_load_ = max_us_ = 0.0;
        }
    }

    std::uint64_t deadline_misses() const noexcept { return deadline_misses_; }

private:
    std::chrono::steady_clock::time_point start_{};
    std::uint32_t cycles_ = 0;
    double max_load_ = 0.0;
    double sum_load_ = 0.0;
    double max_us_ = 0.0;
    std::uint64_t deadline_misses_ = 0;
};

}  // namespace rtgraph::backend
