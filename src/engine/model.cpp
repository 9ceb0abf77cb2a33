// The graph model: validation and edits (control thread only).
#include "rtgraph/engine/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rtgraph::engine {

namespace {

std::string format_value(float value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", static_cast<double>(value));
    return text;
}

Error fail(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace

bool is_structural(const Edit& edit) noexcept { return !std::holds_alternative<SetParam>(edit); }

namespace {

bool midi_channel_ok(int channel) { return channel >= 1 && channel <= 16; }
bool midi_controller_ok(int controller) { return controller >= 0 && controller <= 127; }

}  // namespace

Error check_param_value(const ParamDescriptor& descriptor, std::string_view node_name, float& value,
                        std::vector<std::string>& notes) {
    if (!std::isfinite(value)) {
        return fail(ErrorCode::kNotFinite, "value for " + std::string(node_name) + "." +
                                               descriptor.name +
                                               " is not a finite number; send a real value");
    }
    if (descriptor.kind == ParamKind::kInteger) value = std::nearbyint(value);
    if (descriptor.kind == ParamKind::kToggle) value = value >= 0.5f ? 1.0f : 0.0f;
    const float clamped = std::clamp(value, descriptor.min, descriptor.max);
    if (clamped != value) {
        notes.push_back(std::string(node_name) + "." + descriptor.name + " clamped from " +
                        format_value(value) + " to " + format_value(clamped) + " (range " +
                        format_value(descriptor.min) + ".." + format_value(descriptor.max) +
                        ")");
        value = clamped;
    }
    return {};
}

Model::Model(const NodeRegistry& registry, std::uint32_t max_graph_ports_per_direction)
    : registry_(&registry), max_graph_ports_(max_graph_ports_per_direction) {}

bool Model::valid_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameLength) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
}

Error Model::apply(const Edit& edit, EditOutcome& outcome) {
    return std::visit(
        [&](const auto& e) -> Error {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, AddNode>) return add_node(e, outcome);
            if constexpr (std::is_same_v<T, RemoveNode>) return remove_node(e, outcome);
            if constexpr (std::is_same_v<T, RenameNode>) return rename_node(e);
            if constexpr (std::is_same_v<T, Connect>) return connect(e);
            if constexpr (std::is_same_v<T, Disconnect>) return disconnect(e, outcome);
            if constexpr (std::is_same_v<T, SetEdgeGain>) return set_edge_gain(e);
            if constexpr (std::is_same_v<T, SetParam>) return set_param(e, outcome);
            if constexpr (std::is_same_v<T, AddGraphPort>) return add_graph_port(e);
            if constexpr (std::is_same_v<T, RemoveGraphPort>) return remove_graph_port(e, outcome);
            if constexpr (std::is_same_v<T, BypassNode>) return bypass_node(e);
            if constexpr (std::is_same_v<T, MapMidi>) return map_midi(e, outcome);
            if constexpr (std::is_same_v<T, UnmapMidi>) return unmap_midi(e);
            if constexpr (std::is_same_v<T, ClearGraph>) {
                clear(outcome);
                return Error{};
            }
        },
        edit);
}

const ModelNode* Model::find_node(std::string_view name) const {
    const auto it = names_.find(name);
    return it == names_.end() ? nullptr : &nodes_.at(it->second);
}

const ModelNode* Model::node(NodeId id) const {
    const auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : &it->second;
}

const GraphPort* Model::find_graph_port(std::string_view name) const {
    for (const GraphPort& port : graph_ports_) {
        if (port.name == name) return &port;
    }
    return nullptr;
}

const GraphPort* Model::graph_port(GraphPortId id) const {
    for (const GraphPort& port : graph_ports_) {
        if (port.id == id) return &port;
    }
    return nullptr;
}

Error Model::add_node(const AddNode& edit, EditOutcome& outcome) {
    const NodeTypeInfo* type = registry_->find(edit.type);
    if (type == nullptr) {
        return no_type(edit.type);
    }
    if (!valid_name(edit.name) || edit.name == kGraphName) {
        return fail(ErrorCode::kInvalidName,
                    "invalid node name '" + edit.name +
                        "': use 1-64 letters, digits, '_', '-' or '.', and not 'graph'");
    }
    if (names_.contains(edit.name)) {
        return fail(ErrorCode::kDuplicateName, "a node named '" + edit.name + "' already exists");
    }
    ModelNode node{next_node_id_, edit.name, type, {}};
    node.params.reserve(type->params.size());
    for (const ParamDescriptor& descriptor : type->params) {
        node.params.push_back(descriptor.default_value);
    }
    for (const auto& [param_name, raw_value] : edit.params) {
        const auto index = type->find_param(param_name);
        if (!index) {
            return no_param(*type, "node type '" + type->name + "'", param_name);
        }
        float value = raw_value;
        if (Error error = check_param_value(type->params[*index], edit.name, value, outcome.notes)) {
            return error;
        }
        node.params[*index] = value;
    }
    outcome.added_node = node.id;
    names_.emplace(node.name, node.id);
    nodes_.emplace(node.id, std::move(node));
    ++next_node_id_;
    return {};
}

