// ServiceNotifier against a fake service manager: the test binds a Unix
// datagram socket, points NOTIFY_SOCKET at it (a path, and the abstract "@"
// form) and checks each datagram byte for byte. Single-threaded test code.
#include "rtgraph/service/service_notifier.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

namespace {

using rtgraph::service::format_status;
using rtgraph::service::ServiceNotifier;
using rtgraph::service::StatusFigures;

constexpr int kReceiveTimeoutMs = 2000;
// Long enough for a datagram already sent to be queued: sd_notify returns
// only after sendmsg() has delivered it to the receiving socket.
constexpr int kNothingTimeoutMs = 50;

// The environment variables sd_notify and sd_watchdog_enabled read.
void clear_notify_environment() {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

// A bound datagram socket standing in for systemd's notification socket.
class FakeManager {
public:
    // abstract: bind in the abstract namespace ("@name" in NOTIFY_SOCKET).
    explicit FakeManager(bool abstract) {
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        socklen_t length = 0;
        if (abstract) {
            name_ = "rtgraph-notify-test-" + std::to_string(getpid());
            address.sun_path[0] = '\0';
            std::memcpy(address.sun_path + 1, name_.data(), name_.size());
            length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name_.size());
            notify_socket_ = "@" + name_;
        } else {
            std::string pattern =
                (std::filesystem::temp_directory_path() / "rtgraph-notify-XXXXXX").string();
            if (mkdtemp(pattern.data()) != nullptr) directory_ = pattern;
            name_ = directory_ + "/notify";
            std::memcpy(address.sun_path, name_.c_str(), name_.size() + 1);
            length = static_cast<socklen_t>(sizeof address);
            notify_socket_ = name_;
        }
        bound_ = fd_ >= 0 && name_.size() < sizeof address.sun_path - 1 &&
                 bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) == 0;
    }
    ~FakeManager() {
        if (fd_ >= 0) close(fd_);
        if (!directory_.empty()) {
            std::error_code ignored;
            std::filesystem::remove_all(directory_, ignored);
        }
    }
    FakeManager(const FakeManager&) = delete;
    FakeManager& operator=(const FakeManager&) = delete;

    bool bound() const { return bound_; }
    const std::string& notify_socket() const { return notify_socket_; }

    // The next datagram, or nothing if none arrives within timeout_ms.
    std::optional<std::string> receive(int timeout_ms = kReceiveTimeoutMs) {
        pollfd waiting{fd_, POLLIN, 0};
        if (poll(&waiting, 1, timeout_ms) != 1) return std::nullopt;
        char buffer[4096];
        const ssize_t size = recv(fd_, buffer, sizeof buffer, 0);
        if (size < 0) return std::nullopt;
        return std::string(buffer, static_cast<std::size_t>(size));
    }

private:
    int fd_ = -1;
    bool bound_ = false;
    std::string directory_;
    std::string name_;
    std::string notify_socket_;
};

class ServiceNotifierTest : public ::testing::TestWithParam<bool> {
protected:
    void SetUp() override {
        clear_notify_environment();
        ASSERT_TRUE(manager_.bound()) << "cannot bind " << manager_.notify_socket();
        setenv("NOTIFY_SOCKET", manager_.notify_socket().c_str(), 1);
    }
    void TearDown() override { clear_notify_environment(); }

    FakeManager manager_{GetParam()};
};

TEST_P(ServiceNotifierTest, SendsEachMessageAsOneExactDatagram) {
    ServiceNotifier notifier;
    ASSERT_TRUE(notifier.enabled());

    EXPECT_TRUE(notifier.ready());
    EXPECT_EQ(manager_.receive(), "READY=1");
    EXPECT_TRUE(notifier.status("48000 Hz, 128 frames, DSP 3.2%, 0 xruns, SCHED_FIFO"));
    EXPECT_EQ(manager_.receive(), "STATUS=48000 Hz, 128 frames, DSP 3.2%, 0 xruns, SCHED_FIFO");
    EXPECT_TRUE(notifier.watchdog_ping());
    EXPECT_EQ(manager_.receive(), "WATCHDOG=1");
    EXPECT_TRUE(notifier.stopping());
    EXPECT_EQ(manager_.receive(), "STOPPING=1");
    EXPECT_EQ(manager_.receive(kNothingTimeoutMs), std::nullopt);
}

TEST_P(ServiceNotifierTest, ReloadingCarriesAMonotonicTimestamp) {
    ServiceNotifier notifier;
    EXPECT_TRUE(notifier.reloading());
    const std::optional<std::string> message = manager_.receive();
    ASSERT_TRUE(message.has_value());
    const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
    ASSERT_EQ(message->substr(0, prefix.size()), prefix);
    const std::string usec = message->substr(prefix.size());
    ASSERT_FALSE(usec.empty());
    EXPECT_EQ(usec.find_first_not_of("0123456789"), std::string::npos) << usec;
    EXPECT_GT(std::stoull(usec), 0u);
}

TEST_P(ServiceNotifierTest, StatusCannotSmuggleASecondAssignment) {
    ServiceNotifier notifier;
    EXPECT_TRUE(notifier.status("oops\nREADY=1"));
    EXPECT_EQ(manager_.receive(), "STATUS=oops READY=1");
}

