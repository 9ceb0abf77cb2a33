// OscTransport and IpAllowlist tests: real UDP, TCP and UNIX-domain sockets on
// loopback, ephemeral ports. Threads: the test thread drives the transport as
// the daemon's control thread would (poll() then service()); the tests of
// large frames write from a second thread, which only ever touches its own
// client socket.
#include "rtgraph/control/osc_transport.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

// The allowlist is private to the control library; its rules are tested here.
#include "../../src/control/ip_allowlist.hpp"
#include "support/loopback_socket.hpp"

namespace rtgraph::control {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

// ---- client-side helpers ---------------------------------------------------

class Fd {
  public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = other.fd_;
            other.fd_ = -1;
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_;
};

Bytes bytes_of(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

// A literal with its embedded NULs (OSC padding), without the terminating one.
template <std::size_t N>
Bytes bytes_of(const char (&text)[N]) {
    return bytes_of(std::string_view(text, N - 1));
}

void put_be32(Bytes& out, std::uint32_t value) {
    out.push_back(static_cast<std::uint8_t>(value >> 24));
    out.push_back(static_cast<std::uint8_t>(value >> 16));
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

std::uint32_t get_be32(const std::uint8_t* in) {
    return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) |
           (std::uint32_t{in[2]} << 8) | std::uint32_t{in[3]};
}

Bytes framed(const Bytes& packet) {
    Bytes out;
    put_be32(out, static_cast<std::uint32_t>(packet.size()));
    out.insert(out.end(), packet.begin(), packet.end());
    return out;
}

// "/seq\0\0\0\0,i\0\0" + int32 seq + filler: a packet whose bytes all depend on seq.
Bytes sequence_packet(std::uint32_t seq, std::size_t filler = 0) {
    Bytes out = bytes_of(std::string_view("/seq\0\0\0\0,i\0\0", 12));
    put_be32(out, seq);
    for (std::size_t i = 0; i < filler; ++i) out.push_back(static_cast<std::uint8_t>(seq * 31 + i));
    return out;
}

sockaddr_storage loopback_address(int family, int port, socklen_t& length) {
    sockaddr_storage address{};
    if (family == AF_INET) {
        auto& ipv4 = reinterpret_cast<sockaddr_in&>(address);
        ipv4.sin_family = AF_INET;
        ipv4.sin_port = htons(static_cast<std::uint16_t>(port));
        ipv4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        length = sizeof(sockaddr_in);
    } else {
        auto& ipv6 = reinterpret_cast<sockaddr_in6&>(address);
        ipv6.sin6_family = AF_INET6;
        ipv6.sin6_port = htons(static_cast<std::uint16_t>(port));
        ipv6.sin6_addr = in6addr_loopback;
        length = sizeof(sockaddr_in6);
    }
    return address;
}

int local_port(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    if (address.ss_family == AF_INET) {
        return ntohs(reinterpret_cast<sockaddr_in&>(address).sin_port);
    }
    return ntohs(reinterpret_cast<sockaddr_in6&>(address).sin6_port);
}

// A UDP client bound to an ephemeral loopback port (so its address is known).
Fd udp_client(int family = AF_INET) {
    Fd fd(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    socklen_t length = 0;
    const sockaddr_storage address = loopback_address(family, 0, length);
    if (!fd.valid() || ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0) {
        return Fd();
    }
    return fd;
}

bool send_udp(int fd, const sockaddr_storage& to, socklen_t length, const Bytes& packet) {
    return ::sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                    length) == static_cast<ssize_t>(packet.size());
}

bool send_udp_loopback(int fd, int family, int port, const Bytes& packet) {
    socklen_t length = 0;
    const sockaddr_storage to = loopback_address(family, port, length);
    return send_udp(fd, to, length, packet);
}

// A blocking TCP client connected to loopback; -1 when connect fails.
Fd tcp_client(int family, int port, int receive_buffer = 0) {
    Fd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return fd;
    const int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (receive_buffer > 0) {
        setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    socklen_t length = 0;
    const sockaddr_storage to = loopback_address(family, port, length);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), length) != 0) return Fd();
    return fd;
}

Fd unix_client(const std::string& path) {
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size());
    if (!fd.valid() ||
        ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        return Fd();
    }
    return fd;
}

bool write_all(int fd, const Bytes& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

// Reads exactly `count` bytes, waiting up to `timeout` in all.
std::optional<Bytes> read_exact(int fd, std::size_t count, std::chrono::milliseconds timeout = 2s) {
    Bytes out(count);
    std::size_t done = 0;
    const auto deadline = Clock::now() + timeout;
    while (done < count) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd entry{fd, POLLIN, 0};
        if (::poll(&entry, 1, static_cast<int>(left.count())) <= 0) continue;
        const ssize_t n = ::recv(fd, out.data() + done, count - done, MSG_DONTWAIT);
        if (n == 0) return std::nullopt;
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return std::nullopt;
        }
        done += static_cast<std::size_t>(n);
    }
    return out;
}

// One datagram, waiting up to `timeout`.
std::optional<Bytes> read_datagram(int fd, std::chrono::milliseconds timeout = 2s) {
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    Bytes out(65536);
    const ssize_t n = ::recv(fd, out.data(), out.size(), MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// True once the server has closed the connection (EOF or reset); drains data.
using test_support::closed_by_peer;

// A non-loopback, up address of `family` on this machine (link-local IPv6
// skipped: it needs a scope). nullopt when there is none.
std::optional<sockaddr_storage> other_local_address(int family) {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return std::nullopt;
    std::optional<sockaddr_storage> found;
    for (ifaddrs* entry = list; entry != nullptr && !found; entry = entry->ifa_next) {
        if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != family) continue;
        if ((entry->ifa_flags & IFF_UP) == 0 || (entry->ifa_flags & IFF_LOOPBACK) != 0) continue;
        sockaddr_storage address{};
        if (family == AF_INET) {
            std::memcpy(&address, entry->ifa_addr, sizeof(sockaddr_in));
        } else {
            std::memcpy(&address, entry->ifa_addr, sizeof(sockaddr_in6));
            const auto& ipv6 = reinterpret_cast<const sockaddr_in6&>(address);
            if (IN6_IS_ADDR_LINKLOCAL(&ipv6.sin6_addr) || IN6_IS_ADDR_LOOPBACK(&ipv6.sin6_addr)) {
                continue;
            }
        }
        found = address;
    }
    freeifaddrs(list);
    return found;
}

void set_port(sockaddr_storage& address, int port) {
    if (address.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in&>(address).sin_port = htons(static_cast<std::uint16_t>(port));
    } else {
        reinterpret_cast<sockaddr_in6&>(address).sin6_port =
            htons(static_cast<std::uint16_t>(port));
    }
}

bool ipv6_loopback_available() {
    Fd fd(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    socklen_t length = 0;
    const sockaddr_storage address = loopback_address(AF_INET6, 0, length);
    return fd.valid() && ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), length) == 0;
}

