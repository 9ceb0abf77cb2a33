// CommandRouter: OSC requests → model edits and queries → exactly one reply
// each; notifications to subscribers. Dispatch follows kOscAddresses: the
// entry's kind says how a request is handled, its command which handler.
//
// Threads: control thread only. It owns no sockets: the daemon feeds it
// checked packets and sends what it returns. Replies to changes wait until
// the audio thread has taken the change (Engine::is_live), so /done means
// "you can hear it"; a structural change is on disk before it is applied
// (ControlHost::write_ahead), so /done also means "kept".
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "rtgraph/control/control_error.hpp"
#include "rtgraph/control/control_host.hpp"
#include "rtgraph/control/osc_api.hpp"
#include "rtgraph/control/osc_packet.hpp"
#include "rtgraph/control/osc_transport.hpp"
#include "rtgraph/control/subscriptions.hpp"
#include "rtgraph/engine/engine.hpp"

namespace rtgraph::persist {
class SnapshotStore;
struct GraphState;
}  // namespace rtgraph::persist

namespace rtgraph::control {

struct RouterStats {
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    std::uint64_t busy = 0;
    std::uint64_t bundles = 0;
    std::uint64_t malformed = 0;
};

class CommandRouter {
  public:
    // `subscriptions` outlives the router (see subscriptions.hpp).
    // `snapshots` may be null: the /snapshot/* addresses then answer /error.
    CommandRouter(engine::Engine& engine, ControlHost& host, Subscriptions& subscriptions,
                  std::string daemon_version, persist::SnapshotStore* snapshots = nullptr);

    // [nrt] One checked packet from `peer`; immediate replies go to `out`,
    // others once live (see poll).
    void handle(const OscPacket& packet, const OscPeer& peer, std::vector<Outgoing>& out);

    // [nrt] A packet that failed the strict check: one /error to the sender.
    void reject_malformed(const std::string& error, const OscPeer& peer,
                          std::vector<Outgoing>& out);

    // [nrt] Call every tick: replies for changes now live.
    void poll(std::vector<Outgoing>& out);

    // [nrt] Notifications, to subscribers of the topic.
    void notify(const std::string& topic, const OscMessage& message, std::vector<Outgoing>& out);

    // [nrt] A stream peer went away: forget its subscription and pending replies.
    void forget_connection(std::uint64_t connection);

    // [nrt] MIDI learn caught a controller (a kMidiLearn telemetry record):
    // binds it as the pending /midi/learn asked and tells that sender.
    void midi_learned(int channel, int controller, std::vector<Outgoing>& out);

    const RouterStats& stats() const { return stats_; }
    std::size_t pending_replies() const { return pending_.size(); }

  private:
    struct Request {
        std::int32_t id = 0;
        const OscMessage* message = nullptr;
        std::size_t first_arg = 0;            // after the optional id
        const OscAddress* address = nullptr;  // its kOscAddresses entry; null: unknown
    };
    struct Pending {
        OscPeer peer;
        OscMessage reply;
        engine::ApplyResult result;  // live once Engine::is_live says so
        bool wait_ports = false;     // and, when it changed ports, once JACK shows it
    };
    struct Learn {
        OscPeer peer;
        std::int32_t id = 0;
        engine::MapMidi map;  // channel and controller filled in when one arrives
    };

    // command_router.cpp: changes, one bundle = one transaction.
    void handle_transaction(const std::vector<Request>& requests, const OscPacket& packet,
                            const OscPeer& peer, std::vector<Outgoing>& out);
    // router_queries.cpp: answered at once, changing nothing in the graph
    // (/midi/learn arms a binding that is made later).
    void handle_query(const Request& request, const OscPeer& peer, std::vector<Outgoing>& out);
    bool answer_query(const Request& request, const OscPeer& peer, OscMessage& reply,
                      Refusal& refusal);
    bool answer_node_query(const Request& request, OscMessage& reply, Refusal& refusal);
    bool arm_midi_learn(const Request& request, const OscPeer& peer, Refusal& refusal);
    std::string status_json();
    // router_persist.cpp, the only router file that knows persist:
    // /snapshot/*, /graph/export, /graph/import, each on its own and never
    // part of a bundle's transaction; and the /graph/dump text.
    void handle_standalone(const Request& request, const OscPeer& peer, std::vector<Outgoing>& out);
    // Replaces the graph with `state` in one transaction; the reply waits
    // until it is live.
    void replace_graph(const Request& request, const persist::GraphState& state,
                       const OscPeer& peer, std::vector<Outgoing>& out);
    // Engine::apply, kept: when the transaction is `structural` and the host
    // keeps state, the state file as the transaction leaves the graph (with
    // `externals` as its JACK side) is written first, and a failed write
    // refuses it (io_error) with nothing changed. Without edits, only the
    // write.
    engine::ApplyResult apply_kept(std::span<const engine::Edit> edits, std::uint64_t frame,
                                   std::int64_t clock_us, bool structural,
                                   const std::vector<persist::ExternalConnection>& externals);
    persist::GraphState capture_graph(bool plugin_states) const;
    std::string graph_dump() const;

    OscMessage done(const Request& request) const;
    // Counts the error and queues its /error reply.
    void refuse(const Request& request, const Refusal& refusal, const OscPeer& peer,
                std::vector<Outgoing>& out);

    engine::Engine& engine_;
    ControlHost& host_;
    Subscriptions& subscriptions_;
    std::string daemon_version_;
    persist::SnapshotStore* snapshots_;
    std::vector<Pending> pending_;
    std::optional<Learn> learn_;
    RouterStats stats_;
};

}  // namespace rtgraph::control
