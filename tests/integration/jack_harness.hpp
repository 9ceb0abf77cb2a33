// Harness for the integration tests that run rtgraphd against a real jackd
// (dummy driver): child processes we start and stop by PID, a private JACK
// server per test, the daemon with a temporary config and a captured log, a
// JACK capture client, and a fake systemd notify socket.
//
// Threads: test code only, except CaptureClient's process callback (JACK's
// real-time thread: it copies into preallocated buffers and bumps an atomic,
// nothing else) and NotifyListener's receiver thread.
//
// Every process here is started with fork/exec, remembered by PID, and
// stopped only by that PID (SIGTERM, then SIGKILL after a timeout), from the
// destructors too, so a failing test leaves nothing running. Children also get
// PR_SET_PDEATHSIG=SIGKILL, so they die with a test binary that ctest kills.
#pragma once

#include <jack/jack.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace rtgraph::integration {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Polls `condition` every `step` until it is true or `timeout` has passed.
// Returns the last value of `condition`.
bool wait_until(const std::function<bool()>& condition, Clock::duration timeout,
                Clock::duration step = 20ms);

// A unique name for this test process: "<prefix>-<pid>-<counter>".
std::string unique_name(const std::string& prefix);

// A directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // Writes `text` to path()/name and returns the full path.
    std::filesystem::path write(const std::string& name, const std::string& text) const;

private:
    std::filesystem::path path_;
};

// Reads a whole file; empty when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// A child process started with fork/exec.
class ChildProcess {
public:
    struct Options {
        std::vector<std::string> argv;  // argv[0] is the program (a path, or looked up in PATH)
        std::map<std::string, std::string> set_env;  // added to / replacing our environment
        std::vector<std::string> unset_env;          // removed from the child's environment
        std::filesystem::path output;                // stdout and stderr go here (truncated)
    };

    ChildProcess() = default;
    ~ChildProcess();  // stop()
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Starts the child. False (with `error`) when fork or exec fails.
    bool start(const Options& options, std::string& error);

    pid_t pid() const { return pid_; }
    // True while the child has not been reaped.
    bool running();
    // Waits up to `timeout` for the child to exit; its wait status, or nullopt.
    std::optional<int> wait_exit(Clock::duration timeout);
    // The wait status once reaped.
    std::optional<int> exit_status() const { return status_; }
    // Sends `signal` to our child (only while it has not been reaped).
    bool signal(int signal);
    // SIGTERM, wait up to `grace`, then SIGKILL and reap. Returns the status.
    std::optional<int> stop(Clock::duration grace = 3s);

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

// "exited with 0", "killed by signal 9", ...
std::string describe_wait_status(const std::optional<int>& status);

// A jackd with the dummy driver, at 48000 Hz and the given period.
class JackServer {
public:
    JackServer(std::string name, std::filesystem::path log_path, unsigned period = 128);
    ~JackServer();  // stop()

    // Starts jackd and waits (up to `timeout`) until a client can open it.
    bool start(std::string& error, Clock::duration timeout = 5s);
    // SIGTERM (then SIGKILL) and reap.
    void stop();
    // SIGKILL and reap: the server vanishes without telling its clients.
    void kill_hard();
    bool signal(int sig) { return process_.signal(sig); }

    const std::string& name() const { return name_; }
    pid_t pid() const { return process_.pid(); }
    std::string log() const { return read_file(log_path_); }

private:
    std::string name_;
    std::filesystem::path log_path_;
    unsigned period_;
    ChildProcess process_;
};

// Opens a client on the named server (never starts one); nullptr on failure.
jack_client_t* open_jack_client(const std::string& server, const std::string& client_name,
                                jack_status_t* status = nullptr);

// A plain JACK client for looking at the server: ports, types, connections.
class JackObserver {
public:
    explicit JackObserver(const std::string& server);
    ~JackObserver();
    JackObserver(const JackObserver&) = delete;
    JackObserver& operator=(const JackObserver&) = delete;

    bool ok() const { return client_ != nullptr; }
    jack_client_t* client() const { return client_; }

