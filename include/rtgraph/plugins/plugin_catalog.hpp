// The catalog of installed plugins, as the hosts found them.
//
// Threads: control thread only. Scans (LV2 through lilv, LADSPA through
// dlopen) run there, at start and on request, never on the audio thread.
// Every plugin that can be instantiated is also registered as a node type in
// the NodeRegistry, under PluginInfo::type_name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtgraph/engine/node_type.hpp"

namespace rtgraph::plugins {

enum class PluginPortKind : std::uint8_t { kAudio, kControl, kMidi, kOther };

struct PluginPortInfo {
    std::string symbol;  // the node port or parameter name
    std::string name;    // what the plugin calls it, for people
    PluginPortKind kind = PluginPortKind::kAudio;
    bool input = true;
    // Control ports only.
    float min = 0.0f;
    float max = 1.0f;
    float default_value = 0.0f;
    std::string unit;  // "dB", "Hz", "ms", ... or empty
    bool toggle = false;
    bool integer = false;       // integer or enumeration
    bool logarithmic = false;
};

struct PluginInfo {
    std::string type_name;  // node type: the LV2 URI, or "ladspa:LABEL"
    std::string family;     // "lv2" or "ladspa"
    std::string name;
    std::string plugin_class;  // "Amplifier", "Filter", ... (LADSPA: "Plugin")
    std::string library;       // the shared object it lives in
    std::vector<PluginPortInfo> ports;
    bool reports_latency = false;  // has a latency output port
    std::vector<std::string> missing_features;  // required features rtgraph lacks
    bool usable() const { return missing_features.empty(); }

    std::uint32_t count(PluginPortKind kind, bool input) const;
};

// True when `needle` occurs in `haystack`, ignoring ASCII case (an empty
// needle occurs everywhere): how /plugins and /types filter.
bool contains_ignoring_case(std::string_view haystack, std::string_view needle);

// [nrt] The node parameter for a control input port: the plugin's range,
// default and unit; toggles and integers jump, everything else is ramped by
// the host over 20 ms (many plugins do not smooth their own controls).
engine::ParamDescriptor param_descriptor(const PluginPortInfo& port);

class PluginCatalog {
public:
    // [nrt] Replaces every entry of `family` with `found`.
    void replace_family(std::string_view family, std::vector<PluginInfo> found);

    const std::vector<PluginInfo>& entries() const { return entries_; }
    const PluginInfo* find(std::string_view type_name) const;

    // Entries whose name, type name or class contains `text` (case-insensitive);
    // all of them for an empty text.
    std::vector<const PluginInfo*> filter(std::string_view text) const;

private:
    std::vector<PluginInfo> entries_;
};

}  // namespace rtgraph::plugins
