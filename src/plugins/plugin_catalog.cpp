// The plugin catalog (control thread).
#include "rtgraph/plugins/plugin_catalog.hpp"

#include <algorithm>
#include <cctype>

namespace rtgraph::plugins {

bool contains_ignoring_case(std::string_view haystack, std::string_view needle) {
    if (needle.empty()) return true;
    const auto fold = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                       [&](char a, char b) { return fold(a) == fold(b); }) != haystack.end();
}

std::uint32_t PluginInfo::count(PluginPortKind kind, bool input) const {
    return static_cast<std::uint32_t>(std::count_if(ports.begin(), ports.end(), [&](const PluginPortInfo& p) {
        return p.kind == kind && p.input == input;
    }));
}

engine::ParamDescriptor param_descriptor(const PluginPortInfo& port) {
    engine::ParamDescriptor param;
    param.name = port.symbol;
    param.min = port.min;
    param.max = port.max;
    param.default_value = port.default_value;
    param.unit = port.unit;
    param.kind = port.toggle    ? engine::ParamKind::kToggle
                 : port.integer ? engine::ParamKind::kInteger
                                : engine::ParamKind::kContinuous;
    param.smoothing_ms = param.kind == engine::ParamKind::kContinuous ? 20.0f : 0.0f;
    return param;
}

void PluginCatalog::replace_family(std::string_view family, std::vector<PluginInfo> found) {
    std::erase_if(entries_, [&](const PluginInfo& info) { return info.family == family; });
    for (PluginInfo& info : found) entries_.push_back(std::move(info));
    std::sort(entries_.begin(), entries_.end(),
              [](const PluginInfo& a, const PluginInfo& b) { return a.type_name < b.type_name; });
}

const PluginInfo* PluginCatalog::find(std::string_view type_name) const {
    const auto it = std::find_if(entries_.begin(), entries_.end(),
                                 [&](const PluginInfo& info) { return info.type_name == type_name; });
    return it == entries_.end() ? nullptr : &*it;
}

std::vector<const PluginInfo*> PluginCatalog::filter(std::string_view text) const {
    std::vector<const PluginInfo*> out;
    for (const PluginInfo& info : entries_) {
        if (contains_ignoring_case(info.name, text) || contains_ignoring_case(info.type_name, text) ||
            contains_ignoring_case(info.plugin_class, text)) {
            out.push_back(&info);
        }
    }
    return out;
}

}  // namespace rtgraph::plugins
