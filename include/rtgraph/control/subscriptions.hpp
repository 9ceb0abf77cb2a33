// Subscriptions: who gets which notifications (/subscribe, /unsubscribe).
//
// Threads: control thread only. Owned by the program, not by the router: a
// router is re-created with its engine (a sample-rate rebuild), and its
// clients' subscriptions must outlive it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "rtgraph/control/osc_packet.hpp"
#include "rtgraph/control/osc_transport.hpp"

namespace rtgraph::control {

struct Outgoing {
    OscPeer peer;
    OscMessage message;
};

class Subscriptions {
  public:
    // The topics there are, in the order /subscribe's error lists them.
    static const std::set<std::string>& topics();

    // [nrt] `peer` gets `topics` from now on (none: every topic), replacing
    // what it had. False, changing nothing, when a topic does not exist.
    bool subscribe(const OscPeer& peer, const std::vector<std::string>& topics, std::string& error);
    void unsubscribe(const OscPeer& peer);
    // [nrt] A stream peer went away.
    void forget_connection(std::uint64_t connection);

    // [nrt] `message` to every subscriber of `topic`.
    void notify(const std::string& topic, const OscMessage& message,
                std::vector<Outgoing>& out) const;

    std::size_t size() const { return subscribers_.size(); }

  private:
    struct Subscriber {
        OscPeer peer;
        std::set<std::string> topics;
    };
    std::map<std::string, Subscriber> subscribers_;  // by peer description
};

}  // namespace rtgraph::control