TEST_P(ServiceNotifierTest, WatchdogPingsOnlyWhileTheAudioThreadProgresses) {
    ServiceNotifier notifier;
    // The first look at a connected engine counts as progress.
    EXPECT_TRUE(notifier.watchdog_ping_if_progress(100, true));
    EXPECT_EQ(manager_.receive(), "WATCHDOG=1");
    // Blocks were processed since: ping.
    EXPECT_TRUE(notifier.watchdog_ping_if_progress(475, true));
    EXPECT_EQ(manager_.receive(), "WATCHDOG=1");
    // Counter stands still while connected: a wedged audio thread, no ping.
    EXPECT_FALSE(notifier.watchdog_ping_if_progress(475, true));
    EXPECT_FALSE(notifier.watchdog_ping_if_progress(475, true));
    EXPECT_EQ(manager_.receive(kNothingTimeoutMs), std::nullopt);
    // JACK gone: the daemon is waiting to reconnect, which is alive enough.
    EXPECT_TRUE(notifier.watchdog_ping_if_progress(475, false));
    EXPECT_EQ(manager_.receive(), "WATCHDOG=1");
    // Reconnected with a fresh counter that happens to equal the old one.
    EXPECT_TRUE(notifier.watchdog_ping_if_progress(475, true));
    EXPECT_EQ(manager_.receive(), "WATCHDOG=1");
    // A counter that restarts lower is still a change.
    EXPECT_TRUE(notifier.watchdog_ping_if_progress(3, true));
    EXPECT_EQ(manager_.receive(), "WATCHDOG=1");
}

INSTANTIATE_TEST_SUITE_P(PathAndAbstractSocket, ServiceNotifierTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                             return param_info.param ? std::string("Abstract")
                                                     : std::string("Path");
                         });

TEST(ServiceNotifierDisabled, WithoutNotifySocketNothingIsSent) {
    clear_notify_environment();
    FakeManager manager(false);
    ASSERT_TRUE(manager.bound());
    ServiceNotifier notifier;
    EXPECT_FALSE(notifier.enabled());
    EXPECT_FALSE(notifier.ready());
    EXPECT_FALSE(notifier.status("x"));
    EXPECT_FALSE(notifier.watchdog_ping());
    EXPECT_FALSE(notifier.watchdog_ping_if_progress(1, true));
    EXPECT_FALSE(notifier.stopping());
    EXPECT_FALSE(notifier.reloading());
    EXPECT_EQ(manager.receive(kNothingTimeoutMs), std::nullopt);
}

TEST(ServiceNotifierDisabled, EnvironmentIsReadOnceAtConstruction) {
    clear_notify_environment();
    FakeManager manager(false);
    ASSERT_TRUE(manager.bound());
    ServiceNotifier notifier;
    setenv("NOTIFY_SOCKET", manager.notify_socket().c_str(), 1);
    EXPECT_FALSE(notifier.enabled());
    EXPECT_FALSE(notifier.ready());
    EXPECT_EQ(manager.receive(kNothingTimeoutMs), std::nullopt);
    clear_notify_environment();
}

TEST(ServiceNotifierDisabled, UnreachableSocketReportsFailure) {
    clear_notify_environment();
    setenv("NOTIFY_SOCKET", "/nonexistent/rtgraph/notify", 1);
    ServiceNotifier notifier;
    EXPECT_TRUE(notifier.enabled());
    EXPECT_FALSE(notifier.ready());
    clear_notify_environment();
}

TEST(ServiceNotifierWatchdog, IntervalIsHalfOfWatchdogSec) {
    clear_notify_environment();
    setenv("WATCHDOG_USEC", "10000000", 1);
    setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
    ServiceNotifier notifier;
    EXPECT_EQ(notifier.watchdog_interval(), std::chrono::microseconds(5'000'000));
    EXPECT_EQ(notifier.watchdog_interval(), std::chrono::seconds(5));  // environment kept
    clear_notify_environment();
}

TEST(ServiceNotifierWatchdog, NoIntervalWithoutAWatchdogForThisProcess) {
    clear_notify_environment();
    ServiceNotifier notifier;
    EXPECT_EQ(notifier.watchdog_interval(), std::nullopt);

    setenv("WATCHDOG_USEC", "10000000", 1);
    setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);  // a parent's watchdog
    EXPECT_EQ(notifier.watchdog_interval(), std::nullopt);

    setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
    setenv("WATCHDOG_USEC", "garbage", 1);
    EXPECT_EQ(notifier.watchdog_interval(), std::nullopt);
    clear_notify_environment();
}

TEST(FormatStatus, ConnectedRealtime) {
    StatusFigures figures;
    figures.sample_rate = 48000.0;
    figures.period = 128;
    figures.dsp_load_percent = 3.2;
    figures.xruns = 0;
    figures.realtime = true;
    figures.jack_connected = true;
    EXPECT_EQ(format_status(figures), "48000 Hz, 128 frames, DSP 3.2%, 0 xruns, SCHED_FIFO");
}

TEST(FormatStatus, NotRealtimeAndOneXrun) {
    StatusFigures figures;
    figures.sample_rate = 44100.0;
    figures.period = 1024;
    figures.dsp_load_percent = 57.25;
    figures.xruns = 1;
    figures.realtime = false;
    figures.jack_connected = true;
    EXPECT_EQ(format_status(figures), "44100 Hz, 1024 frames, DSP 57.2%, 1 xrun, NOT realtime");
}

TEST(FormatStatus, LargeCountsAndUnknownLoad) {
    StatusFigures figures;
    figures.sample_rate = 96000.0;
    figures.period = 64;
    figures.dsp_load_percent = std::nan("");
    figures.xruns = 18'446'744'073'709'551'615ull;
    figures.realtime = true;
    figures.jack_connected = true;
    EXPECT_EQ(format_status(figures),
              "96000 Hz, 64 frames, DSP n/a, 18446744073709551615 xruns, SCHED_FIFO");
}

TEST(FormatStatus, JackLost) {
    StatusFigures figures;
    figures.sample_rate = 48000.0;
    figures.period = 128;
    figures.jack_connected = false;
    EXPECT_EQ(format_status(figures), "JACK server lost, reconnecting");
}

}  // namespace
