// Harness for the rtgraphd-against-jackd integration tests: process control by
// PID, a private dummy jackd, the daemon with a temporary config and captured
// log, a recording JACK client and a fake systemd notify socket.
#include "jack_harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>

extern char** environ;

namespace rtgraph::integration {

namespace fs = std::filesystem;

bool wait_until(const std::function<bool()>& condition, Clock::duration timeout,
                Clock::duration step) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
        if (condition()) return true;
        if (Clock::now() >= deadline) return condition();
        std::this_thread::sleep_for(step);
    }
}

std::string unique_name(const std::string& prefix) {
    static std::atomic<unsigned> counter{0};
    return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// ---------------------------------------------------------------------------
// Files

TempDir::TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/rtgtest-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        std::perror("mkdtemp");
        std::abort();
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

fs::path TempDir::write(const std::string& name, const std::string& text) const {
    const fs::path file = path_ / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    return file;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// ---------------------------------------------------------------------------
// Child processes

namespace {

std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return name;
}

}  // namespace

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::start(const Options& options, std::string& error) {
    if (pid_ > 0 && !status_) {
        error = "already running";
        return false;
    }
    if (options.argv.empty()) {
        error = "no program";
        return false;
    }
    // Everything the child needs is built before fork: between fork and exec
    // a child of a multi-threaded process may only make async-signal-safe calls.
    const std::string program = find_program(options.argv[0]);
    std::vector<std::string> args = options.argv;
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    std::vector<std::string> env;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string item(*entry);
        const std::string name = item.substr(0, item.find('='));
        const bool dropped =
            options.set_env.count(name) != 0 ||
            std::find(options.unset_env.begin(), options.unset_env.end(), name) != options.unset_env.end();
        if (!dropped) env.push_back(item);
    }
    for (const auto& [name, value] : options.set_env) env.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (std::string& item : env) envp.push_back(item.data());
    envp.push_back(nullptr);

    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int out_fd = options.output.empty()
                           ? ::open("/dev/null", O_WRONLY | O_CLOEXEC)
                           : ::open(options.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (null_fd < 0 || out_fd < 0) {
        error = "cannot open the output file " + options.output.string() + ": " + std::strerror(errno);
        if (null_fd >= 0) ::close(null_fd);
        if (out_fd >= 0) ::close(out_fd);
        return false;
    }
    const pid_t parent = ::getpid();
    const pid_t child = ::fork();
    if (child < 0) {
        error = std::string("fork: ") + std::strerror(errno);
        ::close(null_fd);
        ::close(out_fd);
        return false;
    }
    if (child == 0) {
        // Die with the thread that started us (the test), even on SIGKILL.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        for (const int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) ::signal(sig, SIG_DFL);
        ::dup2(null_fd, STDIN_FILENO);
        ::dup2(out_fd, STDOUT_FILENO);
        ::dup2(out_fd, STDERR_FILENO);
        ::close_range(3, ~0U, 0);  // JACK's sockets of the test process stay out of the child
        ::execve(program.c_str(), argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(null_fd);
    ::close(out_fd);
    pid_ = child;
    status_.reset();
    return true;
}

bool ChildProcess::running() {
    if (pid_ <= 0 || status_) return false;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        status_ = status;
        return false;
    }
    return true;
}

std::optional<int> ChildProcess::wait_exit(Clock::duration timeout) {
    if (pid_ <= 0) return std::nullopt;
    wait_until([&] { return !running(); }, timeout, 5ms);
    return status_;
}

bool ChildProcess::signal(int sig) {
    if (!running()) return false;
    return ::kill(pid_, sig) == 0;
}

std::optional<int> ChildProcess::stop(Clock::duration grace) {
    if (pid_ <= 0) return std::nullopt;
    if (running()) {
        ::kill(pid_, SIGTERM);
        ::kill(pid_, SIGCONT);  // a stopped child would not see SIGTERM
        if (!wait_exit(grace)) {
            ::kill(pid_, SIGKILL);
            wait_exit(5s);
        }
    }
    return status_;
}

std::string describe_wait_status(const std::optional<int>& status) {
    if (!status) return "still running";
    if (WIFEXITED(*status)) return "exited with " + std::to_string(WEXITSTATUS(*status));
    if (WIFSIGNALED(*status)) return "killed by signal " + std::to_string(WTERMSIG(*status));
    return "wait status " + std::to_string(*status);
}

// ---------------------------------------------------------------------------
// JACK

namespace {

void quiet(const char*) {}

void silence_libjack() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Retried opens against a server that is not up yet would print a
        // screenful each; the tests report what matters themselves.
        jack_set_error_function(&quiet);
        jack_set_info_function(&quiet);
    });
}

}  // namespace

