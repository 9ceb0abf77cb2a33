// The table of node types the model can instantiate, by type name.
//
// Threads: control thread only. Built-in types are added at start; plugin
// hosts add their types the same way.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "rtgraph/engine/node.hpp"
#include "rtgraph/engine/node_type.hpp"

namespace rtgraph::engine {

// [nrt] may allocate. Builds a ready-to-run node.
using NodeFactory = std::function<std::unique_ptr<Node>(
    const NodeTypeInfo& type, const PrepareSpec& spec, std::span<const float> initial)>;

class NodeRegistry {
public:
    // [nrt] Registers `type`. Returns false if the name is already taken.
    bool add(NodeTypeInfo type, NodeFactory factory);

    // [nrt] Null when there is no such type. The pointer stays valid for the
    // registry's lifetime.
    const NodeTypeInfo* find(std::string_view name) const;

    // [nrt] may allocate.
    std::unique_ptr<Node> create(const NodeTypeInfo& type, const PrepareSpec& spec,
                                 std::span<const float> initial) const;

    // [nrt] Every registered type, in name order.
    std::vector<const NodeTypeInfo*> types() const;

private:
    struct Entry {
        std::unique_ptr<NodeTypeInfo> type;  // stable address: nodes point at it
        NodeFactory factory;
    };
    std::map<std::string, Entry, std::less<>> entries_;
};

// [nrt] Registers every built-in node type (sine, noise, gain, mixer, biquad,
// delay, adsr, meter) into `registry`.
void register_builtin_nodes(NodeRegistry& registry);

}  // namespace rtgraph::engine
