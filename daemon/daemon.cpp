// Daemon: the control loop of rtgraphd (control + housekeeping thread).
#include "daemon.hpp"

#include <poll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "rtgraph/control/patch_script.hpp"

namespace rtgraph::daemon {

namespace {

constexpr auto kTick = std::chrono::milliseconds(10);
constexpr double kMaxConnectDelayS = 5.0;

backend::JackBackendConfig backend_config(const config::DaemonConfig& config) {
    backend::JackBackendConfig out;
    out.server_name = config.jack.server_name;
    out.client_name = config.jack.client_name;
    out.autoconnect = config.jack.autoconnect;
    out.reconnect_max_delay_s = config.jack.reconnect_max_backoff_s;
    return out;
}

std::chrono::steady_clock::duration seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(s));
}

}  // namespace

Daemon::Daemon(config::DaemonConfig config, config::CommandLine command_line)
    : config_(std::move(config)),
      command_line_(std::move(command_line)),
      backend_(backend_config(config_)) {
    engine::register_builtin_nodes(registry_);
}

Daemon::~Daemon() {
    if (signal_fd_ >= 0) ::close(signal_fd_);
    if (timer_fd_ >= 0) ::close(timer_fd_);
}

bool Daemon::setup_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    // Blocked in every thread created from now on (JACK's included), so the
    // signals arrive only through the signalfd.
    if (pthread_sigmask(SIG_BLOCK, &signals, nullptr) != 0) return false;
    signal_fd_ = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (signal_fd_ < 0 || timer_fd_ < 0) return false;
    const auto tick_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(kTick).count();
    itimerspec spec{};
    spec.it_interval.tv_nsec = tick_ns;
    spec.it_value.tv_nsec = tick_ns;
    return timerfd_settime(timer_fd_, 0, &spec, nullptr) == 0;
}

int Daemon::run() {
    if (!setup_signals()) {
        spdlog::critical("cannot set up signal handling: {}", std::strerror(errno));
        return kExitFailure;
    }
    if (config_.realtime.lock_memory) {
        if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0) {
            spdlog::info("memory locked (mlockall): the audio path will not page-fault");
        } else {
            spdlog::warn("could not lock memory ({}): audio may drop out when pages are swapped "
                         "out; raise LimitMEMLOCK (systemd) or 'ulimit -l'",
                         std::strerror(errno));
        }
    }
    watchdog_interval_ = notifier_.watchdog_interval();

    while (exit_code_ < 0) {
        pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {timer_fd_, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR) {
            spdlog::critical("poll failed: {}", std::strerror(errno));
            exit_code_ = kExitFailure;
            break;
        }
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo info{};
            while (read(signal_fd_, &info, sizeof info) == sizeof info) {
                if (info.ssi_signo == SIGHUP) {
                    reload_config();
                } else {
                    spdlog::info("{} received: shutting down", strsignal(static_cast<int>(info.ssi_signo)));
                    exit_code_ = kExitOk;
                }
            }
        }
        if (fds[1].revents & POLLIN) {
            std::uint64_t expirations = 0;
            [[maybe_unused]] const auto n = read(timer_fd_, &expirations, sizeof expirations);
            tick(Clock::now());
        }
    }
    shutdown();
    return exit_code_;
}

void Daemon::try_first_connect(Clock::time_point now) {
    if (now < next_connect_try_) return;
    std::string error;
    if (!backend_.open_client(error)) {
        if (!said_waiting_) {
            spdlog::warn("{}; waiting for it (retrying with backoff up to {:.0f} s)", error,
                         kMaxConnectDelayS);
            said_waiting_ = true;
        }
        next_connect_try_ = now + seconds(connect_delay_s_);
        connect_delay_s_ = std::min(connect_delay_s_ * 2.0, kMaxConnectDelayS);
        return;
    }
    const backend::BackendFigures figures = backend_.figures();
    engine::EngineConfig engine_config;
    engine_config.sample_rate = figures.sample_rate;
    engine_config.max_block = config_.engine.max_block;
    engine_config.fade_ms = static_cast<float>(config_.engine.fade_ms);
    engine_ = std::make_unique<engine::Engine>(engine_config, registry_);
    if (!build_graph()) {
        exit_code_ = kExitConfig;
        return;
    }
    if (!backend_.start(*engine_, engine_->model(), error)) {
        spdlog::error("{}", error);
        engine_.reset();
        next_connect_try_ = now + seconds(connect_delay_s_);
        return;
    }
    if (config_.realtime.worker_threads > 0) {
        workers_ = std::make_unique<backend::WorkerPool>(backend::WorkerPoolConfig{
            config_.realtime.worker_threads, config_.realtime.priority,
            config_.realtime.cpu_affinity});
        for (const backend::WorkerReport& report : workers_->reports()) {
            if (report.realtime) {
                spdlog::info("worker thread: SCHED_FIFO priority {}", report.priority);
            } else {
                spdlog::warn("worker thread: {}", report.note);
            }
        }
    }
    last_progress_ = now;
    spdlog::info("rtgraphd ready: JACK client '{}' on server '{}', {:.0f} Hz, {} frames, "
                 "{} node(s), ports: {}",
                 figures.client_name,
                 config_.jack.server_name.empty() ? "default" : config_.jack.server_name,
                 figures.sample_rate, figures.period, engine_->model().nodes().size(),
                 engine_->model().graph_ports().size());
    notifier_.ready();
}

