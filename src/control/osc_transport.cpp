// OscTransport: rtgraphd's UDP, TCP and UNIX-domain OSC sockets (control
// thread only; see the header for the guarantees).
#include "rtgraph/control/osc_transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>

#include "ip_allowlist.hpp"

namespace rtgraph::control {

namespace {

constexpr int kListenBacklog = 128;
constexpr int kEphemeralAttempts = 32;
constexpr std::size_t kMaxAcceptsPerService = 256;
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxDatagram = 65536;     // more than any UDP payload (65527)
constexpr std::size_t kKeepBuffer = 64 * 1024;  // idle buffers above this are released
constexpr std::size_t kFrameHeader = 4;
constexpr mode_t kUnixSocketMode = 0660;

std::string errno_text(int error) {
    return std::strerror(error);
}

void set_int_option(int fd, int level, int name, int value) {
    ::setsockopt(fd, level, name, &value, sizeof value);
}

// Closes with an RST rather than a FIN: for peers we refuse or cut off, so no
// TIME_WAIT is left here and queued bytes are discarded, not trickled out.
void close_abortively(int fd) {
    const linger abort_now{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_now, sizeof abort_now);
    ::close(fd);
}

std::string format_address(const sockaddr_storage& address, socklen_t length) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (address.ss_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
        sockaddr_in ipv4{};
        std::memcpy(&ipv4, &address, sizeof ipv4);
        inet_ntop(AF_INET, &ipv4.sin_addr, text.data(), text.size());
        return std::string(text.data()) + ":" + std::to_string(ntohs(ipv4.sin_port));
    }
    if (address.ss_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        sockaddr_in6 ipv6{};
        std::memcpy(&ipv6, &address, sizeof ipv6);
        inet_ntop(AF_INET6, &ipv6.sin6_addr, text.data(), text.size());
        std::string out = "[" + std::string(text.data());
        if (ipv6.sin6_scope_id != 0) out += "%" + std::to_string(ipv6.sin6_scope_id);
        return out + "]:" + std::to_string(ntohs(ipv6.sin6_port));
    }
    return "?";
}

// A numeric IPv4 or IPv6 address; IPv6 may carry a scope ("fe80::1%eth0").
bool parse_bind_address(const std::string& text, sockaddr_storage& address, socklen_t& length,
                        std::string& error) {
    address = {};
    if (text.find('\0') == std::string::npos) {
        sockaddr_in ipv4{};
        if (inet_pton(AF_INET, text.c_str(), &ipv4.sin_addr) == 1) {
            ipv4.sin_family = AF_INET;
            std::memcpy(&address, &ipv4, sizeof ipv4);
            length = sizeof ipv4;
            return true;
        }
        const auto percent = text.find('%');
        const std::string host = text.substr(0, percent);
        sockaddr_in6 ipv6{};
        if (inet_pton(AF_INET6, host.c_str(), &ipv6.sin6_addr) == 1) {
            ipv6.sin6_family = AF_INET6;
            if (percent != std::string::npos) {
                const std::string scope = text.substr(percent + 1);
                unsigned index = if_nametoindex(scope.c_str());
                if (index == 0) {
                    const auto [end, status] =
                        std::from_chars(scope.data(), scope.data() + scope.size(), index);
                    if (scope.empty() || status != std::errc{} ||
                        end != scope.data() + scope.size()) {
                        error = "bind address '" + text + "': no interface '" + scope + "'";
                        return false;
                    }
                }
                ipv6.sin6_scope_id = index;
            }
            std::memcpy(&address, &ipv6, sizeof ipv6);
            length = sizeof ipv6;
            return true;
        }
    }
    error = "bind address '" + text + "' is not a numeric IPv4 or IPv6 address";
    return false;
}

void set_port(sockaddr_storage& address, int port) {
    const auto network_port = htons(static_cast<std::uint16_t>(port));
    if (address.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in&>(address).sin_port = network_port;
    } else {
        reinterpret_cast<sockaddr_in6&>(address).sin6_port = network_port;
    }
}

int bound_port(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
    if (address.ss_family == AF_INET) {
        return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
    }
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
}

// A bound, non-blocking UDP or TCP socket; -1 with `error` set and errno kept.
int bind_socket(sockaddr_storage address, socklen_t length, int type, int port,
                std::string& error) {
    const char* what = type == SOCK_DGRAM ? "UDP" : "TCP";
    const int fd = ::socket(address.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        const int saved = errno;
        error = std::string("cannot create a ") + what + " socket: " + errno_text(saved);
        errno = saved;
        return -1;
    }
    if (address.ss_family == AF_INET6) set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    if (type == SOCK_STREAM) set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    set_port(address, port);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
        const int saved = errno;
        ::close(fd);
        error = std::string("cannot bind ") + what + " " + format_address(address, length) + ": " +
                errno_text(saved);
        errno = saved;
        return -1;
    }
    return fd;
}

