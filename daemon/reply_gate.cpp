// ReplyGate: replies held until their client's change is on disk.
#include "reply_gate.hpp"

namespace rtgraph::daemon {

void ReplyGate::changed_by(const control::OscPeer& peer, std::uint64_t change) {
    std::uint64_t& waiting = waiting_for_[peer.describe()];
    waiting = std::max(waiting, change);
}

bool ReplyGate::waits(const control::OscPeer& peer) const {
    return !waiting_for_.empty() && waiting_for_.contains(peer.describe());
}

void ReplyGate::release(std::vector<control::Outgoing>& out, std::uint64_t settled, const Send& send) {
    std::erase_if(waiting_for_, [settled](const auto& entry) { return entry.second <= settled; });
    // Held replies first: a client that is free again gets its older replies
    // before its newer ones.
    for (auto it = held_.begin(); it != held_.end();) {
        if (waits(it->peer)) {
            ++it;
            continue;
        }
        send(*it);
        it = held_.erase(it);
    }
    for (control::Outgoing& item : out) {
        if (waits(item.peer)) {
            held_.push_back(std::move(item));
        } else {
            send(item);
        }
    }
    out.clear();
}

}  // namespace rtgraph::daemon
