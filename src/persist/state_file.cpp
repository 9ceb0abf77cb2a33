// The graph state document: Model → JSON → edits.
#include "rtgraph/persist/state_file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <tuple>
#include <cmath>

namespace rtgraph::persist {

namespace {

// Ordered: keys stay in the order written (parameters in their type's order),
// so two saved patches diff readably.
using json = nlohmann::ordered_json;

// The float as the double of its shortest decimal form (0.01, not
// 0.009999999776482582): readable in a patch file, and reading it back as a
// double and rounding to float gives the very same float.
double tidy(float value) {
    char text[32];
    const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
    double out = value;
    if (ec == std::errc()) std::from_chars(text, end, out);
    return out;
}

const char* direction_text(engine::PortDirection direction) {
    return direction == engine::PortDirection::kInput ? "in" : "out";
}

// Field readers that name the path of what is wrong.
bool string_field(const json& object, const char* key, const std::string& where, std::string& out,
                  std::string& error) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) {
        error = where + "." + key + ": must be a string";
        return false;
    }
    out = it->get<std::string>();
    return true;
}

bool number_value(const json& value, const std::string& where, float& out, std::string& error) {
    if (!value.is_number()) {
        error = where + ": must be a number";
        return false;
    }
    const double d = value.get<double>();
    if (!std::isfinite(d)) {
        error = where + ": must be a finite number";
        return false;
    }
    out = static_cast<float>(d);
    return true;
}

bool array_field(const json& object, const char* key, const std::string& where, const json*& out,
                 std::string& error) {
    const auto it = object.find(key);
    if (it == object.end()) {
        out = nullptr;  // absent: an empty list
        return true;
    }
    if (!it->is_array()) {
        error = where + "." + key + ": must be an array";
        return false;
    }
    out = &*it;
    return true;
}

bool read_ports(const json& graph, GraphState& out, std::string& error) {
    const json* ports = nullptr;
    if (!array_field(graph, "ports", "graph", ports, error)) return false;
    if (ports == nullptr) return true;
    for (std::size_t i = 0; i < ports->size(); ++i) {
        const json& p = (*ports)[i];
        const std::string where = "graph.ports[" + std::to_string(i) + "]";
        if (!p.is_object()) {
            error = where + ": must be an object";
            return false;
        }
        PortState port;
        std::string direction, kind = "audio";
        if (!string_field(p, "name", where, port.name, error) ||
            !string_field(p, "direction", where, direction, error)) {
            return false;
        }
        if (p.contains("kind") && !string_field(p, "kind", where, kind, error)) return false;
        if (direction != "in" && direction != "out") {
            error = where + ".direction: must be \"in\" or \"out\", not \"" + direction + "\"";
            return false;
        }
        if (kind != "audio" && kind != "midi") {
            error = where + ".kind: must be \"audio\" or \"midi\", not \"" + kind + "\"";
            return false;
        }
        port.direction = direction == "in" ? engine::PortDirection::kInput : engine::PortDirection::kOutput;
        port.kind = kind == "midi" ? engine::PortKind::kMidi : engine::PortKind::kAudio;
        out.ports.push_back(std::move(port));
    }
    return true;
}

bool read_nodes(const json& graph, GraphState& out, std::string& error) {
    const json* nodes = nullptr;
    if (!array_field(graph, "nodes", "graph", nodes, error)) return false;
    if (nodes == nullptr) return true;
    for (std::size_t i = 0; i < nodes->size(); ++i) {
        const json& n = (*nodes)[i];
        const std::string where = "graph.nodes[" + std::to_string(i) + "]";
        if (!n.is_object()) {
            error = where + ": must be an object";
            return false;
        }
        NodeState node;
        if (!string_field(n, "name", where, node.name, error) ||
            !string_field(n, "type", where, node.type, error)) {
            return false;
        }
        if (const auto it = n.find("bypassed"); it != n.end()) {
            if (!it->is_boolean()) {
                error = where + ".bypassed: must be true or false";
                return false;
            }
            node.bypassed = it->get<bool>();
        }
        if (const auto it = n.find("params"); it != n.end()) {
            if (!it->is_object()) {
                error = where + ".params: must be an object of NAME: VALUE";
                return false;
            }
            for (const auto& [name, value] : it->items()) {
                float number = 0.0f;
                if (!number_value(value, where + ".params." + name, number, error)) return false;
                node.params.emplace_back(name, number);
            }
        }
        if (const auto it = n.find("plugin_state"); it != n.end()) {
            if (!it->is_string()) {
                error = where + ".plugin_state: must be a string";
                return false;
            }
            node.plugin_state = it->get<std::string>();
        }
        out.nodes.push_back(std::move(node));
    }
    return true;
}