class TempDir {
  public:
    TempDir() {
        std::string pattern = "/tmp/osc_transport_test.XXXXXX";
        if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    }
    ~TempDir() {
        if (!path_.empty()) std::system(("rm -rf '" + path_ + "'").c_str());
    }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

bool exists(const std::string& path) {
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0;
}

// ---- fixture ---------------------------------------------------------------

struct Received {
    Bytes bytes;
    OscPeer peer;
};

std::size_t open_fd_count() {
    std::size_t count = 0;
    if (DIR* dir = ::opendir("/proc/self/fd")) {
        while (::readdir(dir) != nullptr) ++count;
        ::closedir(dir);
    }
    return count;
}

class OscTransportTest : public ::testing::Test {
  protected:
    // Every test ends with its clients gone and close() called: no fd may be
    // left behind by the transport (sockets, accepted clients, the spare fd).
    void SetUp() override { fds_at_start_ = open_fd_count(); }
    void TearDown() override {
        transport_.close();
        EXPECT_EQ(open_fd_count(), fds_at_start_) << "file descriptors leaked";
    }

    static OscTransportConfig loopback_config() {
        OscTransportConfig config;
        config.ephemeral_ports = true;
        return config;
    }

    void open(const OscTransportConfig& config) {
        std::string error;
        ASSERT_TRUE(transport_.open(config, error)) << error;
    }

    // The daemon's loop in miniature: poll the transport's fds, then service().
    bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 3s) {
        const auto deadline = Clock::now() + timeout;
        while (!done()) {
            if (Clock::now() >= deadline) return false;
            pump_once(10);
        }
        return true;
    }

    void pump_for(std::chrono::milliseconds duration) {
        const auto deadline = Clock::now() + duration;
        while (Clock::now() < deadline) pump_once(5);
    }

    void pump_once(int poll_ms) {
        std::vector<pollfd> fds;
        transport_.append_poll_fds(fds);
        ::poll(fds.data(), fds.size(), poll_ms);
        transport_.service(handler_, oversize_handler_);
    }

    const OscTransportStats& stats() const { return transport_.stats(); }

    std::size_t fds_at_start_ = 0;
    OscTransport transport_;
    std::vector<Received> received_;
    std::function<void(const Received&)> on_receive_;  // e.g. to reply
    OscTransport::PacketHandler handler_ = [this](std::span<const std::uint8_t> packet,
                                                  const OscPeer& peer) {
        received_.push_back({Bytes(packet.begin(), packet.end()), peer});
        if (on_receive_) on_receive_(received_.back());
    };
    struct Oversize {
        std::size_t size;
        OscPeer peer;
    };
    std::vector<Oversize> oversize_;  // what on_oversize was told
    OscTransport::OversizeHandler oversize_handler_ = [this](std::size_t size, const OscPeer& peer) {
        oversize_.push_back({size, peer});
    };
};

// A packet of `size` bytes whose every 4-byte word is its index (so a byte
// out of place shows), written from its own thread while the test pumps: a
// frame of megabytes does not fit the socket buffers, so a writer on the
// pumping thread would wait for itself.
Bytes counting_packet(std::size_t size) {
    Bytes packet;
    packet.reserve(size);
    for (std::uint32_t word = 0; packet.size() < size; ++word) put_be32(packet, word);
    packet.resize(size);
    return packet;
}

// ---- allowlist -------------------------------------------------------------

sockaddr_storage ipv4_address(const char* text, socklen_t& length) {
    sockaddr_storage address{};
    auto& ipv4 = reinterpret_cast<sockaddr_in&>(address);
    ipv4.sin_family = AF_INET;
    inet_pton(AF_INET, text, &ipv4.sin_addr);
    length = sizeof ipv4;
    return address;
}

sockaddr_storage ipv6_address(const char* text, socklen_t& length) {
    sockaddr_storage address{};
    auto& ipv6 = reinterpret_cast<sockaddr_in6&>(address);
    ipv6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, text, &ipv6.sin6_addr);
    length = sizeof ipv6;
    return address;
}

bool allows(const IpAllowlist& list, const char* text) {
    socklen_t length = 0;
    const sockaddr_storage address =
        std::strchr(text, ':') != nullptr ? ipv6_address(text, length) : ipv4_address(text, length);
    return list.allows(reinterpret_cast<const sockaddr*>(&address), length);
}

TEST(OscTransportAllowlist, MatchesIpv4Ipv6AndMappedAddresses) {
    IpAllowlist list;
    std::string error;
    ASSERT_TRUE(list.parse({"10.0.0.0/8", "192.168.1.128/25", "::1/128", "fd00::/8"}, error))
        << error;
    EXPECT_EQ(list.size(), 4u);
    EXPECT_TRUE(allows(list, "10.0.0.1"));
    EXPECT_TRUE(allows(list, "10.255.255.255"));
    EXPECT_FALSE(allows(list, "11.0.0.1"));
    EXPECT_FALSE(allows(list, "127.0.0.1"));
    EXPECT_TRUE(allows(list, "192.168.1.200"));
    EXPECT_FALSE(allows(list, "192.168.1.127"));  // the /25 boundary
    EXPECT_TRUE(allows(list, "::1"));
    EXPECT_FALSE(allows(list, "::2"));
    EXPECT_TRUE(allows(list, "fd12:3456::1"));
    EXPECT_FALSE(allows(list, "fe80::1"));
    EXPECT_TRUE(allows(list, "::ffff:10.1.2.3"));  // IPv4-mapped matches IPv4 networks
    EXPECT_FALSE(allows(list, "::ffff:11.1.2.3"));
    EXPECT_FALSE(allows(list, "::a01:203"));  // IPv4-compatible is not mapped

    sockaddr_un unix_address{};
    unix_address.sun_family = AF_UNIX;
    EXPECT_FALSE(
        list.allows(reinterpret_cast<const sockaddr*>(&unix_address), sizeof unix_address));

    ASSERT_TRUE(list.parse({"0.0.0.0/0"}, error)) << error;  // every IPv4 peer, no IPv6 one
    EXPECT_TRUE(allows(list, "203.0.113.9"));
    EXPECT_TRUE(allows(list, "::ffff:203.0.113.9"));
    EXPECT_FALSE(allows(list, "::1"));
    ASSERT_TRUE(list.parse({"::ffff:0:0/96"}, error)) << error;  // the mapped range = IPv4
    EXPECT_TRUE(allows(list, "127.0.0.1"));
    ASSERT_TRUE(list.parse({}, error));
    EXPECT_TRUE(list.empty());
    EXPECT_FALSE(allows(list, "127.0.0.1"));
}

