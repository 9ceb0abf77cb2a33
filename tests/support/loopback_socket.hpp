// Raw TCP client sockets for the tests that press on rtgraph's connection
// limits: a connection from a chosen source address of 127.0.0.0/8 (all of it
// is loopback on Linux, so each address is a different "host"), and whether
// the other side has closed or reset it.
#pragma once

#include <string>

namespace rtgraph::test_support {

// A blocking TCP connection from `source` to 127.0.0.1:port; -1 on failure
// (errno says why).
int tcp_connect_from(const std::string& source, int port);

// True once the peer closed (read 0) or reset it; reads and drops what waits.
bool closed_by_peer(int fd);

}  // namespace rtgraph::test_support
