// EngineSession: the engine's life in rtgraphd. The node types (built-in and
// plugins), the engine made at the server's sample rate with its first graph,
// the worker threads on its team, and the new engine a sample-rate change
// needs.
//
// Threads: the control thread. The engine it holds is run by the JACK process
// thread (and the workers) once the backend has started it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rtgraph/backend/worker_pool.hpp"
#include "rtgraph/config/daemon_config.hpp"
#include "rtgraph/engine/engine.hpp"
#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/persist/state_file.hpp"
#include "rtgraph/plugins/lv2_host.hpp"
#include "rtgraph/plugins/plugin_catalog.hpp"

namespace rtgraph::daemon {

class EngineSession {
public:
    // `config` is the daemon's and outlives the session (a reload changes
    // only keys the session reads at the next start).
    explicit EngineSession(const config::DaemonConfig& config);
    ~EngineSession();

    // [nrt] A new, empty engine at `sample_rate`. The first call also makes
    // the plugin host and scans the plugins: plugin types are made for one
    // rate, and a server that comes back at another is followed by rebuild.
    void create(double sample_rate);
    // realtime.worker_threads, "auto" resolved for the CPUs this process may use.
    unsigned worker_threads() const;
    // [nrt] The configured [jack] ports, then the patch file when one is
    // named; false after logging why.
    bool build_from_config();
    bool add_configured_ports();

    // [nrt] A new engine at `sample_rate` holding `state`'s graph, or null
    // with `error`; the running engine is untouched until replace().
    std::unique_ptr<engine::Engine> make_rebuilt(double sample_rate, const persist::GraphState& state,
                                                 std::string& error);
    // [nrt] Drops the workers and the old engine (no audio thread may run it
    // any more) and keeps `engine`.
    void replace(std::unique_ptr<engine::Engine> engine);
    void drop_engine();

    // [nrt] Worker threads for the engine's team, at `priority` unless the
    // configuration names one; none when the engine has no team.
    void start_workers(int jack_priority);
    void stop_workers() { workers_.reset(); }

    // [nrt] Scans the plugin paths again; the problems found, one per entry.
    std::vector<std::string> rescan_plugins();

    engine::Engine* engine() { return engine_.get(); }
    const engine::Engine* engine() const { return engine_.get(); }
    const plugins::PluginCatalog& catalog() const { return catalog_; }
    std::uint64_t lv2_worker_jobs() const { return lv2_host_ ? lv2_host_->worker_jobs() : 0; }
    // Plugin nodes' own state for the state file (LV2 state interface).
    persist::PluginStateSource plugin_state_source() const;
    // /status "workers".
    nlohmann::json workers_status() const;

private:
    io::MediaDirs media_dirs() const;

    const config::DaemonConfig& config_;
    engine::NodeRegistry registry_;
    // Declared before the engine: plugin nodes must be gone before their host.
    std::unique_ptr<plugins::Lv2Host> lv2_host_;
    plugins::PluginCatalog catalog_;
    std::unique_ptr<engine::Engine> engine_;
    std::unique_ptr<backend::WorkerPool> workers_;  // on engine_'s team: reset before engine_ goes
};

}  // namespace rtgraph::daemon
