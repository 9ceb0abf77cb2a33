// ControlPort: OSC packets in, replies out (control thread).
#include "control_port.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "rtgraph/control/control_error.hpp"
#include "rtgraph/control/osc_packet.hpp"

namespace rtgraph::daemon {

namespace {

// A stream packet's replies can be queued all at once (a transaction's /done
// replies go out together once it is live), so a client's reply queue has
// room for this many bytes per byte of the largest packet: one reply per
// command, a few times the smallest command (a refused transaction tells each
// of its commands why).
constexpr std::size_t kReplyBytesPerRequestByte = 4;

// An /error about a whole packet: no request id or address could be read.
control::OscMessage packet_error(control::ControlError code, const std::string& text) {
    return control::OscMessage{"/error", {{'i', 0}, {'s', std::string()}, {'s', std::string(control::error_name(code))},
                                          {'s', text}}};
}

std::chrono::steady_clock::duration seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

bool ControlPort::open(const config::DaemonConfig::Osc& config) {
    control::OscTransportConfig osc;
    osc.bind_address = config.bind_address;
    osc.udp_port = config.udp_port;
    osc.tcp_port = config.tcp_port;
    osc.unix_socket = config.unix_socket;
    osc.allow = config.allow;
    // Streams carry packets up to osc.max_packet_bytes; UDP stays at one
    // datagram (the transport caps it at 64 KiB whatever max_packet says).
    osc.max_packet = config.max_packet_bytes;
    osc.max_stream_buffer = std::max(osc.max_stream_buffer, kReplyBytesPerRequestByte * config.max_packet_bytes);
    osc.max_stream_clients = config.max_clients;
    osc.max_stream_clients_per_address = config.max_clients_per_address;
    osc.idle_timeout = seconds(config.idle_timeout_s);
    osc.frame_timeout = seconds(config.frame_timeout_s);
    max_packet_bytes_ = config.max_packet_bytes;
    std::string error;
    if (!transport_.open(osc, error)) {
        spdlog::critical("cannot open the OSC control port: {}", error);
        return false;
    }
    spdlog::info("OSC control on {} (udp {}, tcp {}){}", config.bind_address, transport_.udp_port(),
                 transport_.tcp_port(), config.unix_socket.empty() ? "" : ", unix " + config.unix_socket);
    return true;
}

void ControlPort::serve(control::CommandRouter* router) {
    // UDP: one datagram, at most 1024 messages. Streams: up to
    // osc.max_packet_bytes, and that byte count is the only bound (any number
    // of messages it can hold). Blobs as large as a packet may be:
    // /graph/import sends its document as one.
    control::OscParseLimits datagram_limits;
    datagram_limits.max_blob = datagram_limits.max_packet;
    const control::OscParseLimits stream_limits = control::stream_parse_limits(max_packet_bytes_);
    const auto on_packet = [&](std::span<const std::uint8_t> bytes, const control::OscPeer& peer) {
        control::OscPacket packet;
        std::string error;
        const control::OscParseLimits& limits =
            peer.kind == control::OscPeer::Kind::kUdp ? datagram_limits : stream_limits;
        if (!control::parse_osc_packet(bytes, packet, error, limits)) {
            if (router != nullptr) {
                router->reject_malformed(error, peer, outgoing_);
            } else {
                outgoing_.push_back({peer, packet_error(control::ControlError::kMalformedPacket, error)});
            }
            return;
        }
        if (router != nullptr) {
            const std::uint64_t before = durability_.changes_made();
            router->handle(packet, peer, outgoing_);
            if (durability_.changes_made() != before) gate_.changed_by(peer, durability_.changes_made());
            return;
        }
        for (const control::OscMessage& message : packet.messages) {
            const std::int32_t id = !message.args.empty() && message.args[0].tag == 'i'
                                        ? std::get<std::int32_t>(message.args[0].value)
                                        : 0;
            outgoing_.push_back({peer, control::OscMessage{"/error", {{'i', id}, {'s', message.address},
                                                                      {'s', std::string(control::error_name(control::ControlError::kNotReady))},
                                                                      {'s', std::string("rtgraphd is waiting for the JACK server")}}}});
        }
    };
    // A stream frame over the limit: the transport skips its bytes and keeps
    // the connection; the sender learns why instead of being cut off.
    const auto on_oversize = [&](std::size_t size, const control::OscPeer& peer) {
        const std::string text = "a packet of " + std::to_string(size) +
                                 " bytes is larger than osc.max_packet_bytes (" +
                                 std::to_string(max_packet_bytes_) + "); it was discarded unread, nothing was applied";
        spdlog::warn("{}: {}", peer.describe(), text);
        outgoing_.push_back({peer, packet_error(control::ControlError::kTooLarge, text)});
    };
    transport_.service(on_packet, on_oversize);
    for (const std::uint64_t connection : transport_.take_closed_connections()) {
        if (router != nullptr) router->forget_connection(connection);
    }
}

void ControlPort::send_all() {
    gate_.release(outgoing_, durability_.changes_settled(), [this](const control::Outgoing& item) {
        transport_.send(item.peer, control::encode_osc_message(item.message));
    });
}

}  // namespace rtgraph::daemon
