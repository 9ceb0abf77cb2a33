// OscTransport's stream side (TCP and UNIX): OSC 1.0 size-prefixed frames
// read and delivered, oversize frames skipped, replies sent or queued and
// flushed, clients dropped. See osc_transport.hpp for the framing rules.
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "osc_stream_client.hpp"
#include "osc_wire.hpp"
#include "socket_ops.hpp"

namespace rtgraph::control {

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kKeepBuffer = 64 * 1024;  // idle buffers above this are released
constexpr std::size_t kFrameHeader = 4;

}  // namespace

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
        client.last_byte = now();

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
            const std::size_t size = wire::load_u32(header);
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
                client.has_spoken = true;  // it is answered, as a request is
                client.last_active = client.last_byte;
                if (on_oversize) on_oversize(size, client.peer);
                continue;
            }
            if (available - kFrameHeader < size) break;
            client.rx_start += kFrameHeader + size;
            client.has_spoken = true;
            client.last_active = client.last_byte;
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
    const bool had_queue = client.pending() > 0;
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
        if (had_queue) client.last_active = now();  // the socket took all it was sent
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
        net::close_abortively(client.fd);
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

bool OscTransport::send_stream(StreamClient& client, std::span<const std::uint8_t> packet) {
    std::array<std::uint8_t, kFrameHeader> header{};
    wire::store_u32(header.data(), static_cast<std::uint32_t>(packet.size()));
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