jack_client_t* open_jack_client(const std::string& server, const std::string& client_name,
                                jack_status_t* status) {
    silence_libjack();
    jack_status_t ignored{};
    const auto options = static_cast<jack_options_t>(JackNoStartServer | JackServerName | JackUseExactName);
    return jack_client_open(client_name.c_str(), options, status != nullptr ? status : &ignored,
                            server.c_str());
}

JackServer::JackServer(std::string name, fs::path log_path, unsigned period)
    : name_(std::move(name)), log_path_(std::move(log_path)), period_(period) {}

JackServer::~JackServer() { stop(); }

bool JackServer::start(std::string& error, Clock::duration timeout) {
    ChildProcess::Options options;
    options.argv = {"jackd", "-n", name_, "-d", "dummy", "-r", "48000", "-p", std::to_string(period_)};
    options.set_env = {{"JACK_NO_AUDIO_RESERVATION", "1"}};
    options.unset_env = {"JACK_DEFAULT_SERVER"};
    options.output = log_path_;
    if (!process_.start(options, error)) return false;
    const bool up = wait_until(
        [&] {
            if (!process_.running()) return true;
            jack_client_t* probe = open_jack_client(name_, "rtgtest-probe");
            if (probe == nullptr) return false;
            jack_client_close(probe);
            return true;
        },
        timeout, 25ms);
    if (!process_.running()) {
        error = "jackd " + describe_wait_status(process_.exit_status()) + ":\n" + log();
        return false;
    }
    if (!up) {
        error = "jackd '" + name_ + "' accepted no client within the timeout:\n" + log();
        return false;
    }
    return true;
}

void JackServer::stop() { process_.stop(3s); }

void JackServer::kill_hard() {
    process_.signal(SIGKILL);
    process_.wait_exit(5s);
}

JackObserver::JackObserver(const std::string& server)
    : client_(open_jack_client(server, unique_name("observer"))) {}

JackObserver::~JackObserver() { close(); }

void JackObserver::close() {
    if (client_ != nullptr) jack_client_close(client_);
    client_ = nullptr;
}

