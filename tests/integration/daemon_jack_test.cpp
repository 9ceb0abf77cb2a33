// rtgraphd end to end against a real jackd (dummy driver, 48 kHz, 128 frames):
// its JACK ports, the audio it plays, a period change, a jackd crash and
// restart, shutdown, bad configuration, the systemd notify protocol and the
// real-time scheduling of its process thread. Each test starts its own jackd
// and daemon (see jack_harness.hpp) and measures from the outside.
#include <gtest/gtest.h>
#include <jack/jack.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "jack_harness.hpp"
#include "support/signal_analysis.hpp"

namespace rtgraph::integration {
namespace {

namespace ts = rtgraph::test_support;

constexpr double kRate = 48000.0;
constexpr double kFreq = 1000.0;
constexpr double kAmp = 0.5;
constexpr const char* kSinePatch =
    "# a 1 kHz sine at half scale on the left output; right stays silent\n"
    "add sine osc freq=1000 amp=0.5\n"
    "connect osc:out graph:left\n";

// `text` as a regex matching itself.
std::string regex_escape(const std::string& text) {
    static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
    return std::regex_replace(text, special, R"(\$&)");
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

struct SineFigures {
    double frequency = 0.0;
    double peak = 0.0;
    double amplitude = 0.0;
    double residual = 0.0;
    double max_jump = 0.0;
};

SineFigures measure_sine(std::span<const float> signal) {
    SineFigures f;
    f.frequency = ts::zero_crossing_frequency(signal, kRate);
    f.peak = ts::peak(signal);
    const ts::SineFit fit = ts::fit_sine(signal, kRate, kFreq);
    f.amplitude = fit.amplitude;
    f.residual = fit.residual_rms;
    f.max_jump = ts::max_jump(signal);
    return f;
}

// The largest step a 1 kHz sine of amplitude 0.5 takes between two samples at
// 48 kHz is 2 sin(pi f / fs) * A = 0.0654; a glitch (a lost or repeated block)
// shows up as a larger one.
const double kSineMaxStep = 2.0 * std::sin(3.14159265358979 * kFreq / kRate) * kAmp;

// Where a sine of kFreq breaks: x[n] = 2 cos(w) x[n-1] - x[n-2] holds for
// every sample of a pure sine of angular frequency w, whatever its amplitude
// and phase, so a sample that breaks it marks a discontinuity.
std::vector<std::size_t> sine_breaks(std::span<const float> x, double tolerance = 1e-3) {
    const double c = 2.0 * std::cos(2.0 * 3.14159265358979 * kFreq / kRate);
    std::vector<std::size_t> out;
    for (std::size_t n = 2; n < x.size(); ++n) {
        if (std::abs(x[n] - c * x[n - 1] + x[n - 2]) > tolerance) out.push_back(n);
    }
    return out;
}

// A stretch of captured audio to measure, and how it was found.
struct CleanWindow {
    std::span<const float> samples;
    std::size_t offset = 0;  // from the start of the search
    std::size_t searched = 0;
    std::size_t breaks = 0;  // discontinuities in the searched audio
};

// The first `want` frames without a discontinuity, from frame `begin` of
// `port`, waiting for the capture to grow, searching at most `search` frames;
// failing that, the longest unbroken stretch that is not silence.
//
// Why not just the first `want` frames: on a loaded 2-core VM jackd's dummy
// driver sometimes wakes late and a client "was not finished" in its cycle;
// the capture then holds a stale or empty block. That is the transport, not
// the daemon, and says nothing about what the daemon computed. A daemon that
// itself breaks the signal (a phase error per block, say) leaves no long
// unbroken stretch, which the caller asserts on.
CleanWindow find_clean_window(const CaptureClient& capture, unsigned port, std::size_t begin,
                              std::size_t want, std::size_t search) {
    CleanWindow best;
    const auto deadline = Clock::now() + std::chrono::duration<double>(2.0 + search / kRate);
    while (true) {
        const std::size_t frames = capture.frames();
        const std::size_t available = frames > begin ? std::min(frames - begin, search) : 0;
        const std::span<const float> all = capture.samples(port, begin, available);
        const std::vector<std::size_t> breaks = sine_breaks(all);
        best = {};
        best.searched = all.size();
        best.breaks = breaks.size();
        std::size_t from = 0;
        for (std::size_t i = 0; i <= breaks.size(); ++i) {
            const std::size_t to = i < breaks.size() ? breaks[i] - 1 : all.size();
            if (to > from && to - from > best.samples.size()) {
                const std::span<const float> stretch = all.subspan(from, to - from);
                if (ts::peak(stretch) > 0.25) {
                    best.samples = stretch.first(std::min(stretch.size(), want));
                    best.offset = from;
                    if (best.samples.size() >= want) return best;
                }
            }
            if (i < breaks.size()) from = breaks[i] + 2;
        }
        if (available >= search || Clock::now() >= deadline || capture.server_lost()) return best;
        std::this_thread::sleep_for(20ms);
    }
}

// Checks a window of captured audio is the 1 kHz, 0.5 sine, unbroken for at
// least `at_least` frames; prints the figures.
void expect_sine(const CleanWindow& window, std::size_t at_least, const std::string& label) {
    const std::span<const float> signal = window.samples;
    const SineFigures f = measure_sine(signal);
    std::printf("[ figures  ] %s: %zu unbroken frames at +%zu (%zu discontinuities in %zu searched), "
                "zero-crossing %.4f Hz, peak %.5f, fit amplitude %.5f, residual rms %.2e, max step %.5f "
                "(the sine's own %.5f)\n",
                label.c_str(), signal.size(), window.offset, window.breaks, window.searched, f.frequency,
                f.peak, f.amplitude, f.residual, f.max_jump, kSineMaxStep);
    ASSERT_GE(signal.size(), at_least) << label << ": no unbroken stretch of the sine that long";
    EXPECT_NEAR(f.frequency, kFreq, 0.5) << label;
    EXPECT_NEAR(f.peak, kAmp, 0.01) << label;
    EXPECT_NEAR(f.amplitude, kAmp, 0.01) << label;
    EXPECT_LT(f.residual, 1e-3) << label << ": not a clean sine";
}

// Searching this far for an unbroken second of sine, and accepting no less
// than 0.1 s (100 cycles; 37 periods of 128 frames) when the machine is busy.
constexpr std::size_t kWant = 48000;
constexpr std::size_t kSearch = 4 * 48000;
constexpr std::size_t kAtLeast = 4800;

class DaemonJackTest : public ::testing::Test {
protected:
    void SetUp() override {
        server_name_ = unique_name("rtgtest");
        settings_.server_name = server_name_;
        settings_.patch_text = kSinePatch;
        daemon_ = std::make_unique<DaemonProcess>(dir_.path());
    }

    void TearDown() override {
        captures_.clear();
        observer_.reset();
        if (HasFailure()) {
            std::printf("---- rtgraphd log (%s) ----\n%s", daemon_->log_path().c_str(), daemon_->log().c_str());
            if (jack_) std::printf("---- jackd log ----\n%s", jack_->log().c_str());
            std::printf("---- end of logs ----\n");
        }
        daemon_.reset();  // stops the daemon before its server
        jack_.reset();
    }

    // Starts jackd (fatal on failure).
    void start_jack() {
        if (!jack_) jack_ = std::make_unique<JackServer>(server_name_, dir_.path() / "jackd.log");
        std::string error;
        ASSERT_TRUE(jack_->start(error)) << error;
    }

    void start_daemon(const std::map<std::string, std::string>& env = {}) {
        std::string error;
        ASSERT_TRUE(daemon_->start(settings_, error, env)) << error;
    }

    // jackd, then rtgraphd, then waits until the daemon says it is ready.
    void start_all() {
        ASSERT_NO_FATAL_FAILURE(start_jack());
        ASSERT_NO_FATAL_FAILURE(start_daemon());
        ASSERT_TRUE(daemon_->wait_for_log("rtgraphd ready", 10s))
            << "daemon " << (daemon_->running() ? "running" : "exited") << "; log:\n" << daemon_->log();
        observer_ = std::make_unique<JackObserver>(server_name_);
        ASSERT_TRUE(observer_->ok());
    }

    // A capture client with `ports` inputs and room for `seconds` of audio.
    CaptureClient& add_capture(unsigned ports, double seconds) {
        captures_.push_back(std::make_unique<CaptureClient>(server_name_, unique_name("cap"), ports,
                                                            static_cast<std::size_t>(seconds * kRate)));
        return *captures_.back();
    }

    // Waits for the sine to arrive on `port` of `capture`; the frame where it starts.
    std::optional<std::size_t> wait_for_onset(const CaptureClient& capture, unsigned port,
                                              std::size_t from = 0) {
        std::optional<std::size_t> onset;
        wait_until([&] { return (onset = capture.first_nonzero(port, from)).has_value(); }, 3s);
        return onset;
    }

    TempDir dir_;
    std::string server_name_;
    DaemonSettings settings_;
    std::unique_ptr<JackServer> jack_;
    std::unique_ptr<DaemonProcess> daemon_;
    std::unique_ptr<JackObserver> observer_;
    std::vector<std::unique_ptr<CaptureClient>> captures_;
};

// 1. The configured graph ports appear in JACK, with their kinds and
//    directions, and the client has no other port.
TEST_F(DaemonJackTest, PortsAppearWithConfiguredNamesKindsAndDirections) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    const std::vector<std::string> expected = {"rtgt:keys", "rtgt:left", "rtgt:mic", "rtgt:right"};
    EXPECT_EQ(observer_->ports("^rtgt:"), expected);

    EXPECT_EQ(observer_->type_of("rtgt:mic"), JACK_DEFAULT_AUDIO_TYPE);
    EXPECT_TRUE(observer_->flags_of("rtgt:mic") & JackPortIsInput);
    for (const char* out : {"rtgt:left", "rtgt:right"}) {
        EXPECT_EQ(observer_->type_of(out), JACK_DEFAULT_AUDIO_TYPE) << out;
        EXPECT_TRUE(observer_->flags_of(out) & JackPortIsOutput) << out;
    }
    EXPECT_EQ(observer_->type_of("rtgt:keys"), JACK_DEFAULT_MIDI_TYPE);
    EXPECT_TRUE(observer_->flags_of("rtgt:keys") & JackPortIsInput);

    // The same split seen through JACK's own filters.
    EXPECT_EQ(observer_->ports("^rtgt:", JackPortIsOutput),
              (std::vector<std::string>{"rtgt:left", "rtgt:right"}));
    EXPECT_EQ(observer_->ports("^rtgt:", JackPortIsInput),
              (std::vector<std::string>{"rtgt:keys", "rtgt:mic"}));
    // The ready line counts them too.
    EXPECT_TRUE(daemon_->log_contains("48000 Hz, 128 frames, 1 node\\(s\\), ports: 4")) << daemon_->log();
}

// 2. The patch's sine reaches another JACK client intact; the unconnected
//    output is exact digital silence.
TEST_F(DaemonJackTest, SineReachesJackClient) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    CaptureClient& capture = add_capture(2, 6.0);
    ASSERT_TRUE(capture.ok());
    ASSERT_TRUE(capture.connect_from("rtgt:left", 0));
    ASSERT_TRUE(capture.connect_from("rtgt:right", 1));
    const std::optional<std::size_t> onset = wait_for_onset(capture, 0);
    ASSERT_TRUE(onset) << "no signal on rtgt:left";
    // The daemon's 5 ms start fade is long over; skip 10 ms past the
    // connection anyway, then one second.
    const std::size_t begin = *onset + 480;
    const CleanWindow window = find_clean_window(capture, 0, begin, kWant, kSearch);
    ASSERT_NO_FATAL_FAILURE(expect_sine(window, kAtLeast, "left"));