bool read_connections(const json& graph, GraphState& out, std::string& error) {
    const json* connections = nullptr;
    if (!array_field(graph, "connections", "graph", connections, error)) return false;
    if (connections == nullptr) return true;
    for (std::size_t i = 0; i < connections->size(); ++i) {
        const json& c = (*connections)[i];
        const std::string where = "graph.connections[" + std::to_string(i) + "]";
        if (!c.is_object()) {
            error = where + ": must be an object";
            return false;
        }
        ConnectionState connection;
        if (!string_field(c, "source", where, connection.source, error) ||
            !string_field(c, "destination", where, connection.destination, error)) {
            return false;
        }
        if (const auto it = c.find("gain"); it != c.end() &&
                                           !number_value(*it, where + ".gain", connection.gain, error)) {
            return false;
        }
        out.connections.push_back(std::move(connection));
    }
    return true;
}

bool read_externals(const json& graph, GraphState& out, std::string& error) {
    const json* externals = nullptr;
    if (!array_field(graph, "external_connections", "graph", externals, error)) return false;
    if (externals == nullptr) return true;
    for (std::size_t i = 0; i < externals->size(); ++i) {
        const json& e = (*externals)[i];
        const std::string where = "graph.external_connections[" + std::to_string(i) + "]";
        if (!e.is_object()) {
            error = where + ": must be an object";
            return false;
        }
        ExternalConnection connection;
        if (!string_field(e, "port", where, connection.port, error) ||
            !string_field(e, "peer", where, connection.peer, error)) {
            return false;
        }
        out.externals.push_back(std::move(connection));
    }
    std::sort(out.externals.begin(), out.externals.end());
    out.externals.erase(std::unique(out.externals.begin(), out.externals.end()), out.externals.end());
    return true;
}

}  // namespace

GraphState capture(const engine::Model& model, std::vector<ExternalConnection> externals,
                   const PluginStateSource& plugin_state) {
    GraphState state;
    for (const engine::GraphPort& port : model.graph_ports()) {
        state.ports.push_back({port.name, port.kind, port.direction});
    }
    // By name: the model's order depends on the history of adds and removes,
    // and a restored graph must produce the same document.
    std::sort(state.ports.begin(), state.ports.end(),
              [](const PortState& a, const PortState& b) { return a.name < b.name; });
    for (const auto& [id, node] : model.nodes()) {
        NodeState n{node.name, node.type->name, node.bypassed, {}, std::nullopt};
        for (std::size_t i = 0; i < node.params.size(); ++i) {
            n.params.emplace_back(node.type->params[i].name, node.params[i]);
        }
        if (plugin_state) n.plugin_state = plugin_state(id);
        state.nodes.push_back(std::move(n));
    }
    for (const engine::ModelEdge& edge : model.edges()) {
        state.connections.push_back(
            {model.describe(edge.source), model.describe(edge.destination), edge.gain});
    }
    // Sorted too: /graph/clear keeps graph-to-graph connections where they
    // were, so the model's order is history, not content.
    std::sort(state.connections.begin(), state.connections.end(),
              [](const ConnectionState& a, const ConnectionState& b) {
                  return std::tie(a.source, a.destination) < std::tie(b.source, b.destination);
              });
    std::sort(externals.begin(), externals.end());
    externals.erase(std::unique(externals.begin(), externals.end()), externals.end());
    state.externals = std::move(externals);
    json maps = json::array();
    for (const engine::MidiMap& map : model.midi_maps()) {
        const engine::ModelNode* node = model.node(map.node);
        maps.push_back({{"channel", map.channel + 1},
                        {"controller", map.controller},
                        {"node", node->name},
                        {"param", node->type->params[map.param].name},
                        {"min", tidy(map.min)},
                        {"max", tidy(map.max)}});
    }
    if (!maps.empty()) state.midi_maps_json = maps.dump();
    return state;
}

