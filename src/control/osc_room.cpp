// OscTransport's room policy for stream clients (control thread only): the
// total and per-address limits, which connection gives its slot to a
// newcomer, and the cut-off of frames that stall. The rules are in
// osc_transport.hpp ("Room for everyone").
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "osc_stream_client.hpp"
#include "rtgraph/control/osc_transport.hpp"

namespace rtgraph::control {

namespace {

// Same host: the IPv4 address, or the IPv6 /64 (one subscriber's network:
// whoever holds a /64 can use any of its 2^64 addresses), without the port.
bool same_source(const sockaddr_storage& a, const sockaddr_storage& b) {
    if (a.ss_family != b.ss_family) return false;
    if (a.ss_family == AF_INET) {
        return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr ==
               reinterpret_cast<const sockaddr_in&>(b).sin_addr.s_addr;
    }
    if (a.ss_family == AF_INET6) {
        const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
        const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
        return std::memcmp(&x.sin6_addr, &y.sin6_addr, 8) == 0 && x.sin6_scope_id == y.sin6_scope_id;
    }
    return false;
}

// How far a client is from being in use, for choosing whom a newcomer
// replaces: the lower tier goes first, and within a tier the earlier `since`.
struct Unused {
    int tier;         // 0 silent; 1 stuck in its first frame; 2 idle after speaking
    std::chrono::steady_clock::time_point since;
    bool operator<(const Unused& other) const {
        return tier != other.tier ? tier < other.tier : since < other.since;
    }
};

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

    // The one not in use that has been so longest (see the header).
    StreamClient* chosen = nullptr;
    Unused chosen_rank{};
    for (const auto& client : clients_) {
        StreamClient& c = *client;
        if (c.dropped || c.accepted_in_pass == service_pass_) continue;
        if (address_full && (c.peer.kind != OscPeer::Kind::kTcp || !same_source(c.peer.address, *address)))
            continue;
        Unused rank{};
        if (!c.has_spoken) {
            rank = c.mid_frame() ? Unused{1, c.last_byte} : Unused{0, c.accepted_at};
        } else {
            rank = Unused{2, std::max(c.last_active, c.last_byte)};  // bytes of a frame count as use
            if (now - rank.since < config_.idle_timeout) continue;
        }
        if (chosen == nullptr || rank < chosen_rank) {
            chosen = &c;
            chosen_rank = rank;
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
