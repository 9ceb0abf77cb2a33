// Daemon: wires configuration, the JACK backend, the engine, telemetry,
// signals and systemd notification around one poll loop.
//
// Threads: run() is the control thread (it also does housekeeping: freeing
// retired programs, draining telemetry). The JACK process thread runs the
// engine; JACK's notification threads only set atomics in the backend.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "rtgraph/backend/jack_backend.hpp"
#include "rtgraph/backend/worker_pool.hpp"
#include "rtgraph/config/daemon_config.hpp"
#include "rtgraph/control/command_router.hpp"
#include "rtgraph/control/osc_transport.hpp"
#include "rtgraph/engine/engine.hpp"
#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/plugins/lv2_host.hpp"
#include "rtgraph/plugins/plugin_catalog.hpp"
#include "rtgraph/persist/snapshot_store.hpp"
#include "rtgraph/persist/state_saver.hpp"
#include "rtgraph/service/service_notifier.hpp"
#include "telemetry_reporter.hpp"

namespace rtgraph::daemon {

// Exit codes, following sysexits.h where one fits.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 64;     // EX_USAGE: bad command line
inline constexpr int kExitTempFail = 75;  // EX_TEMPFAIL: the graph could not follow JACK; restart
inline constexpr int kExitConfig = 78;    // EX_CONFIG: bad configuration or patch

class Daemon final : public control::ControlHost {
public:
    Daemon(config::DaemonConfig config, config::CommandLine command_line);
    ~Daemon();

    // [nrt] Runs until SIGTERM/SIGINT or a fatal error; returns the exit code.
    int run();

    // control::ControlHost, for the command router (control thread).
    bool connect_external(const std::string& graph_port, const std::string& external,
                          std::string& error) override;
    bool disconnect_external(const std::string& graph_port, const std::string& external,
                             std::string& error) override;
    bool can_connect_external(const std::string& graph_port, const std::string& external,
                              bool disconnect, std::string& error) override;
    void graph_ports_changed() override;
    bool ports_settled() override { return backend_.ports_settled(engine_->model()); }
    control::ScheduledTime schedule_for_time(control::OscTimetag time) override;
    std::string status_json_members() override;
    const plugins::PluginCatalog* plugin_catalog() override { return &catalog_; }
    std::vector<std::string> rescan_plugins() override;
    std::vector<persist::ExternalConnection> external_connections() override;
    void replace_external_connections(const std::vector<persist::ExternalConnection>& wanted) override;
    void graph_changed(bool structural) override;

private:
    using Clock = std::chrono::steady_clock;

    bool setup_signals();
    bool open_control_port();
    void serve_requests();
    void send_all();
    void notify_changes(Clock::time_point now);
    void try_first_connect(Clock::time_point now);
    bool build_graph();
    bool build_from_config();
    bool add_configured_ports();  // the [jack] ports, as one transaction
    // JACK came back at another sample rate: rebuild the engine at it.
    void follow_sample_rate(const std::string& why);
    // Writes the state file when a change is due (`force`: whenever dirty).
    // Reads plugin nodes' own state for the state file (LV2 state interface).
    persist::PluginStateSource plugin_state_source() const;
    void save_state(Clock::time_point now, bool force);
    void tick(Clock::time_point now);
    void check_progress(Clock::time_point now);
    void report_status(Clock::time_point now);
    void reload_config();
    void shutdown();
    void start_workers();
    nlohmann::json workers_status() const;  // /status "workers"  // on the engine's WorkerTeam, when it has one

    config::DaemonConfig config_;
    config::CommandLine command_line_;
    engine::NodeRegistry registry_;
    // Declared before the engine: plugin nodes must be gone before their host.
    std::unique_ptr<plugins::Lv2Host> lv2_host_;
    plugins::PluginCatalog catalog_;
    std::unique_ptr<engine::Engine> engine_;
    backend::JackBackend backend_;
    std::unique_ptr<backend::WorkerPool> workers_;  // on engine_'s team: reset before engine_ goes
    service::ServiceNotifier notifier_;
    TelemetryReporter telemetry_;
    control::OscTransport transport_;
    std::unique_ptr<control::CommandRouter> router_;
    std::vector<control::Outgoing> outgoing_;
    std::uint64_t notified_xruns_ = 0;
    bool notified_connected_ = true;
    std::map<std::uint32_t, Clock::time_point> last_meter_;

    // Persistence (see persist/state_saver.hpp for the contract).
    persist::StateSaver saver_;
    persist::SnapshotStore snapshots_;
    bool persistence_ok_ = false;  // the state directory exists and is ours
    std::string state_problem_;    // for /status: why the state was not restored
    std::vector<persist::ExternalConnection> saved_externals_;
    bool save_failing_ = false;

    int signal_fd_ = -1;
    int timer_fd_ = -1;
    int exit_code_ = -1;  // set when the loop must end

    Clock::time_point next_connect_try_{};
    double connect_delay_s_ = 0.25;
    bool said_waiting_ = false;

    std::uint64_t last_cycles_ = 0;
    Clock::time_point last_progress_{};
    bool stalled_ = false;
    bool realtime_warned_ = false;
    Clock::time_point next_status_{};
    Clock::time_point next_watchdog_{};
    std::optional<std::chrono::microseconds> watchdog_interval_;
};

}  // namespace rtgraph::daemon