TEST(OscTransportAllowlist, RefusesBadEntriesAndKeepsTheOldList) {
    IpAllowlist list;
    std::string error;
    ASSERT_TRUE(list.parse({"127.0.0.1/32"}, error));
    for (const char* bad : {"127.0.0.1", "10.0.0.0/33", "::/129", "10.0.0.1/8", "fd00::1/8",
                            "localhost/8", "10.0.0.0/", "10.0.0.0/+8", "10.0.0.0/8x", "/8"}) {
        error.clear();
        EXPECT_FALSE(list.parse({"::1/128", bad}, error)) << bad;
        EXPECT_NE(error.find(bad), std::string::npos) << error;
    }
    EXPECT_EQ(list.size(), 1u);
    EXPECT_TRUE(allows(list, "127.0.0.1"));
}

// ---- opening ---------------------------------------------------------------

TEST_F(OscTransportTest, EphemeralPortsGiveUdpAndTcpTheSameNumber) {
    open(loopback_config());
    EXPECT_TRUE(transport_.is_open());
    EXPECT_GT(transport_.udp_port(), 0);
    EXPECT_EQ(transport_.udp_port(), transport_.tcp_port());
    EXPECT_GT(transport_.udp_receive_buffer(), 0);
    std::vector<pollfd> fds;
    transport_.append_poll_fds(fds);
    EXPECT_EQ(fds.size(), 2u);  // UDP socket + TCP listener
    for (const pollfd& entry : fds) EXPECT_EQ(entry.events, POLLIN);
    transport_.close();
    EXPECT_FALSE(transport_.is_open());
    EXPECT_EQ(transport_.udp_port(), 0);
    fds.clear();
    transport_.append_poll_fds(fds);
    EXPECT_TRUE(fds.empty());
}

TEST_F(OscTransportTest, OpenRefusesBadConfigAndBusyPorts) {
    std::string error;
    OscTransportConfig config = loopback_config();
    config.bind_address = "localhost";
    EXPECT_FALSE(transport_.open(config, error));
    EXPECT_NE(error.find("not a numeric"), std::string::npos) << error;

    config = loopback_config();
    config.allow = {"10.0.0.1/8"};
    EXPECT_FALSE(transport_.open(config, error));
    EXPECT_NE(error.find("10.0.0.1/8"), std::string::npos) << error;

    config = loopback_config();
    config.udp_port = 70000;
    EXPECT_FALSE(transport_.open(config, error));

    config = loopback_config();
    config.max_packet = 0;
    EXPECT_FALSE(transport_.open(config, error));
    EXPECT_FALSE(transport_.is_open());

    open(loopback_config());
    OscTransport second;
    OscTransportConfig same;
    same.udp_port = transport_.udp_port();
    same.tcp_port = 0;
    EXPECT_FALSE(second.open(same, error));
    EXPECT_NE(error.find("Address already in use"), std::string::npos) << error;
    same.udp_port = 0;
    same.tcp_port = transport_.tcp_port();
    EXPECT_FALSE(second.open(same, error));
    EXPECT_NE(error.find("cannot bind TCP 127.0.0.1:"), std::string::npos) << error;
    EXPECT_FALSE(second.is_open());
}

// ---- UDP -------------------------------------------------------------------

TEST_F(OscTransportTest, UdpRoundTrip) {
    open(loopback_config());
    Fd client = udp_client();
    ASSERT_TRUE(client.valid());
    const Bytes request = bytes_of(std::string_view("/ping\0\0\0,i\0\0\0\0\0\x2a", 16));
    ASSERT_TRUE(send_udp_loopback(client.get(), AF_INET, transport_.udp_port(), request));

    ASSERT_TRUE(pump_until([&] { return received_.size() == 1; }));
    EXPECT_EQ(received_[0].bytes, request);
    EXPECT_EQ(received_[0].peer.kind, OscPeer::Kind::kUdp);
    EXPECT_EQ(received_[0].peer.describe(),
              "udp 127.0.0.1:" + std::to_string(local_port(client.get())));
    EXPECT_EQ(stats().packets, 1u);

    const Bytes reply = bytes_of(std::string_view("/pong\0\0\0,\0\0\0", 12));
    EXPECT_TRUE(transport_.send(received_[0].peer, reply));
    const auto answer = read_datagram(client.get());
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(*answer, reply);
    EXPECT_EQ(stats().send_failures, 0u);
    EXPECT_FALSE(transport_.send(received_[0].peer, {}));  // an empty packet is refused
    EXPECT_EQ(stats().send_failures, 1u);
}

TEST_F(OscTransportTest, UdpOversizeAndEmptyDatagramsAreDroppedAndCounted) {
    OscTransportConfig config = loopback_config();
    config.max_packet = 100;
    open(config);
    Fd client = udp_client();
    const int port = transport_.udp_port();
    ASSERT_TRUE(send_udp_loopback(client.get(), AF_INET, port, Bytes(101, 7)));
    ASSERT_TRUE(send_udp_loopback(client.get(), AF_INET, port, Bytes{}));
    ASSERT_TRUE(send_udp_loopback(client.get(), AF_INET, port, Bytes(100, 9)));
    ASSERT_TRUE(pump_until([&] { return received_.size() == 1; }));
    pump_for(20ms);
    EXPECT_EQ(received_.size(), 1u);
    EXPECT_EQ(received_[0].bytes, Bytes(100, 9));
    EXPECT_EQ(stats().packets, 1u);
    EXPECT_EQ(stats().dropped_oversize, 1u);
    EXPECT_EQ(stats().dropped_bad_frame, 1u);
}

