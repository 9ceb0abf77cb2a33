// The graph model: the truth about what the graph should be.
//
// Threads: the control thread owns it; nothing else reads it. It holds names,
// types, parameter values and connections, never DSP state: node instances
// live beside it in the Engine, and the audio thread sees only compiled
// Programs.
//
// Every edit is validated completely before anything changes: a refused edit
// returns an Error and leaves the model exactly as it was. The model is a
// plain value, so a transaction (an OSC bundle, a patch file) is applied to a
// copy and committed by assignment only if every edit in it passed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtgraph/engine/edit.hpp"
#include "rtgraph/engine/error.hpp"
#include "rtgraph/engine/graph_order.hpp"
#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/engine/node_type.hpp"

namespace rtgraph::engine {

using GraphPortId = std::uint32_t;
using EdgeKey = std::uint64_t;

// The reserved node name that addresses graph-level ports: "graph:out_1".
inline constexpr std::string_view kGraphName = "graph";
inline constexpr std::size_t kMaxNameLength = 64;

struct ModelNode {
    NodeId id = kNoNode;
    std::string name;
    const NodeTypeInfo* type = nullptr;
    std::vector<float> params;  // one per type->params, clamped
    bool bypassed = false;
};

struct GraphPort {
    GraphPortId id = 0;
    std::string name;
    PortKind kind = PortKind::kAudio;
    // kInput: audio comes into the graph (a source inside it);
    // kOutput: audio leaves the graph (a destination inside it).
    PortDirection direction = PortDirection::kOutput;
    std::uint32_t slot = 0;  // index among graph ports of this direction, stable while it exists
};

struct Endpoint {
    bool graph = false;      // a graph-level port rather than a node port
    std::uint32_t id = 0;    // NodeId, or GraphPortId when graph
    std::uint32_t port = 0;  // port index in the node's type; 0 for graph ports

    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct ModelEdge {
    Endpoint source;
    Endpoint destination;
    float gain = 1.0f;
};

// A MIDI controller bound to a parameter (channel 0..15 inside the model).
struct MidiMap {
    std::uint8_t channel = 0;
    std::uint8_t controller = 0;
    NodeId node = kNoNode;
    std::uint32_t param = 0;
    float min = 0.0f;
    float max = 1.0f;
};
inline constexpr std::size_t kMaxMidiMaps = 1024;

// What a successful edit did, beyond "it worked".
struct EditOutcome {
    std::vector<std::string> notes;         // e.g. "freq clamped from 30000 to 20000"
    NodeId added_node = kNoNode;            // set by AddNode
    std::vector<NodeId> removed_nodes;      // set by RemoveNode and ClearGraph
    std::vector<ModelEdge> removed_edges;   // every edge the edit took away
    std::optional<std::pair<NodeId, std::uint32_t>> param;  // SetParam: node, index
    float param_value = 0.0f;
    std::optional<float> ramp_ms;
};

class Model {
public:
    Model(const NodeRegistry& registry, std::uint32_t max_graph_ports_per_direction = 64);

    // [nrt] Validates and applies one edit. On error the model is unchanged.
    Error apply(const Edit& edit, EditOutcome& outcome);

    // Queries.
    const ModelNode* find_node(std::string_view name) const;
    const ModelNode* node(NodeId id) const;
    const GraphPort* find_graph_port(std::string_view name) const;
    const GraphPort* graph_port(GraphPortId id) const;
    const std::map<NodeId, ModelNode>& nodes() const { return nodes_; }
    const std::vector<GraphPort>& graph_ports() const { return graph_ports_; }
    const std::vector<ModelEdge>& edges() const { return edges_; }
    const std::vector<MidiMap>& midi_maps() const { return midi_maps_; }

    // [nrt] Records a value a mapped MIDI controller gave a parameter on the
    // audio thread, so the model (and saved state) stays the truth. Ignored
    // when the node or parameter is gone.
    void note_param_value(NodeId node, std::uint32_t param, float value);

    // Resolves "node:port" / "graph:port"; the error says which part is wrong.
    Error resolve(std::string_view text, PortDirection role, Endpoint& out) const;
    // "node:port" for an endpoint that exists.
    std::string describe(const Endpoint& endpoint) const;

    // Node ids in an order where every node comes after all nodes feeding it
    // (Kahn's algorithm; ties broken by id so the order is deterministic).
    std::vector<NodeId> topological_order() const;

    // True when `from` reaches `to` through edges between nodes.
    bool reaches(NodeId from, NodeId to) const;

    static bool valid_name(std::string_view name);

    // The kind of an endpoint that exists.
    PortKind kind_of(const Endpoint& endpoint) const;

    // [nrt] The refusals for a name that does not exist, with the closest
    // existing names and where the rest are listed (model_errors.cpp). `owner`
    // is how the error names the node or type ("node 'osc'").
    Error no_type(std::string_view type) const;
    Error no_node(std::string_view name) const;
    Error no_param(const NodeTypeInfo& type, std::string_view owner, std::string_view param) const;
    Error no_port(const ModelNode& node, std::string_view port) const;
    Error no_graph_port(std::string_view port) const;

private:
    Error add_node(const AddNode& edit, EditOutcome& outcome);
    Error remove_node(const RemoveNode& edit, EditOutcome& outcome);
    Error rename_node(const RenameNode& edit);
    Error connect(const Connect& edit);
    Error disconnect(const Disconnect& edit, EditOutcome& outcome);
    Error set_edge_gain(const SetEdgeGain& edit);
    Error set_param(const SetParam& edit, EditOutcome& outcome);
    Error add_graph_port(const AddGraphPort& edit);
    Error remove_graph_port(const RemoveGraphPort& edit, EditOutcome& outcome);
    Error bypass_node(const BypassNode& edit);
    Error map_midi(const MapMidi& edit, EditOutcome& outcome);
    Error unmap_midi(const UnmapMidi& edit);
    void clear(EditOutcome& outcome);

    std::vector<NodeLink> node_links() const;
    std::vector<ModelEdge>::iterator find_edge(const Endpoint& source, const Endpoint& destination);

    const NodeRegistry* registry_;
    std::uint32_t max_graph_ports_;
    std::map<NodeId, ModelNode> nodes_;
    std::map<std::string, NodeId, std::less<>> names_;
    std::vector<GraphPort> graph_ports_;
    std::vector<ModelEdge> edges_;
    std::vector<MidiMap> midi_maps_;
    NodeId next_node_id_ = 1;
    GraphPortId next_graph_port_id_ = 1;
};

// [nrt] Validates `value` for `descriptor`: refuses NaN/Inf, clamps to the range
// (appending a note that says so), rounds integers and toggles.
Error check_param_value(const ParamDescriptor& descriptor, std::string_view node_name, float& value,
                        std::vector<std::string>& notes);

}  // namespace rtgraph::engine