namespace {

// The graph's members, written once for the state document and the dump.
json graph_members(const GraphState& state, bool plugin_states) {
    json graph = json::object();
    graph["ports"] = json::array();
    for (const PortState& port : state.ports) {
        graph["ports"].push_back({{"name", port.name},
                                  {"direction", direction_text(port.direction)},
                                  {"kind", engine::to_string(port.kind)}});
    }
    graph["nodes"] = json::array();
    for (const NodeState& node : state.nodes) {
        json params = json::object();
        for (const auto& [name, value] : node.params) params[name] = tidy(value);
        json n = {{"name", node.name}, {"type", node.type}, {"bypassed", node.bypassed},
                  {"params", std::move(params)}};
        if (plugin_states && node.plugin_state) n["plugin_state"] = *node.plugin_state;
        graph["nodes"].push_back(std::move(n));
    }
    graph["connections"] = json::array();
    for (const ConnectionState& c : state.connections) {
        graph["connections"].push_back({{"source", c.source}, {"destination", c.destination}, {"gain", tidy(c.gain)}});
    }
    graph["external_connections"] = json::array();
    for (const ExternalConnection& e : state.externals) {
        graph["external_connections"].push_back({{"port", e.port}, {"peer", e.peer}});
    }
    return graph;
}

}  // namespace

std::string to_document(const GraphState& state, bool pretty) {
    json graph = graph_members(state, true);
    if (!state.midi_maps_json.empty()) graph["midi_maps"] = json::parse(state.midi_maps_json);
    const json document = {{"schema", kSchemaVersion}, {"graph", std::move(graph)}};
    return pretty ? document.dump(2) + "\n" : document.dump();
}

std::string to_graph_dump(const GraphState& state, std::string_view api_version) {
    json dump = {{"api", std::string(api_version)}};
    dump.update(graph_members(state, false));
    dump["midi_maps"] = state.midi_maps_json.empty() ? json::array() : json::parse(state.midi_maps_json);
    return dump.dump();
}

bool from_document(std::string_view text, GraphState& out, std::string& error) {
    out = GraphState{};
    json document;
    try {
        document = json::parse(text);
    } catch (const json::parse_error& ex) {
        error = std::string("not valid JSON: ") + ex.what();
        return false;
    }
    if (!document.is_object()) {
        error = "the document must be a JSON object";
        return false;
    }
    const json* graph = &document;
    if (document.contains("schema")) {
        const json& schema = document["schema"];
        if (!schema.is_number_integer()) {
            error = "schema: must be an integer";
            return false;
        }
        if (schema.get<long long>() < 1 || schema.get<long long>() > kSchemaVersion) {
            error = "schema " + schema.dump() + " is not supported (this rtgraphd reads schema 1 to " +
                    std::to_string(kSchemaVersion) + ")";
            return false;
        }
        if (!document.contains("graph") || !document["graph"].is_object()) {
            error = "graph: must be an object";
            return false;
        }
        graph = &document["graph"];
    } else if (!document.contains("nodes") && !document.contains("ports")) {
        error = "neither a state document (\"schema\", \"graph\") nor a graph dump (\"nodes\", \"ports\")";
        return false;
    }
    if (!read_ports(*graph, out, error) || !read_nodes(*graph, out, error) ||
        !read_connections(*graph, out, error) || !read_externals(*graph, out, error)) {
        return false;
    }
    if (const auto it = graph->find("midi_maps"); it != graph->end()) {
        if (!it->is_array()) {
            error = "graph.midi_maps: must be an array";
            return false;
        }
        for (std::size_t i = 0; i < it->size(); ++i) {
            const json& map = (*it)[i];
            const std::string where = "graph.midi_maps[" + std::to_string(i) + "]";
            if (!map.is_object() || !map.contains("channel") || !map["channel"].is_number_integer() ||
                !map.contains("controller") || !map["controller"].is_number_integer() ||
                !map.contains("node") || !map["node"].is_string() || !map.contains("param") ||
                !map["param"].is_string() || !map.contains("min") || !map["min"].is_number() ||
                !map.contains("max") || !map["max"].is_number()) {
                error = where + ": needs integer channel and controller, string node and param, "
                                "numbers min and max";
                return false;
            }
        }
        if (!it->empty()) out.midi_maps_json = it->dump();
    }
    return true;
}

