// Floods rtgraphd's OSC port with 100,000 /param/set requests from one client
// (TCP pipelined, and UDP), reading replies in a second thread: every request
// gets at most one reply (TCP: exactly one), /done or /error busy; the daemon
// stays up; rtgraphd's own overrun cycles (/status deadline_misses) and the
// whole graph's xruns (a JACK client's xrun callback, and the daemon's
// /status count) during the flood are compared with an idle stretch of the
// same length in the same run.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "osc_client.hpp"

namespace rtgraph::integration {
namespace {

constexpr std::int32_t kRequests = 100000;

// What the reader thread saw, by request id 1..kRequests.
struct Tally {
    explicit Tally(std::int32_t count = kRequests) : requests(count), replies(static_cast<std::size_t>(count) + 1, 0) {}
    std::int32_t requests;
    std::vector<std::uint8_t> replies;
    std::atomic<std::int64_t> total{0};
    std::int64_t done = 0;
    std::int64_t busy = 0;
    std::int64_t other = 0;  // any other reply: must stay 0
    std::int64_t stray = 0;  // replies with an id outside 1..kRequests
    std::int64_t undecodable = 0;
    std::string first_other;
    Clock::time_point last_reply{};

    void take(const OscMessage& m) {
        if ((m.address != "/done" && m.address != "/error") || m.args.empty() || m.args[0].tag != 'i') {
            ++stray;
            return;
        }
        const std::int32_t id = std::get<std::int32_t>(m.args[0].value);
        if (id < 1 || id > requests) {
            ++stray;
            return;
        }
        ++replies[static_cast<std::size_t>(id)];
        if (m.address == "/done") {
            ++done;
        } else if (m.args.size() >= 3 && m.args[2].tag == 's' && std::get<std::string>(m.args[2].value) == "busy") {
            ++busy;
        } else {
            if (other++ == 0) first_other = describe_message(m);
        }
        last_reply = Clock::now();
        total.fetch_add(1, std::memory_order_release);
    }

    void decode(const std::uint8_t* data, std::size_t size) {
        control::OscPacket packet;
        std::string error;
        if (!control::parse_osc_packet({data, size}, packet, error, reply_limits())) {
            ++undecodable;
            return;
        }
        for (const OscMessage& m : packet.messages) take(m);
    }
};

// Reads replies from `fd` until `stop`; TCP frames or UDP datagrams.
void read_replies(int fd, bool stream, Tally& tally, const std::atomic<bool>& stop) {
    std::vector<std::uint8_t> buffer(1 << 16);
    std::vector<std::uint8_t> pending;
    while (!stop.load(std::memory_order_acquire)) {
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, 20) <= 0) continue;
        const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (stream) return;  // closed
            continue;
        }
        if (!stream) {
            tally.decode(buffer.data(), static_cast<std::size_t>(n));
            continue;
        }
        pending.insert(pending.end(), buffer.begin(), buffer.begin() + n);
        std::size_t at = 0;
        while (pending.size() - at >= 4) {
            const std::uint32_t size = (std::uint32_t{pending[at]} << 24) | (std::uint32_t{pending[at + 1]} << 16) |
                                       (std::uint32_t{pending[at + 2]} << 8) | std::uint32_t{pending[at + 3]};
            if (pending.size() - at - 4 < size) break;
            tally.decode(pending.data() + at + 4, size);
            at += 4 + size;
        }
        pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(at));
    }
}

// /param/set ID osc amp VALUE, for ids 1..count (values inside 0.4..0.5).
std::vector<std::vector<std::uint8_t>> flood_messages(std::int32_t count = kRequests) {
    std::vector<std::vector<std::uint8_t>> out;
    out.reserve(static_cast<std::size_t>(count));
    for (std::int32_t id = 1; id <= count; ++id) {
        out.push_back(control::encode_osc_message(OscMessage{
            "/param/set", {osc_i(id), osc_s("osc"), osc_s("amp"), osc_f(0.4f + 0.1f * static_cast<float>(id % 11) / 10.0f)}}));
    }
    return out;
}

// The messages as one TCP byte stream (each with its size prefix).
std::vector<std::uint8_t> framed(const std::vector<std::vector<std::uint8_t>>& messages) {
    std::vector<std::uint8_t> stream;
    stream.reserve(messages.size() * 44);
    for (const std::vector<std::uint8_t>& m : messages) {
        const auto size = static_cast<std::uint32_t>(m.size());
        stream.insert(stream.end(), {static_cast<std::uint8_t>(size >> 24), static_cast<std::uint8_t>(size >> 16),
                                     static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)});
        stream.insert(stream.end(), m.begin(), m.end());
    }
    return stream;
}

