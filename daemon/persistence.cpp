// Persistence: restoring and saving the graph (control thread).
#include "persistence.hpp"

#include <spdlog/spdlog.h>

namespace rtgraph::daemon {

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
        const std::vector<engine::Edit> edits = persist::restore_edits(startup.graph, engine.model());
        const engine::ApplyResult result = engine.apply(edits);
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

void Persistence::note_externals(const std::vector<persist::ExternalConnection>& now) {
    if (usable_ && now != saved_externals_) saver_.mark_structural();
}

void Persistence::save(Clock::time_point now, bool force, const engine::Engine& engine,
                       std::vector<persist::ExternalConnection> externals,
                       const persist::PluginStateSource& plugin_state) {
    if (!usable_) return;
    if (!saver_.due(now) && !(force && saver_.dirty())) return;
    const std::string document = persist::to_document(persist::capture(engine.model(), externals, plugin_state));
    std::string error;
    if (saver_.save(document, error)) {
        saved_externals_ = std::move(externals);
        if (failing_) spdlog::info("state file {} written again", saver_.file().string());
        failing_ = false;
        return;
    }
    // Retried at the next turn of the loop; said once, not every time.
    if (!failing_) spdlog::error("cannot save the state: {} (retrying)", error);
    failing_ = true;
}

void Persistence::add_status(nlohmann::json& status) const {
    status["state_file"] = usable_ ? saver_.file().string() : std::string();
    status["state_writes"] = saver_.stats().writes;
    status["state_write_failures"] = saver_.stats().failures;
    status["state_last_write_ms"] = saver_.stats().last_write_ms;
    status["state_max_write_ms"] = saver_.stats().max_write_ms;
    status["state_problem"] = problem_;
}

}  // namespace rtgraph::daemon