bool fill_unix_address(const std::string& path, sockaddr_un& address, std::string& error) {
    address = {};
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof address.sun_path ||
        path.find('\0') != std::string::npos) {
        error = "unix socket '" + path + "': the path must be 1.." +
                std::to_string(sizeof address.sun_path - 1) + " bytes";
        return false;
    }
    std::memcpy(address.sun_path, path.data(), path.size());
    return true;
}

void put_big_endian32(std::uint8_t* out, std::uint32_t value) {
    out[0] = static_cast<std::uint8_t>(value >> 24);
    out[1] = static_cast<std::uint8_t>(value >> 16);
    out[2] = static_cast<std::uint8_t>(value >> 8);
    out[3] = static_cast<std::uint8_t>(value);
}

std::uint32_t get_big_endian32(const std::uint8_t* in) {
    return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) |
           (std::uint32_t{in[2]} << 8) | std::uint32_t{in[3]};
}

}  // namespace

std::string OscPeer::describe() const {
    switch (kind) {
        case Kind::kUdp:
            return "udp " + format_address(address, address_length);
        case Kind::kTcp:
            return "tcp " + format_address(address, address_length) + " #" +
                   std::to_string(connection);
        case Kind::kUnix:
            return "unix #" + std::to_string(connection);
    }
    return "?";
}

struct OscTransport::StreamClient {
    int fd = -1;
    bool dropped = false;
    OscPeer peer;
    std::vector<std::uint8_t> rx;  // received, not yet delivered: [rx_start, rx_end)
    std::size_t rx_start = 0;
    std::size_t rx_end = 0;
    std::size_t skip = 0;  // bytes of a refused (oversize) frame still to throw away
    std::vector<std::uint8_t> tx;  // queued reply bytes: [tx_head, tx.size())
    std::size_t tx_head = 0;

    std::size_t pending() const { return tx.size() - tx_head; }
};

OscTransport::OscTransport() : allowlist_(std::make_unique<IpAllowlist>()) {}

OscTransport::~OscTransport() {
    close();
}

bool OscTransport::is_open() const {
    return udp_fd_ >= 0 || tcp_fd_ >= 0 || unix_fd_ >= 0;
}

bool OscTransport::open(const OscTransportConfig& config, std::string& error) {
    close();
    stats_ = {};
    if (config.udp_port < 0 || config.udp_port > 65535 || config.tcp_port < 0 ||
        config.tcp_port > 65535) {
        error = "OSC ports must be 0 (off) or 1..65535";
        return false;
    }
    if (config.max_packet == 0 || config.max_packet > static_cast<std::size_t>(INT32_MAX)) {
        error = "max_packet must be 1.." + std::to_string(INT32_MAX);
        return false;
    }
    IpAllowlist allowlist;
    if (!allowlist.parse(config.allow, error)) return false;
    *allowlist_ = std::move(allowlist);
    config_ = config;
    datagram_.assign(std::min(config.max_packet, kMaxDatagram), 0);

    if ((config.udp_port != 0 || config.tcp_port != 0) && !open_network(config, error)) {
        close();
        return false;
    }
    if (!config.unix_socket.empty() && !open_unix(config.unix_socket, error)) {
        close();
        return false;
    }
    if (tcp_fd_ >= 0 || unix_fd_ >= 0) spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return true;
}

