// LADSPA plugin discovery: find the libraries, dlopen them, register every
// usable plugin as a node type and describe it for the catalog.
//
// Threads: control thread only (dlopen, file system, allocation). The node
// types registered here run on the audio thread like any other node; see
// ladspa_node.hpp.
#pragma once

#include <string>
#include <vector>

#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/plugins/plugin_catalog.hpp"

namespace rtgraph::plugins {

struct ScanReport {
    // One line per library or plugin that could not be used, with the reason
    // (dlerror() text, the missing symbol, what is wrong with its ports).
    std::vector<std::string> problems;
};

// [nrt] LADSPA_PATH's directories (colon-separated) if it is set and not
// empty, else /usr/local/lib/ladspa and /usr/lib/ladspa; then `extra` (the
// config's paths). Empty entries and duplicates are removed, first one wins.
std::vector<std::string> ladspa_search_path(const std::vector<std::string>& extra);

// [nrt] dlopens every *.so in `directories` (in name order within each) and
// registers each LADSPA plugin as a node type in `registry`, named
// "ladspa:LABEL" (or "ladspa:UNIQUEID" when that name is taken). Returns one
// PluginInfo (family "ladspa", plugin_class "Plugin") per usable plugin,
// including those a previous scan registered already (re-scanning registers
// only types not yet registered). Libraries that provided a plugin stay
// loaded for the process lifetime. A broken .so, a missing ladspa_descriptor
// symbol or a plugin with an unusable port layout is reported in
// `report.problems` and skipped. A plugin (same unique ID and label) found
// again in a later directory is shadowed by the first one, as LADSPA_PATH
// order intends. `sample_rate` resolves LADSPA_HINT_SAMPLE_RATE bounds.
std::vector<PluginInfo> scan_ladspa(const std::vector<std::string>& directories,
                                    double sample_rate, engine::NodeRegistry& registry,
                                    ScanReport& report);

}  // namespace rtgraph::plugins
