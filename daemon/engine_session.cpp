// EngineSession: the engine, its first graph and its workers (control thread).
#include "engine_session.hpp"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "rtgraph/control/patch_script.hpp"
#include "rtgraph/plugins/ladspa_host.hpp"

namespace rtgraph::daemon {

EngineSession::EngineSession(const config::DaemonConfig& config) : config_(config) {
    engine::register_builtin_nodes(registry_);
}

EngineSession::~EngineSession() {
    workers_.reset();  // before the team they run on
    if (engine_) engine_->collect_garbage();
}

unsigned EngineSession::worker_threads() const {
    const unsigned configured = config_.realtime.worker_threads;
    if (configured != config::kAutoWorkerThreads) return configured;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    const unsigned count =
        sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? static_cast<unsigned>(CPU_COUNT(&cpus)) : 1u;
    const unsigned workers = config::resolve_worker_threads(configured, count);
    spdlog::info("realtime.worker_threads = \"auto\": {} worker thread(s) for {} CPU(s)", workers, count);
    return workers;
}

void EngineSession::create(double sample_rate) {
    engine::EngineConfig engine_config;
    engine_config.sample_rate = sample_rate;
    engine_config.max_block = config_.engine.max_block;
    engine_config.fade_ms = static_cast<float>(config_.engine.fade_ms);
    engine_config.worker_threads = worker_threads();
    if (!lv2_host_) {
        // Plugin types are made for this sample rate; a server that comes back
        // at another rate ends the process (exit 75) and systemd restarts it.
        lv2_host_ = std::make_unique<plugins::Lv2Host>(sample_rate, engine_config.max_block);
        lv2_host_->set_media_dirs(media_dirs());
        rescan_plugins();
    }
    engine_ = std::make_unique<engine::Engine>(engine_config, registry_);
}

// [paths] media_dirs, resolved once: a directory that is not there now is
// left out (and said), so nothing inside it can be named until a restart.
io::MediaDirs EngineSession::media_dirs() const {
    std::vector<std::string> problems;
    io::MediaDirs dirs = io::MediaDirs::resolve(config_.paths.media_dirs, problems);
    for (const std::string& problem : problems) spdlog::warn("{}: left out", problem);
    if (dirs.directories().empty()) {
        spdlog::info("media directories: none ([paths] media_dirs); files sent to plugins are refused");
    } else {
        std::string list;
        for (const std::string& dir : dirs.directories()) list += (list.empty() ? "" : ", ") + dir;
        spdlog::info("media directories: {}", list);
    }
    return dirs;
}

bool EngineSession::add_configured_ports() {
    std::vector<engine::Edit> ports;
    for (const std::string& name : config_.jack.audio_inputs) {
        ports.push_back(engine::AddGraphPort{name, engine::PortKind::kAudio, engine::PortDirection::kInput});
    }
    for (const std::string& name : config_.jack.audio_outputs) {
        ports.push_back(engine::AddGraphPort{name, engine::PortKind::kAudio, engine::PortDirection::kOutput});
    }
    for (const std::string& name : config_.jack.midi_inputs) {
        ports.push_back(engine::AddGraphPort{name, engine::PortKind::kMidi, engine::PortDirection::kInput});
    }
    if (const engine::ApplyResult result = engine_->apply(ports); !result.ok()) {
        spdlog::critical("configured ports refused: {}", result.error.message);
        return false;
    }
    return true;
}

bool EngineSession::build_from_config() {
    if (!add_configured_ports()) return false;
    if (config_.paths.patch.empty()) return true;

    std::ifstream file(config_.paths.patch);
    if (!file) {
        spdlog::critical("cannot read patch '{}'", config_.paths.patch);
        return false;
    }
    std::stringstream text;
    text << file.rdbuf();
    const control::ScriptParse script = control::parse_patch_script(text.str());
    if (!script.ok()) {
        spdlog::critical("{}:{}: {}", config_.paths.patch, script.error_line, script.error);
        return false;
    }
    for (const control::ScriptTransaction& transaction : script.transactions) {
        if (transaction.edits.empty()) continue;
        const auto frame = static_cast<std::uint64_t>(transaction.at_seconds * engine_->config().sample_rate);
        const engine::ApplyResult result = engine_->apply(transaction.edits, frame);
        if (!result.ok()) {
            spdlog::critical("{}: transaction at line {}, edit {}: {}", config_.paths.patch,
                             transaction.line, result.failed_index + 1, result.error.message);
            return false;
        }
        for (const std::string& note : result.notes) spdlog::info("{}: {}", config_.paths.patch, note);
    }
    spdlog::info("patch {} loaded: {} node(s), {} connection(s)", config_.paths.patch,
                 engine_->model().nodes().size(), engine_->model().edges().size());
    return true;
}

std::unique_ptr<engine::Engine> EngineSession::make_rebuilt(double sample_rate,
                                                            const persist::GraphState& state,
                                                            std::string& error) {
    engine::EngineConfig engine_config = engine_->config();
    engine_config.sample_rate = sample_rate;
    auto engine = std::make_unique<engine::Engine>(engine_config, registry_);
    const engine::ApplyResult result = engine->apply(persist::restore_edits(state, engine->model()));
    if (!result.ok()) {
        error = result.error.message;
        return nullptr;
    }
    return engine;
}

void EngineSession::replace(std::unique_ptr<engine::Engine> engine) {
    workers_.reset();  // they ran on the old engine's team
    engine_ = std::move(engine);
}

void EngineSession::drop_engine() {
    workers_.reset();
    engine_.reset();
}

void EngineSession::start_workers(int jack_priority) {
    engine::WorkerTeam* team = engine_->worker_team();
    if (team == nullptr) return;
    // At the JACK process thread's own priority, so neither preempts the
    // other while they share a span; a configured priority overrides.
    const int priority = config_.realtime.priority != 0 ? config_.realtime.priority : jack_priority;
    workers_ = std::make_unique<backend::WorkerPool>(
        backend::WorkerPoolConfig{team->workers(), priority, config_.realtime.cpu_affinity}, *team);
    for (const backend::WorkerReport& report : workers_->reports()) {
        if (report.realtime) {
            spdlog::info("worker thread: SCHED_FIFO priority {}", report.priority);
        } else {
            spdlog::warn("worker thread: {}", report.note);
        }
    }
}

std::vector<std::string> EngineSession::rescan_plugins() {
    std::vector<std::string> problems;
    const auto started = std::chrono::steady_clock::now();
    catalog_.replace_family("lv2", lv2_host_->scan(config_.paths.lv2_path, registry_, problems));
    plugins::ScanReport ladspa_report;
    catalog_.replace_family(
        "ladspa", plugins::scan_ladspa(plugins::ladspa_search_path(config_.paths.ladspa_path),
                                       lv2_host_->sample_rate(), registry_, ladspa_report));
    problems.insert(problems.end(), ladspa_report.problems.begin(), ladspa_report.problems.end());
    std::size_t usable = 0;
    for (const plugins::PluginInfo& info : catalog_.entries()) usable += info.usable() ? 1 : 0;
    spdlog::info("plugins: {} found ({} usable) in {:.0f} ms; {} could not be used{}",
                 catalog_.entries().size(), usable,
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count(),
                 problems.size(), problems.empty() ? "" : " (see debug log)");
    for (const std::string& problem : problems) spdlog::debug("plugin: {}", problem);
    return problems;
}

persist::PluginStateSource EngineSession::plugin_state_source() const {
    return [this](engine::NodeId id) -> std::optional<std::string> {
        const std::shared_ptr<engine::Node> node = engine_->instance(id);
        return node ? node->save_state() : std::nullopt;
    };
}

nlohmann::json EngineSession::workers_status() const {
    nlohmann::json threads = nlohmann::json::array();
    nlohmann::json steps = nlohmann::json::array();
    const engine::WorkerTeam* team = engine_ ? engine_->worker_team() : nullptr;
    if (workers_) {
        for (const backend::WorkerReport& report : workers_->reports()) {
            threads.push_back({{"policy", report.realtime ? "SCHED_FIFO" : "SCHED_OTHER"},
                               {"priority", report.realtime ? report.priority : 0},
                               {"note", report.note}});
        }
    }
    if (team != nullptr) {
        for (unsigned t = 0; t <= team->workers(); ++t) steps.push_back(team->last_block_steps(t));
    }
    return {{"count", workers_ ? workers_->size() : 0},
            {"threads", threads},
            // Steps each thread ran in the last block: the JACK thread first.
            {"steps_last_block", steps},
            {"parallel_spans", team != nullptr ? team->spans() : 0},
            {"wakes", team != nullptr ? team->wakes() : 0}};
}

}  // namespace rtgraph::daemon
