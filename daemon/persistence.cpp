// Persistence: restoring and saving the graph (control thread).
#include "persistence.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace rtgraph::daemon {

namespace {

// A failed write (disk full, directory gone) is tried again after a pause
// that doubles from the first to the longest, not in a loop as fast as the
// disk can refuse.
constexpr Persistence::Clock::duration kFirstRetryDelay = std::chrono::milliseconds(100);
constexpr Persistence::Clock::duration kLongestRetryDelay = std::chrono::seconds(5);

}  // namespace

Persistence::Persistence(const std::filesystem::path& state_dir) : saver_(state_dir), snapshots_(state_dir) {}

void Persistence::prepare() {
    std::string error;
    usable_ = saver_.prepare(error);
    if (usable_) return;
    problem_ = "state directory unusable, nothing is saved: " + error;
    spdlog::error("{}", problem_);
}

Persistence::Restore Persistence::restore(engine::Engine& engine, backend::JackBackend& backend,
                                          const std::string& patch) {
    if (!usable_) return Restore::kNoStateFile;
    persist::StartupState startup = saver_.load_at_start();
    if (startup.status == persist::StartupState::Status::kMissing) {
        spdlog::info("no state file at {}: starting from the configuration", saver_.file().string());
        return Restore::kNoStateFile;
    }
    if (startup.status == persist::StartupState::Status::kLoaded) {
        engine::ApplyResult result = apply_dropping_bad_paths(engine, startup.graph);
        if (result.ok()) {
            for (const persist::ExternalConnection& e : startup.graph.externals) {
                backend.remember_external(e.port, e.peer, true);
            }
            spdlog::info("state restored from {}: {} node(s), {} connection(s), {} port(s), {} external "
                         "connection(s)",
                         saver_.file().string(), engine.model().nodes().size(),
                         engine.model().edges().size(), engine.model().graph_ports().size(),
                         startup.graph.externals.size());
            if (!patch.empty()) {
                spdlog::warn("patch {} not loaded: the state file holds the graph (the patch makes "
                             "the first graph only; /graph/clear or another state directory starts "
                             "afresh)",
                             patch);
            }
            return Restore::kRestored;
        }
        startup.error = "state file " + saver_.file().string() + " was refused: edit " +
                        std::to_string(result.failed_index + 1) + ": " + result.error.message;
        std::string error;
        if (auto aside = saver_.keep_aside(error)) {
            startup.kept_aside = *aside;
        } else {
            startup.error += "; and it could not be moved aside: " + error;
        }
    }
    // Corrupt or refused: keep the evidence, say so loudly, and run with an
    // empty graph (the configured ports only) rather than not at all.
    problem_ = startup.error +
               (startup.kept_aside.empty() ? std::string()
                                           : "; the file was kept as " + startup.kept_aside.string()) +
               "; started with an empty graph";
    spdlog::error("{}", problem_);
    return Restore::kRefused;
}

// A plugin state that names a file outside the media directories (moved, or
// the directories changed since it was saved) costs that node its plugin
// state, not the whole graph: the node comes back with its defaults, said in
// the log, and everything else as it was.
engine::ApplyResult Persistence::apply_dropping_bad_paths(engine::Engine& engine,
                                                          persist::GraphState& graph) {
    for (;;) {
        const std::vector<engine::Edit> edits = persist::restore_edits(graph, engine.model());
        engine::ApplyResult result = engine.apply(edits);
        if (result.ok() || result.error.code != engine::ErrorCode::kBadPath) return result;
        const auto* add = std::get_if<engine::AddNode>(&edits[result.failed_index]);
        if (add == nullptr) return result;
        bool dropped = false;
        for (persist::NodeState& node : graph.nodes) {
            if (node.name == add->name && node.plugin_state) {
                node.plugin_state.reset();
                dropped = true;
            }
        }
        if (!dropped) return result;
        spdlog::warn("{}: restored without its plugin state", result.error.message);
    }
}

void Persistence::note_externals(const std::vector<persist::ExternalConnection>& now) {
    if (usable_ && now != saved_externals_) saver_.mark_structural();
}

