// The node type table (control thread).
#include "rtgraph/engine/node_registry.hpp"

namespace rtgraph::engine {

bool NodeRegistry::add(NodeTypeInfo type, NodeFactory factory) {
    std::string name = type.name;
    if (entries_.contains(name)) return false;
    entries_.emplace(std::move(name),
                     Entry{std::make_unique<NodeTypeInfo>(std::move(type)), std::move(factory)});
    return true;
}

const NodeTypeInfo* NodeRegistry::find(std::string_view name) const {
    const auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : it->second.type.get();
}

std::unique_ptr<Node> NodeRegistry::create(const NodeTypeInfo& type, const PrepareSpec& spec,
                                           std::span<const float> initial) const {
    const auto it = entries_.find(type.name);
    if (it == entries_.end()) return nullptr;
    return it->second.factory(*it->second.type, spec, initial);
}

std::vector<const NodeTypeInfo*> NodeRegistry::types() const {
    std::vector<const NodeTypeInfo*> result;
    result.reserve(entries_.size());
    for (const auto& [name, entry] : entries_) result.push_back(entry.type.get());
    return result;
}

}  // namespace rtgraph::engine