std::vector<engine::Edit> restore_edits(const GraphState& target, const engine::Model& current) {
    std::vector<engine::Edit> edits;
    edits.push_back(engine::ClearGraph{});
    const auto wanted = [&](const engine::GraphPort& port) {
        return std::any_of(target.ports.begin(), target.ports.end(), [&](const PortState& p) {
            return p.name == port.name && p.kind == port.kind && p.direction == port.direction;
        });
    };
    std::vector<std::string> kept;
    for (const engine::GraphPort& port : current.graph_ports()) {
        if (wanted(port)) {
            kept.push_back(port.name);
        } else {
            edits.push_back(engine::RemoveGraphPort{port.name});
        }
    }
    for (const PortState& port : target.ports) {
        if (std::find(kept.begin(), kept.end(), port.name) == kept.end()) {
            edits.push_back(engine::AddGraphPort{port.name, port.kind, port.direction});
        }
    }
    for (const NodeState& node : target.nodes) {
        edits.push_back(engine::AddNode{node.type, node.name, node.params, node.plugin_state});
        if (node.bypassed) edits.push_back(engine::BypassNode{node.name, true});
    }
    // ClearGraph leaves connections between two graph ports (it removes
    // nodes and what touches them); those between kept ports are reconciled
    // rather than re-made.
    std::vector<const ConnectionState*> already;
    for (const engine::ModelEdge& edge : current.edges()) {
        if (!edge.source.graph || !edge.destination.graph) continue;
        const std::string source = current.describe(edge.source);
        const std::string destination = current.describe(edge.destination);
        const auto kept_port = [&](const std::string& endpoint) {
            const std::string name = endpoint.substr(engine::kGraphName.size() + 1);
            return std::find(kept.begin(), kept.end(), name) != kept.end();
        };
        if (!kept_port(source) || !kept_port(destination)) continue;  // goes with its port
        const auto match = std::find_if(target.connections.begin(), target.connections.end(),
                                        [&](const ConnectionState& c) {
                                            return c.source == source && c.destination == destination;
                                        });
        if (match == target.connections.end()) {
            edits.push_back(engine::Disconnect{source, destination});
        } else {
            if (match->gain != edge.gain) edits.push_back(engine::SetEdgeGain{source, destination, match->gain});
            already.push_back(&*match);
        }
    }
    for (const ConnectionState& c : target.connections) {
        if (std::find(already.begin(), already.end(), &c) != already.end()) continue;
        edits.push_back(engine::Connect{c.source, c.destination, c.gain});
    }
    if (!target.midi_maps_json.empty()) {
        for (const json& map : json::parse(target.midi_maps_json)) {  // checked by from_document
            edits.push_back(engine::MapMidi{map["channel"].get<int>(), map["controller"].get<int>(),
                                            map["node"].get<std::string>(),
                                            map["param"].get<std::string>(), map["min"].get<float>(),
                                            map["max"].get<float>()});
        }
    }
    return edits;
}

}  // namespace rtgraph::persist