    // However the transport behaved, nothing but zeros may come from an
    // output nothing is connected to.
    const std::span<const float> right = capture.samples(1, *onset, window.searched + 480);
    ASSERT_GE(right.size(), kWant);
    EXPECT_EQ(ts::peak(right), 0.0) << "rtgt:right carries nothing in the patch";
}

// 2a. With a worker thread, two independent branches (each a sine through
//     a gain) play on both outputs at the sine's frequency and level, and
//     the worker is SCHED_FIFO at the JACK process thread's own priority.
TEST_F(DaemonJackTest, TwoBranchesPlayWithAWorkerAtJacksPriority) {
    settings_.worker_threads = 1;
    settings_.patch_text =
        "add sine a freq=1000 amp=0.5\nadd gain ga gain=1\nconnect a:out ga:in\nconnect ga:out graph:left\n"
        "add sine b freq=1000 amp=0.5\nadd gain gb gain=1\nconnect b:out gb:in\nconnect gb:out graph:right\n";
    ASSERT_NO_FATAL_FAILURE(start_all());
    CaptureClient& capture = add_capture(2, 6.0);
    ASSERT_TRUE(capture.ok());
    ASSERT_TRUE(capture.connect_from("rtgt:left", 0));
    ASSERT_TRUE(capture.connect_from("rtgt:right", 1));
    for (unsigned port : {0u, 1u}) {
        const std::optional<std::size_t> onset = wait_for_onset(capture, port);
        ASSERT_TRUE(onset) << "no signal on port " << port;
        const CleanWindow window = find_clean_window(capture, port, *onset + 480, kWant, kSearch);
        ASSERT_NO_FATAL_FAILURE(expect_sine(window, kAtLeast, port == 0 ? "left" : "right"));
    }
    EXPECT_TRUE(daemon_->log_contains("worker thread: SCHED_FIFO priority")) << daemon_->log();
    const std::vector<ThreadSched> threads = thread_scheduling(daemon_->pid());
    std::vector<ThreadSched> workers, fifo_others;
    for (const ThreadSched& thread : threads) {
        if (thread.name == "rtgraph-worker") {
            workers.push_back(thread);
        } else if (thread.policy == SCHED_FIFO) {
            fifo_others.push_back(thread);  // the JACK process thread
        }
    }
    ASSERT_EQ(workers.size(), 1u);
    ASSERT_EQ(fifo_others.size(), 1u) << "one JACK process thread in SCHED_FIFO";
    EXPECT_EQ(workers[0].policy, SCHED_FIFO);
    EXPECT_EQ(workers[0].rt_priority, fifo_others[0].rt_priority);
    std::printf("[ figures  ] worker SCHED_FIFO priority %d, JACK process thread priority %d\n",
                workers[0].rt_priority, fifo_others[0].rt_priority);
}

// 2b. The shipped demo patch (config/patches/demo.patch) loads in the daemon
//     and plays on both default outputs: finite, audible, not clipping hard.
TEST_F(DaemonJackTest, ShippedDemoPatchPlays) {
    settings_.audio_outputs = {"out_1", "out_2"};
    settings_.patch_text = read_file(std::filesystem::path(RTGRAPH_SOURCE_DIR) / "config/patches/demo.patch");
    ASSERT_FALSE(settings_.patch_text.empty()) << "cannot read the demo patch";
    ASSERT_NO_FATAL_FAILURE(start_all());
    EXPECT_TRUE(daemon_->log_contains("patch [^\n]*test\\.patch loaded: [0-9]+ node\\(s\\)")) << daemon_->log();
    CaptureClient& capture = add_capture(2, 3.0);
    ASSERT_TRUE(capture.ok());
    ASSERT_TRUE(capture.connect_from("rtgt:out_1", 0));
    ASSERT_TRUE(capture.connect_from("rtgt:out_2", 1));
    const std::size_t length = static_cast<std::size_t>(kRate);
    ASSERT_TRUE(capture.wait_for_frames(length + 4800, 5s));
    for (unsigned port = 0; port < 2; ++port) {
        const std::span<const float> out = capture.samples(port, 4800, length);
        ASSERT_EQ(out.size(), length);
        const bool finite = std::all_of(out.begin(), out.end(), [](float x) { return std::isfinite(x); });
        std::printf("[ figures  ] demo out_%u: rms %.4f, peak %.4f\n", port + 1, ts::rms(out), ts::peak(out));
        EXPECT_TRUE(finite) << "out_" << port + 1;
        EXPECT_GT(ts::rms(out), 0.01) << "out_" << port + 1 << " is (nearly) silent";
        EXPECT_LT(ts::peak(out), 2.0) << "out_" << port + 1;
    }
}

// 3. JACK's period changes under the running daemon (128 -> 256 -> 64): it
//    follows, says so, and keeps playing the same sine.
TEST_F(DaemonJackTest, FollowsPeriodChangeWhileRunning) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    CaptureClient& capture = add_capture(1, 14.0);
    ASSERT_TRUE(capture.ok());
    ASSERT_TRUE(capture.connect_from("rtgt:left", 0));
    const std::optional<std::size_t> onset = wait_for_onset(capture, 0);
    ASSERT_TRUE(onset);
    ASSERT_NO_FATAL_FAILURE(
        expect_sine(find_clean_window(capture, 0, *onset + 480, kWant / 2, kSearch / 2), kAtLeast, "period 128"));