    // Full names matching the regex (as jack_get_ports), sorted.
    std::vector<std::string> ports(const std::string& pattern, unsigned long flags = 0) const;
    // Full names of the ports connected to `port`, sorted; empty if none or no such port.
    std::vector<std::string> connections(const std::string& port) const;
    std::string type_of(const std::string& port) const;  // "" when no such port
    int flags_of(const std::string& port) const;          // 0 when no such port
    // Closes the client now (e.g. before its server is killed).
    void close();

private:
    jack_client_t* client_ = nullptr;
};

// rtgraphd settings the tests vary; to_toml() writes the config file.
struct DaemonSettings {
    std::string server_name;
    std::string client_name = "rtgt";
    std::vector<std::string> audio_inputs = {"mic"};
    std::vector<std::string> audio_outputs = {"left", "right"};
    std::vector<std::string> midi_inputs = {"keys"};
    double stall_timeout_s = 2.0;
    double reconnect_max_backoff_s = 5.0;
    std::string patch_text;  // written next to the config when not empty
    std::string log_level = "info";
    // [osc]: both ports 0 (the default) leave the daemon without UDP/TCP
    // control; the OSC tests pick free ports. Empty allow / negative meter
    // rate: the daemon's defaults.
    std::string osc_bind_address = "127.0.0.1";
    int osc_udp_port = 0;
    int osc_tcp_port = 0;
    std::vector<std::string> osc_allow;
    double osc_meter_rate_hz = -1.0;
    double osc_frame_timeout_s = -1.0;     // [osc] frame_timeout_s; negative: the default
    std::vector<std::string> ladspa_path;  // [paths] ladspa_path, when not empty
    std::vector<std::string> media_dirs;   // [paths] media_dirs, when not empty
    unsigned worker_threads = 0;           // [realtime] worker_threads

    std::string to_toml(const std::filesystem::path& state_dir,
                        const std::filesystem::path& patch_path) const;
};

// rtgraphd as a child, its stderr (and stdout) in a file the test reads.
class DaemonProcess {
public:
    // `dir` holds the config, patch, state directory and log.
    explicit DaemonProcess(std::filesystem::path dir);
    ~DaemonProcess();  // stop()

    // Writes the config (and patch) from `settings` and starts rtgraphd with
    // --config <file> plus `extra_args`. `set_env` adds variables (NOTIFY_SOCKET...).
    bool start(const DaemonSettings& settings, std::string& error,
               const std::map<std::string, std::string>& set_env = {},
               const std::vector<std::string>& extra_args = {});
    // Starts rtgraphd with exactly these arguments (after argv[0]).
    bool start_raw(const std::vector<std::string>& args, std::string& error,
                   const std::map<std::string, std::string>& set_env = {});

    std::string log() const { return read_file(log_path_); }
    // Waits for a log line matching `pattern`; the first match, or nullopt.
    std::optional<std::string> wait_for_log(const std::string& pattern, Clock::duration timeout);
    bool log_contains(const std::string& pattern) const;
    std::size_t log_count(const std::string& pattern) const;

    pid_t pid() const { return process_.pid(); }
    bool running() { return process_.running(); }
    bool signal(int sig) { return process_.signal(sig); }
    std::optional<int> wait_exit(Clock::duration timeout) { return process_.wait_exit(timeout); }
    std::optional<int> stop(Clock::duration grace = 3s) { return process_.stop(grace); }

    const std::filesystem::path& config_path() const { return config_path_; }
    const std::filesystem::path& log_path() const { return log_path_; }

private:
    std::filesystem::path dir_;
    std::filesystem::path config_path_;
    std::filesystem::path patch_path_;
    std::filesystem::path log_path_;
    ChildProcess process_;
};

// Path of the rtgraphd binary under test (compile definition).
std::string rtgraphd_path();

// A JACK client with audio input ports that records what arrives. Buffers are
// allocated up front; the process callback copies and publishes a frame count.
class CaptureClient {
public:
    CaptureClient(const std::string& server, const std::string& client_name, unsigned ports,
                  std::size_t capacity_frames);
    ~CaptureClient();
    CaptureClient(const CaptureClient&) = delete;
    CaptureClient& operator=(const CaptureClient&) = delete;