Error Model::remove_node(const RemoveNode& edit, EditOutcome& outcome) {
    const ModelNode* found = find_node(edit.name);
    if (found == nullptr) {
        return no_node(edit.name);
    }
    const NodeId id = found->id;
    const auto touches = [id](const ModelEdge& edge) {
        return (!edge.source.graph && edge.source.id == id) ||
               (!edge.destination.graph && edge.destination.id == id);
    };
    for (const ModelEdge& edge : edges_) {
        if (touches(edge)) outcome.removed_edges.push_back(edge);
    }
    std::erase_if(edges_, touches);
    std::erase_if(midi_maps_, [id](const MidiMap& map) { return map.node == id; });
    outcome.removed_nodes.push_back(id);
    names_.erase(found->name);
    nodes_.erase(id);
    return {};
}

Error Model::bypass_node(const BypassNode& edit) {
    const auto it = names_.find(edit.name);
    if (it == names_.end()) return no_node(edit.name);
    nodes_.at(it->second).bypassed = edit.bypassed;
    return {};
}

Error Model::rename_node(const RenameNode& edit) {
    const auto it = names_.find(edit.name);
    if (it == names_.end()) return no_node(edit.name);
    if (!valid_name(edit.new_name) || edit.new_name == kGraphName) {
        return fail(ErrorCode::kInvalidName,
                    "invalid node name '" + edit.new_name +
                        "': use 1-64 letters, digits, '_', '-' or '.', and not 'graph'");
    }
    if (edit.new_name == edit.name) return {};
    if (names_.contains(edit.new_name)) {
        return fail(ErrorCode::kDuplicateName, "a node named '" + edit.new_name + "' already exists");
    }
    const NodeId id = it->second;
    names_.erase(it);
    names_.emplace(edit.new_name, id);
    nodes_.at(id).name = edit.new_name;
    return {};
}

Error Model::resolve(std::string_view text, PortDirection role, Endpoint& out) const {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
        return fail(ErrorCode::kUnknownPort, "'" + std::string(text) +
                                                 "' is not an endpoint; write node:port or "
                                                 "graph:port");
    }
    const std::string_view node_name = text.substr(0, colon);
    const std::string_view port_name = text.substr(colon + 1);
    const char* role_text = role == PortDirection::kOutput ? "source" : "destination";

    if (node_name == kGraphName) {
        const GraphPort* port = find_graph_port(port_name);
        if (port == nullptr) {
            return no_graph_port(port_name);
        }
        // A graph input feeds the graph, so inside it acts as an output.
        const bool acts_as_output = port->direction == PortDirection::kInput;
        if (acts_as_output != (role == PortDirection::kOutput)) {
            return fail(ErrorCode::kPortDirection,
                        "graph port '" + port->name + "' is a graph " + to_string(port->direction) +
                            " and cannot be a connection's " + role_text);
        }
        out = Endpoint{true, port->id, 0};
        return {};
    }
    const ModelNode* node = find_node(node_name);
    if (node == nullptr) {
        return no_node(node_name);
    }
    const auto port = node->type->find_port(port_name);
    if (!port) return no_port(*node, port_name);
    if (node->type->ports[*port].direction != role) {
        return fail(ErrorCode::kPortDirection,
                    std::string(text) + " is an " + to_string(node->type->ports[*port].direction) +
                        " port and cannot be a connection's " + role_text);
    }
    out = Endpoint{false, node->id, *port};
    return {};
}

std::string Model::describe(const Endpoint& endpoint) const {
    if (endpoint.graph) {
        const GraphPort* port = graph_port(endpoint.id);
        return std::string(kGraphName) + ":" + (port ? port->name : "?");
    }
    const ModelNode* n = node(endpoint.id);
    if (n == nullptr) return "?:?";
    return n->name + ":" + n->type->ports[endpoint.port].name;
}

PortKind Model::kind_of(const Endpoint& endpoint) const {
    if (endpoint.graph) return graph_port(endpoint.id)->kind;
    return node(endpoint.id)->type->ports[endpoint.port].kind;
}

std::vector<ModelEdge>::iterator Model::find_edge(const Endpoint& source,
                                                  const Endpoint& destination) {
    return std::find_if(edges_.begin(), edges_.end(), [&](const ModelEdge& edge) {
        return edge.source == source && edge.destination == destination;
    });
}

std::vector<NodeLink> Model::node_links() const {
    std::vector<NodeLink> links;
    links.reserve(edges_.size());
    for (const ModelEdge& edge : edges_) {
        if (!edge.source.graph && !edge.destination.graph) {
            links.emplace_back(edge.source.id, edge.destination.id);
        }
    }
    return links;
}

