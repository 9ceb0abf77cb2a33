// POSIX socket helpers for OscTransport; see socket_ops.hpp.
#include "socket_ops.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace rtgraph::control::net {

std::string errno_text(int error) {
    return std::strerror(error);
}

void set_int_option(int fd, int level, int name, int value) {
    ::setsockopt(fd, level, name, &value, sizeof value);
}

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

namespace {

void set_port(sockaddr_storage& address, int port) {
    const auto network_port = htons(static_cast<std::uint16_t>(port));
    if (address.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in&>(address).sin_port = network_port;
    } else {
        reinterpret_cast<sockaddr_in6&>(address).sin6_port = network_port;
    }
}

}  // namespace

int bound_port(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
    if (address.ss_family == AF_INET) {
        return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
    }
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
}

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

}  // namespace rtgraph::control::net
