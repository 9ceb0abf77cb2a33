// Persistence: rtgraphd's state directory at run time. Restoring the graph
// from the state file at start, writing it when the graph changes (see
// persist/state_saver.hpp for the durability contract), and the snapshot
// store the router serves.
//
// Threads: the control thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rtgraph/backend/jack_backend.hpp"
#include "rtgraph/engine/engine.hpp"
#include "rtgraph/persist/snapshot_store.hpp"
#include "rtgraph/persist/state_file.hpp"
#include "rtgraph/persist/state_saver.hpp"

namespace rtgraph::daemon {

class Persistence {
public:
    using Clock = std::chrono::steady_clock;

    explicit Persistence(const std::filesystem::path& state_dir);

    // [nrt] Makes the state directory ready. When it cannot be, rtgraphd runs
    // without saving (the audio keeps going) and /status says why.
    void prepare();
    bool usable() const { return usable_; }

    // What restore() found.
    enum class Restore {
        kRestored,     // the state file's graph is in the engine
        kNoStateFile,  // start from the configuration
        kRefused,      // corrupt or refused: kept aside, problem() says so; start empty
    };
    // [nrt] The state file's graph into `engine`, and its external
    // connections into the backend's memory. `patch`: the configured patch,
    // to say that it was not loaded.
    Restore restore(engine::Engine& engine, backend::JackBackend& backend, const std::string& patch);

    void mark_structural() { saver_.mark_structural(); }
    void mark_params(Clock::time_point now) { saver_.mark_params(now); }
    // Connections made or broken by other JACK clients (a patchbay, a peer
    // that quit and came back) change what is re-made: saved too.
    void note_externals(const std::vector<persist::ExternalConnection>& now);

    // [nrt] Writes the state file when a change is due (`force`: whenever
    // anything is unsaved). A failure is retried at the next call, and said
    // once.
    void save(Clock::time_point now, bool force, const engine::Engine& engine,
              std::vector<persist::ExternalConnection> externals,
              const persist::PluginStateSource& plugin_state);

    // The snapshot store, or null when the state directory is unusable.
    persist::SnapshotStore* snapshots() { return usable_ ? &snapshots_ : nullptr; }
    // /status members: state_file, state_writes, ... state_problem.
    void add_status(nlohmann::json& status) const;

private:
    persist::StateSaver saver_;
    persist::SnapshotStore snapshots_;
    bool usable_ = false;       // the state directory exists and is ours
    std::string problem_;       // why the state was not restored or is not kept
    std::vector<persist::ExternalConnection> saved_externals_;
    bool failing_ = false;
};

}  // namespace rtgraph::daemon
