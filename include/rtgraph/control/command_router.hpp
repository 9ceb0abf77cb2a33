// CommandRouter: OSC requests → model edits and queries → exactly one reply
// each; notifications to subscribers.
//
// Threads: control thread only. It owns no sockets: the daemon feeds it
// checked packets and sends what it returns. Replies to changes wait until
// the audio thread has taken the change (Engine::is_live), so /done means
// "you can hear it".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rtgraph/control/osc_packet.hpp"
#include "rtgraph/control/osc_transport.hpp"
#include "rtgraph/engine/engine.hpp"
#include "rtgraph/plugins/plugin_catalog.hpp"
#include "rtgraph/persist/snapshot_store.hpp"
#include "rtgraph/persist/state_file.hpp"

namespace rtgraph::control {

// When a timetagged transaction takes effect.
struct ScheduledTime {
    std::uint64_t frame = 0;       // the engine frame it falls on, as estimated now (0: at once)
    std::int64_t clock_us = 0;     // the same time on the backend's clock (0: none, or at once)
    std::int64_t late_frames = 0;  // > 0: the time has passed by this much; applies at once
};

// What the router needs from the daemon beyond the engine: the JACK side.
class ControlHost {
public:
    virtual ~ControlHost() = default;
    // [nrt] Our graph port ↔ an external JACK port ("system:playback_1").
    virtual bool connect_external(const std::string& graph_port, const std::string& external,
                                  std::string& error) = 0;
    virtual bool disconnect_external(const std::string& graph_port, const std::string& external,
                                     std::string& error) = 0;
    // [nrt] Whether that (dis)connection can be made now, checked before a
    // transaction is applied; `error` says why not.
    virtual bool can_connect_external(const std::string& graph_port, const std::string& external,
                                      bool disconnect, std::string& error) = 0;
    // [nrt] The model's graph ports changed: register/unregister JACK ports.
    virtual void graph_ports_changed() = 0;
    // [nrt] Whether every port change asked for so far is visible to other
    // JACK clients (a removed port is unregistered only once the audio thread
    // can no longer touch it, a cycle or two later). Replies to changes that
    // add or remove ports wait for it.
    virtual bool ports_settled() { return true; }
    // [nrt] When an OSC time falls, on the engine's frames and on the
    // backend's clock.
    virtual ScheduledTime schedule_for_time(OscTimetag time) = 0;
    // [nrt] Host figures for /status, as JSON object members (no braces).
    virtual std::string status_json_members() = 0;
    // [nrt] The installed plugins, or null when the host has none.
    virtual const plugins::PluginCatalog* plugin_catalog() { return nullptr; }
    // [nrt] Scans the plugin paths again; returns problems found (one per line).
    virtual std::vector<std::string> rescan_plugins() { return {}; }

    // Persistence. Defaults do nothing, for hosts that keep no state.
    // [nrt] The external JACK connections to save with the graph.
    virtual std::vector<persist::ExternalConnection> external_connections() { return {}; }
    // [nrt] Forget the remembered external connections; remember (and make,
    // where the peer exists now) these instead.
    virtual void replace_external_connections(const std::vector<persist::ExternalConnection>&) {}
    // [nrt] The graph changed. A structural change must be on disk before the
    // next reply is sent; a parameter-only one within the documented bound.
    virtual void graph_changed(bool structural) { (void)structural; }
};

struct Outgoing {
    OscPeer peer;
    OscMessage message;
};

struct RouterStats {
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    std::uint64_t busy = 0;
    std::uint64_t bundles = 0;
    std::uint64_t malformed = 0;
};

class CommandRouter {
public:
    // `snapshots` may be null: the /snapshot/* addresses then answer /error.
    CommandRouter(engine::Engine& engine, ControlHost& host, std::string daemon_version,
                  persist::SnapshotStore* snapshots = nullptr);

    // [nrt] One checked packet from `peer`; immediate replies go to `out`,
    // others once live (see poll).
    void handle(const OscPacket& packet, const OscPeer& peer, std::vector<Outgoing>& out);

    // [nrt] A packet that failed the strict check: one /error to the sender.
    void reject_malformed(const std::string& error, const OscPeer& peer, std::vector<Outgoing>& out);

    // [nrt] Call every tick: replies for changes now live.
    void poll(std::vector<Outgoing>& out);

    // [nrt] Notifications, to subscribers of the topic.
    void notify(const std::string& topic, OscMessage message, std::vector<Outgoing>& out);

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
        std::size_t first_arg = 0;  // after the optional id
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
    struct Subscriber {
        OscPeer peer;
        std::set<std::string> topics;
    };

    void handle_transaction(const std::vector<Request>& requests, const OscPacket& packet,
                            const OscPeer& peer, std::vector<Outgoing>& out);
    bool handle_query(const Request& request, const OscPeer& peer, std::vector<Outgoing>& out);
    // /snapshot/*, /graph/export, /graph/import: each on its own, never part
    // of a bundle's transaction.
    void handle_persist(const Request& request, const OscPeer& peer, std::vector<Outgoing>& out);
    // Replaces the graph with `state` in one transaction; the reply waits
    // until it is live.
    void replace_graph(const Request& request, const persist::GraphState& state, const OscPeer& peer,
                       std::vector<Outgoing>& out);
    // Turns a change request into edits (engine or JACK); false with an error.
    bool to_edits(const Request& request, const std::set<std::string>& added_nodes,
                  std::vector<engine::Edit>& edits,
                  std::vector<std::pair<std::string, std::string>>& externals, bool& disconnect,
                  std::string& code, std::string& error) const;

    OscMessage done(const Request& request) const;
    OscMessage failure(const Request& request, const std::string& code, const std::string& text) const;
    std::string dump_json() const;
    std::string types_json(const std::string& filter) const;
    std::string status_json();
    std::string plugins_json(const std::string& filter);
    bool handle_plugin_query(const Request& request, const OscPeer& peer, std::vector<Outgoing>& out);

    engine::Engine& engine_;
    ControlHost& host_;
    std::string daemon_version_;
    persist::SnapshotStore* snapshots_;
    std::vector<Pending> pending_;
    std::map<std::string, Subscriber> subscribers_;  // by peer description
    std::optional<Learn> learn_;
    RouterStats stats_;
};

}  // namespace rtgraph::control