TEST_F(OscTransportTest, UdpThousandPacketsInBurstsOfHundredAllArrive) {
    open(loopback_config());
    Fd client = udp_client();
    constexpr std::uint32_t kBursts = 10;
    constexpr std::uint32_t kBurst = 100;
    for (std::uint32_t burst = 0; burst < kBursts; ++burst) {
        for (std::uint32_t i = 0; i < kBurst; ++i) {
            ASSERT_TRUE(send_udp_loopback(client.get(), AF_INET, transport_.udp_port(),
                                          sequence_packet(burst * kBurst + i, 16)));
        }
        pump_until([&] { return received_.size() == (burst + 1) * kBurst; }, 2s);
    }
    pump_for(20ms);
    std::vector<int> seen(kBursts * kBurst, 0);
    for (const Received& packet : received_) {
        ASSERT_EQ(packet.bytes.size(), 32u);
        const std::uint32_t seq = get_be32(packet.bytes.data() + 12);
        ASSERT_LT(seq, seen.size());
        ++seen[seq];
        EXPECT_EQ(packet.bytes, sequence_packet(seq, 16));
    }
    const auto lost = static_cast<std::size_t>(std::count(seen.begin(), seen.end(), 0));
    RecordProperty("udp_lost", static_cast<int>(lost));
    EXPECT_EQ(lost, 0u) << "the kernel dropped " << lost << " of 1000 datagrams (SO_RCVBUF "
                        << transport_.udp_receive_buffer() << ")";
    EXPECT_EQ(received_.size(), 1000u);
    EXPECT_EQ(stats().packets, 1000u);
}

// ---- TCP -------------------------------------------------------------------

TEST_F(OscTransportTest, TcpSeveralPacketsInOneWriteAndAFramedReply) {
    open(loopback_config());
    Fd client = tcp_client(AF_INET, transport_.tcp_port());
    ASSERT_TRUE(client.valid());
    std::vector<Bytes> packets;
    Bytes stream;
    for (std::size_t size : {4u, 8u, 100u, 1000u, 12u}) {
        Bytes packet(size);
        for (std::size_t i = 0; i < size; ++i) packet[i] = static_cast<std::uint8_t>(size + i);
        packets.push_back(packet);
        const Bytes frame = framed(packet);
        stream.insert(stream.end(), frame.begin(), frame.end());
    }
    ASSERT_TRUE(write_all(client.get(), stream));
    ASSERT_TRUE(pump_until([&] { return received_.size() == packets.size(); }));
    for (std::size_t i = 0; i < packets.size(); ++i) {
        EXPECT_EQ(received_[i].bytes, packets[i]) << i;
        EXPECT_EQ(received_[i].peer.kind, OscPeer::Kind::kTcp);
        EXPECT_EQ(received_[i].peer.connection, 1u);
    }
    EXPECT_EQ(received_[0].peer.describe(),
              "tcp 127.0.0.1:" + std::to_string(local_port(client.get())) + " #1");
    EXPECT_EQ(stats().packets, 5u);
    EXPECT_EQ(stats().stream_clients, 1u);

    const Bytes reply = bytes_of("/done\0\0\0");
    ASSERT_TRUE(transport_.send(received_[0].peer, reply));
    const auto answer = read_exact(client.get(), 4 + reply.size());
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(*answer, framed(reply));  // 00 00 00 08 then the packet
}

TEST_F(OscTransportTest, TcpPacketSplitIntoOneByteWrites) {
    open(loopback_config());
    Fd client = tcp_client(AF_INET, transport_.tcp_port());
    ASSERT_TRUE(client.valid());
    const Bytes packet = sequence_packet(77, 48);  // 64 bytes
    const Bytes frame = framed(packet);
    ASSERT_EQ(frame.size(), 68u);
    for (std::size_t i = 0; i < frame.size(); ++i) {
        ASSERT_TRUE(write_all(client.get(), Bytes{frame[i]}));
        pump_once(1);
        if (i + 1 < frame.size()) {
            ASSERT_TRUE(received_.empty()) << "delivered after byte " << i;
        }
    }
    ASSERT_TRUE(pump_until([&] { return received_.size() == 1; }));
    EXPECT_EQ(received_[0].bytes, packet);
    EXPECT_EQ(stats().packets, 1u);
    EXPECT_EQ(stats().dropped_bad_frame, 0u);
}

TEST_F(OscTransportTest, TcpFrameOfOneMebibyteIsDeliveredWhole) {
    OscTransportConfig config = loopback_config();
    config.max_packet = 4 << 20;
    open(config);
    Fd client = tcp_client(AF_INET, transport_.tcp_port());
    ASSERT_TRUE(client.valid());
    const Bytes big = counting_packet(1 << 20);
    const Bytes after = sequence_packet(9);
    Bytes stream = framed(big);
    const Bytes second = framed(after);
    stream.insert(stream.end(), second.begin(), second.end());
    bool written = false;
    std::thread writer([&] { written = write_all(client.get(), stream); });
    const bool arrived = pump_until([&] { return received_.size() == 2; }, 10s);
    writer.join();
    ASSERT_TRUE(written);
    ASSERT_TRUE(arrived) << received_.size() << " packets";
    ASSERT_EQ(received_[0].bytes.size(), big.size());
    EXPECT_TRUE(received_[0].bytes == big) << "the 1 MiB packet arrived changed";
    EXPECT_EQ(received_[1].bytes, after);
    EXPECT_EQ(stats().packets, 2u);
    EXPECT_EQ(stats().dropped_oversize, 0u);
    EXPECT_EQ(stats().dropped_bad_frame, 0u);
    EXPECT_EQ(stats().stream_clients, 1u);
    std::printf("[ figures  ] one TCP frame of %zu bytes delivered whole (max_packet %zu)\n",
                received_[0].bytes.size(), config.max_packet);
}

TEST_F(OscTransportTest, TcpFrameOverMaxPacketIsSkippedAndTheConnectionKept) {
    OscTransportConfig config = loopback_config();
    config.max_packet = 1024;
    open(config);
    on_receive_ = [&](const Received& request) {
        EXPECT_TRUE(transport_.send(request.peer, request.bytes));  // echo
    };
    Fd client = tcp_client(AF_INET, transport_.tcp_port());
    ASSERT_TRUE(write_all(client.get(), framed(Bytes(1024, 1))));  // exactly the limit: fine
    ASSERT_TRUE(pump_until([&] { return received_.size() == 1; }));
    ASSERT_TRUE(read_exact(client.get(), 4 + 1024).has_value());

    // 1025 bytes over the limit, filled with well-formed small frames: a skip
    // that lost its place would deliver them.
    Bytes inside;
    while (inside.size() < 2049) {
        const Bytes frame = framed(sequence_packet(static_cast<std::uint32_t>(inside.size())));
        inside.insert(inside.end(), frame.begin(), frame.end());
    }
    Bytes stream = framed(inside);
    const Bytes next = sequence_packet(4242);
    const Bytes next_frame = framed(next);
    stream.insert(stream.end(), next_frame.begin(), next_frame.end());
    ASSERT_TRUE(write_all(client.get(), stream));
    ASSERT_TRUE(pump_until([&] { return received_.size() == 2; }));
    pump_for(20ms);

    EXPECT_EQ(received_.size(), 2u);
    EXPECT_EQ(received_[1].bytes, next);
    ASSERT_EQ(oversize_.size(), 1u);
    EXPECT_EQ(oversize_[0].size, inside.size());
    EXPECT_EQ(oversize_[0].peer.connection, received_[0].peer.connection);
    EXPECT_EQ(stats().dropped_oversize, 1u);
    EXPECT_EQ(stats().dropped_bad_frame, 0u);
    EXPECT_EQ(stats().packets, 2u);
    EXPECT_EQ(stats().stream_clients, 1u);
    const auto echo = read_exact(client.get(), 4 + next.size());
    ASSERT_TRUE(echo.has_value()) << "no reply on the same connection after the refused frame";
    EXPECT_EQ(*echo, next_frame);
    EXPECT_FALSE(closed_by_peer(client.get()));
}

