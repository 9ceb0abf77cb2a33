// POSIX socket helpers for OscTransport (control thread only; every function
// here makes syscalls and may allocate): address text both ways, binding,
// socket options and the abortive close used for refused peers.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <string>

namespace rtgraph::control::net {

std::string errno_text(int error);

// setsockopt() with an int value; a failure leaves the kernel's default.
void set_int_option(int fd, int level, int name, int value);

// Closes with an RST rather than a FIN: for peers we refuse or cut off, so no
// TIME_WAIT is left here and queued bytes are discarded, not trickled out.
void close_abortively(int fd);

// "127.0.0.1:7711", "[::1]:7711", "[fe80::1%2]:7711"; "?" for other families.
std::string format_address(const sockaddr_storage& address, socklen_t length);

// A numeric IPv4 or IPv6 address; IPv6 may carry a scope ("fe80::1%eth0").
bool parse_bind_address(const std::string& text, sockaddr_storage& address, socklen_t& length,
                        std::string& error);

// The port getsockname() reports for a bound socket; 0 if it cannot say.
int bound_port(int fd);

// A bound, non-blocking UDP or TCP socket; -1 with `error` set and errno kept.
int bind_socket(sockaddr_storage address, socklen_t length, int type, int port, std::string& error);

bool fill_unix_address(const std::string& path, sockaddr_un& address, std::string& error);

}  // namespace rtgraph::control::net