    struct Step {
        jack_nframes_t from;
        jack_nframes_t to;
    };
    for (const Step step : {Step{128, 256}, Step{256, 64}}) {
        SCOPED_TRACE("period " + std::to_string(step.from) + " -> " + std::to_string(step.to));
        const std::size_t before = capture.frames();
        ASSERT_EQ(jack_set_buffer_size(capture.client(), step.to), 0);
        const auto changed = Clock::now();
        const std::string line =
            "period changed from " + std::to_string(step.from) + " to " + std::to_string(step.to);
        ASSERT_TRUE(daemon_->wait_for_log(line, 3s)) << daemon_->log();
        std::printf("[ figures  ] '%s' logged %.0f ms after jack_set_buffer_size\n", line.c_str(),
                    1000.0 * seconds_between(changed, Clock::now()));
        EXPECT_TRUE(daemon_->running()) << describe_wait_status(daemon_->wait_exit(0s));
        EXPECT_EQ(jack_get_buffer_size(capture.client()), step.to);

        // A second of sine from 0.1 s after the change was seen in the log.
        const std::size_t begin = capture.frames() + 4800;
        const CleanWindow window = find_clean_window(capture, 0, begin, kWant, kSearch);
        ASSERT_NO_FATAL_FAILURE(expect_sine(window, kAtLeast, "period " + std::to_string(step.to)));
        // Across the change itself, for the record: did the server let a block go?
        const std::size_t across = sine_breaks(capture.samples(0, before, begin - before)).size();
        std::printf("[ figures  ] %zu discontinuities in the %zu frames around the change\n", across,
                    begin - before);
    }
    EXPECT_TRUE(daemon_->running());
    EXPECT_EQ(daemon_->log_count("period changed"), 2u) << daemon_->log();
}

