// The answers of /types and /plugins: what can be created, as JSON text.
//
// Threads: control thread.
#pragma once

#include <string>

#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/plugins/plugin_catalog.hpp"

namespace rtgraph::control {

// Node types whose name or description contains `filter` (any case), or of
// that family (builtin, lv2, ladspa). Unfiltered, plugin types are named
// only: their details would not fit one packet on a system with many plugins.
std::string types_json(const engine::NodeRegistry& registry, const std::string& filter);

// Installed plugins matching `filter` (part of a name, URI or class), each
// with every port; unfiltered, each with its port counts. `catalog` may be
// null (no plugin host): an empty list.
std::string plugins_json(const plugins::PluginCatalog* catalog, const std::string& filter);

}  // namespace rtgraph::control
