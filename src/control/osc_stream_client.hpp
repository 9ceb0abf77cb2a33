// OscTransport's per-connection state for TCP and UNIX stream clients,
// shared by the transport (osc_transport.cpp: accept, poll, allowlist) and the
// stream framing (osc_stream.cpp: read, deliver, queue, flush). Private to
// src/control.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rtgraph/control/osc_transport.hpp"

namespace rtgraph::control {

struct OscTransport::StreamClient {
    int fd = -1;
    bool dropped = false;
    OscPeer peer;
    std::vector<std::uint8_t> rx;  // received, not yet delivered: [rx_start, rx_end)
    std::size_t rx_start = 0;
    std::size_t rx_end = 0;
    std::size_t skip = 0;          // bytes of a refused (oversize) frame still to throw away
    std::vector<std::uint8_t> tx;  // queued reply bytes: [tx_head, tx.size())
    std::size_t tx_head = 0;

    // For making room and timeouts (see osc_transport.hpp).
    std::uint64_t accepted_in_pass = 0;      // the service() call that accepted it
    bool has_spoken = false;                 // a complete packet (even an oversize one) came
    std::chrono::steady_clock::time_point accepted_at{};
    std::chrono::steady_clock::time_point last_active{};  // a packet received or sent
    std::chrono::steady_clock::time_point last_byte{};    // the last byte received

    std::size_t pending() const { return tx.size() - tx_head; }
    // Inside a frame: some of it has come, not all.
    bool mid_frame() const { return rx_end > rx_start || skip > 0; }
};

}  // namespace rtgraph::control