namespace {

std::vector<std::string> take_names(const char** names) {
    std::vector<std::string> out;
    if (names == nullptr) return out;
    for (const char** name = names; *name != nullptr; ++name) out.emplace_back(*name);
    jack_free(names);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

std::vector<std::string> JackObserver::ports(const std::string& pattern, unsigned long flags) const {
    if (client_ == nullptr) return {};
    return take_names(jack_get_ports(client_, pattern.c_str(), nullptr, flags));
}

std::vector<std::string> JackObserver::connections(const std::string& port) const {
    if (client_ == nullptr) return {};
    jack_port_t* p = jack_port_by_name(client_, port.c_str());
    if (p == nullptr) return {};
    return take_names(jack_port_get_all_connections(client_, p));
}

std::string JackObserver::type_of(const std::string& port) const {
    if (client_ == nullptr) return {};
    jack_port_t* p = jack_port_by_name(client_, port.c_str());
    if (p == nullptr) return {};
    const char* type = jack_port_type(p);
    return type != nullptr ? type : "";
}

int JackObserver::flags_of(const std::string& port) const {
    if (client_ == nullptr) return 0;
    jack_port_t* p = jack_port_by_name(client_, port.c_str());
    return p != nullptr ? jack_port_flags(p) : 0;
}

// ---------------------------------------------------------------------------
// The daemon

std::string rtgraphd_path() { return RTGRAPH_DAEMON_PATH; }

namespace {

std::string toml_string(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string toml_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + toml_string(items[i]);
    return out + "]";
}

std::string toml_double(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", value);
    return text;
}

}  // namespace

std::string DaemonSettings::to_toml(const fs::path& state_dir, const fs::path& patch_path) const {
    std::string out;
    out += "# rtgraphd config written by the integration tests\n";
    out += "log_level = " + toml_string(log_level) + "\n";
    out += "\n[jack]\n";
    out += "server_name = " + toml_string(server_name) + "\n";
    out += "client_name = " + toml_string(client_name) + "\n";
    out += "audio_inputs = " + toml_list(audio_inputs) + "\n";
    out += "audio_outputs = " + toml_list(audio_outputs) + "\n";
    out += "midi_inputs = " + toml_list(midi_inputs) + "\n";
    out += "reconnect_max_backoff_s = " + toml_double(reconnect_max_backoff_s) + "\n";
    out += "stall_timeout_s = " + toml_double(stall_timeout_s) + "\n";
    out += "\n[osc]\n";
    if (osc_udp_port != 0 || osc_tcp_port != 0) out += "bind_address = " + toml_string(osc_bind_address) + "\n";
    out += "udp_port = " + std::to_string(osc_udp_port) + "\ntcp_port = " + std::to_string(osc_tcp_port) + "\n";
    if (!osc_allow.empty()) out += "allow = " + toml_list(osc_allow) + "\n";
    if (osc_meter_rate_hz >= 0.0) out += "meter_rate_hz = " + toml_double(osc_meter_rate_hz) + "\n";
    if (osc_frame_timeout_s >= 0.0) out += "frame_timeout_s = " + toml_double(osc_frame_timeout_s) + "\n";
    out += "\n[realtime]\nlock_memory = false\nworker_threads = " + std::to_string(worker_threads) + "\n";
    out += "\n[paths]\n";
    out += "state_dir = " + toml_string(state_dir.string()) + "\n";
    if (!patch_path.empty()) out += "patch = " + toml_string(patch_path.string()) + "\n";
    if (!ladspa_path.empty()) out += "ladspa_path = " + toml_list(ladspa_path) + "\n";
    if (!media_dirs.empty()) out += "media_dirs = " + toml_list(media_dirs) + "\n";
    return out;
}

DaemonProcess::DaemonProcess(fs::path dir)
    : dir_(std::move(dir)),
      config_path_(dir_ / "rtgraph.toml"),
      patch_path_(dir_ / "test.patch"),
      log_path_(dir_ / "rtgraphd.log") {}

DaemonProcess::~DaemonProcess() { stop(); }

bool DaemonProcess::start(const DaemonSettings& settings, std::string& error,
                          const std::map<std::string, std::string>& set_env,
                          const std::vector<std::string>& extra_args) {
    const fs::path state_dir = dir_ / "state";
    std::error_code ec;
    fs::create_directories(state_dir, ec);
    fs::path patch;
    if (!settings.patch_text.empty()) {
        std::ofstream(patch_path_, std::ios::trunc) << settings.patch_text;
        patch = patch_path_;
    }
    std::ofstream(config_path_, std::ios::trunc) << settings.to_toml(state_dir, patch);
    std::vector<std::string> args = {"--config", config_path_.string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    return start_raw(args, error, set_env);
}

bool DaemonProcess::start_raw(const std::vector<std::string>& args, std::string& error,
                              const std::map<std::string, std::string>& set_env) {
    ChildProcess::Options options;
    options.argv = {rtgraphd_path()};
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    // Nothing from the test's own environment may steer the daemon.
    options.unset_env = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM",
                         "JACK_DEFAULT_SERVER", "RTGRAPH_CONFIG", "LISTEN_FDS", "LISTEN_PID"};
    options.set_env = set_env;
    options.output = log_path_;
    return process_.start(options, error);
}

std::optional<std::string> DaemonProcess::wait_for_log(const std::string& pattern,
                                                       Clock::duration timeout) {
    const std::regex re(pattern);
    std::optional<std::string> found;
    wait_until(
        [&] {
            const std::string text = log();
            std::smatch match;
            if (std::regex_search(text, match, re)) found = match.str();
            return found.has_value();
        },
        timeout, 20ms);
    return found;
}

bool DaemonProcess::log_contains(const std::string& pattern) const {
    return std::regex_search(log(), std::regex(pattern));
}

std::size_t DaemonProcess::log_count(const std::string& pattern) const {
    const std::string text = log();
    const std::regex re(pattern);
    return static_cast<std::size_t>(
        std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

// ---------------------------------------------------------------------------
// Capture client

CaptureClient::CaptureClient(const std::string& server, const std::string& client_name,
                             unsigned ports, std::size_t capacity_frames)
    : name_(client_name), capacity_(capacity_frames) {
    client_ = open_jack_client(server, client_name);
    if (client_ == nullptr) return;
    name_ = jack_get_client_name(client_);
    sample_rate_ = jack_get_sample_rate(client_);
    // Touch every page now, not on the audio thread.
    buffers_.assign(ports, std::vector<float>(capacity_frames, 0.0f));
    // One stamp per block; blocks are at least 16 frames (JACK's smallest period).
    stamps_.assign(capacity_frames / 16 + 2, BlockStamp{});
    for (unsigned i = 0; i < ports; ++i) {
        const std::string port = "in_" + std::to_string(i + 1);
        jack_port_t* p = jack_port_register(client_, port.c_str(), JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
        if (p == nullptr) {
            close();
            return;
        }
        ports_.push_back(p);
    }
    jack_set_process_callback(client_, &CaptureClient::process, this);
    jack_on_shutdown(client_, &CaptureClient::on_shutdown, this);
    if (jack_activate(client_) != 0) close();
}

CaptureClient::~CaptureClient() { close(); }

void CaptureClient::close() {
    if (client_ == nullptr) return;
    if (!server_lost()) jack_deactivate(client_);
    jack_client_close(client_);
    client_ = nullptr;
}

int CaptureClient::process(jack_nframes_t nframes, void* self) noexcept {
    auto* me = static_cast<CaptureClient*>(self);
    const std::size_t at = me->frames_.load(std::memory_order_relaxed);
    const std::size_t n = std::min<std::size_t>(nframes, me->capacity_ - at);
    if (n == 0) return 0;
    for (std::size_t p = 0; p < me->ports_.size(); ++p) {
        const auto* in = static_cast<const float*>(jack_port_get_buffer(me->ports_[p], nframes));
        std::memcpy(me->buffers_[p].data() + at, in, n * sizeof(float));
    }
    const std::size_t stamp = me->stamp_count_.load(std::memory_order_relaxed);
    if (stamp < me->stamps_.size()) {
        BlockStamp& block = me->stamps_[stamp];
        block = BlockStamp{at, jack_last_frame_time(me->client_), nframes, 0, 0};
        jack_nframes_t cycle_frame = 0;
        float period_usecs = 0.0f;
        if (jack_get_cycle_times(me->client_, &cycle_frame, &block.cycle_usecs, &block.next_usecs,
                                 &period_usecs) == 0) {
            block.jack_frame = cycle_frame;
        }
        me->stamp_count_.store(stamp + 1, std::memory_order_release);
    }
    me->frames_.store(at + n, std::memory_order_release);
    return 0;
}

void CaptureClient::on_shutdown(void* self) noexcept {
    static_cast<CaptureClient*>(self)->shutdown_.store(true, std::memory_order_release);
}

std::string CaptureClient::port_name(unsigned port) const {
    return name_ + ":in_" + std::to_string(port + 1);
}

bool CaptureClient::connect_from(const std::string& source, unsigned port) {
    if (client_ == nullptr || port >= ports_.size()) return false;
    return jack_connect(client_, source.c_str(), port_name(port).c_str()) == 0;
}

bool CaptureClient::wait_for_frames(std::size_t frames, Clock::duration timeout) const {
    return wait_until([&] { return this->frames() >= frames; }, timeout, 20ms);
}

std::span<const float> CaptureClient::samples(unsigned port, std::size_t begin, std::size_t count) const {
    const std::size_t available = frames();
    if (port >= buffers_.size() || begin >= available) return {};
    return {buffers_[port].data() + begin, std::min(count, available - begin)};
}

std::optional<std::size_t> CaptureClient::first_nonzero(unsigned port, std::size_t from,
                                                        float threshold) const {
    const std::size_t available = frames();
    if (port >= buffers_.size()) return std::nullopt;
    for (std::size_t i = from; i < available; ++i) {
        if (std::abs(buffers_[port][i]) > threshold) return i;
    }
    return std::nullopt;
}

std::optional<jack_nframes_t> CaptureClient::jack_frame_of(std::size_t index) const {
    if (index >= frames()) return std::nullopt;
    const std::size_t count = stamp_count_.load(std::memory_order_acquire);
    // The last block that starts at or before `index` (stamps are in order).
    const auto end = stamps_.begin() + static_cast<std::ptrdiff_t>(count);
    const auto after = std::upper_bound(stamps_.begin(), end, index,
                                        [](std::size_t i, const BlockStamp& b) { return i < b.at; });
    if (after == stamps_.begin()) return std::nullopt;
    const BlockStamp& block = *(after - 1);
    return static_cast<jack_nframes_t>(block.jack_frame + (index - block.at));
}

std::optional<jack_nframes_t> CaptureClient::jack_frame_at_time(jack_time_t usecs) const {
    const std::size_t count = stamp_count_.load(std::memory_order_acquire);
    // The last recorded cycle that began at or before `usecs`.
    const BlockStamp* last = nullptr;
    std::size_t next = count;
    for (std::size_t i = 0; i < count; ++i) {
        const BlockStamp& block = stamps_[i];
        if (block.next_usecs <= block.cycle_usecs || usecs < block.cycle_usecs) continue;
        last = &block;
        next = i + 1;
    }
    if (last == nullptr) return std::nullopt;
    const double fraction = static_cast<double>(usecs - last->cycle_usecs) /
                            static_cast<double>(last->next_usecs - last->cycle_usecs);
    const std::int64_t frame = static_cast<std::int64_t>(last->jack_frame) + std::llround(fraction * last->frames);
    if (usecs < last->next_usecs) return static_cast<jack_nframes_t>(frame);
    // Past that cycle's end: in a gap (a cycle we missed, or JACK's clock
    // filter reset after a late wake-up moved time on while frames did not).
    // Carried on at that cycle's rate, but never past the next recorded
    // cycle's first frame; unknown when no later cycle is recorded yet.
    if (next >= count) return std::nullopt;
    return static_cast<jack_nframes_t>(std::min<std::int64_t>(frame, stamps_[next].jack_frame));
}

// ---------------------------------------------------------------------------
// Notify socket

NotifyListener::NotifyListener(fs::path socket_path) : path_(std::move(socket_path)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path_.string().size() >= sizeof address.sun_path) return;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    ::unlink(path_.c_str());
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd_);
        fd_ = -1;
        return;
    }
    thread_ = std::thread([this] { run(); });
}

NotifyListener::~NotifyListener() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
}

void NotifyListener::run() {
    char buffer[4096];
    while (!stop_.load()) {
        pollfd pfd{fd_, POLLIN, 0};
        if (::poll(&pfd, 1, 20) <= 0) continue;
        while (true) {
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n < 0) break;
            const auto now = Clock::now();
            std::lock_guard lock(mutex_);
            messages_.push_back({now, std::string(buffer, static_cast<std::size_t>(n))});
        }
    }
}

