// ControlPort: rtgraphd's OSC sockets. Opens them as configured, turns what
// arrives into checked packets for the command router (or "not ready"
// while there is none), and sends what the router answers once the
// ReplyGate lets it.
//
// Threads: the control thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <poll.h>

#include "rtgraph/config/daemon_config.hpp"
#include "rtgraph/control/command_router.hpp"
#include "rtgraph/control/osc_transport.hpp"
#include "persistence.hpp"
#include "reply_gate.hpp"

namespace rtgraph::daemon {

class ControlPort {
public:
    explicit ControlPort(const Durability& durability) : durability_(durability) {}

    // [nrt] Binds the configured sockets; false after logging why.
    bool open(const config::DaemonConfig::Osc& config);
    void append_poll_fds(std::vector<pollfd>& fds) { transport_.append_poll_fds(fds); }

    // [nrt] Reads every packet that is waiting and hands each to `router`
    // (null: rtgraphd is still waiting for JACK, and says so).
    void serve(control::CommandRouter* router);
    // [nrt] Sends what is queued, except to clients waiting for their change
    // to be on disk (kept, in order, for a later call).
    void send_all();
    std::size_t held() const { return gate_.held(); }

    // [nrt] Runs `queue` (which adds to outgoing()) outside a request: when
    // it made a structural change (MIDI learn binding a controller), whoever
    // it queued a message for waits for the change's write, as the sender of
    // a request would.
    template <typename Queue>
    void queue_outside_request(Queue&& queue) {
        const std::size_t first = outgoing_.size();
        const std::uint64_t before = durability_.changes_made();
        queue();
        if (durability_.changes_made() == before) return;
        for (std::size_t i = first; i < outgoing_.size(); ++i) gate_.changed_by(outgoing_[i].peer, durability_.changes_made());
    }

    // Replies and notifications to send at the next send_all.
    std::vector<control::Outgoing>& outgoing() { return outgoing_; }
    bool set_allow(const std::vector<std::string>& allow, std::string& error) {
        return transport_.set_allow(allow, error);
    }
    const control::OscTransport& transport() const { return transport_; }

private:
    control::OscTransport transport_;
    const Durability& durability_;
    std::vector<control::Outgoing> outgoing_;
    ReplyGate gate_;
    std::size_t max_packet_bytes_ = 0;
};

}  // namespace rtgraph::daemon
