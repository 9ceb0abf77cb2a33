// The graph state as a JSON document: what rtgraphd saves in its state file,
// in snapshots and in exported patch files (one format for all three), and
// how such a document becomes edits again.
//
// Threads: the control thread. ([nrt] throughout: everything allocates.)
//
// Document, schema 1 (README "State and snapshots" shows an example):
//   {"schema": 1, "graph": {
//      "ports":       [{"name", "direction": "in"|"out", "kind": "audio"|"midi"}],   by name
//      "nodes":       [{"name", "type", "bypassed", "params": {NAME: VALUE},
//                       "plugin_state": "..." (optional, opaque)}],               in id order
//      "connections": [{"source", "destination", "gain"}],                       sorted
//      "external_connections": [{"port", "peer"}],                               sorted
//      "midi_maps":   [...]  (optional; kept verbatim)}}
// A bare graph object (what /graph/dump returns) is read as well, so a dump
// can be imported.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtgraph/engine/edit.hpp"
#include "rtgraph/engine/model.hpp"
#include "rtgraph/persist/external_connection.hpp"

namespace rtgraph::persist {

inline constexpr int kSchemaVersion = 1;

struct PortState {
    std::string name;
    engine::PortKind kind = engine::PortKind::kAudio;
    engine::PortDirection direction = engine::PortDirection::kOutput;
    friend bool operator==(const PortState&, const PortState&) = default;
};

struct NodeState {
    std::string name;
    std::string type;
    bool bypassed = false;
    std::vector<std::pair<std::string, float>> params;  // in the type's order
    // A plugin's own state (LV2 state interface), opaque to us; absent for
    // built-in nodes. The plugin host fills and consumes it.
    std::optional<std::string> plugin_state;
    friend bool operator==(const NodeState&, const NodeState&) = default;
};

struct ConnectionState {
    std::string source;
    std::string destination;
    float gain = 1.0f;
    friend bool operator==(const ConnectionState&, const ConnectionState&) = default;
};

struct GraphState {
    std::vector<PortState> ports;
    std::vector<NodeState> nodes;
    std::vector<ConnectionState> connections;
    std::vector<ExternalConnection> externals;  // sorted, no duplicates
    // MIDI controller maps as a JSON array text ([{channel 1-16, controller,
    // node, param, min, max}], checked when read); empty when there are none.
    std::string midi_maps_json;
    friend bool operator==(const GraphState&, const GraphState&) = default;
};

// A node's plugin state (Node::save_state of its running instance), or nullopt.
using PluginStateSource = std::function<std::optional<std::string>(engine::NodeId)>;

// [nrt] The state of `model` plus the external connections the JACK backend
// remembers (sorted here; duplicates dropped), the MIDI maps, and each
// node's plugin state when `plugin_state` is given.
GraphState capture(const engine::Model& model, std::vector<ExternalConnection> externals,
                   const PluginStateSource& plugin_state = {});

// [nrt] The whole document. `pretty` indents it (patch files meant for
// version control); compact otherwise (state file, OSC replies).
std::string to_document(const GraphState& state, bool pretty = false);

// [nrt] The graph as /graph/dump shows it: {"api", ports, nodes (without
// plugin state), connections, external_connections, midi_maps (always)},
// written by the same code as the document, so the two cannot disagree.
std::string to_graph_dump(const GraphState& state, std::string_view api_version);

// [nrt] Reads a document (or a bare graph object). False with `error` saying
// what is wrong and where ("graph.nodes[2].params.freq: must be a number").
// A schema newer than kSchemaVersion is refused: we would drop what we do not know.
bool from_document(std::string_view text, GraphState& out, std::string& error);

// [nrt] The edits that turn `current` into `target` as ONE transaction:
// ClearGraph, the graph ports that differ (ports with the same name, kind and
// direction stay registered, so JACK connections to them are not broken),
// then every node with its parameters and bypass, then every connection.
// Applied with Engine::apply it is a single glitch-free program swap.
std::vector<engine::Edit> restore_edits(const GraphState& target, const engine::Model& current);

}  // namespace rtgraph::persist
