// Daemon: rtgraphd's control loop. It wires the configuration, the JACK
// backend, the engine session, persistence, telemetry, signals and systemd
// notification around one poll loop, and follows the server when it goes
// away or comes back at another sample rate.
//
// Threads: run() is the control thread (it also frees retired programs and
// drains telemetry). The state file is written on the housekeeping thread
// (StateWriteThread). The JACK process thread runs the engine; JACK's
// notification threads only set atomics in the backend.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "audio_watchdog.hpp"
#include "control_port.hpp"
#include "engine_session.hpp"
#include "jack_control_host.hpp"
#include "persistence.hpp"
#include "rtgraph/backend/jack_backend.hpp"
#include "rtgraph/config/daemon_config.hpp"
#include "rtgraph/control/command_router.hpp"
#include "rtgraph/service/service_notifier.hpp"
#include "status_report.hpp"
#include "telemetry_reporter.hpp"

namespace rtgraph::daemon {

// Exit codes, following sysexits.h where one fits.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 64;     // EX_USAGE: bad command line
inline constexpr int kExitTempFail = 75;  // EX_TEMPFAIL: the graph could not follow JACK; restart
inline constexpr int kExitConfig = 78;    // EX_CONFIG: bad configuration or patch

class Daemon final {
public:
    Daemon(config::DaemonConfig config, config::CommandLine command_line);
    ~Daemon();

    // [nrt] Runs until SIGTERM/SIGINT or a fatal error; returns the exit code.
    int run();

private:
    using Clock = std::chrono::steady_clock;

    bool setup_signals();
    void read_signals();
    void try_first_connect(Clock::time_point now);
    bool build_graph();  // the state file's graph, else the configuration's
    void make_router();
    // JACK came back at another sample rate: rebuild the engine at it.
    void follow_sample_rate(const std::string& why);
    void follow_backend(Clock::time_point now);  // the backend's events
    void notify_changes();
    void save_state(Clock::time_point now, bool force);
    void tick(Clock::time_point now);
    // When the next tick is due: soon while anything is in hand (see
    // busy()) or a request came, else at the idle pace; arms the timer for
    // it. `ticked`: a tick just ran, else the next one may only come closer.
    void schedule_tick(Clock::time_point now, bool ticked);
    bool busy() const;
    void reload_config();
    void shutdown();

    config::DaemonConfig config_;
    config::CommandLine command_line_;
    EngineSession session_;
    backend::JackBackend backend_;
    service::ServiceNotifier notifier_;
    TelemetryReporter telemetry_;
    Persistence persistence_;
    ControlPort control_;  // its replies wait on persistence_
    AudioWatchdog watchdog_;
    StatusReport status_;
    JackControlHost host_;
    control::Subscriptions subscriptions_;  // outlive a router re-created with its engine
    std::unique_ptr<control::CommandRouter> router_;  // while there is an engine
    std::uint64_t notified_xruns_ = 0;
    bool notified_connected_ = true;
    bool notified_state_failing_ = false;

    int signal_fd_ = -1;
    int timer_fd_ = -1;  // one-shot, armed by schedule_tick
    Clock::time_point next_tick_{};
    Clock::time_point busy_until_{};  // keep the quick pace until then
    std::uint64_t packets_seen_ = 0;
    std::uint64_t prompt_records_seen_ = 0;
    int exit_code_ = -1;  // set when the loop must end

    Clock::time_point next_connect_try_{};
    double connect_delay_s_ = 0.25;
    bool said_waiting_ = false;
};

}  // namespace rtgraph::daemon