TEST_F(OscTransportTest, TcpOversizeFrameArrivingInPiecesIsSkippedWithoutBufferingIt) {
    OscTransportConfig config = loopback_config();
    config.max_packet = 65536;
    open(config);
    Fd client = tcp_client(AF_INET, transport_.tcp_port());
    // A 3 MiB frame, 45 times the limit, written from its own thread.
    const Bytes big = counting_packet(3 << 20);
    Bytes stream = framed(big);
    const Bytes next = sequence_packet(7);
    const Bytes next_frame = framed(next);
    stream.insert(stream.end(), next_frame.begin(), next_frame.end());
    bool written = false;
    std::thread writer([&] { written = write_all(client.get(), stream); });
    const bool arrived = pump_until([&] { return received_.size() == 1; }, 10s);
    writer.join();
    ASSERT_TRUE(written);
    ASSERT_TRUE(arrived);
    EXPECT_EQ(received_[0].bytes, next);
    ASSERT_EQ(oversize_.size(), 1u);
    EXPECT_EQ(oversize_[0].size, big.size());
    EXPECT_EQ(stats().dropped_oversize, 1u);
    EXPECT_EQ(stats().packets, 1u);
    EXPECT_EQ(stats().stream_clients, 1u);
}

TEST_F(OscTransportTest, TcpZeroLengthFrameDisconnects) {
    open(loopback_config());
    Fd client = tcp_client(AF_INET, transport_.tcp_port());
    Bytes stream = framed(bytes_of("/ok\0"));
    put_be32(stream, 0);
    stream.insert(stream.end(), {1, 2, 3, 4});
    ASSERT_TRUE(write_all(client.get(), stream));
    ASSERT_TRUE(pump_until([&] { return stats().dropped_bad_frame == 1; }));
    EXPECT_EQ(received_.size(), 1u);  // the frame before the bad one, only
    EXPECT_EQ(stats().packets, 1u);
    EXPECT_EQ(stats().stream_clients, 0u);
    EXPECT_TRUE(pump_until([&] { return closed_by_peer(client.get()); }));
}

TEST_F(OscTransportTest, SlipStreamIsClosedAtItsFirstByte) {
    open(loopback_config());
    Fd client = tcp_client(AF_INET, transport_.tcp_port());
    ASSERT_TRUE(write_all(client.get(), Bytes{0xC0}));  // SLIP END, OSC 1.1 framing
    ASSERT_TRUE(pump_until([&] { return stats().dropped_bad_frame == 1; }));
    EXPECT_EQ(stats().stream_clients, 0u);
    EXPECT_EQ(stats().packets, 0u);
    EXPECT_TRUE(pump_until([&] { return closed_by_peer(client.get()); }));
}

TEST_F(OscTransportTest, TcpPeerClosingMidFrameIsForgotten) {
    open(loopback_config());
    Fd client = tcp_client(AF_INET, transport_.tcp_port());
    Bytes stream;
    put_be32(stream, 100);
    stream.insert(stream.end(), 50, 0x55);
    ASSERT_TRUE(write_all(client.get(), stream));
    ASSERT_TRUE(pump_until([&] { return stats().stream_clients == 1; }));
    client.reset();
    ASSERT_TRUE(pump_until([&] { return stats().stream_clients == 0; }));
    EXPECT_EQ(stats().packets, 0u);
    EXPECT_EQ(stats().dropped_bad_frame, 0u);
    // Reported once, so that its subscriptions can be forgotten.
    EXPECT_EQ(transport_.take_closed_connections(), (std::vector<std::uint64_t>{1}));
    EXPECT_TRUE(transport_.take_closed_connections().empty());
}

TEST_F(OscTransportTest, TcpClientThatHalfClosesStillGetsItsReply) {
    open(loopback_config());
    on_receive_ = [&](const Received& request) {
        EXPECT_TRUE(transport_.send(request.peer, request.bytes));  // echo
    };
    Fd client = tcp_client(AF_INET, transport_.tcp_port());
    const Bytes packet = sequence_packet(5);
    ASSERT_TRUE(write_all(client.get(), framed(packet)));
    ASSERT_EQ(::shutdown(client.get(), SHUT_WR), 0);  // what a one-shot sender does
    ASSERT_TRUE(pump_until([&] { return stats().stream_clients == 0 && received_.size() == 1; }));
    const auto answer = read_exact(client.get(), 4 + packet.size());
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(*answer, framed(packet));
    EXPECT_TRUE(closed_by_peer(client.get()));
}

TEST_F(OscTransportTest, TcpTenThousandPacketsArriveInOrder) {
    open(loopback_config());
    Fd client = tcp_client(AF_INET, transport_.tcp_port());
    ASSERT_TRUE(client.valid());
    constexpr std::uint32_t kCount = 10000;
    // Sizes vary (16 .. 1512 bytes) so frames straddle every read boundary.
    auto filler = [](std::uint32_t seq) {
        return static_cast<std::size_t>((seq * 37u) % 375u) * 4u;
    };
    bool written = false;
    std::thread writer([&] {
        Bytes chunk;
        for (std::uint32_t seq = 0; seq < kCount; ++seq) {
            const Bytes frame = framed(sequence_packet(seq, filler(seq)));
            chunk.insert(chunk.end(), frame.begin(), frame.end());
            if (seq % 97 == 96 || seq + 1 == kCount) {  // writes of ~97 frames, uneven
                if (!write_all(client.get(), chunk)) return;
                chunk.clear();
            }
        }
        written = true;
    });
    const bool all = pump_until([&] { return received_.size() >= kCount; }, 20s);
    writer.join();
    EXPECT_TRUE(written);
    ASSERT_TRUE(all) << received_.size() << " of " << kCount;
    EXPECT_EQ(received_.size(), kCount);
    std::uint32_t out_of_order = 0;
    for (std::uint32_t i = 0; i < received_.size(); ++i) {
        const Bytes& bytes = received_[i].bytes;
        if (bytes.size() < 16 || get_be32(bytes.data() + 12) != i ||
            bytes != sequence_packet(i, filler(i))) {
            ++out_of_order;
        }
    }
    EXPECT_EQ(out_of_order, 0u);
    EXPECT_EQ(stats().packets, kCount);
    EXPECT_EQ(stats().dropped_bad_frame, 0u);
}

