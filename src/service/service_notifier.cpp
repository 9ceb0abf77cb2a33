// sd_notify wrapper for the systemd unit (non-RT: control and housekeeping
// threads only; each call is a syscall). See service_notifier.hpp.
#include "rtgraph/service/service_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace rtgraph::service {

std::string format_status(const StatusFigures& figures) {
    if (!figures.jack_connected) return "JACK server lost, reconnecting";
    char load[32] = "n/a";
    if (std::isfinite(figures.dsp_load_percent)) {
        std::snprintf(load, sizeof load, "%.1f%%", figures.dsp_load_percent);
    }
    char line[160];
    std::snprintf(
        line, sizeof line, "%.0f Hz, %u frames, DSP %s, %llu %s, %s", figures.sample_rate,
        static_cast<unsigned>(figures.period), load, static_cast<unsigned long long>(figures.xruns),
        figures.xruns == 1 ? "xrun" : "xruns", figures.realtime ? "SCHED_FIFO" : "NOT realtime");
    return line;
}

ServiceNotifier::ServiceNotifier() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    enabled_ = socket != nullptr && socket[0] != '\0';
}

bool ServiceNotifier::send(const char* message) {
    if (!enabled_) return false;
    // unset_environment = 0: later calls (and a reload) need NOTIFY_SOCKET
    // too. Children cannot abuse it: the unit says NotifyAccess=main.
    return sd_notify(0, message) > 0;
}

bool ServiceNotifier::ready() {
    return send("READY=1");
}

bool ServiceNotifier::status(std::string_view text) {
    if (!enabled_) return false;
    std::string message = "STATUS=";
    message.reserve(message.size() + text.size());
    for (const char c : text) message.push_back(c == '\n' ? ' ' : c);
    return send(message.c_str());
}

bool ServiceNotifier::watchdog_ping() {
    return send("WATCHDOG=1");
}

bool ServiceNotifier::watchdog_ping_if_progress(std::uint64_t audio_blocks, bool jack_connected) {
    if (!jack_connected) {
        // No audio thread to judge; forget the old counter, since a new
        // connection may start counting afresh.
        last_audio_blocks_.reset();
        return watchdog_ping();
    }
    const bool progressed = !last_audio_blocks_ || *last_audio_blocks_ != audio_blocks;
    last_audio_blocks_ = audio_blocks;
    return progressed && watchdog_ping();
}

bool ServiceNotifier::stopping() {
    return send("STOPPING=1");
}

bool ServiceNotifier::reloading() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                      static_cast<unsigned long long>(now.tv_nsec) / 1000ULL;
    char message[64];
    std::snprintf(message, sizeof message, "RELOADING=1\nMONOTONIC_USEC=%llu", usec);
    return send(message);
}

std::optional<std::chrono::microseconds> ServiceNotifier::watchdog_interval() const {
    std::uint64_t usec = 0;
    // Checks WATCHDOG_PID against our pid, so a variable inherited from a
    // parent service does not make us ping on its behalf.
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
    return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(usec / 2));
}

}  // namespace rtgraph::service
