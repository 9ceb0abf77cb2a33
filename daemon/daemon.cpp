// Daemon: the control loop of rtgraphd (control + housekeeping thread).
#include "daemon.hpp"

#include "rtgraph/plugins/ladspa_host.hpp"

#include <poll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "rtgraph/control/osc_packet.hpp"
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

// A stream packet's replies can be queued all at once (a transaction's /done
// replies go out together once it is live), so a client's reply queue has
// room for this many bytes per byte of the largest packet: one reply per
// command, a few times the smallest command (a refused transaction tells each
// of its commands why).
constexpr std::size_t kReplyBytesPerRequestByte = 4;

// An /error about a whole packet: no request id or address could be read.
control::OscMessage packet_error(const std::string& code, const std::string& text) {
    return control::OscMessage{"/error", {{'i', 0}, {'s', std::string()}, {'s', code}, {'s', text}}};
}

std::chrono::steady_clock::duration seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(s));
}

}  // namespace

Daemon::Daemon(config::DaemonConfig config, config::CommandLine command_line)
    : config_(std::move(config)),
      command_line_(std::move(command_line)),
      backend_(backend_config(config_)),
      saver_(config_.paths.state_dir),
      snapshots_(config_.paths.state_dir) {
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
    {
        std::string error;
        persistence_ok_ = saver_.prepare(error);
        if (!persistence_ok_) {
            // Running without saving beats not running: the audio keeps going,
            // and /status says why nothing is kept.
            state_problem_ = "state directory unusable, nothing is saved: " + error;
            spdlog::error("{}", state_problem_);
        }
    }
    if (!open_control_port()) return kExitFailure;

    std::vector<pollfd> fds;
    while (exit_code_ < 0) {
        fds.assign({{signal_fd_, POLLIN, 0}, {timer_fd_, POLLIN, 0}});
        transport_.append_poll_fds(fds);
        // While replies wait for the audio thread, look again every quarter
        // millisecond rather than at the next 10 ms tick: a /done goes out
        // within a fraction of a period of the change going live.
        const timespec pending_wait{0, 250'000};
        const bool replies_pending = router_ && router_->pending_replies() > 0;
        if (ppoll(fds.data(), fds.size(), replies_pending ? &pending_wait : nullptr, nullptr) < 0 &&
            errno != EINTR) {
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
        serve_requests();
        if (fds[1].revents & POLLIN) {
            std::uint64_t expirations = 0;
            [[maybe_unused]] const auto n = read(timer_fd_, &expirations, sizeof expirations);
            tick(Clock::now());
        } else if (router_) {
            router_->poll(outgoing_);
        }
        // Before any reply leaves: an acknowledged structural change is on disk.
        save_state(Clock::now(), false);
        send_all();
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
    engine_config.worker_threads = config_.realtime.worker_threads;
    if (!lv2_host_) {
        // Plugin types are made for this sample rate; a server that comes back
        // at another rate ends the process (exit 75) and systemd restarts it.
        lv2_host_ = std::make_unique<plugins::Lv2Host>(figures.sample_rate, engine_config.max_block);
        rescan_plugins();
    }
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
    start_workers();
    last_progress_ = now;
    router_ = std::make_unique<control::CommandRouter>(*engine_, *this, RTGRAPH_VERSION,
                                                       persistence_ok_ ? &snapshots_ : nullptr);
    saver_.mark_structural();  // the graph as started, external connections included
    spdlog::info("rtgraphd ready: JACK client '{}' on server '{}', {:.0f} Hz, {} frames, "
                 "{} node(s), ports: {}",
                 figures.client_name,
                 config_.jack.server_name.empty() ? "default" : config_.jack.server_name,
                 figures.sample_rate, figures.period, engine_->model().nodes().size(),
                 engine_->model().graph_ports().size());
    notifier_.ready();
}

bool Daemon::build_graph() {
    if (!persistence_ok_) return build_from_config();
    persist::StartupState startup = saver_.load_at_start();
    if (startup.status == persist::StartupState::Status::kMissing) {
        spdlog::info("no state file at {}: starting from the configuration", saver_.file().string());
        return build_from_config();
    }
    if (startup.status == persist::StartupState::Status::kLoaded) {
        const std::vector<engine::Edit> edits = persist::restore_edits(startup.graph, engine_->model());
        const engine::ApplyResult result = engine_->apply(edits);
        if (result.ok()) {
            for (const persist::ExternalConnection& e : startup.graph.externals) {
                backend_.remember_external(e.port, e.peer, true);
            }
            spdlog::info("state restored from {}: {} node(s), {} connection(s), {} port(s), {} external "
                         "connection(s)",
                         saver_.file().string(), engine_->model().nodes().size(),
                         engine_->model().edges().size(), engine_->model().graph_ports().size(),
                         startup.graph.externals.size());
            if (!config_.paths.patch.empty()) {
                spdlog::warn("patch {} not loaded: the state file holds the graph (the patch makes "
                             "the first graph only; /graph/clear or another state directory starts "
                             "afresh)",
                             config_.paths.patch);
            }
            return true;
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
    state_problem_ = startup.error +
                     (startup.kept_aside.empty() ? std::string()
                                                 : "; the file was kept as " + startup.kept_aside.string()) +
                     "; started with an empty graph";
    spdlog::error("{}", state_problem_);
    if (!add_configured_ports()) return false;
    return true;
}

bool Daemon::add_configured_ports() {
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

bool Daemon::build_from_config() {
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
                follow_sample_rate(event.text);
                break;
            case Kind::kPeriodChanged:
            case Kind::kInfo:
                spdlog::info("{}", event.text);
                break;
        }
    }
    // Connections made or broken by other JACK clients (a patchbay, a peer
    // that quit and came back) change what we re-make: save them too.
    if (persistence_ok_ && backend_.connected() && external_connections() != saved_externals_) {
        saver_.mark_structural();
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
    const auto meter_interval = config_.osc.meter_rate_hz > 0
                                    ? seconds(1.0 / config_.osc.meter_rate_hz)
                                    : Clock::duration::max();
    while (engine_->read_telemetry(record)) {
        telemetry_.consume(record, engine_->model(), now);
        if (record.kind == rt::TelemetryKind::kParamFromMidi) {
            engine_->note_param_from_midi(record.source, static_cast<std::uint32_t>(record.values[0]),
                                          record.values[1]);
            graph_changed(false);  // saved within the parameter bound, like /param/set
        } else if (record.kind == rt::TelemetryKind::kMidiLearn && router_) {
            router_->midi_learned(static_cast<int>(record.values[0]), static_cast<int>(record.values[1]),
                                  outgoing_);
        }
        if (record.kind != rt::TelemetryKind::kMeter || !router_ || config_.osc.meter_rate_hz <= 0) continue;
        auto& last = last_meter_[record.source];
        const engine::ModelNode* node = engine_->model().node(record.source);
        if (node == nullptr || now - last < meter_interval) continue;
        last = now;
        router_->notify("meter", control::OscMessage{"/notify/meter",
                                                     {{'s', node->name}, {'f', record.values[0]},
                                                      {'f', record.values[1]}}},
                        outgoing_);
    }
    if (router_) {
        router_->poll(outgoing_);
        notify_changes(now);
    }
    telemetry_.flush(now);
    check_progress(now);
    report_status(now);
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
    const persist::GraphState state =
        persist::capture(engine_->model(), external_connections(), plugin_state_source());
    engine::EngineConfig engine_config = engine_->config();
    engine_config.sample_rate = rate;
    auto engine = std::make_unique<engine::Engine>(engine_config, registry_);
    const engine::ApplyResult result = engine->apply(persist::restore_edits(state, engine->model()));
    if (!result.ok()) {
        spdlog::critical("the graph cannot be rebuilt at {:.0f} Hz ({}); exiting so that a restart "
                         "restores it from the state file",
                         rate, result.error.message);
        exit_code_ = kExitTempFail;
        return;
    }
    // The old engine has no audio thread any more (the backend dropped its
    // client when it saw the new rate), so it can go now.
    router_.reset();  // its pending replies belonged to the old engine
    workers_.reset();  // they ran on the old engine's team
    engine_ = std::move(engine);
    last_meter_.clear();
    if (!backend_.start(*engine_, engine_->model(), error)) {
        spdlog::critical("cannot start at {:.0f} Hz: {}; exiting so that a restart restores the graph", rate,
                         error);
        exit_code_ = kExitTempFail;
        return;
    }
    start_workers();
    router_ = std::make_unique<control::CommandRouter>(*engine_, *this, RTGRAPH_VERSION,
                                                       persistence_ok_ ? &snapshots_ : nullptr);
    saver_.mark_structural();
    spdlog::info("running at {:.0f} Hz: {} node(s), {} connection(s) rebuilt", rate,
                 engine_->model().nodes().size(), engine_->model().edges().size());
}

bool Daemon::open_control_port() {
    control::OscTransportConfig osc;
    osc.bind_address = config_.osc.bind_address;
    osc.udp_port = config_.osc.udp_port;
    osc.tcp_port = config_.osc.tcp_port;
    osc.unix_socket = config_.osc.unix_socket;
    osc.allow = config_.osc.allow;
    // Streams carry packets up to osc.max_packet_bytes; UDP stays at one
    // datagram (the transport caps it at 64 KiB whatever max_packet says).
    osc.max_packet = config_.osc.max_packet_bytes;
    osc.max_stream_buffer =
        std::max(osc.max_stream_buffer, kReplyBytesPerRequestByte * config_.osc.max_packet_bytes);
    std::string error;
    if (!transport_.open(osc, error)) {
        spdlog::critical("cannot open the OSC control port: {}", error);
        return false;
    }
    spdlog::info("OSC control on {} (udp {}, tcp {}){}", config_.osc.bind_address,
                 transport_.udp_port(), transport_.tcp_port(),
                 config_.osc.unix_socket.empty() ? "" : ", unix " + config_.osc.unix_socket);
    return true;
}

void Daemon::serve_requests() {
    // UDP: one datagram, at most 1024 messages. Streams: up to
    // osc.max_packet_bytes, and that byte count is the only bound (any number
    // of messages it can hold). Blobs as large as a packet may be:
    // /graph/import sends its document as one.
    control::OscParseLimits datagram_limits;
    datagram_limits.max_blob = datagram_limits.max_packet;
    const control::OscParseLimits stream_limits =
        control::stream_parse_limits(config_.osc.max_packet_bytes);
    const auto on_packet = [&](std::span<const std::uint8_t> bytes, const control::OscPeer& peer) {
        control::OscPacket packet;
        std::string error;
        const control::OscParseLimits& limits =
            peer.kind == control::OscPeer::Kind::kUdp ? datagram_limits : stream_limits;
        if (!control::parse_osc_packet(bytes, packet, error, limits)) {
            if (router_) {
                router_->reject_malformed(error, peer, outgoing_);
            } else {
                outgoing_.push_back({peer, packet_error("malformed_packet", error)});
            }
            return;
        }
        if (router_) {
            router_->handle(packet, peer, outgoing_);
            return;
        }
        for (const control::OscMessage& message : packet.messages) {
            const std::int32_t id = !message.args.empty() && message.args[0].tag == 'i'
                                        ? std::get<std::int32_t>(message.args[0].value)
                                        : 0;
            outgoing_.push_back({peer, control::OscMessage{"/error", {{'i', id}, {'s', message.address},
                                                                      {'s', std::string("not_ready")},
                                                                      {'s', std::string("rtgraphd is waiting for the JACK server")}}}});
        }
    };
    // A stream frame over the limit: the transport skips its bytes and keeps
    // the connection; the sender learns why instead of being cut off.
    const auto on_oversize = [&](std::size_t size, const control::OscPeer& peer) {
        const std::string text = "a packet of " + std::to_string(size) +
                                 " bytes is larger than osc.max_packet_bytes (" +
                                 std::to_string(config_.osc.max_packet_bytes) +
                                 "); it was discarded unread, nothing was applied";
        spdlog::warn("{}: {}", peer.describe(), text);
        outgoing_.push_back({peer, packet_error("too_large", text)});
    };
    transport_.service(on_packet, on_oversize);
}

void Daemon::send_all() {
    for (const control::Outgoing& item : outgoing_) {
        transport_.send(item.peer, control::encode_osc_message(item.message));
    }
    outgoing_.clear();
}

void Daemon::notify_changes(Clock::time_point) {
    const backend::BackendFigures figures = backend_.figures();
    if (figures.xruns != notified_xruns_) {
        notified_xruns_ = figures.xruns;
        router_->notify("xrun", control::OscMessage{"/notify/xrun",
                                                    {{'h', static_cast<std::int64_t>(figures.xruns)}}},
                        outgoing_);
    }
    if (figures.connected != notified_connected_) {
        notified_connected_ = figures.connected;
        router_->notify("status", control::OscMessage{"/notify/status",
                                                      {{'s', std::string(figures.connected ? "jack_connected"
                                                                                           : "jack_lost")}}},
                        outgoing_);
    }
}

bool Daemon::connect_external(const std::string& graph_port, const std::string& external,
                              std::string& error) {
    return backend_.connect_external(graph_port, external, error);
}

bool Daemon::disconnect_external(const std::string& graph_port, const std::string& external,
                                 std::string& error) {
    return backend_.disconnect_external(graph_port, external, error);
}

bool Daemon::can_connect_external(const std::string& graph_port, const std::string& external,
                                  bool disconnect, std::string& error) {
    return backend_.can_connect_external(graph_port, external, disconnect, error);
}

void Daemon::graph_ports_changed() { backend_.sync_ports(engine_->model()); }

std::vector<persist::ExternalConnection> Daemon::external_connections() {
    std::vector<persist::ExternalConnection> out;
    for (const auto& [port, peers] : backend_.remembered_connections()) {
        for (const std::string& peer : peers) out.push_back({port, peer});
    }
    return out;  // sorted: a map of sets
}

void Daemon::replace_external_connections(const std::vector<persist::ExternalConnection>& wanted) {
    const std::vector<persist::ExternalConnection> now = external_connections();
    const auto has = [](const std::vector<persist::ExternalConnection>& list, const persist::ExternalConnection& c) {
        return std::find(list.begin(), list.end(), c) != list.end();
    };
    std::string ignored;  // a peer already gone is not an error here
    for (const persist::ExternalConnection& c : now) {
        if (has(wanted, c)) continue;
        backend_.disconnect_external(c.port, c.peer, ignored);
        backend_.remember_external(c.port, c.peer, false);
    }
    for (const persist::ExternalConnection& c : wanted) {
        if (has(now, c)) continue;
        // Made now when the peer exists; remembered either way, and made when
        // its port appears.
        if (!backend_.connect_external(c.port, c.peer, ignored)) backend_.remember_external(c.port, c.peer, true);
    }
}

void Daemon::graph_changed(bool structural) {
    if (structural) {
        saver_.mark_structural();
    } else {
        saver_.mark_params(Clock::now());
    }
}

persist::PluginStateSource Daemon::plugin_state_source() const {
    return [this](engine::NodeId id) -> std::optional<std::string> {
        const std::shared_ptr<engine::Node> node = engine_->instance(id);
        return node ? node->save_state() : std::nullopt;
    };
}

void Daemon::save_state(Clock::time_point now, bool force) {
    if (!persistence_ok_ || !engine_) return;
    if (!saver_.due(now) && !(force && saver_.dirty())) return;
    std::vector<persist::ExternalConnection> externals = external_connections();
    const std::string document =
        persist::to_document(persist::capture(engine_->model(), externals, plugin_state_source()));
    std::string error;
    if (saver_.save(document, error)) {
        saved_externals_ = std::move(externals);
        if (save_failing_) spdlog::info("state file {} written again", saver_.file().string());
        save_failing_ = false;
        return;
    }
    // Retried at the next turn of the loop; said once, not every time.
    if (!save_failing_) spdlog::error("cannot save the state: {} (retrying)", error);
    save_failing_ = true;
}

control::ScheduledTime Daemon::schedule_for_time(control::OscTimetag time) {
    // NTP time (seconds since 1900, 32.32 fixed point) against the wall clock.
    constexpr double kNtpToUnix = 2208988800.0;
    const double target = static_cast<double>(time.ntp >> 32) - kNtpToUnix +
                          static_cast<double>(time.ntp & 0xffffffffu) / 4294967296.0;
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    const double seconds_ahead = target - (static_cast<double>(now.tv_sec) + now.tv_nsec * 1e-9);
    control::ScheduledTime when;
    const std::int64_t frame = backend_.engine_frame_in(seconds_ahead);
    const auto rendered = static_cast<std::int64_t>(engine_->counters().frame.load());
    if (frame < rendered) {
        when.late_frames = rendered - frame;
        return when;  // already past: at once
    }
    when.frame = static_cast<std::uint64_t>(frame);
    // The audio thread maps this time onto a frame by the clock of the cycle
    // it falls in (JACK's, DLL-filtered); the frame above is only an estimate.
    when.clock_us = backend_.clock_us_at(target);
    return when;
}

std::vector<std::string> Daemon::rescan_plugins() {
    std::vector<std::string> problems;
    const auto started = Clock::now();
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
                 std::chrono::duration<double, std::milli>(Clock::now() - started).count(),
                 problems.size(), problems.empty() ? "" : " (see debug log)");
    for (const std::string& problem : problems) spdlog::debug("plugin: {}", problem);
    return problems;
}

std::string Daemon::status_json_members() {
    const backend::BackendFigures f = backend_.figures();
    const control::OscTransportStats& osc = transport_.stats();
    nlohmann::json j = {
        {"sample_rate", f.sample_rate},
        {"period", f.period},
        {"jack_connected", f.connected},
        {"dsp_load_percent", f.jack_dsp_load},
        {"engine_load_max", telemetry_.figures().max_load},
        {"engine_load_mean", telemetry_.figures().mean_load},
        {"xruns", f.xruns},
        {"deadline_misses", f.deadline_misses},
        {"midi_refused", backend_.midi_refused()},
        {"lv2_worker_jobs", lv2_host_ ? lv2_host_->worker_jobs() : 0},
        {"realtime", f.process_thread && f.process_thread->is_fifo()},
        {"process_thread", f.process_thread ? f.process_thread->describe() : "unknown"},
        {"audio_stalled", stalled_},
        {"osc_packets", osc.packets},
        {"osc_dropped_not_allowed", osc.dropped_not_allowed},
        {"osc_dropped_oversize", osc.dropped_oversize},
        {"osc_dropped_bad_frame", osc.dropped_bad_frame},
        {"state_file", persistence_ok_ ? saver_.file().string() : std::string()},
        {"state_writes", saver_.stats().writes},
        {"state_write_failures", saver_.stats().failures},
        {"state_last_write_ms", saver_.stats().last_write_ms},
        {"state_max_write_ms", saver_.stats().max_write_ms},
        {"state_problem", state_problem_},
    };
    j["workers"] = workers_status();
    const std::string text = j.dump();
    return text.substr(1, text.size() - 2);  // members only
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
    if (loaded.config.osc.allow != config_.osc.allow) {
        std::string error;
        if (transport_.set_allow(loaded.config.osc.allow, error)) {
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

nlohmann::json Daemon::workers_status() const {
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

void Daemon::start_workers() {
    engine::WorkerTeam* team = engine_->worker_team();
    if (team == nullptr) return;
    // At the JACK process thread's own priority, so neither preempts the
    // other while they share a span; a configured priority overrides.
    const int priority =
        config_.realtime.priority != 0 ? config_.realtime.priority : backend_.process_thread_priority();
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

void Daemon::shutdown() {
    notifier_.stopping();
    save_state(Clock::now(), true);  // parameter changes still waiting for their flush
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