bool Daemon::build_graph() {
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

void Daemon::tick(Clock::time_point now) {
    if (!engine_) {
        try_first_connect(now);
        if (now >= next_watchdog_ && watchdog_interval_) {
            notifier_.watchdog_ping_if_progress(0, false);  // waiting for JACK is alive
            next_watchdog_ = now + *watchdog_interval_;
        }
        return;
    }
    for (const backend::BackendEvent& event : backend_.tick(now, engine_->model())) {
        using Kind = backend::BackendEvent::Kind;
        switch (event.kind) {
            case Kind::kLost:
                spdlog::error("{}", event.text);
                stalled_ = false;
                break;
            case Kind::kConnected:
                spdlog::info("{}", event.text);
                last_progress_ = now;
                realtime_warned_ = false;
                break;
            case Kind::kRetryFailed:
                spdlog::debug("reconnect failed: {}", event.text);
                break;
            case Kind::kSampleRateChanged:
                spdlog::critical("{}", event.text);
                exit_code_ = kExitTempFail;
                break;
            case Kind::kPeriodChanged:
            case Kind::kInfo:
                spdlog::info("{}", event.text);
                break;
        }
    }
    const backend::BackendFigures figures = backend_.figures();
    if (figures.process_thread && !realtime_warned_) {
        realtime_warned_ = true;
        if (!figures.process_thread->is_fifo()) {
            spdlog::error("the JACK process thread is NOT real-time ({}): audio will drop out "
                          "under load; run jackd with -R and give its user an rtprio limit",
                          figures.process_thread->describe());
        }
    }
    engine_->maintain();
    engine_->collect_garbage();
    rt::TelemetryRecord record;
    while (engine_->read_telemetry(record)) telemetry_.consume(record, engine_->model(), now);
    telemetry_.flush(now);
    check_progress(now);
    report_status(now);
}

void Daemon::check_progress(Clock::time_point now) {
    const std::uint64_t cycles = backend_.cycles();
    if (cycles != last_cycles_ || !backend_.connected()) {
        if (stalled_ && backend_.connected()) spdlog::info("audio thread running again");
        stalled_ = false;
        last_cycles_ = cycles;
        last_progress_ = now;
    } else if (!stalled_ && now - last_progress_ >= seconds(config_.jack.stall_timeout_s)) {
        stalled_ = true;
        spdlog::error("the audio thread has not run for {:.1f} s: jackd is stopped or hung; "
                      "watchdog pings stop until it runs again",
                      config_.jack.stall_timeout_s);
    }
    if (watchdog_interval_ && now >= next_watchdog_) {
        notifier_.watchdog_ping_if_progress(cycles, backend_.connected());
        next_watchdog_ = now + *watchdog_interval_;
    }
}

void Daemon::report_status(Clock::time_point now) {
    if (now < next_status_) return;
    next_status_ = now + std::chrono::seconds(1);
    const backend::BackendFigures figures = backend_.figures();
    service::StatusFigures status;
    status.sample_rate = figures.sample_rate;
    status.period = figures.period;
    status.dsp_load_percent = figures.jack_dsp_load;
    status.xruns = figures.xruns;
    status.realtime = figures.process_thread && figures.process_thread->is_fifo();
    status.jack_connected = figures.connected;
    std::string text = service::format_status(status);
    if (stalled_) text += ", AUDIO STALLED";
    notifier_.status(text);
    spdlog::debug("status: {}; engine load max {:.1f}% mean {:.1f}%", text,
                  100.0 * telemetry_.figures().max_load, 100.0 * telemetry_.figures().mean_load);
}

void Daemon::reload_config() {
    notifier_.reloading();
    config::LoadResult loaded = config::load_effective_config(command_line_);
    for (const config::ConfigMessage& warning : loaded.warnings) {
        spdlog::warn("{}", config::format_message(warning, loaded.source));
    }
    if (!loaded.ok()) {
        for (const config::ConfigMessage& error : loaded.errors) {
            spdlog::error("{}", config::format_message(error, loaded.source));
        }
        spdlog::error("configuration not reloaded; the running one stays");
        notifier_.ready();
        return;
    }
    const std::vector<std::string> needs_restart = config::restart_required(config_, loaded.config);
    if (loaded.config.log_level != config_.log_level) {
        spdlog::set_level(spdlog::level::from_str(loaded.config.log_level));
    }
    config_.log_level = loaded.config.log_level;
    config_.osc.meter_rate_hz = loaded.config.osc.meter_rate_hz;
    config_.jack.stall_timeout_s = loaded.config.jack.stall_timeout_s;
    std::string keys;
    for (const std::string& key : needs_restart) keys += (keys.empty() ? "" : ", ") + key;
    if (keys.empty()) {
        spdlog::info("configuration reloaded");
    } else {
        spdlog::warn("configuration reloaded; these changes take effect only after a restart: {}",
                     keys);
    }
    notifier_.ready();
}

void Daemon::shutdown() {
    notifier_.stopping();
    if (stalled_ && backend_.connected()) {
        spdlog::warn("JACK server is not responding: exiting without deregistering; it drops "
                     "this client when it runs again");
        backend_.abandon();
    } else {
        backend_.close();  // deactivates (no more process calls), unregisters ports
    }
    workers_.reset();
    if (engine_) engine_->collect_garbage();
    spdlog::info("rtgraphd stopped");
}

}  // namespace rtgraph::daemon
