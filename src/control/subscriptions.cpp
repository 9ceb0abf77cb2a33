// Subscriptions: notification topics per peer (control thread).
#include "rtgraph/control/subscriptions.hpp"

namespace rtgraph::control {

const std::set<std::string>& Subscriptions::topics() {
    static const std::set<std::string> kTopics = {"graph", "meter", "param", "status", "xrun"};
    return kTopics;
}

bool Subscriptions::subscribe(const OscPeer& peer, const std::vector<std::string>& wanted,
                              std::string& error) {
    for (const std::string& topic : wanted) {
        if (!topics().contains(topic)) {
            error = "unknown topic '" + topic + "' (topics: xrun graph param meter status)";
            return false;
        }
    }
    subscribers_[peer.describe()] = Subscriber{
        peer, wanted.empty() ? topics() : std::set<std::string>(wanted.begin(), wanted.end())};
    return true;
}

void Subscriptions::unsubscribe(const OscPeer& peer) {
    subscribers_.erase(peer.describe());
}

void Subscriptions::forget_connection(std::uint64_t connection) {
    if (connection == 0) return;  // datagram peers have no connection to lose
    std::erase_if(subscribers_,
                  [&](const auto& entry) { return entry.second.peer.connection == connection; });
}

void Subscriptions::notify(const std::string& topic, const OscMessage& message,
                           std::vector<Outgoing>& out) const {
    for (const auto& [key, subscriber] : subscribers_) {
        if (subscriber.topics.contains(topic)) out.push_back({subscriber.peer, message});
    }
}

}  // namespace rtgraph::control
