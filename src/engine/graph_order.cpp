// Ordering of a directed graph of nodes (control thread).
#include "rtgraph/engine/graph_order.hpp"

#include <algorithm>
#include <queue>
#include <unordered_map>
#include <unordered_set>

namespace rtgraph::engine {

std::vector<NodeId> topological_order(std::span<const NodeId> nodes, std::span<const NodeLink> links) {
    std::unordered_map<NodeId, std::uint32_t> in_degree;
    std::unordered_map<NodeId, std::vector<NodeId>> successors;
    in_degree.reserve(nodes.size());
    for (NodeId id : nodes) in_degree.emplace(id, 0);
    for (const auto& [from, to] : links) {
        if (!in_degree.contains(from) || !in_degree.contains(to)) continue;
        successors[from].push_back(to);
        ++in_degree[to];
    }
    std::priority_queue<NodeId, std::vector<NodeId>, std::greater<>> ready;
    for (NodeId id : nodes) {
        if (in_degree[id] == 0) ready.push(id);
    }
    std::vector<NodeId> order;
    order.reserve(nodes.size());
    while (!ready.empty()) {
        const NodeId id = ready.top();
        ready.pop();
        order.push_back(id);
        const auto it = successors.find(id);
        if (it == successors.end()) continue;
        for (NodeId next : it->second) {
            if (--in_degree[next] == 0) ready.push(next);
        }
    }
    return order;
}

bool reaches(NodeId from, NodeId to, std::span<const NodeLink> links) {
    std::unordered_map<NodeId, std::vector<NodeId>> successors;
    for (const auto& [a, b] : links) successors[a].push_back(b);
    std::vector<NodeId> stack{from};
    std::unordered_set<NodeId> seen;
    while (!stack.empty()) {
        const NodeId current = stack.back();
        stack.pop_back();
        if (current == to) return true;
        if (!seen.insert(current).second) continue;
        const auto it = successors.find(current);
        if (it != successors.end()) stack.insert(stack.end(), it->second.begin(), it->second.end());
    }
    return false;
}

}  // namespace rtgraph::engine