bool Model::reaches(NodeId from, NodeId to) const {
    return engine::reaches(from, to, node_links());
}

Error Model::connect(const Connect& edit) {
    Endpoint source, destination;
    if (Error error = resolve(edit.source, PortDirection::kOutput, source)) return error;
    if (Error error = resolve(edit.destination, PortDirection::kInput, destination)) return error;
    if (kind_of(source) != kind_of(destination)) {
        return fail(ErrorCode::kPortKindMismatch,
                    "cannot connect " + edit.source + " (" + to_string(kind_of(source)) + ") to " +
                        edit.destination + " (" + to_string(kind_of(destination)) + ")");
    }
    if (!std::isfinite(edit.gain)) {
        return fail(ErrorCode::kNotFinite, "connection gain is not a finite number");
    }
    if (find_edge(source, destination) != edges_.end()) {
        return fail(ErrorCode::kAlreadyConnected,
                    edit.source + " is already connected to " + edit.destination);
    }
    if (!source.graph && !destination.graph && reaches(destination.id, source.id)) {
        return fail(ErrorCode::kWouldCreateCycle,
                    "connecting " + edit.source + " to " + edit.destination +
                        " would create a cycle; the graph must stay acyclic");
    }
    edges_.push_back(ModelEdge{source, destination, edit.gain});
    return {};
}

Error Model::disconnect(const Disconnect& edit, EditOutcome& outcome) {
    Endpoint source, destination;
    if (Error error = resolve(edit.source, PortDirection::kOutput, source)) return error;
    if (Error error = resolve(edit.destination, PortDirection::kInput, destination)) return error;
    const auto it = find_edge(source, destination);
    if (it == edges_.end()) {
        return fail(ErrorCode::kNotConnected,
                    edit.source + " is not connected to " + edit.destination);
    }
    outcome.removed_edges.push_back(*it);
    edges_.erase(it);
    return {};
}

Error Model::set_edge_gain(const SetEdgeGain& edit) {
    Endpoint source, destination;
    if (Error error = resolve(edit.source, PortDirection::kOutput, source)) return error;
    if (Error error = resolve(edit.destination, PortDirection::kInput, destination)) return error;
    if (!std::isfinite(edit.gain)) {
        return fail(ErrorCode::kNotFinite, "connection gain is not a finite number");
    }
    const auto it = find_edge(source, destination);
    if (it == edges_.end()) {
        return fail(ErrorCode::kNotConnected,
                    edit.source + " is not connected to " + edit.destination);
    }
    it->gain = edit.gain;
    return {};
}

Error Model::set_param(const SetParam& edit, EditOutcome& outcome) {
    const auto it = names_.find(edit.node);
    if (it == names_.end()) return no_node(edit.node);
    ModelNode& node = nodes_.at(it->second);
    const auto index = node.type->find_param(edit.param);
    if (!index) {
        return no_param(*node.type, "node '" + node.name + "'", edit.param);
    }
    const ParamDescriptor& descriptor = node.type->params[*index];
    if (descriptor.creation_only) {
        return fail(ErrorCode::kCreationOnlyParam,
                    node.name + "." + descriptor.name +
                        " is fixed when the node is created; remove and add the node to change it");
    }
    if (edit.ramp_ms && (!std::isfinite(*edit.ramp_ms) || *edit.ramp_ms < 0.0f)) {
        return fail(ErrorCode::kNotFinite, "ramp time must be a finite number of ms, 0 or more");
    }
    float value = edit.value;
    if (Error error = check_param_value(descriptor, node.name, value, outcome.notes)) return error;
    node.params[*index] = value;
    outcome.param = std::make_pair(node.id, *index);
    outcome.param_value = value;
    outcome.ramp_ms = edit.ramp_ms;
    return {};
}

Error Model::add_graph_port(const AddGraphPort& edit) {
    if (!valid_name(edit.name)) {
        return fail(ErrorCode::kInvalidName, "invalid graph port name '" + edit.name +
                                                 "': use 1-64 letters, digits, '_', '-' or '.'");
    }
    if (find_graph_port(edit.name) != nullptr) {
        return fail(ErrorCode::kDuplicateName, "a graph port named '" + edit.name + "' already exists");
    }
    std::vector<bool> used(max_graph_ports_, false);
    for (const GraphPort& port : graph_ports_) {
        if (port.direction == edit.direction && port.kind == edit.kind) used[port.slot] = true;
    }
    const auto free_slot = std::find(used.begin(), used.end(), false);
    if (free_slot == used.end()) {
        return fail(ErrorCode::kTooManyGraphPorts,
                    "no more than " + std::to_string(max_graph_ports_) + " graph " +
                        to_string(edit.direction) + " ports of one kind");
    }
    graph_ports_.push_back(GraphPort{next_graph_port_id_++, edit.name, edit.kind, edit.direction,
                                     static_cast<std::uint32_t>(free_slot - used.begin())});
    return {};
}