// 4. jackd dies (SIGKILL) and comes back under the same name: the daemon
//    stays up, reconnects, re-registers its ports, re-makes the external
//    connection it had, and plays again.
TEST_F(DaemonJackTest, SurvivesJackdCrashAndReconnects) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    ASSERT_EQ(jack_connect(observer_->client(), "rtgt:left", "system:playback_1"), 0);
    // The daemon learns of the connection from a JACK callback on its next
    // 10 ms tick; nothing in its output shows it, so give it a moment.
    std::this_thread::sleep_for(300ms);
    observer_->close();

    const auto killed = Clock::now();
    jack_->kill_hard();
    ASSERT_TRUE(daemon_->wait_for_log("JACK server went away", 3s)) << daemon_->log();
    std::printf("[ figures  ] loss logged %.0f ms after SIGKILL\n",
                1000.0 * seconds_between(killed, Clock::now()));
    EXPECT_TRUE(daemon_->running());

    ASSERT_NO_FATAL_FAILURE(start_jack());
    const auto restarted = Clock::now();
    const std::optional<std::string> reconnected = daemon_->wait_for_log("reconnected[^\n]*", 5s);
    ASSERT_TRUE(reconnected) << daemon_->log();
    std::printf("[ figures  ] '%s' %.0f ms after jackd accepted clients again\n",
                reconnected->c_str(), 1000.0 * seconds_between(restarted, Clock::now()));
    EXPECT_TRUE(daemon_->running());
    EXPECT_NE(reconnected->find("4 ports registered, 1 external connections re-made"), std::string::npos)
        << *reconnected;

    observer_ = std::make_unique<JackObserver>(server_name_);
    ASSERT_TRUE(observer_->ok());
    EXPECT_EQ(observer_->ports("^rtgt:"),
              (std::vector<std::string>{"rtgt:keys", "rtgt:left", "rtgt:mic", "rtgt:right"}));
    // make_connections runs right after activation, so the connection is
    // there by the time "reconnected" is logged.
    EXPECT_EQ(observer_->connections("rtgt:left"), std::vector<std::string>{"system:playback_1"});

    CaptureClient& capture = add_capture(1, 6.0);
    ASSERT_TRUE(capture.ok());
    ASSERT_TRUE(capture.connect_from("rtgt:left", 0));
    const std::optional<std::size_t> onset = wait_for_onset(capture, 0);
    ASSERT_TRUE(onset) << "no signal after reconnecting";
    ASSERT_NO_FATAL_FAILURE(expect_sine(find_clean_window(capture, 0, *onset + 480, kWant, kSearch),
                                        kAtLeast, "after reconnect"));
}