int open_socket(bool stream, int port) {
    const int fd = ::socket(AF_INET, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    const int big = 16 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    if (stream) {
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool send_all(int fd, const std::uint8_t* data, std::size_t size) {
    std::size_t sent = 0;
    while (sent < size) {
        const ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

class OscFloodTest : public OscDaemonTest {
protected:
    struct Xruns {
        std::uint64_t client = 0;  // the JACK xrun callback
        std::int64_t daemon = 0;   // /status "xruns"
        std::int64_t misses = 0;   // /status "deadline_misses": rtgraphd's own cycle over its period
    };

    Xruns xruns() {
        const nlohmann::json s = status();
        Xruns x;
        x.client = xrun_counter_->count();
        x.daemon = s.value("xruns", std::int64_t{-1});
        x.misses = s.value("deadline_misses", std::int64_t{-1});
        period_frames_ = s.value("period", 0);
        sample_rate_ = s.value("sample_rate", 0);
        return x;
    }

    void start_flood_setup() {
        ASSERT_NO_FATAL_FAILURE(start_all(
            "add sine osc freq=1000 amp=0.5\n"
            "add gain g gain=0.5\n"
            "add meter m\n"
            "connect osc:out g:in\n"
            "connect g:out m:in\n"
            "connect m:out graph:out_1\n"));
        xrun_counter_ = std::make_unique<XrunCounter>(server_name_);
        ASSERT_TRUE(xrun_counter_->ok());
        // Something listening, so the audio path is the whole graph.
        CaptureClient& capture = add_capture(1, 1.0);
        ASSERT_TRUE(capture.ok());
        ASSERT_TRUE(capture.connect_from(full_port("out_1"), 0));
    }

    // Idle for `duration` (the flood's own length); the xruns in it.
    Xruns idle_baseline(Clock::duration duration) {
        const Xruns before = xruns();
        std::this_thread::sleep_for(duration);
        const Xruns after = xruns();
        return {after.client - before.client, after.daemon - before.daemon, after.misses - before.misses};
    }

    // The same datagrams sent, as fast, to a UDP socket of the test's own
    // that nobody reads, over a window as long as the flood's: the xruns the
    // kernel's loopback work alone causes on this machine, in this run.
    Xruns kernel_baseline(const std::vector<std::vector<std::uint8_t>>& messages, Clock::duration duration) {
        const int sink = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        const int buffer = 4 << 20;  // as rtgraphd asks for
        ::setsockopt(sink, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer);
        EXPECT_EQ(::bind(sink, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
        EXPECT_EQ(::getsockname(sink, reinterpret_cast<sockaddr*>(&address), &length), 0);
        const int fd = open_socket(false, ntohs(address.sin_port));
        const Xruns before = xruns();
        const auto start = Clock::now();
        for (const std::vector<std::uint8_t>& m : messages) ::send(fd, m.data(), m.size(), 0);
        std::this_thread::sleep_until(start + duration);
        const Xruns after = xruns();
        ::close(fd);
        ::close(sink);
        return {after.client - before.client, after.daemon - before.daemon, after.misses - before.misses};
    }

    // `kernel`, when given: the whole-graph xruns the same traffic causes
    // with no daemon reading it (kernel_baseline), the noise floor when it is
    // above the idle one.
    void check_xruns(const Xruns& flood, const Xruns& idle, double duration_s, const Xruns* kernel = nullptr) {
        const double cycles = period_frames_ > 0 ? duration_s * sample_rate_ / period_frames_ : 0.0;
        std::printf("[ figures  ] over %.2f s (%.0f cycles): xruns flood %llu (daemon /status %lld), "
                    "idle %llu (daemon /status %lld); rtgraphd deadline misses flood %lld, idle %lld\n",
                    duration_s, cycles, static_cast<unsigned long long>(flood.client),
                    static_cast<long long>(flood.daemon), static_cast<unsigned long long>(idle.client),
                    static_cast<long long>(idle.daemon), static_cast<long long>(flood.misses),
                    static_cast<long long>(idle.misses));
        // A shared 2-core machine has late cycles of its own, at random: 3
        // plus two standard deviations of a Poisson count like the idle one.
        const auto margin = [](double idle_count) { return 3.0 + 2.0 * std::sqrt(std::max(0.0, idle_count)); };
        // What the control plane could do to the audio thread -- make it
        // wait or spin -- shows as rtgraphd's own cycle running past its
        // period: that must not rise above the idle count.
        ASSERT_GE(flood.misses, 0) << "no deadline_misses in /status";
        EXPECT_LE(static_cast<double>(flood.misses),
                  static_cast<double>(idle.misses) + margin(static_cast<double>(idle.misses)))
            << "the flood made rtgraphd's audio cycle overrun its period";
        // An xrun is counted for the whole JACK graph, and on this VM the
        // kernel's own work for 100,000 loopback messages delays the wake-up
        // of every SCHED_FIFO thread now and then (jackd logs the clients as
        // "not finished, state = Triggered": never started, not slow; seen
        // with 5 in a 1 s flood against 0 idle). So the whole-graph count is
        // held to a bound that such noise stays under and that a control
        // plane starving the audio threads would not: 5 % of the cycles.
        // A UDP flood is short (tenths of a second) and its kernel work
        // bunched, so a burst of such late wake-ups can pass 5 % of its few
        // cycles (7 in 65 against 0 idle, once in five suite runs): there the
        // same traffic into a socket nobody reads, measured in this run, sets
        // the floor.
        const double starved = 0.05 * cycles;
        const double floor_client = std::max<double>(static_cast<double>(idle.client),
                                                     kernel ? static_cast<double>(kernel->client) : 0.0);
        const double floor_daemon = std::max<double>(static_cast<double>(idle.daemon),
                                                     kernel ? static_cast<double>(kernel->daemon) : 0.0);
        if (kernel != nullptr) {
            std::printf("[ figures  ] the same traffic into a socket nobody reads: xruns %llu (daemon /status %lld)\n",
                        static_cast<unsigned long long>(kernel->client), static_cast<long long>(kernel->daemon));
        }
        EXPECT_LE(static_cast<double>(flood.client), floor_client + margin(floor_client) + starved)
            << "the flood caused xruns";
        EXPECT_LE(static_cast<double>(flood.daemon), floor_daemon + margin(floor_daemon) + starved)
            << "the flood caused xruns";
    }

    std::unique_ptr<XrunCounter> xrun_counter_;
    int period_frames_ = 0;
    int sample_rate_ = 0;
};

TEST_F(OscFloodTest, TcpFloodGetsExactlyOneReplyEach) {
    ASSERT_NO_FATAL_FAILURE(start_flood_setup());
    const std::vector<std::uint8_t> stream = framed(flood_messages());
    const int fd = open_socket(true, port_);
    ASSERT_GE(fd, 0) << std::strerror(errno);

    Tally tally;
    std::atomic<bool> stop{false};
    const Xruns before = xruns();
    const auto start = Clock::now();
    std::thread reader([&] { read_replies(fd, true, tally, stop); });
    bool sent = false;
    Clock::time_point sent_at;
    std::thread writer([&] {
        sent = send_all(fd, stream.data(), stream.size());
        sent_at = Clock::now();
    });
    writer.join();
    const bool all = wait_until([&] { return tally.total.load(std::memory_order_acquire) >= kRequests; }, 60s, 5ms);
    std::this_thread::sleep_for(200ms);  // a second reply to anything would show up now
    stop.store(true, std::memory_order_release);
    reader.join();
    const auto duration = std::max(tally.last_reply, sent_at) - start;
    const Xruns after = xruns();
    ::close(fd);

    std::int64_t missing = 0, duplicated = 0;
    for (std::size_t id = 1; id <= kRequests; ++id) {
        missing += tally.replies[id] == 0;
        duplicated += tally.replies[id] > 1;
    }
    std::printf("[ figures  ] TCP flood: %d requests (%zu bytes) sent in %.3f s, all replies in %.3f s: "
                "%.0f msgs/s; done %lld, busy %lld, other %lld, missing %lld, duplicated %lld\n",
                kRequests, stream.size(), seconds(sent_at - start), seconds(duration),
                kRequests / seconds(duration), static_cast<long long>(tally.done), static_cast<long long>(tally.busy),
                static_cast<long long>(tally.other), static_cast<long long>(missing),
                static_cast<long long>(duplicated));
    EXPECT_TRUE(sent) << "the daemon closed the connection while we were sending";
    EXPECT_TRUE(all) << "only " << tally.total.load() << " replies within 60 s";
    EXPECT_EQ(missing, 0);
    EXPECT_EQ(duplicated, 0);
    EXPECT_EQ(tally.other, 0) << "first: " << tally.first_other;
    EXPECT_EQ(tally.stray, 0);
    EXPECT_EQ(tally.undecodable, 0);
    EXPECT_EQ(tally.done + tally.busy, kRequests);

    // Alive, and the last value that was taken is the one in the graph.
    ASSERT_TRUE(daemon_->running());
    const std::optional<OscReply> version = tcp().request("/version");
    ASSERT_TRUE(version && version->done);
    const nlohmann::json s = status();
    std::printf("[ figures  ] /status after: busy_rejections %s, command_queue_high_water %s, requests %s\n",
                s["busy_rejections"].dump().c_str(), s["command_queue_high_water"].dump().c_str(),
                s["requests"].dump().c_str());
    EXPECT_EQ(s.value("busy_rejections", std::int64_t{-1}), tally.busy);

    const Xruns flood{after.client - before.client, after.daemon - before.daemon, after.misses - before.misses};
    check_xruns(flood, idle_baseline(duration), seconds(duration));
}

TEST_F(OscFloodTest, UdpFloodDaemonSurvivesAndLossIsAccounted) {
    ASSERT_NO_FATAL_FAILURE(start_flood_setup());
    const std::vector<std::vector<std::uint8_t>> messages = flood_messages();
    const int fd = open_socket(false, port_);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    // osc_packets counts every request: this /status and the two of xruns().
    const std::int64_t packets_before = status().value("osc_packets", std::int64_t{0}) + 2;

    Tally tally;
    std::atomic<bool> stop{false};
    const Xruns before = xruns();
    const auto start = Clock::now();
    std::thread reader([&] { read_replies(fd, false, tally, stop); });
    std::int64_t send_errors = 0;
    for (const std::vector<std::uint8_t>& m : messages) {
        if (::send(fd, m.data(), m.size(), 0) != static_cast<ssize_t>(m.size())) ++send_errors;
    }
    const auto sent_at = Clock::now();
    // Until every reply is in, or none has come for a second.
    std::int64_t seen = -1;
    Clock::time_point quiet_since = Clock::now();
    while (tally.total.load(std::memory_order_acquire) < kRequests) {
        const std::int64_t now_total = tally.total.load(std::memory_order_acquire);
        if (now_total != seen) {
            seen = now_total;
            quiet_since = Clock::now();
        } else if (Clock::now() - quiet_since > 1s || Clock::now() - start > 60s) {
            break;
        }
        std::this_thread::sleep_for(5ms);
    }
    stop.store(true, std::memory_order_release);
    reader.join();
    const auto duration = std::max(tally.last_reply, sent_at) - start;
    const Xruns after = xruns();
    ::close(fd);

    std::int64_t missing = 0, duplicated = 0;
    std::vector<std::pair<std::int32_t, std::int32_t>> gaps;  // missing id ranges
    for (std::int32_t id = 1; id <= kRequests; ++id) {
        const std::uint8_t n = tally.replies[static_cast<std::size_t>(id)];
        duplicated += n > 1;
        if (n != 0) continue;
        ++missing;
        if (!gaps.empty() && gaps.back().second == id - 1) {
            gaps.back().second = id;
        } else {
            gaps.emplace_back(id, id);
        }
    }
    std::string ranges;
    for (std::size_t i = 0; i < gaps.size() && i < 12; ++i) {
        ranges += (i ? ", " : "") + std::to_string(gaps[i].first) +
                  (gaps[i].second != gaps[i].first ? "-" + std::to_string(gaps[i].second) : "");
    }
    if (gaps.size() > 12) ranges += ", ... (" + std::to_string(gaps.size()) + " ranges)";
    const nlohmann::json s = status();
    const std::int64_t received = s.value("osc_packets", std::int64_t{0}) - packets_before - 1;  // not /status
    std::printf("[ figures  ] UDP flood: %d datagrams sent in %.3f s (%lld send errors), replies over %.3f s; "
                "daemon received %lld; done %lld, busy %lld, other %lld, missing %lld (%.1f%%), duplicated %lld\n",
                kRequests, seconds(sent_at - start), static_cast<long long>(send_errors), seconds(duration),
                static_cast<long long>(received), static_cast<long long>(tally.done),
                static_cast<long long>(tally.busy), static_cast<long long>(tally.other),
                static_cast<long long>(missing), 100.0 * static_cast<double>(missing) / kRequests,
                static_cast<long long>(duplicated));
    std::printf("[ figures  ] UDP ids without a reply: %s\n", ranges.empty() ? "none" : ranges.c_str());
    EXPECT_EQ(duplicated, 0);
    EXPECT_EQ(tally.other, 0) << "first: " << tally.first_other;
    EXPECT_EQ(tally.stray, 0);
    EXPECT_EQ(tally.undecodable, 0);
    EXPECT_EQ(tally.done + tally.busy + missing, kRequests);
    // Every datagram the daemon took was answered (replies can still be lost
    // on the way back, so this is a bound).
    EXPECT_LE(tally.done + tally.busy, received);

    ASSERT_TRUE(daemon_->running());
    const std::optional<OscReply> version = udp().request("/version");
    ASSERT_TRUE(version && version->done) << "no /version over UDP after the flood";
    const std::optional<OscReply> tcp_version = tcp().request("/version");
    ASSERT_TRUE(tcp_version && tcp_version->done);

    const Xruns flood{after.client - before.client, after.daemon - before.daemon, after.misses - before.misses};
    const Xruns idle = idle_baseline(duration);
    const Xruns kernel = kernel_baseline(messages, duration);
    check_xruns(flood, idle, seconds(duration), &kernel);
}

// While jackd is stopped (SIGSTOP) the daemon's audio thread takes nothing
// from its command queue: requests beyond its capacity must be answered
// /error busy at once, the others /done once the audio runs again; exactly
// one reply each, and nothing lost.
TEST_F(OscFloodTest, StalledAudioFillsTheQueueAndBusyIsAnswered) {
    ASSERT_NO_FATAL_FAILURE(start_flood_setup());
    constexpr std::int32_t kCount = 10000;
    const std::vector<std::uint8_t> stream = framed(flood_messages(kCount));
    const int fd = open_socket(true, port_);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    Tally tally(kCount);
    std::atomic<bool> stop{false};
    std::thread reader([&] { read_replies(fd, true, tally, stop); });

    ASSERT_TRUE(jack_->signal(SIGSTOP));
    std::this_thread::sleep_for(50ms);
    const bool sent = send_all(fd, stream.data(), stream.size());
    // Everything that will be refused is refused while the audio is stopped.
    wait_until([&] { return tally.total.load(std::memory_order_acquire) >= kCount - 4096; }, 1s, 5ms);
    std::this_thread::sleep_for(100ms);
    const std::int64_t replies_while_stopped = tally.total.load(std::memory_order_acquire);
    ASSERT_TRUE(jack_->signal(SIGCONT));
    const bool all = wait_until([&] { return tally.total.load(std::memory_order_acquire) >= kCount; }, 10s, 5ms);
    std::this_thread::sleep_for(200ms);
    stop.store(true, std::memory_order_release);
    reader.join();
    ::close(fd);

    std::int64_t missing = 0, duplicated = 0;
    for (std::size_t id = 1; id <= kCount; ++id) {
        missing += tally.replies[id] == 0;
        duplicated += tally.replies[id] > 1;
    }
    std::printf("[ figures  ] %d requests with jackd stopped: %lld replies while stopped; in all done %lld, "
                "busy %lld, other %lld, missing %lld, duplicated %lld\n",
                kCount, static_cast<long long>(replies_while_stopped), static_cast<long long>(tally.done),
                static_cast<long long>(tally.busy), static_cast<long long>(tally.other),
                static_cast<long long>(missing), static_cast<long long>(duplicated));
    EXPECT_TRUE(sent);
    EXPECT_TRUE(all) << "only " << tally.total.load() << " replies";
    EXPECT_EQ(missing, 0);
    EXPECT_EQ(duplicated, 0);
    EXPECT_EQ(tally.other, 0) << "first: " << tally.first_other;
    EXPECT_EQ(tally.done + tally.busy, kCount);
    EXPECT_GE(tally.busy, kCount - 4096) << "the queue holds 4096 commands";
    EXPECT_GT(tally.done, 0);
    EXPECT_EQ(replies_while_stopped, tally.busy) << "a /done came before the audio thread took the change";
    ASSERT_TRUE(daemon_->running());
    const std::optional<OscReply> version = tcp().request("/version");
    ASSERT_TRUE(version && version->done);
    EXPECT_EQ(status().value("busy_rejections", std::int64_t{-1}), tally.busy);
}

}  // namespace
}  // namespace rtgraph::integration