bool OscTransport::open_network(const OscTransportConfig& config, std::string& error) {
    sockaddr_storage address{};
    socklen_t length = 0;
    if (!parse_bind_address(config.bind_address, address, length, error)) return false;
    const bool want_udp = config.udp_port != 0;
    const bool want_tcp = config.tcp_port != 0;

    if (config.ephemeral_ports && want_udp && want_tcp) {
        for (int attempt = 0; attempt < kEphemeralAttempts && udp_fd_ < 0; ++attempt) {
            tcp_fd_ = bind_socket(address, length, SOCK_STREAM, 0, error);
            if (tcp_fd_ < 0) return false;
            udp_fd_ = bind_socket(address, length, SOCK_DGRAM, bound_port(tcp_fd_), error);
            if (udp_fd_ < 0) {
                const int saved = errno;
                ::close(tcp_fd_);
                tcp_fd_ = -1;
                if (saved != EADDRINUSE) return false;
            }
        }
        if (udp_fd_ < 0) {
            error = "no port number free for both UDP and TCP after " +
                    std::to_string(kEphemeralAttempts) + " tries";
            return false;
        }
    } else {
        if (want_tcp) {
            tcp_fd_ = bind_socket(address, length, SOCK_STREAM,
                                  config.ephemeral_ports ? 0 : config.tcp_port, error);
            if (tcp_fd_ < 0) return false;
        }
        if (want_udp) {
            udp_fd_ = bind_socket(address, length, SOCK_DGRAM,
                                  config.ephemeral_ports ? 0 : config.udp_port, error);
            if (udp_fd_ < 0) return false;
        }
    }

    if (tcp_fd_ >= 0) {
        if (::listen(tcp_fd_, kListenBacklog) != 0) {
            error = "cannot listen on TCP: " + errno_text(errno);
            return false;
        }
        tcp_port_ = bound_port(tcp_fd_);
    }
    if (udp_fd_ >= 0) {
        udp_port_ = bound_port(udp_fd_);
        if (config.udp_receive_buffer > 0) {
            const int want = config.udp_receive_buffer;
            int granted = 0;
            socklen_t size = sizeof granted;
            set_int_option(udp_fd_, SOL_SOCKET, SO_RCVBUF, want);
            getsockopt(udp_fd_, SOL_SOCKET, SO_RCVBUF, &granted, &size);
            // The kernel reports twice what it grants; below the request means
            // net.core.rmem_max capped it. SO_RCVBUFFORCE passes the cap with
            // CAP_NET_ADMIN and fails harmlessly without.
            if (granted / 2 < want) set_int_option(udp_fd_, SOL_SOCKET, SO_RCVBUFFORCE, want);
        }
        int granted = 0;
        socklen_t size = sizeof granted;
        getsockopt(udp_fd_, SOL_SOCKET, SO_RCVBUF, &granted, &size);
        udp_receive_buffer_ = granted;
    }
    return true;
}

bool OscTransport::open_unix(const std::string& path, std::string& error) {
    sockaddr_un address{};
    if (!fill_unix_address(path, address, error)) return false;
    const auto* generic = reinterpret_cast<const sockaddr*>(&address);

    struct stat existing {};
    if (::lstat(path.c_str(), &existing) == 0) {
        if (!S_ISSOCK(existing.st_mode)) {
            error = "unix socket '" + path +
                    "': the path exists and is not a socket; "
                    "refusing to replace it";
            return false;
        }
        // Replace the file only when nobody listens on it (a daemon that died).
        const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (probe < 0) {
            error = "unix socket '" + path + "': " + errno_text(errno);
            return false;
        }
        const int result = ::connect(probe, generic, sizeof address);
        const int saved = errno;
        ::close(probe);
        if (result == 0 || saved == EAGAIN || saved == EINPROGRESS) {
            error = "unix socket '" + path + "' is already in use by a running process";
            return false;
        }
        if (saved != ECONNREFUSED && saved != ENOENT) {
            error = "unix socket '" + path +
                    "': cannot tell whether it is in use: " + errno_text(saved);
            return false;
        }
        if (saved == ECONNREFUSED && ::unlink(path.c_str()) != 0 && errno != ENOENT) {
            error =
                "unix socket '" + path + "': cannot remove the stale socket: " + errno_text(errno);
            return false;
        }
    }

    unix_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (unix_fd_ < 0) {
        error = "unix socket '" + path + "': " + errno_text(errno);
        return false;
    }
    if (::bind(unix_fd_, generic, sizeof address) != 0) {
        const int saved = errno;
        error = "unix socket '" + path + "': cannot bind: " + errno_text(saved);
        if (saved == EADDRINUSE) error += " (another process took it)";
        return false;
    }
    // From here the file is ours. No one can connect before listen(), so the
    // mode is right before anyone is accepted.
    struct stat made {};
    if (::stat(path.c_str(), &made) == 0) {
        unix_path_ = path;
        unix_device_ = made.st_dev;
        unix_inode_ = made.st_ino;
    }
    if (::chmod(path.c_str(), kUnixSocketMode) != 0) {
        error = "unix socket '" + path + "': cannot set mode 0660: " + errno_text(errno);
        return false;
    }
    if (::listen(unix_fd_, kListenBacklog) != 0) {
        error = "unix socket '" + path + "': cannot listen: " + errno_text(errno);
        return false;
    }
    return true;
}