// 5. SIGTERM: a clean exit (status 0) within 3 s that takes the client's ports
//    off the server and tells systemd it is stopping.
TEST_F(DaemonJackTest, SigtermExitsCleanlyAndRemovesPorts) {
    NotifyListener notify(dir_.path() / "notify.sock");
    ASSERT_TRUE(notify.ok());
    ASSERT_NO_FATAL_FAILURE(start_jack());
    ASSERT_NO_FATAL_FAILURE(start_daemon({{"NOTIFY_SOCKET", notify.path().string()}}));
    ASSERT_TRUE(daemon_->wait_for_log("rtgraphd ready", 10s)) << daemon_->log();
    observer_ = std::make_unique<JackObserver>(server_name_);
    ASSERT_TRUE(observer_->ok());
    ASSERT_EQ(observer_->ports("^rtgt:").size(), 4u);

    const auto sent = Clock::now();
    ASSERT_TRUE(daemon_->signal(SIGTERM));
    const std::optional<int> status = daemon_->wait_exit(3s);
    ASSERT_TRUE(status) << "still running 3 s after SIGTERM";
    std::printf("[ figures  ] exited %.0f ms after SIGTERM\n", 1000.0 * seconds_between(sent, Clock::now()));
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << describe_wait_status(status);
    EXPECT_EQ(observer_->ports("^rtgt:"), std::vector<std::string>{});
    EXPECT_TRUE(daemon_->log_contains("Terminated received: shutting down")) << daemon_->log();
    EXPECT_TRUE(daemon_->log_contains("rtgraphd stopped")) << daemon_->log();
    const std::optional<NotifyListener::Message> stopping = notify.wait_for("STOPPING=1", 1s);
    ASSERT_TRUE(stopping);
    EXPECT_GE(stopping->when, sent);
    EXPECT_EQ(notify.matching("READY=1").size(), 1u);
}

