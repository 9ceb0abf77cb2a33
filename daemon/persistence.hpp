// Persistence: rtgraphd's state directory at run time. Restoring the graph
// from the state file at start, writing it when the graph changes (see
// persist/state_saver.hpp for the durability contract), and the snapshot
// store the router serves.
//
// Threads: the control thread; the writes themselves on the housekeeping
// thread (StateWriteThread).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "rtgraph/backend/jack_backend.hpp"
#include "rtgraph/engine/engine.hpp"
#include "rtgraph/persist/snapshot_store.hpp"
#include "rtgraph/persist/state_file.hpp"
#include "rtgraph/persist/state_saver.hpp"
#include "state_write_thread.hpp"

namespace rtgraph::daemon {

// How far the state file has caught up with the graph's structural changes,
// counted: a reply to a client whose change is counted in changes_made() but
// not yet in changes_settled() waits (ControlPort). A change written ahead
// (write_ahead) is on disk before it is made and is not counted here.
class Durability {
public:
    virtual ~Durability() = default;
    virtual std::uint64_t changes_made() const = 0;
    // Changes whose write has finished: written, or failed (logged and in
    // /status; the reply is not held back for ever by a broken disk).
    virtual std::uint64_t changes_settled() const = 0;
};

class Persistence final : public Durability {
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

    // [nrt] Writes `document`, the graph as a change will leave it, before
    // the change is applied: waits for a write in progress, then has this one
    // written and waits for it. False with `error` (the directory is
    // unusable, the disk full or read-only): the change must not be made; the
    // file still holds the graph as it is.
    bool write_ahead(std::string document, std::string& error);

    void mark_structural() {
        saver_.mark_structural();
        // A change written ahead is on disk already: no reply waits for this write.
        if (usable_ && !std::exchange(written_ahead_, false)) ++changes_made_;
    }
    void mark_params(Clock::time_point now) { saver_.mark_params(now); }
    // Something is marked and not yet handed to a write: save() has a
    // deadline to meet, so the loop must call it soon.
    bool unsaved() const { return saver_.dirty(); }
    // Connections made or broken by other JACK clients (a patchbay, a peer
    // that quit and came back) change what is re-made: saved too.
    void note_externals(const std::vector<persist::ExternalConnection>& now);

    // [nrt] When a change is due (`force`: whenever anything is unsaved) and
    // no write is in progress, captures the graph and hands the document to
    // the housekeeping thread. A failed write is retried a little later, and
    // said once.
    void save(Clock::time_point now, bool force, const engine::Engine& engine,
              std::vector<persist::ExternalConnection> externals,
              const persist::PluginStateSource& plugin_state);
    // [nrt] Takes the result of a finished write (call when wake_fd() is
    // readable, or any time).
    void collect();
    // [nrt] Waits for the write in progress, then writes what is unsaved, and
    // waits for that too (shutdown).
    void finish(const engine::Engine& engine, std::vector<persist::ExternalConnection> externals,
                const persist::PluginStateSource& plugin_state);
    // Readable when a write finished; -1 before the first.
    int wake_fd() const { return writes_ ? writes_->wake_fd() : -1; }

    std::uint64_t changes_made() const override { return changes_made_; }
    std::uint64_t changes_settled() const override { return changes_settled_; }

    // The snapshot store, or null when the state directory is unusable.
    persist::SnapshotStore* snapshots() { return usable_ ? &snapshots_ : nullptr; }
    // The last write failed (a write ahead or a flush); cleared by the next
    // that succeeds. Meanwhile structural changes are refused and parameter
    // values wait in memory, retried with backoff.
    bool failing() const { return failing_; }
    // /status members: state_file, state_writes, ... state_problem.
    void add_status(nlohmann::json& status) const;

private:
    engine::ApplyResult apply_dropping_bad_paths(engine::Engine& engine, persist::GraphState& graph);
    persist::StateSaver saver_;
    persist::SnapshotStore snapshots_;
    bool usable_ = false;       // the state directory exists and is ours
    std::string problem_;       // why the state was not restored or is not kept
    std::vector<persist::ExternalConnection> saved_externals_;
    std::vector<persist::ExternalConnection> writing_externals_;  // in the write in progress
    bool failing_ = false;
    std::string last_error_;  // of the last failed write
    Clock::time_point retry_at_{};
    Clock::duration retry_delay_{};
    // The next write is made even when the file holds its document already:
    // after a refused change, only a real write shows the disk works again.
    bool probe_ = false;
    bool written_ahead_ = false;  // since the last mark_structural()
    std::uint64_t changes_made_ = 0;
    std::uint64_t changes_settled_ = 0;
    persist::SaverStats stats_;
    std::unique_ptr<StateWriteThread> writes_;  // from the first write; the saver's writer is its
    void handle(const StateWriteThread::Finished& finished);
    void failed(const std::string& error);
};

}  // namespace rtgraph::daemon