void OscTransport::close() {
    for (const auto& client : clients_) {
        if (client->fd >= 0) ::close(client->fd);
    }
    clients_.clear();
    stats_.stream_clients = 0;
    for (int* fd : {&udp_fd_, &tcp_fd_, &unix_fd_, &spare_fd_}) {
        if (*fd >= 0) ::close(*fd);
        *fd = -1;
    }
    if (!unix_path_.empty()) {
        struct stat now {};
        if (::lstat(unix_path_.c_str(), &now) == 0 && now.st_dev == unix_device_ &&
            now.st_ino == unix_inode_) {
            ::unlink(unix_path_.c_str());
        }
        unix_path_.clear();
    }
    udp_port_ = 0;
    tcp_port_ = 0;
    udp_receive_buffer_ = 0;
}

bool OscTransport::set_allow(const std::vector<std::string>& allow, std::string& error) {
    IpAllowlist allowlist;
    if (!allowlist.parse(allow, error)) return false;
    *allowlist_ = std::move(allowlist);
    config_.allow = allow;
    for (const auto& client : clients_) {
        if (client->dropped || client->peer.kind != OscPeer::Kind::kTcp) continue;
        if (!allowlist_->allows(reinterpret_cast<const sockaddr*>(&client->peer.address),
                                client->peer.address_length)) {
            drop_client(*client, true);
            ++stats_.dropped_not_allowed;
        }
    }
    return true;
}

void OscTransport::append_poll_fds(std::vector<pollfd>& fds) const {
    for (const int fd : {udp_fd_, tcp_fd_, unix_fd_}) {
        if (fd >= 0) fds.push_back({fd, POLLIN, 0});
    }
    for (const auto& client : clients_) {
        if (client->dropped) continue;
        const short events = client->pending() > 0 ? POLLIN | POLLOUT : POLLIN;
        fds.push_back({client->fd, events, 0});
    }
}

void OscTransport::service(const PacketHandler& on_packet, const OversizeHandler& on_oversize) {
    remove_dropped_clients();
    if (tcp_fd_ >= 0) accept_clients(tcp_fd_, OscPeer::Kind::kTcp);
    if (unix_fd_ >= 0) accept_clients(unix_fd_, OscPeer::Kind::kUnix);
    if (udp_fd_ >= 0) read_datagrams(on_packet);
    // By index: on_packet may send(), which never adds or removes entries but
    // may mark one dropped.
    for (std::size_t i = 0; i < clients_.size(); ++i) {
        StreamClient& client = *clients_[i];
        if (!client.dropped && client.pending() > 0) flush(client);
        if (!client.dropped) read_stream(client, on_packet, on_oversize);
    }
    remove_dropped_clients();
}

void OscTransport::accept_clients(int listen_fd, OscPeer::Kind kind) {
    for (std::size_t accepted = 0; accepted < kMaxAcceptsPerService; ++accepted) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&address), &length,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if ((errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
                // Out of fds: the pending connection would wake poll() forever.
                // Give up the spare fd to accept it, refuse it, take the spare back.
                ::close(spare_fd_);
                const int refused = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
                if (refused >= 0) {
                    close_abortively(refused);
                    ++stats_.stream_clients_refused;
                }
                spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (refused >= 0 && spare_fd_ >= 0) continue;
            }
            return;  // EAGAIN: nothing more waiting (or an error poll() will show again)
        }
        if (kind == OscPeer::Kind::kTcp &&
            !allowlist_->allows(reinterpret_cast<const sockaddr*>(&address), length)) {
            close_abortively(fd);
            ++stats_.dropped_not_allowed;
            continue;
        }
        if (stats_.stream_clients >= config_.max_stream_clients) {
            close_abortively(fd);
            ++stats_.stream_clients_refused;
            continue;
        }
        if (kind == OscPeer::Kind::kTcp) set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, 1);
        auto client = std::make_unique<StreamClient>();
        client->fd = fd;
        client->peer.kind = kind;
        client->peer.connection = next_connection_++;
        client->peer.address = address;
        client->peer.address_length = length;
        clients_.push_back(std::move(client));
        ++stats_.stream_clients;
    }
}

