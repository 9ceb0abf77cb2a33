// Daemon: the control loop of rtgraphd (control + housekeeping thread).
#include "daemon.hpp"

#include <poll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <spdlog/spdlog.h>

namespace rtgraph::daemon {

namespace {

// The control loop has no fixed tick. It sleeps in poll() until a socket, a
// signal, a finished state write or JACK (the backend's wake fd) needs it,
// or until the next look is due: every kBusyTick while something is in hand
// (replies, fades, unsaved changes, meters, a reconnect) and for kBusyHold
// after the last of it, every kIdleTick otherwise. The idle pace bounds how
// late an xrun notification, a stall or a systemd watchdog ping can be.
constexpr auto kBusyTick = std::chrono::milliseconds(10);
constexpr auto kIdleTick = std::chrono::milliseconds(250);
constexpr auto kBusyHold = std::chrono::seconds(1);
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
      session_(config_),
      backend_(backend_config(config_)),
      persistence_(config_.paths.state_dir),
      control_(persistence_),
      watchdog_(notifier_),
      status_({backend_, session_, persistence_, telemetry_, watchdog_, control_.transport()}, notifier_),
      host_(backend_, session_, persistence_, [this] { return status_.json_members(); }) {}

Daemon::~Daemon() {
    router_.reset();  // it holds the engine
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
    // steady_clock is CLOCK_MONOTONIC, so its time points arm the timer as they are.
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    return signal_fd_ >= 0 && timer_fd_ >= 0;
}

bool Daemon::busy() const {
    if (!session_.engine()) return false;  // the connect backoff sets the pace
    const engine::Engine& engine = *session_.engine();
    return !engine.settled() || backend_.busy() || persistence_.unsaved() ||
           (router_ && router_->pending_replies() > 0) || engine.midi_learn_armed();
}

void Daemon::schedule_tick(Clock::time_point now, bool ticked) {
    const std::uint64_t packets = control_.transport().stats().packets;
    const std::uint64_t prompt = telemetry_.prompt_records();
    if (busy() || packets != packets_seen_ || prompt != prompt_records_seen_) busy_until_ = now + kBusyHold;
    packets_seen_ = packets;
    prompt_records_seen_ = prompt;
    Clock::time_point next = now + (now < busy_until_ ? kBusyTick : kIdleTick);
    if (!session_.engine()) next = std::max(std::min(next, next_connect_try_), now + kBusyTick);
    // Between ticks a request may only bring the next one closer.
    if (!ticked && next >= next_tick_) return;
    next_tick_ = next;
    const auto due = std::chrono::duration_cast<std::chrono::nanoseconds>(next_tick_.time_since_epoch()).count();
    itimerspec spec{};
    spec.it_value.tv_sec = static_cast<time_t>(due / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(due % 1'000'000'000);
    timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void Daemon::read_signals() {
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
    persistence_.prepare();
    if (!control_.open(config_.osc)) return kExitFailure;

    std::vector<pollfd> fds;
    schedule_tick(Clock::now(), true);
    while (exit_code_ < 0) {
        fds.assign({{signal_fd_, POLLIN, 0},
                    {timer_fd_, POLLIN, 0},
                    {persistence_.wake_fd(), POLLIN, 0},
                    {backend_.wake_fd(), POLLIN, 0}});
        control_.append_poll_fds(fds);
        // While replies wait for the audio thread, look again every quarter
        // millisecond rather than at the next tick: a /done goes out within a
        // fraction of a period of the change going live.
        const timespec pending_wait{0, 250'000};
        const bool replies_pending = router_ && router_->pending_replies() > 0;
        if (ppoll(fds.data(), fds.size(), replies_pending ? &pending_wait : nullptr, nullptr) < 0 &&
            errno != EINTR) {
            spdlog::critical("poll failed: {}", std::strerror(errno));
            exit_code_ = kExitFailure;
            break;
        }
        if (fds[0].revents & POLLIN) read_signals();
        if (fds[2].revents & POLLIN) persistence_.collect();  // a state write finished
        control_.serve(router_.get());
        if (fds[1].revents & POLLIN) {
            std::uint64_t expirations = 0;
            [[maybe_unused]] const auto n = read(timer_fd_, &expirations, sizeof expirations);
        }
        const bool jack_news = (fds[3].revents & POLLIN) != 0;
        if (jack_news) backend_.clear_wake();
        const Clock::time_point now = Clock::now();
        if (now >= next_tick_ || jack_news) {
            tick(now);
            schedule_tick(Clock::now(), true);
        } else {
            if (router_) router_->poll(control_.outgoing());
            schedule_tick(now, false);
        }
        // A structural change goes to disk at once; the replies of the client
        // that made it wait for it in control_.
        save_state(Clock::now(), false);
        control_.send_all();
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
    session_.create(figures.sample_rate);
    if (!build_graph()) {
        exit_code_ = kExitConfig;
        return;
    }
    if (!backend_.start(*session_.engine(), session_.engine()->model(), error)) {
        spdlog::error("{}", error);
        session_.drop_engine();
        next_connect_try_ = now + seconds(connect_delay_s_);
        return;
    }
    session_.start_workers(backend_.process_thread_priority());
    watchdog_.server_reached(now);
    make_router();
    persistence_.mark_structural();  // the graph as started, external connections included
    spdlog::info("rtgraphd ready: JACK client '{}' on server '{}', {:.0f} Hz, {} frames, "
                 "{} node(s), ports: {}",
                 figures.client_name,
                 config_.jack.server_name.empty() ? "default" : config_.jack.server_name,
                 figures.sample_rate, figures.period, session_.engine()->model().nodes().size(),
                 session_.engine()->model().graph_ports().size());
    notifier_.ready();
}

bool Daemon::build_graph() {
    switch (persistence_.restore(*session_.engine(), backend_, config_.paths.patch)) {
        case Persistence::Restore::kRestored:
            return true;
        case Persistence::Restore::kNoStateFile:
            return session_.build_from_config();
        case Persistence::Restore::kRefused:
            return session_.add_configured_ports();
    }
    return false;
}

void Daemon::make_router() {
    router_ = std::make_unique<control::CommandRouter>(*session_.engine(), host_, subscriptions_,
                                                       RTGRAPH_VERSION, persistence_.snapshots());
}

void Daemon::tick(Clock::time_point now) {
    if (!session_.engine()) {
        try_first_connect(now);
        watchdog_.waiting_for_jack(now);
        return;
    }
    follow_backend(now);
    if (exit_code_ >= 0 || !session_.engine()) return;
    engine::Engine& engine = *session_.engine();
    if (backend_.connected()) persistence_.note_externals(host_.external_connections());
    engine.maintain();
    engine.collect_garbage();
    bool midi_moved_params = false;
    control_.queue_outside_request([&] {
        midi_moved_params = telemetry_.drain(engine, router_.get(), config_.osc.meter_rate_hz, control_.outgoing(), now);
    });
    if (midi_moved_params) host_.graph_changed(false);  // saved within the parameter bound, like /param/set
    if (router_) {
        router_->poll(control_.outgoing());
        notify_changes();
    }
    telemetry_.flush(now);
    watchdog_.check(now, backend_, config_.jack.stall_timeout_s);
    status_.report(now);
}

void Daemon::follow_backend(Clock::time_point now) {
    for (const backend::BackendEvent& event : backend_.tick(now, session_.engine()->model())) {
        using Kind = backend::BackendEvent::Kind;
        switch (event.kind) {
            case Kind::kLost:
                spdlog::error("{}", event.text);
                watchdog_.server_lost();
                break;
            case Kind::kConnected:
                spdlog::info("{}", event.text);
                watchdog_.server_reached(now);
                break;
            case Kind::kRetryFailed:
                spdlog::debug("reconnect failed: {}", event.text);
                break;
            case Kind::kSampleRateChanged:
                follow_sample_rate(event.text);
                break;
            case Kind::kPeriodChanged:
            case Kind::kInfo:
                spdlog::info("{}", event.text);
                break;
        }
    }
}

void Daemon::follow_sample_rate(const std::string& why) {
    // Node instances are prepared for one rate, so the engine is rebuilt: the
    // graph as the model holds it (the same document the state file has)
    // goes into a new engine at the server's rate in one transaction.
    std::string error;
    if (!backend_.open_client(error)) {
        spdlog::warn("{}; the server went away again, retrying", why);
        return;
    }
    const double rate = backend_.figures().sample_rate;
    spdlog::warn("{}; rebuilding the graph at {:.0f} Hz", why, rate);
    const persist::GraphState state = persist::capture(session_.engine()->model(), host_.external_connections(),
                                                       session_.plugin_state_source());
    std::unique_ptr<engine::Engine> engine = session_.make_rebuilt(rate, state, error);
    if (!engine) {
        spdlog::critical("the graph cannot be rebuilt at {:.0f} Hz ({}); exiting so that a restart "
                         "restores it from the state file",
                         rate, error);
        exit_code_ = kExitTempFail;
        return;
    }
    // The old engine has no audio thread any more (the backend dropped its
    // client when it saw the new rate), so it can go now.
    router_.reset();  // its pending replies belonged to the old engine
    session_.replace(std::move(engine));
    telemetry_.forget_meters();
    if (!backend_.start(*session_.engine(), session_.engine()->model(), error)) {
        spdlog::critical("cannot start at {:.0f} Hz: {}; exiting so that a restart restores the graph", rate,
                         error);
        exit_code_ = kExitTempFail;
        return;
    }
    session_.start_workers(backend_.process_thread_priority());
    make_router();
    persistence_.mark_structural();
    spdlog::info("running at {:.0f} Hz: {} node(s), {} connection(s) rebuilt", rate,
                 session_.engine()->model().nodes().size(), session_.engine()->model().edges().size());
}

void Daemon::notify_changes() {
    const backend::BackendFigures figures = backend_.figures();
    std::vector<control::Outgoing>& out = control_.outgoing();
    if (figures.xruns != notified_xruns_) {
        notified_xruns_ = figures.xruns;
        router_->notify("xrun", control::OscMessage{"/notify/xrun", {{'h', static_cast<std::int64_t>(figures.xruns)}}},
                        out);
    }
    if (persistence_.failing() != notified_state_failing_) {
        notified_state_failing_ = persistence_.failing();
        router_->notify("status",
                        control::OscMessage{"/notify/status",
                                            {{'s', std::string(notified_state_failing_ ? "state_write_failed"
                                                                                       : "state_write_ok")}}},
                        out);
    }
    if (figures.connected != notified_connected_) {
        notified_connected_ = figures.connected;
        router_->notify("status",
                        control::OscMessage{"/notify/status",
                                            {{'s', std::string(figures.connected ? "jack_connected" : "jack_lost")}}},
                        out);
    }
}

void Daemon::save_state(Clock::time_point now, bool force) {
    if (!session_.engine()) return;
    persistence_.save(now, force, *session_.engine(), host_.external_connections(), session_.plugin_state_source());
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
    if (loaded.config.osc.allow != config_.osc.allow) {
        std::string error;
        if (control_.set_allow(loaded.config.osc.allow, error)) {
            config_.osc.allow = loaded.config.osc.allow;
            spdlog::info("OSC allowlist reloaded");
        } else {
            spdlog::error("OSC allowlist not reloaded: {}", error);
        }
    }
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
    if (session_.engine()) {
        // The write in progress, then parameter changes still waiting for their flush.
        persistence_.finish(*session_.engine(), host_.external_connections(), session_.plugin_state_source());
        control_.send_all();
    }
    if (watchdog_.stalled() && backend_.connected()) {
        spdlog::warn("JACK server is not responding: exiting without deregistering; it drops "
                     "this client when it runs again");
        backend_.abandon();
    } else {
        backend_.close();  // deactivates (no more process calls), unregisters ports
    }
    session_.stop_workers();
    if (session_.engine()) session_.engine()->collect_garbage();
    spdlog::info("rtgraphd stopped");
}

}  // namespace rtgraph::daemon