TEST_F(OscTransportTest, SlowReaderIsCutOffAndSendNeverBlocks) {
    open(loopback_config());                                       // max_stream_buffer 1 MiB
    Fd client = tcp_client(AF_INET, transport_.tcp_port(), 4096);  // never reads
    ASSERT_TRUE(write_all(client.get(), framed(bytes_of("/meters\0"))));
    ASSERT_TRUE(pump_until([&] { return received_.size() == 1; }));
    const OscPeer peer = received_[0].peer;

    const Bytes reply(1020, 0xAB);  // 1 KiB frames
    constexpr std::size_t kTotal = 10 << 20;
    std::size_t accepted = 0;
    bool saw_pollout = false;
    bool refused = false;
    auto slowest = Clock::duration::zero();
    const auto start = Clock::now();
    while (accepted < kTotal) {
        const auto before = Clock::now();
        const bool ok = transport_.send(peer, reply);
        slowest = std::max(slowest, Clock::now() - before);
        if (!ok) {
            refused = true;
            break;
        }
        accepted += 4 + reply.size();
        std::vector<pollfd> fds;
        transport_.append_poll_fds(fds);
        for (const pollfd& entry : fds) saw_pollout = saw_pollout || (entry.events & POLLOUT);
    }
    const auto elapsed = Clock::now() - start;
    RecordProperty("bytes_taken_before_cutoff", static_cast<int>(accepted));
    EXPECT_TRUE(refused) << "10 MiB went out to a client that never reads";
    EXPECT_TRUE(saw_pollout);
    EXPECT_GE(accepted, std::size_t{1} << 20);  // at least the queue itself was used
    EXPECT_LT(accepted, kTotal);
    EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count(), 50);
    EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 2000);
    EXPECT_EQ(stats().stream_clients_overflowed, 1u);
    EXPECT_EQ(stats().send_failures, 1u);
    EXPECT_EQ(stats().stream_clients, 0u);
    EXPECT_FALSE(transport_.send(peer, reply));  // gone
    EXPECT_EQ(stats().send_failures, 2u);
    pump_for(10ms);
    std::vector<pollfd> fds;
    transport_.append_poll_fds(fds);
    EXPECT_EQ(fds.size(), 2u);  // only the UDP socket and the listener are left
    EXPECT_TRUE(pump_until([&] { return closed_by_peer(client.get()); }));
}

TEST_F(OscTransportTest, SixtyFourStreamClientsInUseThenRefused) {
    OscTransportConfig config = loopback_config();
    config.max_stream_clients_per_address = 64;  // all of them come from 127.0.0.1
    open(config);
    std::vector<Fd> clients;
    for (std::uint32_t i = 0; i < 64; ++i) {  // each one sends a packet: it is in use
        clients.push_back(tcp_client(AF_INET, transport_.tcp_port()));
        ASSERT_TRUE(clients.back().valid()) << i;
        ASSERT_TRUE(write_all(clients.back().get(), framed(sequence_packet(i))));
        ASSERT_TRUE(pump_until([&] { return received_.size() == i + 1; }));
    }
    clients.push_back(tcp_client(AF_INET, transport_.tcp_port()));
    ASSERT_TRUE(pump_until([&] { return stats().stream_clients_refused == 1; }));
    EXPECT_EQ(stats().stream_clients, 64u);
    EXPECT_EQ(stats().stream_clients_evicted, 0u);
    EXPECT_TRUE(pump_until([&] { return closed_by_peer(clients[64].get()); }));
    std::vector<pollfd> fds;
    transport_.append_poll_fds(fds);
    EXPECT_EQ(fds.size(), 66u);

    ASSERT_TRUE(write_all(clients[63].get(), framed(sequence_packet(63))));
    ASSERT_TRUE(pump_until([&] { return received_.size() == 65; }));
    EXPECT_EQ(received_[64].peer.connection, 64u);

    clients[0].reset();  // one leaves: room for one more
    ASSERT_TRUE(pump_until([&] { return stats().stream_clients == 63; }));
    Fd late = tcp_client(AF_INET, transport_.tcp_port());
    ASSERT_TRUE(pump_until([&] { return stats().stream_clients == 64; }));
    EXPECT_EQ(stats().stream_clients_refused, 1u);
}

// ---- UNIX socket -----------------------------------------------------------

TEST_F(OscTransportTest, UnixSocketRoundTripAndFileRemovedOnClose) {
    TempDir dir;
    OscTransportConfig config;
    config.udp_port = 0;
    config.tcp_port = 0;
    config.unix_socket = dir.file("osc.sock");
    open(config);
    struct stat info {};
    ASSERT_EQ(::stat(config.unix_socket.c_str(), &info), 0);
    EXPECT_TRUE(S_ISSOCK(info.st_mode));
    EXPECT_EQ(info.st_mode & 0777, 0660u);
    EXPECT_EQ(transport_.udp_port(), 0);
    EXPECT_EQ(transport_.tcp_port(), 0);

    Fd client = unix_client(config.unix_socket);
    ASSERT_TRUE(client.valid());
    Bytes stream = framed(sequence_packet(1));
    const Bytes second = framed(sequence_packet(2, 8));
    stream.insert(stream.end(), second.begin(), second.end());
    ASSERT_TRUE(write_all(client.get(), stream));
    ASSERT_TRUE(pump_until([&] { return received_.size() == 2; }));
    EXPECT_EQ(received_[0].bytes, sequence_packet(1));
    EXPECT_EQ(received_[1].bytes, sequence_packet(2, 8));
    EXPECT_EQ(received_[0].peer.describe(), "unix #1");

    const Bytes reply = bytes_of("/done\0\0\0");
    ASSERT_TRUE(transport_.send(received_[0].peer, reply));
    const auto answer = read_exact(client.get(), 4 + reply.size());
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(*answer, framed(reply));

    transport_.close();
    EXPECT_FALSE(exists(config.unix_socket));
    EXPECT_TRUE(closed_by_peer(client.get()));
}

