// rtgraphctl's connection to rtgraphd: one TCP stream (OSC 1.0 framing: a
// big-endian int32 size before each packet) or one connected UDP socket, with
// liblo encoding requests and decoding replies.
//
// Why our own socket and not liblo's lo_address/lo_server for the transport:
//  - replies arrive on the request's own TCP connection; with liblo that needs
//    an lo_server with LO_TCP, which also opens a listening TCP port on every
//    interface (liblo issue #113) that a client never needs;
//  - a single deadline (--timeout) must cover connecting, sending and the
//    reply, and "connection refused" / "timed out" / "closed by the daemon"
//    must be told apart and reported with host:port; liblo's blocking connect
//    and lo_server_recv_noblock do not give that;
//  - watch must wait on the socket and a signalfd together (Ctrl-C, SIGTERM).
// liblo still does the OSC encoding (lo_message_serialise, lo_bundle_serialise)
// and decoding (lo_message_deserialise), so rtgraphctl shares no OSC code with
// the daemon it tests.
//
// Threads: rtgraphctl's only thread. Every call may block, up to the deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rtgraphctl_cli.hpp"

namespace rtgraph::ctl {

using Clock = std::chrono::steady_clock;

// The message as one OSC packet; empty if liblo refuses it.
std::vector<std::uint8_t> encode_message(const Message& message);

// The messages as one bundle with timetag "immediately"; empty on failure.
std::vector<std::uint8_t> encode_bundle(const std::vector<Message>& messages);

// A packet (message or bundle, bundles flattened) to messages. Arguments of
// types rtgraphctl does not use (blobs, MIDI, ...) come back as strings that
// describe them. False with `error` set when liblo cannot parse it.
bool decode_packet(std::span<const std::uint8_t> packet, std::vector<Message>& out, std::string& error);

class Connection {
public:
    enum class Wait {
        kPacket,  // `packet` holds one
        kTimeout,
        kClosed,  // the daemon closed the TCP connection
        kSignal,  // `signal_fd` became readable
        kError,   // `error` says what
    };

    Connection() = default;
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Connects (TCP: every address the host resolves to, in order, until one
    // accepts) before `deadline`. False with `error` set, naming host:port.
    bool open(const Options& options, Clock::time_point deadline, std::string& error);

    // Sends one packet (TCP: framed). False with `error` set.
    bool send(std::span<const std::uint8_t> packet, Clock::time_point deadline, std::string& error);

    // Waits for the next packet until `deadline` (Clock::time_point::max():
    // no limit) or until `signal_fd` (when >= 0) is readable.
    Wait receive(std::vector<std::uint8_t>& packet, Clock::time_point deadline, int signal_fd, std::string& error);

    // "tcp 127.0.0.1:7711", for messages.
    const std::string& describe() const { return where_; }

private:
    bool wait_for(short events, Clock::time_point deadline, int signal_fd, Wait& why, std::string& error);
    bool take_frame(std::vector<std::uint8_t>& packet, std::string& error);

    int fd_ = -1;
    bool udp_ = false;
    std::string where_;
    std::vector<std::uint8_t> buffer_;  // TCP bytes not yet a whole frame
};

}  // namespace rtgraph::ctl
