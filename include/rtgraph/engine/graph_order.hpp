// Ordering of a directed graph of nodes (control thread; may allocate).
#pragma once

#include <span>
#include <utility>
#include <vector>

#include "rtgraph/engine/node_type.hpp"

namespace rtgraph::engine {

using NodeLink = std::pair<NodeId, NodeId>;  // from, to

// Kahn's algorithm, ties broken by smallest id so the order is deterministic.
// Nodes on a cycle are left out of the result (the model never makes one).
std::vector<NodeId> topological_order(std::span<const NodeId> nodes, std::span<const NodeLink> links);

// True when `to` can be reached from `from` following links.
bool reaches(NodeId from, NodeId to, std::span<const NodeLink> links);

}  // namespace rtgraph::engine