void OscTransport::read_datagrams(const PacketHandler& on_packet) {
    for (std::size_t count = 0; count < kMaxDatagramsPerService; ++count) {
        OscPeer peer;
        peer.kind = OscPeer::Kind::kUdp;
        peer.address_length = sizeof peer.address;
        // MSG_TRUNC: the datagram's real length, even past the buffer.
        const ssize_t received =
            ::recvfrom(udp_fd_, datagram_.data(), datagram_.size(), MSG_DONTWAIT | MSG_TRUNC,
                       reinterpret_cast<sockaddr*>(&peer.address), &peer.address_length);
        if (received < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            continue;  // EINTR, or an error report for an earlier datagram
        }
        if (!allowlist_->allows(reinterpret_cast<const sockaddr*>(&peer.address),
                                peer.address_length)) {
            ++stats_.dropped_not_allowed;
            continue;
        }
        const auto size = static_cast<std::size_t>(received);
        if (size == 0) {
            ++stats_.dropped_bad_frame;
            continue;
        }
        if (size > config_.max_packet || size > datagram_.size()) {
            ++stats_.dropped_oversize;
            continue;
        }
        ++stats_.packets;
        on_packet(std::span<const std::uint8_t>(datagram_.data(), size), peer);
    }
}

void OscTransport::read_stream(StreamClient& client, const PacketHandler& on_packet,
                               const OversizeHandler& on_oversize) {
    std::size_t budget = kMaxStreamBytesPerService;
    while (!client.dropped && budget > 0) {
        if (client.rx_start > 0) {  // keep the partial frame at the front
            std::memmove(client.rx.data(), client.rx.data() + client.rx_start,
                         client.rx_end - client.rx_start);
            client.rx_end -= client.rx_start;
            client.rx_start = 0;
        }
        if (client.rx.size() - client.rx_end < kReadChunk)
            client.rx.resize(client.rx_end + kReadChunk);
        const std::size_t room = std::min(client.rx.size() - client.rx_end, budget);
        const ssize_t received =
            ::recv(client.fd, client.rx.data() + client.rx_end, room, MSG_DONTWAIT);
        if (received < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) drop_client(client, true);
            break;
        }
        if (received == 0) {  // the peer closed: send what is queued, then close
            flush(client);
            if (!client.dropped) drop_client(client, false);
            break;
        }
        client.rx_end += static_cast<std::size_t>(received);
        budget -= static_cast<std::size_t>(received);

        // Deliver every complete frame. rx_start moves before on_packet (or
        // on_oversize) runs, so an exception from it leaves no frame to be
        // delivered twice.
        while (!client.dropped && client.rx_start < client.rx_end) {
            const std::size_t available = client.rx_end - client.rx_start;
            if (client.skip > 0) {  // inside a refused frame: its bytes go nowhere
                const std::size_t discarded = std::min(client.skip, available);
                client.rx_start += discarded;
                client.skip -= discarded;
                continue;
            }
            const std::uint8_t* header = client.rx.data() + client.rx_start;
            // A first byte >= 0x80 makes the int32 size negative: a bad frame
            // (a SLIP stream starts with 0xC0) known from that byte alone.
            if (header[0] & 0x80) {
                ++stats_.dropped_bad_frame;
                drop_client(client, true);
                break;
            }
            if (available < kFrameHeader) break;
            const std::size_t size = get_big_endian32(header);
            if (size == 0) {
                ++stats_.dropped_bad_frame;
                drop_client(client, true);
                break;
            }
            if (size > config_.max_packet) {
                // Too large to hold, but the framing is intact: skip it and
                // keep the connection, so the client can be told why.
                ++stats_.dropped_oversize;
                client.rx_start += kFrameHeader;
                client.skip = size;
                if (on_oversize) on_oversize(size, client.peer);
                continue;
            }
            if (available - kFrameHeader < size) break;
            client.rx_start += kFrameHeader + size;
            ++stats_.packets;
            on_packet(std::span<const std::uint8_t>(header + kFrameHeader, size), client.peer);
        }
    }
    if (!client.dropped && client.rx_start == client.rx_end) {
        client.rx_start = client.rx_end = 0;
        if (client.rx.size() > kKeepBuffer) std::vector<std::uint8_t>().swap(client.rx);
    }
}

