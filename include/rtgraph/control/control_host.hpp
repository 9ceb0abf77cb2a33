// ControlHost: what the command router needs beyond the engine, from the
// program that runs it (rtgraphd's JACK side; a test's fake).
//
// Threads: control thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rtgraph/control/osc_packet.hpp"
#include "rtgraph/persist/external_connection.hpp"
#include "rtgraph/plugins/plugin_catalog.hpp"

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
    // [nrt] Whether the host keeps the graph on disk. A structural change
    // (anything but parameter and connection-gain values) is then written
    // through write_ahead() before it is applied.
    virtual bool keeps_state() const { return false; }
    // [nrt] Writes `document`, the state file as the change will leave the
    // graph, durably, before the change is applied. False with `error`: the
    // change is refused (io_error) and nothing changes.
    virtual bool write_ahead(const std::string& document, std::string& error) {
        (void)document;
        (void)error;
        return true;
    }
    // [nrt] The graph changed (after write_ahead, for a structural change).
    // Parameter values are saved within the documented bound.
    virtual void graph_changed(bool structural) { (void)structural; }
};

}  // namespace rtgraph::control