TEST_F(OscTransportTest, UnixSocketCarriesALargeFrameAndSkipsAnOversizeOne) {
    TempDir dir;
    OscTransportConfig config;
    config.udp_port = 0;
    config.tcp_port = 0;
    config.unix_socket = dir.file("osc.sock");
    config.max_packet = 2 << 20;
    open(config);
    Fd client = unix_client(config.unix_socket);
    ASSERT_TRUE(client.valid());
    const Bytes large = counting_packet(2 << 20);        // exactly the limit
    const Bytes oversize = counting_packet((2 << 20) + 4);  // one word over
    const Bytes last = sequence_packet(3);
    Bytes stream = framed(large);
    for (const Bytes* packet : {&oversize, &last}) {
        const Bytes frame = framed(*packet);
        stream.insert(stream.end(), frame.begin(), frame.end());
    }
    bool written = false;
    std::thread writer([&] { written = write_all(client.get(), stream); });
    const bool arrived = pump_until([&] { return received_.size() == 2; }, 10s);
    writer.join();
    ASSERT_TRUE(written);
    ASSERT_TRUE(arrived) << received_.size() << " packets";
    EXPECT_TRUE(received_[0].bytes == large) << "the 2 MiB packet arrived changed";
    EXPECT_EQ(received_[1].bytes, last);
    ASSERT_EQ(oversize_.size(), 1u);
    EXPECT_EQ(oversize_[0].size, oversize.size());
    EXPECT_EQ(oversize_[0].peer.kind, OscPeer::Kind::kUnix);
    EXPECT_EQ(stats().dropped_oversize, 1u);
    EXPECT_EQ(stats().stream_clients, 1u);
}

TEST_F(OscTransportTest, UnixStaleSocketIsReplacedLiveOneIsNot) {
    TempDir dir;
    const std::string path = dir.file("osc.sock");
    {  // a socket file left behind by a process that died
        Fd dead(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, path.c_str(), path.size());
        ASSERT_EQ(::bind(dead.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address),
                  0);
    }
    ASSERT_TRUE(exists(path));
    OscTransportConfig config;
    config.udp_port = 0;
    config.tcp_port = 0;
    config.unix_socket = path;
    open(config);  // replaces the stale file

    OscTransport second;
    std::string error;
    EXPECT_FALSE(second.open(config, error));
    EXPECT_NE(error.find("already in use"), std::string::npos) << error;
    second.close();
    EXPECT_TRUE(exists(path));  // the failed one did not remove the live file

    Fd client = unix_client(path);
    ASSERT_TRUE(client.valid());
    ASSERT_TRUE(write_all(client.get(), framed(sequence_packet(9))));
    ASSERT_TRUE(pump_until([&] { return received_.size() == 1; }));

    const std::string plain = dir.file("not-a-socket");
    { std::ofstream(plain) << "keep me"; }
    config.unix_socket = plain;
    EXPECT_FALSE(second.open(config, error));
    EXPECT_NE(error.find("not a socket"), std::string::npos) << error;
    std::string content;
    std::getline(std::ifstream(plain), content);
    EXPECT_EQ(content, "keep me");
}

// ---- where we listen and whom we accept ------------------------------------