    bool ok() const { return client_ != nullptr; }
    jack_client_t* client() const { return client_; }
    std::string port_name(unsigned port) const;  // full name "client:in_N"

    // Connects `source` (full name) to our input `port`.
    bool connect_from(const std::string& source, unsigned port);
    // Frames recorded so far on every port (stops at the capacity).
    std::size_t frames() const { return frames_.load(std::memory_order_acquire); }
    bool wait_for_frames(std::size_t frames, Clock::duration timeout) const;
    // Recorded samples of `port`, [begin, begin + count) clipped to frames().
    std::span<const float> samples(unsigned port, std::size_t begin, std::size_t count) const;
    // First frame at or after `from` where |x| > threshold; nullopt if none.
    std::optional<std::size_t> first_nonzero(unsigned port, std::size_t from = 0,
                                             float threshold = 1e-6f) const;
    // The JACK frame (jack_last_frame_time of its cycle, plus its offset in
    // the block) of recorded frame `index`; nullopt if not recorded yet.
    std::optional<jack_nframes_t> jack_frame_of(std::size_t index) const;
    // The JACK frame being played at JACK time `usecs` (jack_get_time()'s
    // clock), interpolated inside the recorded cycle that spans it from that
    // cycle's own times (jack_get_cycle_times). In a gap between recorded
    // cycles, carried on from the one before at its rate and clamped to the
    // next one's first frame; nullopt before the first or after the last.
    std::optional<jack_nframes_t> jack_frame_at_time(jack_time_t usecs) const;
    bool server_lost() const { return shutdown_.load(std::memory_order_acquire); }
    double sample_rate() const { return sample_rate_; }
    void close();

private:
    static int process(jack_nframes_t nframes, void* self) noexcept;
    static void on_shutdown(void* self) noexcept;

    jack_client_t* client_ = nullptr;
    std::string name_;
    std::vector<jack_port_t*> ports_;
    std::vector<std::vector<float>> buffers_;
    std::size_t capacity_ = 0;
    double sample_rate_ = 0.0;
    std::atomic<std::size_t> frames_{0};
    std::atomic<bool> shutdown_{false};
    // Where each recorded block starts, on both counts (preallocated; written
    // by the process callback before frames_ is published).
    struct BlockStamp {
        std::size_t at = 0;
        jack_nframes_t jack_frame = 0;
        jack_nframes_t frames = 0;     // the cycle's length
        jack_time_t cycle_usecs = 0;   // when the cycle started, and the next one is due
        jack_time_t next_usecs = 0;
    };
    std::vector<BlockStamp> stamps_;
    std::atomic<std::size_t> stamp_count_{0};
};

// A Unix datagram socket standing in for systemd's NOTIFY_SOCKET. A thread
// receives datagrams and stamps each with its arrival time.
class NotifyListener {
public:
    struct Message {
        Clock::time_point when;
        std::string text;
    };

    explicit NotifyListener(std::filesystem::path socket_path);
    ~NotifyListener();
    NotifyListener(const NotifyListener&) = delete;
    NotifyListener& operator=(const NotifyListener&) = delete;

    bool ok() const { return fd_ >= 0; }
    const std::filesystem::path& path() const { return path_; }

    std::vector<Message> messages() const;
    // Messages with a line equal to `line` ("READY=1") or, for a prefix ending
    // in '=', starting with it ("STATUS=").
    std::vector<Message> matching(const std::string& line) const;
    // Waits for a message matching `line` that arrived after `after`.
    std::optional<Message> wait_for(const std::string& line, Clock::duration timeout,
                                    Clock::time_point after = Clock::time_point{}) const;

private:
    void run();

    std::filesystem::path path_;
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::vector<Message> messages_;
    std::thread thread_;
};

// One thread's scheduling, from /proc/<pid>/task/<tid>/stat: field 41 is the
// policy (0 SCHED_OTHER, 1 SCHED_FIFO, 2 SCHED_RR...), field 40 rt_priority.
struct ThreadSched {
    pid_t tid = 0;
    std::string name;
    int policy = -1;
    int rt_priority = 0;
};
std::vector<ThreadSched> thread_scheduling(pid_t pid);

}  // namespace rtgraph::integration