bool Persistence::write_ahead(std::string document, std::string& error) {
    if (!usable_) {
        // Not retried here: a directory that could not be made ready at start
        // may hold a state file that was never restored, and writing would
        // replace it.
        error = problem_ + "; restart rtgraphd once it is fixed";
        return false;
    }
    if (!writes_) writes_ = std::make_unique<StateWriteThread>(saver_.writer());
    if (const auto finished = writes_->wait_idle()) handle(*finished);
    writes_->submit(std::move(document), changes_made_, probe_);
    const std::optional<StateWriteThread::Finished> finished = writes_->wait_idle();
    stats_ = finished->stats;
    if (!finished->ok) {
        error = finished->error;
        failed(error);
        // Nothing changed, so nothing is unsaved; but the next write must
        // reach the disk, to show it works again.
        probe_ = true;
        saver_.mark_structural();
        return false;
    }
    if (failing_) spdlog::info("state file {} written again", saver_.file().string());
    failing_ = probe_ = false;
    retry_delay_ = {};
    written_ahead_ = true;
    return true;
}

void Persistence::failed(const std::string& error) {
    if (!failing_) spdlog::error("cannot save the state: {} (retrying)", error);
    failing_ = true;
    last_error_ = error;
    retry_delay_ = std::min(kLongestRetryDelay, retry_delay_ == Clock::duration{} ? kFirstRetryDelay : 2 * retry_delay_);
    retry_at_ = Clock::now() + retry_delay_;
}

void Persistence::save(Clock::time_point now, bool force, const engine::Engine& engine,
                       std::vector<persist::ExternalConnection> externals,
                       const persist::PluginStateSource& plugin_state) {
    if (!usable_ || (writes_ && writes_->busy())) return;
    if (!saver_.due(now) && !(force && saver_.dirty())) return;
    if (failing_ && now < retry_at_ && !force) return;
    // Captured here, where the model lives; the document is all the
    // housekeeping thread sees.
    std::string document = persist::to_document(persist::capture(engine.model(), externals, plugin_state));
    saver_.take_marks();
    writing_externals_ = std::move(externals);
    // The saver's writer is the housekeeping thread's from now on (restore,
    // the only other user, is over).
    if (!writes_) writes_ = std::make_unique<StateWriteThread>(saver_.writer());
    writes_->submit(std::move(document), changes_made_, probe_);
}

void Persistence::collect() {
    if (!writes_) return;
    if (const auto finished = writes_->collect()) handle(*finished);
}

void Persistence::finish(const engine::Engine& engine, std::vector<persist::ExternalConnection> externals,
                         const persist::PluginStateSource& plugin_state) {
    if (!writes_) {
        if (!usable_ || !saver_.dirty()) return;
        writes_ = std::make_unique<StateWriteThread>(saver_.writer());
    }
    if (const auto finished = writes_->wait_idle()) handle(*finished);
    save(Clock::now(), true, engine, std::move(externals), plugin_state);
    if (const auto finished = writes_->wait_idle()) handle(*finished);
}

void Persistence::handle(const StateWriteThread::Finished& finished) {
    changes_settled_ = std::max(changes_settled_, finished.generation);
    stats_ = finished.stats;
    if (finished.ok) {
        saved_externals_ = std::move(writing_externals_);
        if (failing_) spdlog::info("state file {} written again", saver_.file().string());
        failing_ = probe_ = false;
        retry_delay_ = {};
        return;
    }
    // Unsaved again, retried after a pause; said once, not every time.
    failed(finished.error);
    saver_.mark_structural();
}

void Persistence::add_status(nlohmann::json& status) const {
    status["state_file"] = usable_ ? saver_.file().string() : std::string();
    status["state_writes"] = stats_.writes;
    status["state_write_failures"] = stats_.failures;
    status["state_last_write_ms"] = stats_.last_write_ms;
    status["state_max_write_ms"] = stats_.max_write_ms;
    status["state_problem"] = problem_;
    // Degraded: changes to the graph's structure are refused, parameter values
    // wait in memory until a write succeeds.
    status["state_degraded"] = failing_;
    status["state_last_error"] = last_error_;
}

}  // namespace rtgraph::daemon
