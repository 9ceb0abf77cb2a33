// OscTransport's room policy for stream clients (control thread only): the
// total and per-address limits, which connection gives its slot to a
// newcomer, and the cut-off of frames that stall. The rules are in
// osc_transport.hpp ("Room for everyone").
#include <netinet/in.h>

#include <cstring>

#include "osc_stream_client.hpp"
#include "rtgraph/control/osc_transport.hpp"

namespace rtgraph::control {

namespace {

// Same host: the address bytes, without the port.
bool same_source(const sockaddr_storage& a, const sockaddr_storage& b) {
    if (a.ss_family != b.ss_family) return false;
    if (a.ss_family == AF_INET) {
        return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr ==
               reinterpret_cast<const sockaddr_in&>(b).sin_addr.s_addr;
    }
    if (a.ss_family == AF_INET6) {
        const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
        const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
        return std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0 &&
               x.sin6_scope_id == y.sin6_scope_id;
    }
    return false;
}

}  // namespace

bool OscTransport::make_room(const sockaddr_storage* address, TimePoint now) {
    std::size_t from_address = 0;
    if (address != nullptr) {
        for (const auto& client : clients_) {
            if (!client->dropped && client->peer.kind == OscPeer::Kind::kTcp &&
                same_source(client->peer.address, *address)) {
                ++from_address;
            }
        }
    }
    const bool address_full = address != nullptr && from_address >= config_.max_stream_clients_per_address;
    if (!address_full && stats_.stream_clients < config_.max_stream_clients) return true;

    // The one not in use that has been so longest: first any that never
    // spoke (oldest first), then any idle past idle_timeout (longest first).
    StreamClient* chosen = nullptr;
    const auto rank = [](const StreamClient& c) { return c.has_spoken ? c.last_active : c.accepted_at; };
    for (const auto& client : clients_) {
        StreamClient& c = *client;
        if (c.dropped || c.accepted_in_pass == service_pass_) continue;
        if (address_full && (c.peer.kind != OscPeer::Kind::kTcp || !same_source(c.peer.address, *address)))
            continue;
        if (c.has_spoken && now - c.last_active < config_.idle_timeout) continue;
        if (chosen == nullptr || (chosen->has_spoken && !c.has_spoken) ||
            (chosen->has_spoken == c.has_spoken && rank(c) < rank(*chosen))) {
            chosen = &c;
        }
    }
    if (chosen == nullptr) return false;
    drop_client(*chosen, true);
    ++stats_.stream_clients_evicted;
    return true;
}

void OscTransport::cut_off_stalled_frames(TimePoint now) {
    for (const auto& client : clients_) {
        if (!client->dropped && client->mid_frame() && now - client->last_byte >= config_.frame_timeout) {
            drop_client(*client, true);
            ++stats_.stream_clients_timed_out;
        }
    }
}

}  // namespace rtgraph::control
