// No client locks the others out: rtgraphd under 200 silent TCP connections
// and 70 stuck in the middle of a frame, from many source addresses of
// 127.0.0.0/8 (all loopback on Linux). A newcomer's /version is answered, a
// subscriber keeps hearing every notification, and the half frames are cut
// off. The transport's choice of whom to cut off is tested exactly, with a
// clock of its own, in tests/unit/osc_room_test.cpp; this is the daemon.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "osc_client.hpp"
#include "support/loopback_socket.hpp"

namespace rtgraph::integration {
namespace {

using Kind = OscClient::Kind;

constexpr int kSilent = 200;
constexpr int kStalled = 70;
constexpr double kFrameTimeoutS = 1.0;

using test_support::closed_by_peer;
using test_support::tcp_connect_from;

class OscRoomTest : public OscDaemonTest {
protected:
    void TearDown() override {
        for (const int fd : attackers_) ::close(fd);
        OscDaemonTest::TearDown();
    }
    std::vector<int> attackers_;
};

TEST_F(OscRoomTest, SilentAndStalledConnectionsLockNobodyOut) {
    settings_.osc_allow = {"127.0.0.0/8"};
    settings_.osc_frame_timeout_s = kFrameTimeoutS;
    ASSERT_NO_FATAL_FAILURE(start_all("add sine osc freq=440 amp=0.1\n"));
    std::unique_ptr<OscClient> listener = connect(Kind::kTcp);
    ASSERT_TRUE(listener->ok()) << listener->error();
    const std::optional<OscReply> subscribed = listener->request("/subscribe", {osc_s("param")});
    ASSERT_TRUE(subscribed && subscribed->done);

    // A newcomer's /version before the flood: the baseline the flood is compared with.
    const auto version_latency = [&]() -> std::optional<Clock::duration> {
        const Clock::time_point start = Clock::now();
        std::unique_ptr<OscClient> newcomer = connect(Kind::kTcp);
        if (!newcomer->ok()) return std::nullopt;
        const std::optional<OscReply> reply = newcomer->request("/version", {}, 3s);
        if (!reply || !reply->done) return std::nullopt;
        return Clock::now() - start;
    };
    std::vector<Clock::duration> before;
    for (int i = 0; i < 5; ++i) {
        const std::optional<Clock::duration> latency = version_latency();
        ASSERT_TRUE(latency) << "no /version before the flood";
        before.push_back(*latency);
    }
    std::sort(before.begin(), before.end());
    const std::optional<Clock::duration> baseline = before[2];  // the median

    // The flood: one connection per address (so the total limit is what
    // fills), the last 70 sending 10 of a 16-byte frame; between them, a
    // parameter changes 10 times, each heard by the subscriber.
    const std::vector<std::uint8_t> half_frame = {0, 0, 0, 12, '/', 'v', 0, 0, ',', 0};
    std::vector<float> values_set;
    for (int i = 0; i < kSilent + kStalled; ++i) {
        const std::string source = "127.0." + std::to_string(2 + i / 100) + "." + std::to_string(1 + i % 100);
        const int fd = tcp_connect_from(source, port_);
        ASSERT_GE(fd, 0) << source << ": " << std::strerror(errno);
        attackers_.push_back(fd);
        if (i >= kSilent) {
            ASSERT_EQ(::send(fd, half_frame.data(), half_frame.size(), MSG_NOSIGNAL), 10) << source;
        }
        if (i % 27 == 0) {
            values_set.push_back(0.1f + 0.01f * static_cast<float>(values_set.size()));
            ok("/param/set", {osc_s("osc"), osc_s("amp"), osc_f(values_set.back())});
        }
    }
    const Clock::time_point flood_ended = Clock::now();

    const std::optional<Clock::duration> during = version_latency();
    ASSERT_TRUE(during) << "a newcomer got no /version answer after the flood";
    // The 100 ms, or 20 times this run's own baseline on a machine
    // slow enough that 100 ms is within noise of it.
    const auto bound = std::max<Clock::duration>(100ms, 20 * *baseline);
    const auto us = [](Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); };
    std::printf("[ figures  ] newcomer /version: %.0f us before the flood, %.0f us after it (bound %.0f us)\n",
                us(*baseline), us(*during), us(bound));
    EXPECT_LE(*during, bound);

    // The subscriber heard every change, in order, and is still connected.
    std::vector<float> heard;
    while (heard.size() < values_set.size()) {
        const std::optional<OscMessage> note =
            listener->wait_message([](const OscMessage& m) { return m.address == "/notify/param"; }, 3s);
        if (!note) break;
        heard.push_back(std::get<float>(note->args[2].value));
    }
    EXPECT_EQ(heard, values_set);
    EXPECT_FALSE(listener->closed_by_peer());

    // Every half frame is gone within the frame timeout (evicted earlier or
    // timed out), and the daemon never held more than its 64 slots.
    const Clock::time_point give_up = flood_ended + std::chrono::milliseconds(static_cast<int>(kFrameTimeoutS * 1000)) + 5s;
    std::size_t stalled_open = kStalled;
    while (stalled_open > 0 && Clock::now() < give_up) {
        stalled_open = static_cast<std::size_t>(std::count_if(
            attackers_.begin() + kSilent, attackers_.end(), [](int fd) { return !closed_by_peer(fd); }));
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(stalled_open, 0u) << "connections stuck mid-frame still open after the frame timeout";
    const nlohmann::json s = status();
    std::printf("[ figures  ] stream clients %d, refused %d, evicted %d, timed out %d\n",
                s.value("osc_stream_clients", -1), s.value("osc_stream_clients_refused", -1),
                s.value("osc_stream_clients_evicted", -1), s.value("osc_stream_clients_timed_out", -1));
    EXPECT_LE(s.value("osc_stream_clients", 999), 64);
    EXPECT_GE(s.value("osc_stream_clients_evicted", 0) + s.value("osc_stream_clients_refused", 0) +
                  s.value("osc_stream_clients_timed_out", 0),
              kSilent + kStalled - 64);
    EXPECT_FALSE(listener->closed_by_peer());
}

}  // namespace
}  // namespace rtgraph::integration
