// AudioWatchdog: is the audio thread alive and real-time? It notices when the
// JACK process thread stops running blocks (jackd stopped or hung), pings
// systemd's watchdog only while it runs, and says once when the process
// thread is not real-time.
//
// Threads: the control thread, once per tick.
#pragma once

#include <chrono>
#include <optional>

#include "rtgraph/backend/jack_backend.hpp"
#include "rtgraph/service/service_notifier.hpp"

namespace rtgraph::daemon {

class AudioWatchdog {
public:
    using Clock = std::chrono::steady_clock;

    explicit AudioWatchdog(service::ServiceNotifier& notifier)
        : notifier_(notifier), interval_(notifier.watchdog_interval()) {}

    // [nrt] No engine yet: waiting for JACK counts as alive.
    void waiting_for_jack(Clock::time_point now);
    // The backend lost its server (no stall while it is gone) or reached it.
    void server_lost() { stalled_ = false; }
    void server_reached(Clock::time_point now) {
        last_progress_ = now;
        realtime_warned_ = false;
    }
    // [nrt] Once per tick: the audio thread's progress, and the ping.
    void check(Clock::time_point now, backend::JackBackend& backend, double stall_timeout_s);

    bool stalled() const { return stalled_; }

private:
    service::ServiceNotifier& notifier_;
    std::optional<std::chrono::microseconds> interval_;
    Clock::time_point next_ping_{};
    std::uint64_t last_cycles_ = 0;
    Clock::time_point last_progress_{};
    bool stalled_ = false;
    bool realtime_warned_ = false;
};

}  // namespace rtgraph::daemon
