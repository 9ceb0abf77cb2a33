// rtgraphctl batch: how large one bundle (one transaction) may be on each
// transport, and the words for a script that is larger. Header-only, so the
// rtgraphctl tests check it without sockets.
//
// Over TCP (OSC 1.0 stream framing) a packet may be as large as rtgraphd's
// osc.max_packet_bytes, whose default this assumes: a daemon configured lower
// answers a larger bundle with one /error too_large; one configured higher
// still gets at most this much from rtgraphctl. Over UDP a packet is one
// datagram (65507 bytes of IPv4 payload), and rtgraphd parses a datagram with
// at most 1024 messages in it.
//
// Threads: rtgraphctl's only thread; allocates.
#pragma once

#include <cstddef>
#include <string>

namespace rtgraph::ctl {

inline constexpr std::size_t kMaxStreamBundleBytes = 4 * 1024 * 1024;  // osc.max_packet_bytes default
inline constexpr std::size_t kMaxDatagramBundleBytes = 65507;          // 65535 - IPv4 and UDP headers
inline constexpr std::size_t kMaxDatagramBundleMessages = 1024;        // rtgraphd's datagram parse limit

// Empty when a bundle of `commands` commands in `bytes` bytes may be sent
// over UDP (`udp`) or TCP; else why not, naming the limit that stops it.
inline std::string batch_size_problem(std::size_t commands, std::size_t bytes, bool udp) {
    const std::string what = std::to_string(commands) + " commands in " + std::to_string(bytes) + " bytes";
    if (udp) {
        if (bytes <= kMaxDatagramBundleBytes && commands <= kMaxDatagramBundleMessages) return {};
        return what + ": over UDP a batch must fit one datagram (" + std::to_string(kMaxDatagramBundleBytes) +
               " bytes, " + std::to_string(kMaxDatagramBundleMessages) +
               " commands); TCP has no such limit: leave out --udp";
    }
    if (bytes <= kMaxStreamBundleBytes) return {};
    return what + ": more than one packet to rtgraphd may hold (" + std::to_string(kMaxStreamBundleBytes) +
           " bytes, the default osc.max_packet_bytes); split the script";
}

}  // namespace rtgraph::ctl