Error Model::remove_graph_port(const RemoveGraphPort& edit, EditOutcome& outcome) {
    const auto it = std::find_if(graph_ports_.begin(), graph_ports_.end(),
                                 [&](const GraphPort& port) { return port.name == edit.name; });
    if (it == graph_ports_.end()) {
        return no_graph_port(edit.name);
    }
    const GraphPortId id = it->id;
    const auto touches = [id](const ModelEdge& edge) {
        return (edge.source.graph && edge.source.id == id) ||
               (edge.destination.graph && edge.destination.id == id);
    };
    for (const ModelEdge& edge : edges_) {
        if (touches(edge)) outcome.removed_edges.push_back(edge);
    }
    std::erase_if(edges_, touches);
    graph_ports_.erase(it);
    return {};
}

void Model::clear(EditOutcome& outcome) {
    for (const auto& [id, node] : nodes_) outcome.removed_nodes.push_back(id);
    for (const ModelEdge& edge : edges_) {
        if (!edge.source.graph || !edge.destination.graph) outcome.removed_edges.push_back(edge);
    }
    std::erase_if(edges_, [](const ModelEdge& edge) {
        return !edge.source.graph || !edge.destination.graph;
    });
    nodes_.clear();
    names_.clear();
    midi_maps_.clear();
}

Error Model::map_midi(const MapMidi& edit, EditOutcome& outcome) {
    if (!midi_channel_ok(edit.channel) || !midi_controller_ok(edit.controller)) {
        return fail(ErrorCode::kBadMidiMap,
                    "MIDI channel must be 1-16 and controller 0-127, got channel " +
                        std::to_string(edit.channel) + " controller " +
                        std::to_string(edit.controller));
    }
    const ModelNode* found = find_node(edit.node);
    if (found == nullptr) return no_node(edit.node);
    const auto index = found->type->find_param(edit.param);
    if (!index) {
        return no_param(*found->type, "node '" + edit.node + "'", edit.param);
    }
    const ParamDescriptor& descriptor = found->type->params[*index];
    if (descriptor.creation_only) {
        return fail(ErrorCode::kCreationOnlyParam, "parameter '" + edit.param + "' of node '" +
                                                       edit.node + "' is fixed once the node exists");
    }
    float low = edit.min.value_or(descriptor.min);
    float high = edit.max.value_or(descriptor.max);
    if (Error error = check_param_value(descriptor, edit.node, low, outcome.notes)) return error;
    if (Error error = check_param_value(descriptor, edit.node, high, outcome.notes)) return error;
    const MidiMap map{static_cast<std::uint8_t>(edit.channel - 1),
                      static_cast<std::uint8_t>(edit.controller), found->id, *index, low, high};
    const auto same = std::find_if(midi_maps_.begin(), midi_maps_.end(), [&](const MidiMap& m) {
        return m.channel == map.channel && m.controller == map.controller && m.node == map.node &&
               m.param == map.param;
    });
    if (same != midi_maps_.end()) {
        *same = map;
        return {};
    }
    if (midi_maps_.size() >= kMaxMidiMaps) {
        return fail(ErrorCode::kBadMidiMap,
                    "too many MIDI maps (at most " + std::to_string(kMaxMidiMaps) + ")");
    }
    midi_maps_.push_back(map);
    return {};
}

Error Model::unmap_midi(const UnmapMidi& edit) {
    if (!midi_channel_ok(edit.channel) || !midi_controller_ok(edit.controller)) {
        return fail(ErrorCode::kBadMidiMap,
                    "MIDI channel must be 1-16 and controller 0-127, got channel " +
                        std::to_string(edit.channel) + " controller " +
                        std::to_string(edit.controller));
    }
    const std::size_t removed = std::erase_if(midi_maps_, [&](const MidiMap& m) {
        return m.channel == edit.channel - 1 && m.controller == edit.controller;
    });
    if (removed == 0) {
        return fail(ErrorCode::kBadMidiMap, "no MIDI map for channel " + std::to_string(edit.channel) +
                                                " controller " + std::to_string(edit.controller));
    }
    return {};
}

void Model::note_param_value(NodeId node, std::uint32_t param, float value) {
    const auto it = nodes_.find(node);
    if (it == nodes_.end() || param >= it->second.params.size()) return;
    it->second.params[param] = value;
}

std::vector<NodeId> Model::topological_order() const {
    std::vector<NodeId> ids;
    ids.reserve(nodes_.size());
    for (const auto& [id, node] : nodes_) ids.push_back(id);
    return engine::topological_order(ids, node_links());
}

}  // namespace rtgraph::engine
