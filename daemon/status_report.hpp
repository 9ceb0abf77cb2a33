// StatusReport: rtgraphd's figures in the two places they are read. The
// one-line status systemctl shows (sent every second) and the host members
// of /status.
//
// Threads: the control thread.
#pragma once

#include <chrono>
#include <string>

#include "audio_watchdog.hpp"
#include "engine_session.hpp"
#include "persistence.hpp"
#include "rtgraph/backend/jack_backend.hpp"
#include "rtgraph/control/osc_transport.hpp"
#include "rtgraph/service/service_notifier.hpp"
#include "telemetry_reporter.hpp"

namespace rtgraph::daemon {

// What the figures are read from; all outlive the report.
struct StatusSources {
    backend::JackBackend& backend;
    const EngineSession& session;
    const Persistence& persistence;
    const TelemetryReporter& telemetry;
    const AudioWatchdog& watchdog;
    const control::OscTransport& transport;
};

class StatusReport {
public:
    StatusReport(StatusSources sources, service::ServiceNotifier& notifier)
        : sources_(sources), notifier_(notifier) {}

    // [nrt] /status's host figures, as JSON object members (no braces).
    std::string json_members() const;
    // [nrt] At most once a second: the systemd status line, and a debug log line.
    void report(std::chrono::steady_clock::time_point now);

private:
    StatusSources sources_;
    service::ServiceNotifier& notifier_;
    std::chrono::steady_clock::time_point next_{};
};

}  // namespace rtgraph::daemon