bool OscTransport::flush(StreamClient& client) {
    while (client.pending() > 0) {
        const ssize_t sent = ::send(client.fd, client.tx.data() + client.tx_head, client.pending(),
                                    MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            drop_client(client, true);
            return false;
        }
        client.tx_head += static_cast<std::size_t>(sent);
    }
    if (client.pending() == 0) {
        client.tx_head = 0;
        client.tx.clear();
        if (client.tx.capacity() > kKeepBuffer) std::vector<std::uint8_t>().swap(client.tx);
    } else if (client.tx_head > client.tx.size() / 2) {
        client.tx.erase(client.tx.begin(),
                        client.tx.begin() + static_cast<std::ptrdiff_t>(client.tx_head));
        client.tx_head = 0;
    }
    return true;
}

void OscTransport::drop_client(StreamClient& client, bool abortive) {
    if (client.dropped) return;
    if (abortive) {
        close_abortively(client.fd);
    } else {
        ::close(client.fd);
    }
    client.fd = -1;
    client.dropped = true;
    --stats_.stream_clients;
    closed_connections_.push_back(client.peer.connection);
    // rx stays: on_packet may be looking at a packet in it right now.
    std::vector<std::uint8_t>().swap(client.tx);
    client.tx_head = 0;
}

void OscTransport::remove_dropped_clients() {
    std::erase_if(clients_,
                  [](const std::unique_ptr<StreamClient>& client) { return client->dropped; });
}

OscTransport::StreamClient* OscTransport::find_client(std::uint64_t connection) {
    for (const auto& client : clients_) {
        if (!client->dropped && client->peer.connection == connection) return client.get();
    }
    return nullptr;
}

bool OscTransport::send(const OscPeer& peer, std::span<const std::uint8_t> packet) {
    bool ok = false;
    if (packet.empty() || packet.size() > static_cast<std::size_t>(INT32_MAX)) {
        ok = false;
    } else if (peer.kind == OscPeer::Kind::kUdp) {
        if (udp_fd_ >= 0) {
            ssize_t sent = -1;
            do {
                sent =
                    ::sendto(udp_fd_, packet.data(), packet.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&peer.address), peer.address_length);
            } while (sent < 0 && errno == EINTR);
            ok = sent == static_cast<ssize_t>(packet.size());
        }
    } else if (StreamClient* client = find_client(peer.connection);
               client != nullptr && client->peer.kind == peer.kind) {
        ok = send_stream(*client, packet);
    }
    if (!ok) ++stats_.send_failures;
    return ok;
}

bool OscTransport::send_stream(StreamClient& client, std::span<const std::uint8_t> packet) {
    std::array<std::uint8_t, kFrameHeader> header{};
    put_big_endian32(header.data(), static_cast<std::uint32_t>(packet.size()));
    const std::size_t total = kFrameHeader + packet.size();

    if (client.pending() > 0 && !flush(client)) return false;
    std::size_t written = 0;
    if (client.pending() == 0) {  // nothing queued: straight to the socket, in order
        std::array<iovec, 2> parts{{{header.data(), header.size()},
                                    {const_cast<std::uint8_t*>(packet.data()), packet.size()}}};
        msghdr message{};
        message.msg_iov = parts.data();
        message.msg_iovlen = parts.size();
        ssize_t sent = -1;
        do {
            sent = ::sendmsg(client.fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
        } while (sent < 0 && errno == EINTR);
        if (sent < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                drop_client(client, true);
                return false;
            }
            sent = 0;
        }
        written = static_cast<std::size_t>(sent);
    }
    if (written == total) return true;

    if (client.pending() + (total - written) > config_.max_stream_buffer) {
        ++stats_.stream_clients_overflowed;
        drop_client(client, true);
        return false;
    }
    if (written < kFrameHeader) {
        client.tx.insert(client.tx.end(), header.begin() + static_cast<std::ptrdiff_t>(written),
                         header.end());
        client.tx.insert(client.tx.end(), packet.begin(), packet.end());
    } else {
        client.tx.insert(client.tx.end(),
                         packet.begin() + static_cast<std::ptrdiff_t>(written - kFrameHeader),
                         packet.end());
    }
    return true;
}

}  // namespace rtgraph::control
