// OscTransport: rtgraphd's UDP, TCP and UNIX-domain OSC sockets (control
// thread only; see the header for the guarantees): opening and closing them,
// the allowlist, accepting stream clients, datagrams, sending. The stream
// framing is in osc_stream.cpp, the room policy (limits, eviction, frame
// timeout) in osc_room.cpp.
#include "rtgraph/control/osc_transport.hpp"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "ip_allowlist.hpp"
#include "osc_stream_client.hpp"
#include "socket_ops.hpp"

namespace rtgraph::control {

namespace {

using net::bind_socket;
using net::bound_port;
using net::close_abortively;
using net::errno_text;
using net::fill_unix_address;
using net::format_address;
using net::parse_bind_address;
using net::set_int_option;

constexpr int kListenBacklog = 128;
constexpr int kEphemeralAttempts = 32;
constexpr std::size_t kMaxAcceptsPerService = 256;
constexpr std::size_t kMaxDatagram = 65536;  // more than any UDP payload (65527)
constexpr mode_t kUnixSocketMode = 0660;

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
    if (config.max_stream_clients == 0) {
        error = "max_stream_clients must be at least 1";
        return false;
    }
    if (config.max_stream_clients_per_address == 0) {
        error = "max_stream_clients_per_address must be at least 1";
        return false;
    }
    if (config.idle_timeout <= std::chrono::steady_clock::duration::zero() ||
        config.frame_timeout <= std::chrono::steady_clock::duration::zero()) {
        error = config.idle_timeout <= std::chrono::steady_clock::duration::zero()
                    ? "idle_timeout must be positive"
                    : "frame_timeout must be positive";
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

OscTransport::TimePoint OscTransport::now() const {
    return config_.clock ? config_.clock() : std::chrono::steady_clock::now();
}

void OscTransport::service(const PacketHandler& on_packet, const OversizeHandler& on_oversize) {
    ++service_pass_;
    cut_off_stalled_frames(now());
    remove_dropped_clients();
    if (udp_fd_ >= 0) read_datagrams(on_packet);
    // The clients there are first, then the newcomers: what a client has
    // sent is read before a newcomer may take its slot, so a request that
    // has arrived is never thrown away with its connection. By index:
    // on_packet may send(), which never adds or removes entries but may mark
    // one dropped; accepting may mark one dropped (make_room).
    const auto serve_clients = [&](std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) {
            StreamClient& client = *clients_[i];
            if (!client.dropped && client.pending() > 0) flush(client);
            if (!client.dropped) read_stream(client, on_packet, on_oversize);
        }
    };
    const std::size_t existing = clients_.size();
    serve_clients(0, existing);
    if (tcp_fd_ >= 0) accept_clients(tcp_fd_, OscPeer::Kind::kTcp);
    if (unix_fd_ >= 0) accept_clients(unix_fd_, OscPeer::Kind::kUnix);
    serve_clients(existing, clients_.size());
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
        const TimePoint at = now();
        if (!make_room(kind == OscPeer::Kind::kTcp ? &address : nullptr, at)) {
            close_abortively(fd);
            ++stats_.stream_clients_refused;
            continue;
        }
        if (kind == OscPeer::Kind::kTcp) set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, 1);
        auto client = std::make_unique<StreamClient>();
        client->accepted_in_pass = service_pass_;
        client->accepted_at = client->last_active = client->last_byte = at;
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
        // In use only if its socket takes what it is sent: a queue left
        // behind counts when flush() empties it, so a subscriber that stops
        // reading goes idle once the kernel's buffers are full.
        if (ok && client->pending() == 0) client->last_active = now();
    }
    if (!ok) ++stats_.send_failures;
    return ok;
}

}  // namespace rtgraph::control