// 6a. A value of the wrong type: exit 78 (EX_CONFIG) naming the file, the line
//     and the key, before touching JACK.
TEST_F(DaemonJackTest, BadConfigValueExitsWithConfigError) {
    const std::filesystem::path config = dir_.write("bad.toml",
                                                    "# line 1\n"
                                                    "[jack]\n"
                                                    "client_name = 5\n");
    std::string error;
    ASSERT_TRUE(daemon_->start_raw({"--config", config.string()}, error)) << error;
    const std::optional<int> status = daemon_->wait_exit(5s);
    ASSERT_TRUE(status) << "still running with a bad config";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 78) << describe_wait_status(status);
    const std::string log = daemon_->log();
    std::printf("[ figures  ] stderr: %s", log.c_str());
    // format_message: "<file>:<line>[:<column>]: <key>: <text>".
    const std::regex expected("rtgraphd: error: " + regex_escape(config.string()) +
                              ":3(:[0-9]+)?: jack\\.client_name: ");
    EXPECT_TRUE(std::regex_search(log, expected)) << log;
}

// 6b. An unknown flag: exit 64 (EX_USAGE) naming it, and the usage text.
TEST_F(DaemonJackTest, UnknownFlagExitsWithUsageError) {
    std::string error;
    ASSERT_TRUE(daemon_->start_raw({"--no-such-flag"}, error)) << error;
    const std::optional<int> status = daemon_->wait_exit(5s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 64) << describe_wait_status(status);
    const std::string log = daemon_->log();
    EXPECT_NE(log.find("--no-such-flag"), std::string::npos) << log;
    EXPECT_NE(log.find("--config"), std::string::npos) << "no usage text:\n" << log;
}

// 6c. A patch the engine refuses (an unknown node type on line 3): exit 78
//     once JACK is there and the graph is built, naming the patch file, the
//     line and the reason; the half-built client leaves no port behind.
TEST_F(DaemonJackTest, BadPatchExitsWithConfigError) {
    settings_.patch_text =
        "# line 1\n"
        "add sine osc freq=1000 amp=0.5\n"
        "add no_such_type thing\n";
    ASSERT_NO_FATAL_FAILURE(start_jack());
    ASSERT_NO_FATAL_FAILURE(start_daemon());
    const std::optional<int> status = daemon_->wait_exit(5s);
    ASSERT_TRUE(status) << "still running with a bad patch:\n" << daemon_->log();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 78) << describe_wait_status(status);
    const std::string log = daemon_->log();
    const std::string patch = (dir_.path() / "test.patch").string();
    const std::regex expected(regex_escape(patch) + ": transaction at line [0-9]+, edit 2: unknown node type 'no_such_type'");
    EXPECT_TRUE(std::regex_search(log, expected)) << log;
    observer_ = std::make_unique<JackObserver>(server_name_);
    ASSERT_TRUE(observer_->ok());
    EXPECT_EQ(observer_->ports("^rtgt:"), std::vector<std::string>{});
}

// 5b. SIGTERM while the daemon is still waiting for jackd: exit 0 at once,
//     with STOPPING=1 (systemd stops a unit whose jackd never came).
TEST_F(DaemonJackTest, SigtermWhileWaitingForJackExitsPromptly) {
    NotifyListener notify(dir_.path() / "notify.sock");
    ASSERT_TRUE(notify.ok());
    ASSERT_NO_FATAL_FAILURE(start_daemon({{"NOTIFY_SOCKET", notify.path().string()}}));
    ASSERT_TRUE(daemon_->wait_for_log("waiting for it", 3s)) << daemon_->log();
    const auto sent = Clock::now();
    ASSERT_TRUE(daemon_->signal(SIGTERM));
    const std::optional<int> status = daemon_->wait_exit(1s);
    ASSERT_TRUE(status) << "still running 1 s after SIGTERM";
    std::printf("[ figures  ] exited %.0f ms after SIGTERM\n", 1000.0 * seconds_between(sent, Clock::now()));
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << describe_wait_status(status);
    EXPECT_TRUE(notify.wait_for("STOPPING=1", 1s, sent));
    EXPECT_TRUE(notify.matching("READY=1").empty());
}

