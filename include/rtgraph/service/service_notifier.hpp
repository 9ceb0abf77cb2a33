// Tells systemd how the daemon is doing, over the sd_notify protocol: readiness
// (READY=1), a one-line status (STATUS=), watchdog pings (WATCHDOG=1) and
// shutdown/reload (STOPPING=1, RELOADING=1). See systemd/rtgraphd.service.
//
// Threads: non-RT only. The control thread calls ready(), reloading() and
// stopping(); housekeeping calls status() and the watchdog functions. Never the
// audio thread: every call is a syscall on a Unix datagram socket. The object
// holds no lock; give each thread its own calls, not the same member at once
// (watchdog_ping_if_progress keeps state and belongs to one thread).
//
// Without NOTIFY_SOCKET (not started by systemd, or Type= is not notify) every
// call does nothing and returns false.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rtgraph::service {

// What STATUS= shows, gathered by housekeeping from the telemetry ring.
struct StatusFigures {
    double sample_rate = 0.0;       // Hz, as JACK reports it
    std::uint32_t period = 0;       // frames per JACK period
    double dsp_load_percent = 0.0;  // JACK's DSP load, 0..100
    std::uint64_t xruns = 0;        // since start
    bool realtime = false;          // the process thread runs SCHED_FIFO/SCHED_RR
    bool jack_connected = false;    // false while the server is gone
};

// [nrt] may allocate. The one-line status systemctl shows, e.g.
// "48000 Hz, 128 frames, DSP 3.2%, 0 xruns, SCHED_FIFO", with "NOT realtime"
// in place of "SCHED_FIFO" when JACK could not give us a real-time thread, and
// "JACK server lost, reconnecting" while not connected.
std::string format_status(const StatusFigures& figures);

class ServiceNotifier {
public:
    // [nrt] Reads NOTIFY_SOCKET once; the other calls use what it says then.
    ServiceNotifier();

    // True when systemd asked for notifications (NOTIFY_SOCKET was set).
    bool enabled() const { return enabled_; }

    // Each returns true when the message reached the service manager, false
    // when notifications are off or the send failed. Failures are not fatal:
    // the daemon carries on, systemd judges it by what it does receive.

    // [nrt] READY=1: send once JACK is connected, ports are registered and
    // the OSC control port is bound; again after a reload.
    bool ready();
    // [nrt] STATUS=<text>. A newline in text would start a second assignment
    // (say "READY=1"), so each one is sent as a space.
    bool status(std::string_view text);
    // [nrt] WATCHDOG=1, unconditionally. Prefer watchdog_ping_if_progress().
    bool watchdog_ping();
    // [nrt] WATCHDOG=1 only if the daemon is alive in the sense that matters:
    // the audio thread finished blocks since the last call (audio_blocks, its
    // block counter, changed), or JACK is not connected, so there is no audio
    // thread and the daemon is knowingly waiting to reconnect. A counter that
    // stands still while connected means a wedged audio thread: no ping, and
    // systemd restarts the daemon after WatchdogSec. Call it from one thread,
    // at least every watchdog_interval().
    bool watchdog_ping_if_progress(std::uint64_t audio_blocks, bool jack_connected);
    // [nrt] STOPPING=1: shutdown has begun (state is being saved).
    bool stopping();
    // [nrt] RELOADING=1 with MONOTONIC_USEC= (what systemd >= 253 wants for
    // Type=notify-reload); send ready() when the reload is done.
    bool reloading();

    // [nrt] How often to ping: half of WatchdogSec= (WATCHDOG_USEC), or
    // nothing when systemd runs no watchdog for this process (WATCHDOG_PID
    // names another one, or the variables are absent).
    std::optional<std::chrono::microseconds> watchdog_interval() const;

private:
    bool send(const char* message);

    bool enabled_ = false;
    std::optional<std::uint64_t> last_audio_blocks_;
};

}  // namespace rtgraph::service
