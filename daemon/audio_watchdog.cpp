// AudioWatchdog: the audio thread's progress and systemd's watchdog (control thread).
#include "audio_watchdog.hpp"

#include <spdlog/spdlog.h>

namespace rtgraph::daemon {

void AudioWatchdog::waiting_for_jack(Clock::time_point now) {
    if (!interval_ || now < next_ping_) return;
    notifier_.watchdog_ping_if_progress(0, false);
    next_ping_ = now + *interval_;
}

void AudioWatchdog::check(Clock::time_point now, backend::JackBackend& backend, double stall_timeout_s) {
    const backend::BackendFigures figures = backend.figures();
    if (figures.process_thread && !realtime_warned_) {
        realtime_warned_ = true;
        if (!figures.process_thread->is_fifo()) {
            spdlog::error("the JACK process thread is NOT real-time ({}): audio will drop out "
                          "under load; run jackd with -R and give its user an rtprio limit",
                          figures.process_thread->describe());
        }
    }
    const std::uint64_t cycles = backend.cycles();
    if (cycles != last_cycles_ || !backend.connected()) {
        if (stalled_ && backend.connected()) spdlog::info("audio thread running again");
        stalled_ = false;
        last_cycles_ = cycles;
        last_progress_ = now;
    } else if (!stalled_ && now - last_progress_ >= std::chrono::duration<double>(stall_timeout_s)) {
        stalled_ = true;
        spdlog::error("the audio thread has not run for {:.1f} s: jackd is stopped or hung; "
                      "watchdog pings stop until it runs again",
                      stall_timeout_s);
    }
    if (interval_ && now >= next_ping_) {
        notifier_.watchdog_ping_if_progress(cycles, backend.connected());
        next_ping_ = now + *interval_;
    }
}

}  // namespace rtgraph::daemon
