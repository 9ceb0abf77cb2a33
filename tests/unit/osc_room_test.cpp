// OscTransport under connection pressure: the per-address and total limits,
// which connection gives its slot to a newcomer, and the frame timeout. Real
// TCP sockets on loopback, from several source addresses of 127.0.0.0/8 (all
// of it is loopback on Linux); the transport's clock is the test's, moved by
// hand, so no outcome here depends on how fast the machine is.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rtgraph/control/osc_transport.hpp"
#include "support/loopback_socket.hpp"

namespace rtgraph::control {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

// A client socket that closes itself.
struct Client {
    int fd = -1;
    explicit Client(int f) : fd(f) {}
    ~Client() {
        if (fd >= 0) ::close(fd);
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    bool write(const std::vector<std::uint8_t>& bytes) const {
        return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    }
    bool closed() const { return test_support::closed_by_peer(fd); }
};

// A TCP connection from `source` (an address in 127.0.0.0/8) to port.
std::unique_ptr<Client> connect_from(const char* source, int port) {
    const int fd = test_support::tcp_connect_from(source, port);
    return fd < 0 ? nullptr : std::make_unique<Client>(fd);
}

// A whole frame: "/p\0\0,i\0\0" + int32 tag, size-prefixed.
std::vector<std::uint8_t> frame(std::uint8_t tag) {
    return {0, 0, 0, 12, '/', 'p', 0, 0, ',', 'i', 0, 0, 0, 0, 0, tag};
}
// The first 10 of that frame's 16 bytes: a frame begun and not finished.
std::vector<std::uint8_t> half_frame() {
    std::vector<std::uint8_t> bytes = frame(0);
    bytes.resize(10);
    return bytes;
}

class OscRoomTest : public ::testing::Test {
protected:
    void open(std::size_t max_clients, std::size_t per_address) {
        OscTransportConfig config;
        config.ephemeral_ports = true;
        config.allow = {"127.0.0.0/8"};
        config.max_stream_clients = max_clients;
        config.max_stream_clients_per_address = per_address;
        config.idle_timeout = 30s;
        config.frame_timeout = 10s;
        config.clock = [this] { return now_; };
        std::string error;
        ASSERT_TRUE(transport_.open(config, error)) << error;
    }

    // One pass of the daemon's loop, without waiting.
    void pump() {
        std::vector<pollfd> fds;
        transport_.append_poll_fds(fds);
        ::poll(fds.data(), fds.size(), 0);
        transport_.service(
            [this](std::span<const std::uint8_t> packet, const OscPeer& peer) {
                tags_.push_back(packet.back());
                peers_.push_back(peer);
            });
    }
    // Pumps until `done` (real time, only as a guard against a hang: every
    // outcome is decided by the test's clock).
    bool pump_until(const std::function<bool()>& done) {
        const auto give_up = std::chrono::steady_clock::now() + 5s;
        while (!done()) {
            if (std::chrono::steady_clock::now() > give_up) return false;
            pump();
            ::usleep(200);
        }
        return true;
    }
    // A client that connects from `source` and is accepted (a pass of its own).
    std::unique_ptr<Client> accepted_from(const char* source) {
        const std::size_t before = stats().stream_clients + stats().stream_clients_evicted;
        auto client = connect_from(source, transport_.tcp_port());
        EXPECT_NE(client, nullptr) << source;
        EXPECT_TRUE(pump_until([&] { return stats().stream_clients + stats().stream_clients_evicted > before; }));
        return client;
    }
    // A client that speaks once (frame `tag`) and is heard.
    std::unique_ptr<Client> speaking_from(const char* source, std::uint8_t tag) {
        auto client = accepted_from(source);
        EXPECT_TRUE(client->write(frame(tag)));
        EXPECT_TRUE(pump_until([&] { return !tags_.empty() && tags_.back() == tag; }));
        return client;
    }
    const OscTransportStats& stats() const { return transport_.stats(); }