TEST_F(OscTransportTest, BindsOnlyTheConfiguredAddress) {
    open(loopback_config());  // 127.0.0.1
    const std::optional<sockaddr_storage> other = other_local_address(AF_INET);
    Fd client = udp_client();
    if (other) {
        sockaddr_storage to = *other;
        set_port(to, transport_.udp_port());
        Fd any(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        ASSERT_TRUE(send_udp(any.get(), to, sizeof(sockaddr_in), bytes_of("/other\0\0")));
        Fd tcp(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        set_port(to, transport_.tcp_port());
        EXPECT_NE(::connect(tcp.get(), reinterpret_cast<const sockaddr*>(&to), sizeof(sockaddr_in)),
                  0);
        EXPECT_EQ(errno, ECONNREFUSED);
    }
    ASSERT_TRUE(send_udp_loopback(client.get(), AF_INET, transport_.udp_port(), bytes_of("/lo\0")));
    ASSERT_TRUE(pump_until([&] { return received_.size() == 1; }));
    pump_for(50ms);
    EXPECT_EQ(received_.size(), 1u);
    EXPECT_EQ(received_[0].bytes, bytes_of("/lo\0"));
    EXPECT_EQ(stats().stream_clients, 0u);
    EXPECT_EQ(stats().dropped_not_allowed, 0u);
    if (!other) GTEST_SKIP() << "no non-loopback IPv4 address here: only loopback was checked";
}

TEST_F(OscTransportTest, AllowlistDropsUdpAndClosesTcpButNotUnix) {
    TempDir dir;
    OscTransportConfig config = loopback_config();
    config.allow = {"10.0.0.0/8"};
    config.unix_socket = dir.file("osc.sock");
    open(config);

    Fd udp = udp_client();
    ASSERT_TRUE(send_udp_loopback(udp.get(), AF_INET, transport_.udp_port(), bytes_of("/no\0")));
    ASSERT_TRUE(pump_until([&] { return stats().dropped_not_allowed == 1; }));

    Fd tcp = tcp_client(AF_INET, transport_.tcp_port());
    ASSERT_TRUE(tcp.valid());
    ASSERT_TRUE(pump_until([&] { return stats().dropped_not_allowed == 2; }));
    EXPECT_TRUE(pump_until([&] { return closed_by_peer(tcp.get()); }));
    EXPECT_EQ(stats().stream_clients, 0u);

    Fd local = unix_client(config.unix_socket);
    ASSERT_TRUE(write_all(local.get(), framed(bytes_of("/yes\0\0\0\0"))));
    ASSERT_TRUE(pump_until([&] { return received_.size() == 1; }));
    EXPECT_EQ(received_[0].peer.describe(), "unix #1");
    EXPECT_EQ(stats().packets, 1u);
    EXPECT_EQ(stats().dropped_not_allowed, 2u);
}

TEST_F(OscTransportTest, SetAllowDisconnectsTcpClientsNoLongerAllowed) {
    open(loopback_config());
    Fd tcp = tcp_client(AF_INET, transport_.tcp_port());
    ASSERT_TRUE(write_all(tcp.get(), framed(bytes_of("/hi\0"))));
    ASSERT_TRUE(pump_until([&] { return received_.size() == 1; }));
    std::string error;
    EXPECT_FALSE(transport_.set_allow({"bogus"}, error));
    EXPECT_NE(error.find("bogus"), std::string::npos);
    EXPECT_EQ(stats().stream_clients, 1u);
    ASSERT_TRUE(transport_.set_allow({"10.0.0.0/8"}, error)) << error;
    EXPECT_EQ(stats().stream_clients, 0u);
    EXPECT_EQ(stats().dropped_not_allowed, 1u);
    EXPECT_TRUE(pump_until([&] { return closed_by_peer(tcp.get()); }));
    ASSERT_TRUE(transport_.set_allow({"127.0.0.0/8"}, error)) << error;
    Fd again = tcp_client(AF_INET, transport_.tcp_port());
    ASSERT_TRUE(write_all(again.get(), framed(bytes_of("/hi\0"))));
    ASSERT_TRUE(pump_until([&] { return received_.size() == 2; }));
}

TEST_F(OscTransportTest, Ipv6LoopbackWhenAllowed) {
    if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
    OscTransportConfig config = loopback_config();
    config.bind_address = "::1";
    open(config);  // allow has ::1/128 by default
    ASSERT_EQ(transport_.udp_port(), transport_.tcp_port());

    Fd udp = udp_client(AF_INET6);
    ASSERT_TRUE(send_udp_loopback(udp.get(), AF_INET6, transport_.udp_port(), bytes_of("/v6\0")));
    ASSERT_TRUE(pump_until([&] { return received_.size() == 1; }));
    EXPECT_EQ(received_[0].peer.describe(), "udp [::1]:" + std::to_string(local_port(udp.get())));
    ASSERT_TRUE(transport_.send(received_[0].peer, bytes_of("/ok\0")));
    EXPECT_EQ(read_datagram(udp.get()), bytes_of("/ok\0"));

    Fd tcp = tcp_client(AF_INET6, transport_.tcp_port());
    ASSERT_TRUE(tcp.valid());
    ASSERT_TRUE(write_all(tcp.get(), framed(bytes_of("/v6\0"))));
    ASSERT_TRUE(pump_until([&] { return received_.size() == 2; }));
    EXPECT_EQ(received_[1].peer.describe(),
              "tcp [::1]:" + std::to_string(local_port(tcp.get())) + " #1");

    // IPV6_V6ONLY and the exact address: nothing on 127.0.0.1 or other addresses.
    Fd udp4 = udp_client(AF_INET);
    ASSERT_TRUE(send_udp_loopback(udp4.get(), AF_INET, transport_.udp_port(), bytes_of("/v4\0")));
    EXPECT_FALSE(tcp_client(AF_INET, transport_.tcp_port()).valid());
    if (const auto other = other_local_address(AF_INET6)) {
        sockaddr_storage to = *other;
        set_port(to, transport_.udp_port());
        Fd any(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        send_udp(any.get(), to, sizeof(sockaddr_in6), bytes_of("/far\0\0\0\0"));
    }
    pump_for(50ms);
    EXPECT_EQ(received_.size(), 2u);

    // Not allowed any more: IPv6 datagrams dropped, the IPv6 TCP client cut off.
    std::string error;
    ASSERT_TRUE(transport_.set_allow({"127.0.0.1/32"}, error)) << error;
    EXPECT_EQ(stats().stream_clients, 0u);
    ASSERT_TRUE(send_udp_loopback(udp.get(), AF_INET6, transport_.udp_port(), bytes_of("/v6\0")));
    ASSERT_TRUE(pump_until([&] { return stats().dropped_not_allowed == 2; }));
    EXPECT_EQ(received_.size(), 2u);
}

TEST_F(OscTransportTest, Ipv6AnyAddressDoesNotTakeIpv4) {
    if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 here";
    OscTransportConfig config = loopback_config();
    config.bind_address = "::";  // every IPv6 address; IPV6_V6ONLY keeps IPv4 out
    open(config);
    Fd udp4 = udp_client(AF_INET);
    ASSERT_TRUE(send_udp_loopback(udp4.get(), AF_INET, transport_.udp_port(), bytes_of("/v4\0")));
    EXPECT_FALSE(tcp_client(AF_INET, transport_.tcp_port()).valid());
    Fd udp6 = udp_client(AF_INET6);
    ASSERT_TRUE(send_udp_loopback(udp6.get(), AF_INET6, transport_.udp_port(), bytes_of("/v6\0")));
    ASSERT_TRUE(pump_until([&] { return received_.size() == 1; }));
    pump_for(50ms);
    ASSERT_EQ(received_.size(),
              1u);  // 127.0.0.1 is allowed: it would have come in as ::ffff:127.0.0.1
    EXPECT_EQ(received_[0].bytes, bytes_of("/v6\0"));
    EXPECT_EQ(stats().stream_clients, 0u);
}

// ---- hostile input ---------------------------------------------------------

TEST_F(OscTransportTest, RandomBytesFromManyPeersNeverHurt) {
    OscTransportConfig config = loopback_config();
    config.max_packet = 512;
    open(config);
    std::mt19937 random(12345);
    std::vector<Fd> clients;
    for (int i = 0; i < 20; ++i) clients.push_back(tcp_client(AF_INET, transport_.tcp_port()));
    Fd udp = udp_client();
    std::size_t largest = 0;
    on_receive_ = [&](const Received& packet) { largest = std::max(largest, packet.bytes.size()); };
    for (int round = 0; round < 200; ++round) {
        Fd& client = clients[random() % clients.size()];
        Bytes noise(random() % 700);
        for (auto& byte : noise) byte = static_cast<std::uint8_t>(random());
        if (round % 3 == 0 && !noise.empty()) noise[0] &= 0x7F;  // a plausible small size
        if (round % 5 == 0) noise = {0, 0, 0, static_cast<std::uint8_t>(random() % 64)};
        if (client.valid()) write_all(client.get(), noise);
        send_udp_loopback(udp.get(), AF_INET, transport_.udp_port(), noise);
        pump_once(0);
    }
    pump_for(50ms);
    EXPECT_LE(largest, 512u);
    std::size_t open_clients = 0;
    for (const Fd& client : clients) open_clients += closed_by_peer(client.get()) ? 0 : 1;
    EXPECT_EQ(stats().stream_clients, open_clients);
    std::vector<pollfd> fds;
    transport_.append_poll_fds(fds);
    EXPECT_EQ(fds.size(), 2 + open_clients);
    EXPECT_GT(stats().dropped_bad_frame, 0u);
}

}  // namespace
}  // namespace rtgraph::control
