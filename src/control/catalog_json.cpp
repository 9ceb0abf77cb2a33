// What can be created, as JSON: node types and installed plugins (control thread).
#include "catalog_json.hpp"

#include <nlohmann/json.hpp>

namespace rtgraph::control {

std::string types_json(const engine::NodeRegistry& registry, const std::string& filter) {
    nlohmann::json types = nlohmann::json::array();
    for (const engine::NodeTypeInfo* type : registry.types()) {
        if (!filter.empty() && type->family != filter &&
            !plugins::contains_ignoring_case(type->name, filter) &&
            !plugins::contains_ignoring_case(type->description, filter)) {
            continue;
        }
        // Unfiltered, plugin types are named only: their details would not
        // fit one packet on a system with many plugins.
        if (filter.empty() && type->family != "builtin") {
            types.push_back({{"name", type->name},
                             {"description", type->description},
                             {"family", type->family}});
            continue;
        }
        nlohmann::json ports = nlohmann::json::array(), params = nlohmann::json::array();
        for (const engine::PortInfo& port : type->ports) {
            ports.push_back(
                {{"name", port.name},
                 {"kind", engine::to_string(port.kind)},
                 {"direction", port.direction == engine::PortDirection::kInput ? "in" : "out"}});
        }
        for (const engine::ParamDescriptor& p : type->params) {
            params.push_back({{"name", p.name},
                              {"min", p.min},
                              {"max", p.max},
                              {"default", p.default_value},
                              {"unit", p.unit},
                              {"smoothing_ms", p.smoothing_ms},
                              {"kind", p.kind == engine::ParamKind::kContinuous ? "continuous"
                                       : p.kind == engine::ParamKind::kToggle   ? "toggle"
                                                                                : "integer"},
                              {"creation_only", p.creation_only}});
        }
        types.push_back({{"name", type->name},
                         {"description", type->description},
                         {"ports", ports},
                         {"params", params},
                         {"family", type->family},
                         {"control_outputs", type->control_outputs}});
    }
    return types.dump();
}

std::string plugins_json(const plugins::PluginCatalog* catalog, const std::string& filter) {
    nlohmann::json list = nlohmann::json::array();
    if (catalog == nullptr) return list.dump();
    static constexpr const char* kKinds[] = {"audio", "control", "midi", "other"};
    for (const plugins::PluginInfo* info : catalog->filter(filter)) {
        if (filter.empty()) {
            // Unfiltered: a summary with port counts, so that the list fits.
            using K = plugins::PluginPortKind;
            list.push_back({{"type", info->type_name},
                            {"family", info->family},
                            {"name", info->name},
                            {"class", info->plugin_class},
                            {"usable", info->usable()},
                            {"audio_in", info->count(K::kAudio, true)},
                            {"audio_out", info->count(K::kAudio, false)},
                            {"midi_in", info->count(K::kMidi, true)},
                            {"midi_out", info->count(K::kMidi, false)},
                            {"control_in", info->count(K::kControl, true)},
                            {"control_out", info->count(K::kControl, false)}});
            continue;
        }
        nlohmann::json ports = nlohmann::json::array();
        for (const plugins::PluginPortInfo& port : info->ports) {
            nlohmann::json p = {{"symbol", port.symbol},
                                {"name", port.name},
                                {"kind", kKinds[static_cast<int>(port.kind)]},
                                {"direction", port.input ? "in" : "out"}};
            if (port.kind == plugins::PluginPortKind::kControl) {
                p["min"] = port.min;
                p["max"] = port.max;
                p["default"] = port.default_value;
                p["unit"] = port.unit;
                p["toggle"] = port.toggle;
                p["integer"] = port.integer;
                p["logarithmic"] = port.logarithmic;
            }
            ports.push_back(std::move(p));
        }
        nlohmann::json entry = {
            {"type", info->type_name},  {"family", info->family},
            {"name", info->name},       {"class", info->plugin_class},
            {"library", info->library}, {"reports_latency", info->reports_latency},
            {"usable", info->usable()}, {"ports", ports}};
        if (!info->usable()) entry["missing_features"] = info->missing_features;
        list.push_back(std::move(entry));
    }
    return list.dump();
}

}  // namespace rtgraph::control