std::vector<NotifyListener::Message> NotifyListener::messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
}

std::vector<NotifyListener::Message> NotifyListener::matching(const std::string& line) const {
    const bool prefix = !line.empty() && line.back() == '=';
    std::vector<Message> out;
    for (const Message& message : messages()) {
        std::stringstream lines(message.text);
        std::string item;
        while (std::getline(lines, item)) {
            if (prefix ? item.rfind(line, 0) == 0 : item == line) {
                out.push_back(message);
                break;
            }
        }
    }
    return out;
}

std::optional<NotifyListener::Message> NotifyListener::wait_for(const std::string& line,
                                                                Clock::duration timeout,
                                                                Clock::time_point after) const {
    std::optional<Message> found;
    wait_until(
        [&] {
            for (const Message& message : matching(line)) {
                if (message.when > after) {
                    found = message;
                    return true;
                }
            }
            return false;
        },
        timeout, 10ms);
    return found;
}

// ---------------------------------------------------------------------------
// /proc

std::vector<ThreadSched> thread_scheduling(pid_t pid) {
    std::vector<ThreadSched> out;
    const fs::path tasks = fs::path("/proc") / std::to_string(pid) / "task";
    std::error_code ec;
    for (const fs::directory_entry& entry : fs::directory_iterator(tasks, ec)) {
        const std::string stat = read_file(entry.path() / "stat");
        const std::size_t open = stat.find('(');
        const std::size_t close = stat.rfind(')');
        if (open == std::string::npos || close == std::string::npos || close < open) continue;
        ThreadSched thread;
        thread.tid = static_cast<pid_t>(std::atoi(entry.path().filename().c_str()));
        thread.name = stat.substr(open + 1, close - open - 1);
        // After ')' come fields 3 (state), 4, ...: field k is token k - 3.
        std::stringstream rest(stat.substr(close + 1));
        std::vector<std::string> fields;
        for (std::string field; rest >> field;) fields.push_back(field);
        if (fields.size() <= 41 - 3) continue;
        thread.rt_priority = std::atoi(fields[40 - 3].c_str());
        thread.policy = std::atoi(fields[41 - 3].c_str());
        out.push_back(thread);
    }
    return out;
}

}  // namespace rtgraph::integration