// 5c. SIGTERM while jackd is frozen (SIGSTOP; a hung server looks the same):
//     the daemon should still exit within 3 s. (jack_deactivate() is a round
//     trip to the server and would block for as long as jackd is stopped, so
//     a stalled daemon leaves without deregistering.)
TEST_F(DaemonJackTest, SigtermWhileJackdFrozenExitsPromptly) {
    settings_.stall_timeout_s = 0.5;
    ASSERT_NO_FATAL_FAILURE(start_all());
    ASSERT_TRUE(jack_->signal(SIGSTOP));
    ASSERT_TRUE(daemon_->wait_for_log("has not run", 3s)) << daemon_->log();
    const auto sent = Clock::now();
    ASSERT_TRUE(daemon_->signal(SIGTERM));
    const std::optional<int> status = daemon_->wait_exit(3s);
    std::printf("[ figures  ] %s %.0f ms after SIGTERM\n", describe_wait_status(status).c_str(),
                1000.0 * seconds_between(sent, Clock::now()));
    ASSERT_TRUE(jack_->signal(SIGCONT));  // let a hung daemon go before the next check
    ASSERT_TRUE(status) << "still running 3 s after SIGTERM with jackd frozen";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << describe_wait_status(status);
}

// 7. The sd_notify protocol end to end: no READY=1 while jackd is missing,
//    READY=1 once it is there, a STATUS= line with the figures, WATCHDOG=1
//    every half WatchdogSec, no pings while jackd is frozen, pings again once
//    it runs, STOPPING=1 on SIGTERM.
TEST_F(DaemonJackTest, NotifyProtocolReadyStatusWatchdogAndStall) {
    NotifyListener notify(dir_.path() / "notify.sock");
    ASSERT_TRUE(notify.ok());
    settings_.stall_timeout_s = 0.5;
    const auto started = Clock::now();
    ASSERT_NO_FATAL_FAILURE(start_daemon({{"NOTIFY_SOCKET", notify.path().string()},
                                          {"WATCHDOG_USEC", "1000000"}}));

    // No server yet: the daemon waits, pings the watchdog, is not ready.
    ASSERT_TRUE(daemon_->wait_for_log("waiting for it", 3s)) << daemon_->log();
    std::this_thread::sleep_until(started + 1200ms);  // an observation window: nothing may come
    EXPECT_TRUE(daemon_->running());
    EXPECT_TRUE(notify.matching("READY=1").empty()) << "READY=1 before jackd was started";
    EXPECT_GE(notify.matching("WATCHDOG=1").size(), 2u) << "a daemon waiting for JACK is alive";

    ASSERT_NO_FATAL_FAILURE(start_jack());
    const auto jack_up = Clock::now();
    const std::optional<NotifyListener::Message> ready = notify.wait_for("READY=1", 8s);
    ASSERT_TRUE(ready) << daemon_->log();
    std::printf("[ figures  ] READY=1 %.0f ms after jackd accepted clients\n",
                1000.0 * seconds_between(jack_up, ready->when));

    // STATUS= once the process thread's policy is known (the first one may
    // come before that).
    std::optional<std::string> status;
    wait_until(
        [&] {
            for (const NotifyListener::Message& m : notify.matching("STATUS=")) {
                if (m.when > ready->when && m.text.find("48000 Hz") != std::string::npos &&
                    m.text.find("128 frames") != std::string::npos &&
                    m.text.find("SCHED_FIFO") != std::string::npos) {
                    status = m.text;
                    return true;
                }
            }
            return false;
        },
        4s);
    ASSERT_TRUE(status) << "no STATUS= with rate, period and SCHED_FIFO";
    std::printf("[ figures  ] %s\n", status->c_str());

    // Pings every ~0.5 s while the audio runs.
    ASSERT_TRUE(wait_until(
        [&] {
            std::size_t n = 0;
            for (const auto& m : notify.matching("WATCHDOG=1")) n += m.when > ready->when;
            return n >= 4;
        },
        4s));
    std::vector<double> gaps;
    std::optional<Clock::time_point> last;
    for (const auto& m : notify.matching("WATCHDOG=1")) {
        if (m.when <= ready->when) continue;
        if (last) gaps.push_back(seconds_between(*last, m.when));
        last = m.when;
    }
    ASSERT_GE(gaps.size(), 3u);
    const auto [min_gap, max_gap] = std::minmax_element(gaps.begin(), gaps.end());
    std::printf("[ figures  ] watchdog gaps while running: %zu, min %.3f s, max %.3f s\n", gaps.size(),
                *min_gap, *max_gap);
    const double mean_gap = std::accumulate(gaps.begin(), gaps.end(), 0.0) / static_cast<double>(gaps.size());
    std::printf("[ figures  ] mean watchdog gap %.3f s (WATCHDOG_USEC 1 s)\n", mean_gap);
    EXPECT_GT(*min_gap, 0.4);
    EXPECT_NEAR(mean_gap, 0.5, 0.1);
    EXPECT_LT(*max_gap, 0.8) << "a gap this long would let a 1 s watchdog fire";

    // Freeze jackd: the audio thread stops, the daemon notices after
    // stall_timeout_s and withholds the pings.
    ASSERT_TRUE(jack_->signal(SIGSTOP));
    const auto stopped = Clock::now();
    ASSERT_TRUE(daemon_->wait_for_log("has not run", 3s)) << daemon_->log();
    const auto stall_seen = Clock::now();
    std::printf("[ figures  ] stall reported %.0f ms after SIGSTOP (stall_timeout_s 0.5)\n",
                1000.0 * seconds_between(stopped, stall_seen));
    EXPECT_GE(seconds_between(stopped, stall_seen), 0.45);
    EXPECT_LE(seconds_between(stopped, stall_seen), 1.5);
    std::this_thread::sleep_until(stall_seen + 1600ms);  // an observation window: no ping may come
    // A ping in the very tick that reports the stall is still for progress
    // made before it; anything from 0.1 s on is one too many.
    std::size_t pings_while_stalled = 0;
    for (const auto& m : notify.matching("WATCHDOG=1")) {
        pings_while_stalled += m.when > stall_seen + 100ms && m.when <= stall_seen + 1600ms;
    }
    EXPECT_EQ(pings_while_stalled, 0u) << "WATCHDOG=1 while the audio thread is stalled";
    bool status_says_stalled = false;
    for (const auto& m : notify.matching("STATUS=")) {
        status_says_stalled |= m.when > stall_seen && m.text.find("AUDIO STALLED") != std::string::npos;
    }
    EXPECT_TRUE(status_says_stalled) << "STATUS= should say the audio is stalled";
    EXPECT_TRUE(daemon_->running());

    ASSERT_TRUE(jack_->signal(SIGCONT));
    const auto resumed = Clock::now();
    ASSERT_TRUE(daemon_->wait_for_log("running again", 3s)) << daemon_->log();
    const std::optional<NotifyListener::Message> ping = notify.wait_for("WATCHDOG=1", 2s, resumed);
    ASSERT_TRUE(ping) << "watchdog pings did not resume";
    std::printf("[ figures  ] first ping %.0f ms after SIGCONT\n", 1000.0 * seconds_between(resumed, ping->when));

    const auto term = Clock::now();
    ASSERT_TRUE(daemon_->signal(SIGTERM));
    const std::optional<int> exit_status = daemon_->wait_exit(3s);
    ASSERT_TRUE(exit_status);
    EXPECT_TRUE(WIFEXITED(*exit_status) && WEXITSTATUS(*exit_status) == 0) << describe_wait_status(exit_status);
    EXPECT_TRUE(notify.wait_for("STOPPING=1", 1s, term));
}

