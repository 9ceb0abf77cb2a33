// An idle rtgraphd sleeps: with no nodes and no clients its control thread
// wakes a few times a second (the idle look: watchdog, stall detection,
// status), not every 10 ms. Counted from the outside, as voluntary context
// switches of the control thread (/proc/PID/task/PID/status: one per sleep
// that ended), against a real jackd.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "jack_harness.hpp"

namespace rtgraph::integration {
namespace {

// The bound for an idle control thread.
constexpr double kMaxIdleWakeupsPerSecond = 5.0;

// voluntary_ctxt_switches of thread `tid` of `pid`; nullopt if unreadable.
std::optional<long> voluntary_switches(pid_t pid, pid_t tid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) +
                         "/status");
    std::string key;
    long value = 0;
    while (status >> key) {
        if (key == "voluntary_ctxt_switches:" && status >> value) return value;
    }
    return std::nullopt;
}

TEST(DaemonIdleTest, AnIdleControlThreadWakesAFewTimesASecond) {
    TempDir dir;
    const std::string server = unique_name("rtgidle");
    JackServer jack(server, dir.path() / "jackd.log");
    std::string error;
    ASSERT_TRUE(jack.start(error)) << error;
    DaemonSettings settings;
    settings.server_name = server;  // no patch: no nodes; no OSC ports: no clients
    DaemonProcess daemon(dir.path());
    ASSERT_TRUE(daemon.start(settings, error)) << error;
    ASSERT_TRUE(daemon.wait_for_log("rtgraphd ready", 10s)) << daemon.log();
    const pid_t pid = daemon.pid();  // the control thread is the main thread

    // Start-up keeps it busy for a moment (the first state write, the hold
    // after it): wait until a one-second window looks idle, at most 10 s.
    const auto rate_over = [&](std::chrono::milliseconds window) -> std::optional<double> {
        const std::optional<long> before = voluntary_switches(pid, pid);
        std::this_thread::sleep_for(window);
        const std::optional<long> after = voluntary_switches(pid, pid);
        if (!before || !after) return std::nullopt;
        return static_cast<double>(*after - *before) /
               std::chrono::duration<double>(window).count();
    };
    for (int i = 0; i < 10; ++i) {
        const std::optional<double> rate = rate_over(1000ms);
        ASSERT_TRUE(rate.has_value())
            << "cannot read /proc/" << pid << "/task/" << pid << "/status";
        if (*rate <= kMaxIdleWakeupsPerSecond) break;
    }

    const std::optional<double> rate = rate_over(5000ms);
    ASSERT_TRUE(rate.has_value());
    EXPECT_LE(*rate, kMaxIdleWakeupsPerSecond) << "control thread wake-ups per second while idle";
    EXPECT_GT(*rate, 0.0) << "the idle look (watchdog, stall detection) must still run";
    ASSERT_TRUE(daemon.running()) << daemon.log();
}

}  // namespace
}  // namespace rtgraph::integration
