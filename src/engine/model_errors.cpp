// How the model says that something named does not exist: the closest
// existing names ("did you mean"), and where the full list is.
#include "rtgraph/engine/model.hpp"
#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/engine/suggest.hpp"

namespace rtgraph::engine {
namespace {

// "a, b, c" (or `none` when there are none).
std::string joined(const std::vector<std::string_view>& names, std::string_view none) {
    if (names.empty()) return std::string(none);
    std::string text;
    for (const std::string_view name : names) text += (text.empty() ? "" : ", ") + std::string(name);
    return text;
}

}  // namespace

Error Model::no_type(std::string_view type) const {
    std::vector<std::string_view> names;
    for (const NodeTypeInfo* info : registry_->types()) names.push_back(info->name);
    return Error{ErrorCode::kUnknownType,
                 "unknown node type '" + std::string(type) + "'" +
                     did_you_mean(type, names, "`rtgraphctl types` (/types) lists them")};
}

Error Model::no_node(std::string_view name) const {
    std::vector<std::string_view> names;
    for (const auto& [node_name, id] : names_) names.push_back(node_name);
    return Error{ErrorCode::kUnknownNode,
                 "no node named '" + std::string(name) + "'" +
                     (names.empty() ? std::string("; the graph has no nodes")
                                    : did_you_mean(name, names, "`rtgraphctl dump` (/graph/dump) lists them"))};
}

Error Model::no_param(const NodeTypeInfo& type, std::string_view owner, std::string_view param) const {
    std::vector<std::string_view> names;
    for (const ParamDescriptor& descriptor : type.params) names.push_back(descriptor.name);
    return Error{ErrorCode::kUnknownParam,
                 std::string(owner) + " has no parameter '" + std::string(param) + "'" +
                     did_you_mean(param, names, "its parameters are: " + joined(names, "(none)"))};
}

Error Model::no_port(const ModelNode& node, std::string_view port) const {
    std::vector<std::string_view> names;
    for (const PortInfo& info : node.type->ports) names.push_back(info.name);
    return Error{ErrorCode::kUnknownPort,
                 "node '" + node.name + "' (" + node.type->name + ") has no port '" + std::string(port) +
                     "'" + did_you_mean(port, names, "its ports are: " + joined(names, "(none)"))};
}

Error Model::no_graph_port(std::string_view port) const {
    std::vector<std::string_view> names;
    for (const GraphPort& graph_port : graph_ports_) names.push_back(graph_port.name);
    return Error{ErrorCode::kUnknownPort,
                 "no graph port named '" + std::string(port) + "'" +
                     did_you_mean(port, names, "the graph ports are: " + joined(names, "(none)"))};
}

}  // namespace rtgraph::engine