// 8. With jackd real-time (jackd2's default -R, as root), the daemon's JACK
//    process thread runs SCHED_FIFO: the daemon says so, and /proc agrees.
TEST_F(DaemonJackTest, ProcessThreadRunsSchedFifo) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    const std::optional<std::string> line =
        daemon_->wait_for_log("JACK process thread runs SCHED_FIFO priority [0-9]+", 5s);
    ASSERT_TRUE(line) << daemon_->log();
    const int logged_priority = std::atoi(line->substr(line->rfind(' ') + 1).c_str());

    const std::vector<ThreadSched> threads = thread_scheduling(daemon_->pid());
    ASSERT_FALSE(threads.empty());
    std::size_t fifo = 0;
    bool priority_matches = false;
    for (const ThreadSched& t : threads) {
        std::printf("[ figures  ] rtgraphd thread %d '%s': policy %d, rt_priority %d\n", t.tid,
                    t.name.c_str(), t.policy, t.rt_priority);
        if (t.policy == SCHED_FIFO) {
            ++fifo;
            priority_matches |= t.rt_priority == logged_priority;
        }
    }
    EXPECT_GE(fifo, 1u) << "no SCHED_FIFO thread in rtgraphd";
    EXPECT_TRUE(priority_matches) << "no SCHED_FIFO thread at the logged priority " << logged_priority;
    // The control thread (the main thread, tid == pid) is not real-time.
    for (const ThreadSched& t : threads) {
        if (t.tid == daemon_->pid()) {
            EXPECT_EQ(t.policy, SCHED_OTHER);
        }
    }
}

}  // namespace
}  // namespace rtgraph::integration