    TimePoint now_ = TimePoint{} + 1000s;
    OscTransport transport_;
    std::vector<std::uint8_t> tags_;  // the last byte of each packet delivered
    std::vector<OscPeer> peers_;
};

TEST_F(OscRoomTest, OneAddressCannotTakeMoreThanItsShare) {
    open(64, 4);
    std::vector<std::unique_ptr<Client>> mine;
    for (std::uint8_t i = 1; i <= 4; ++i) mine.push_back(speaking_from("127.0.0.2", i));
    auto fifth = connect_from("127.0.0.2", transport_.tcp_port());
    ASSERT_NE(fifth, nullptr);
    ASSERT_TRUE(pump_until([&] { return stats().stream_clients_refused == 1; }));
    EXPECT_TRUE(pump_until([&] { return fifth->closed(); }));
    EXPECT_EQ(stats().stream_clients, 4u);
    // Another address still gets in and is heard.
    auto other = speaking_from("127.0.0.3", 9);
    EXPECT_EQ(stats().stream_clients, 5u);
    for (const auto& client : mine) EXPECT_FALSE(client->closed());
    EXPECT_EQ(stats().stream_clients_evicted, 0u);
}

TEST_F(OscRoomTest, SilentConnectionsGiveWayOldestFirst) {
    open(4, 4);
    auto talker = speaking_from("127.0.0.2", 1);
    std::vector<std::unique_ptr<Client>> silent;
    for (int i = 0; i < 3; ++i) {
        silent.push_back(accepted_from("127.0.0.3"));
        now_ += 1s;
    }
    ASSERT_EQ(stats().stream_clients, 4u);
    // Full: a newcomer takes the slot of the oldest silent one, at once (no
    // timeout needed: a connection that never sent a packet is not in use).
    auto newcomer = connect_from("127.0.0.4", transport_.tcp_port());
    ASSERT_TRUE(newcomer->write(frame(7)));
    ASSERT_TRUE(pump_until([&] { return !tags_.empty() && tags_.back() == 7; }));
    EXPECT_EQ(stats().stream_clients_evicted, 1u);
    EXPECT_EQ(stats().stream_clients_refused, 0u);
    EXPECT_TRUE(pump_until([&] { return silent[0]->closed(); }));
    EXPECT_FALSE(silent[1]->closed());
    EXPECT_FALSE(silent[2]->closed());
    EXPECT_FALSE(talker->closed());
}

TEST_F(OscRoomTest, ASilentConnectionGoesBeforeOneSendingItsFirstPacket) {
    open(3, 3);
    auto talker = speaking_from("127.0.0.2", 1);
    auto sending = accepted_from("127.0.0.3");  // older, but its first frame is arriving
    ASSERT_TRUE(sending->write(half_frame()));
    pump();
    now_ += 1s;
    auto silent = accepted_from("127.0.0.4");
    now_ += 1s;
    auto first = connect_from("127.0.0.5", transport_.tcp_port());
    ASSERT_TRUE(first->write(frame(2)));  // it speaks: in use from now on
    ASSERT_TRUE(pump_until([&] { return stats().stream_clients_evicted == 1 && tags_.back() == 2; }));
    EXPECT_TRUE(pump_until([&] { return silent->closed(); }));
    EXPECT_FALSE(sending->closed());
    now_ += 1s;
    auto second = connect_from("127.0.0.6", transport_.tcp_port());  // now the half frame goes
    ASSERT_TRUE(pump_until([&] { return stats().stream_clients_evicted == 2; }));
    EXPECT_TRUE(pump_until([&] { return sending->closed(); }));
    EXPECT_FALSE(first->closed());
    EXPECT_FALSE(talker->closed());
}

TEST_F(OscRoomTest, ARequestThatHasArrivedIsReadBeforeItsSlotIsGiven) {
    open(1, 1);
    auto client = accepted_from("127.0.0.2");
    // Its request and a newcomer arrive before the transport looks again:
    // the request is read first, so the client is in use and the newcomer
    // is refused (rather than the request thrown away with its connection).
    ASSERT_TRUE(client->write(frame(5)));
    auto newcomer = connect_from("127.0.0.3", transport_.tcp_port());
    ASSERT_NE(newcomer, nullptr);
    ASSERT_TRUE(pump_until([&] { return stats().stream_clients_refused == 1; }));
    ASSERT_EQ(tags_.size(), 1u);
    EXPECT_EQ(tags_[0], 5);
    EXPECT_EQ(stats().stream_clients_evicted, 0u);
    EXPECT_FALSE(client->closed());
}

TEST_F(OscRoomTest, ClientsInUseKeepTheirSlotsUntilIdleTimeout) {
    open(3, 3);
    auto first = speaking_from("127.0.0.2", 1);
    now_ += 1s;
    auto second = speaking_from("127.0.0.3", 2);
    now_ += 1s;
    auto third = speaking_from("127.0.0.4", 3);
    // `first` speaks again, so `second` is the one idle longest.
    ASSERT_TRUE(first->write(frame(4)));
    ASSERT_TRUE(pump_until([&] { return tags_.back() == 4; }));

    now_ += 30s - 1s - 1ns;  // `second` idle 1 ns short of idle_timeout: every slot is in use
    auto early = connect_from("127.0.0.5", transport_.tcp_port());
    ASSERT_TRUE(pump_until([&] { return stats().stream_clients_refused == 1; }));
    EXPECT_TRUE(pump_until([&] { return early->closed(); }));

    now_ += 1ns;  // now it is idle for idle_timeout: its slot goes to a newcomer
    auto late = connect_from("127.0.0.5", transport_.tcp_port());
    ASSERT_TRUE(late->write(frame(5)));
    ASSERT_TRUE(pump_until([&] { return tags_.back() == 5; }));
    EXPECT_EQ(stats().stream_clients_evicted, 1u);
    EXPECT_TRUE(pump_until([&] { return second->closed(); }));
    EXPECT_FALSE(first->closed());
    EXPECT_FALSE(third->closed());
}

TEST_F(OscRoomTest, AClientBeingSentToIsInUse) {
    open(2, 2);
    auto listener = speaking_from("127.0.0.2", 1);  // e.g. a subscriber
    const OscPeer listener_peer = peers_.back();
    auto other = speaking_from("127.0.0.3", 2);
    const std::vector<std::uint8_t> notification = {'/', 'n', 0, 0, ',', 0, 0, 0};
    for (int i = 0; i < 8; ++i) {  // 40 s: the listener hears something every 5 s
        now_ += 5s;
        ASSERT_TRUE(transport_.send(listener_peer, notification));
    }
    auto newcomer = connect_from("127.0.0.4", transport_.tcp_port());
    ASSERT_TRUE(newcomer->write(frame(3)));
    ASSERT_TRUE(pump_until([&] { return tags_.back() == 3; }));
    EXPECT_TRUE(pump_until([&] { return other->closed(); }));
    EXPECT_FALSE(listener->closed());
}

TEST_F(OscRoomTest, NewcomersOfOneFullAddressChurnOnlyThatAddress) {
    open(8, 3);
    auto elsewhere = accepted_from("127.0.0.9");  // silent, but on another address
    std::vector<std::unique_ptr<Client>> flood;
    for (int i = 0; i < 3; ++i) {
        flood.push_back(accepted_from("127.0.0.2"));
        now_ += 1s;
    }
    flood.push_back(accepted_from("127.0.0.2"));  // its address is full: its oldest goes
    EXPECT_EQ(stats().stream_clients_evicted, 1u);
    EXPECT_TRUE(pump_until([&] { return flood[0]->closed(); }));
    EXPECT_FALSE(elsewhere->closed());
    EXPECT_EQ(stats().stream_clients, 4u);
}

TEST_F(OscRoomTest, AFrameThatStallsIsCutOffAfterFrameTimeout) {
    open(64, 16);
    // Each write ends a frame (its delivery shows the bytes were read at the
    // time the test's clock says) and begins the next.
    const auto then_begun = [](std::vector<std::uint8_t> bytes) {
        const std::vector<std::uint8_t> begun = half_frame();
        bytes.insert(bytes.end(), begun.begin(), begun.end());
        return bytes;
    };
    auto stalled = accepted_from("127.0.0.2");
    auto moving = accepted_from("127.0.0.3");
    auto quiet = speaking_from("127.0.0.4", 1);  // between frames: nothing to time out
    ASSERT_TRUE(stalled->write(then_begun(frame(2))));
    ASSERT_TRUE(moving->write(then_begun(frame(3))));
    ASSERT_TRUE(pump_until([&] { return tags_.size() == 3; }));

    now_ += 10s - 1ms;
    std::vector<std::uint8_t> rest = frame(0);  // the begun frame finished, tag 0
    rest.erase(rest.begin(), rest.begin() + 10);
    ASSERT_TRUE(moving->write(then_begun(rest)));
    ASSERT_TRUE(pump_until([&] { return tags_.size() == 4; }));
    EXPECT_EQ(stats().stream_clients_timed_out, 0u);

    now_ += 1ms;  // `stalled` has had no byte for frame_timeout; `moving` had one 1 ms ago
    pump();
    EXPECT_EQ(stats().stream_clients_timed_out, 1u);
    EXPECT_TRUE(pump_until([&] { return stalled->closed(); }));
    EXPECT_FALSE(moving->closed());

    now_ += 1h;  // `moving` stalled too; `quiet` is idle, which is no reason to cut it off
    pump();
    EXPECT_EQ(stats().stream_clients_timed_out, 2u);
    EXPECT_TRUE(pump_until([&] { return moving->closed(); }));
    EXPECT_FALSE(quiet->closed());
    EXPECT_EQ(stats().stream_clients, 1u);
}

// The attack the limits are for: 200 silent connections and 70 stuck in the
// middle of a frame, from many addresses, then a newcomer: it is heard at
// once, and a client in use (one that spoke, then only listens) keeps its
// connection throughout.
TEST_F(OscRoomTest, AFloodOfSilentAndStalledConnectionsLocksNobodyOut) {
    open(64, 16);
    auto subscriber = speaking_from("127.0.0.1", 1);
    const OscPeer subscriber_peer = peers_.back();
    std::vector<std::unique_ptr<Client>> flood;
    const std::vector<std::uint8_t> notification = {'/', 'n', 0, 0, ',', 0, 0, 0};
    std::size_t sent = 0;
    for (int i = 0; i < 270; ++i) {
        const std::string source = "127.0." + std::to_string(2 + i / 20) + "." + std::to_string(1 + i % 20);
        flood.push_back(connect_from(source.c_str(), transport_.tcp_port()));
        ASSERT_NE(flood.back(), nullptr) << i;
        if (i >= 200) {
            ASSERT_TRUE(flood.back()->write(half_frame()));
        }
        pump();
        now_ += 100ms;
        if (i % 10 == 0) sent += transport_.send(subscriber_peer, notification) ? 1 : 0;
    }
    ASSERT_TRUE(pump_until([&] {
        return stats().stream_clients == 64 && stats().stream_clients_evicted >= 270 - 63;
    }));
    EXPECT_EQ(stats().stream_clients_refused, 0u);
    EXPECT_EQ(sent, 27u);
    EXPECT_FALSE(subscriber->closed());

    auto newcomer = connect_from("127.0.0.1", transport_.tcp_port());
    ASSERT_TRUE(newcomer->write(frame(42)));
    // Heard in the pass that accepts it (one pass may take two: the bytes
    // can trail the connection by a moment).
    ASSERT_TRUE(pump_until([&] { return tags_.back() == 42; }));
    EXPECT_FALSE(subscriber->closed());
    EXPECT_TRUE(transport_.send(subscriber_peer, notification));
}

}  // namespace
}  // namespace rtgraph::control
