// LADSPA discovery and node-type building (control thread).
//
// Libraries are opened with dlopen and never closed once a plugin of theirs is
// registered: node types and running instances point into their code and
// descriptors for the rest of the process.
#include "rtgraph/plugins/ladspa_host.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>

#include "rtgraph/plugins/ladspa_node.hpp"

namespace rtgraph::plugins {

namespace {

namespace fs = std::filesystem;

// The bound given to a side the plugin leaves open: wide enough not to get in
// the way, finite so the model can still clamp and a UI can still draw it.
constexpr double kWideBound = 1.0e6;

// A library whose ladspa_descriptor() never returns null would hang the scan.
constexpr unsigned long kMaxPluginsPerLibrary = 4096;

const char* or_empty(const char* text) { return text != nullptr ? text : ""; }

// "Cutoff Frequency (Hz)" -> "Hz". LADSPA has no unit field; by convention the
// unit is the parenthesised end of the port name.
std::string unit_from_name(std::string_view name) {
    if (name.empty() || name.back() != ')') return {};
    const std::size_t open = name.rfind('(');
    if (open == std::string_view::npos) return {};
    std::string inner;
    for (const char c : name.substr(open + 1, name.size() - open - 2)) {
        inner += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    static const std::map<std::string, std::string, std::less<>> kUnits{
        {"hz", "Hz"}, {"khz", "kHz"}, {"db", "dB"},      {"ms", "ms"}, {"s", "s"},
        {"sec", "s"}, {"secs", "s"},  {"seconds", "s"}, {"%", "%"},   {"cents", "cents"},
        {"semitones", "semitones"}, {"bpm", "BPM"}};
    const auto it = kUnits.find(inner);
    return it == kUnits.end() ? std::string{} : it->second;
}

struct ControlRange {
    float min = 0.0f;
    float max = 1.0f;
    float default_value = 0.0f;
    bool toggle = false;
    bool integer = false;
    bool logarithmic = false;
};

// Range and default of a control port from its hints, following ladspa.h:
// bounds scale with the sample rate under LADSPA_HINT_SAMPLE_RATE; the
// DEFAULT_* rules pick a bound, an interpolation between them (geometric
// when LOGARITHMIC and both bounds are positive), or a constant.
ControlRange control_range(const LADSPA_PortRangeHint* hint, double sample_rate) {
    ControlRange range;
    const LADSPA_PortRangeHintDescriptor h = hint != nullptr ? hint->HintDescriptor : 0;
    const double scale = LADSPA_IS_HINT_SAMPLE_RATE(h) ? sample_rate : 1.0;
    // A bound that is not finite says nothing usable: treat that side as open.
    const bool has_lo = LADSPA_IS_HINT_BOUNDED_BELOW(h) && std::isfinite(hint->LowerBound);
    const bool has_hi = LADSPA_IS_HINT_BOUNDED_ABOVE(h) && std::isfinite(hint->UpperBound);
    double lo = has_lo ? static_cast<double>(hint->LowerBound) * scale : 0.0;
    double hi = has_hi ? static_cast<double>(hint->UpperBound) * scale : 0.0;
    if (has_lo && has_hi && lo > hi) std::swap(lo, hi);  // hints are only hints
    range.toggle = LADSPA_IS_HINT_TOGGLED(h);
    range.integer = !range.toggle && LADSPA_IS_HINT_INTEGER(h);
    range.logarithmic = LADSPA_IS_HINT_LOGARITHMIC(h);

    const auto between = [&](double weight_lo) {
        if (range.logarithmic && lo > 0.0 && hi > 0.0) {
            return std::exp(std::log(lo) * weight_lo + std::log(hi) * (1.0 - weight_lo));
        }
        return lo * weight_lo + hi * (1.0 - weight_lo);
    };
    std::optional<double> value;
    switch (h & LADSPA_HINT_DEFAULT_MASK) {
        case LADSPA_HINT_DEFAULT_MINIMUM: if (has_lo) value = lo; break;
        case LADSPA_HINT_DEFAULT_LOW: if (has_lo && has_hi) value = between(0.75); break;
        case LADSPA_HINT_DEFAULT_MIDDLE: if (has_lo && has_hi) value = between(0.5); break;
        case LADSPA_HINT_DEFAULT_HIGH: if (has_lo && has_hi) value = between(0.25); break;
        case LADSPA_HINT_DEFAULT_MAXIMUM: if (has_hi) value = hi; break;
        case LADSPA_HINT_DEFAULT_0: value = 0.0; break;
        case LADSPA_HINT_DEFAULT_1: value = 1.0; break;
        case LADSPA_HINT_DEFAULT_100: value = 100.0; break;
        case LADSPA_HINT_DEFAULT_440: value = 440.0; break;
        default: break;
    }
    // No default, or one that needs a bound the plugin did not give: 0 pulled
    // into whatever bounds exist is the least surprising value.
    double def = value.value_or(0.0);
    if (has_lo) def = std::max(def, lo);
    if (has_hi) def = std::min(def, hi);
    if (range.integer) def = std::nearbyint(def);

    if (range.toggle) {
        range.min = 0.0f;
        range.max = 1.0f;
        range.default_value = def > 0.0 ? 1.0f : 0.0f;  // "<= 0 is off"
        return range;
    }
    const double min = has_lo ? lo : std::min(-kWideBound, def);
    const double max = has_hi ? hi : std::max({kWideBound, def, min});
    range.min = static_cast<float>(min);
    range.max = static_cast<float>(max);
    range.default_value = std::clamp(static_cast<float>(def), range.min, range.max);
    return range;
}

std::string plugin_label(const LADSPA_Descriptor& d) {
    return std::string(or_empty(d.Label)) + " (" + std::to_string(d.UniqueID) + ")";
}

// Which registered types this host made, and from which plugin, so a re-scan
// recognises its own entries instead of registering them again under the
// fallback name. Keyed by the registry's stable NodeTypeInfo address.
struct Ownership {
    std::mutex mutex;  // scans are control-thread work, but cheap insurance against two hosts
    std::map<const engine::NodeTypeInfo*, std::string> identity;
};

Ownership& ownership() {
    static Ownership table;
    return table;
}

bool owned_by(const engine::NodeTypeInfo* type, const std::string& identity) {
    Ownership& table = ownership();
    const std::lock_guard lock(table.mutex);
    const auto it = table.identity.find(type);
    return it != table.identity.end() && it->second == identity && type->family == "ladspa";
}

void record_owner(const engine::NodeTypeInfo* type, std::string identity) {
    Ownership& table = ownership();
    const std::lock_guard lock(table.mutex);
    table.identity[type] = std::move(identity);
}

}  // namespace

std::string sanitize_ladspa_symbol(std::string_view name) {
    std::string out;
    bool pending_separator = false;
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 && u < 0x80) {
            if (pending_separator && !out.empty()) out += '_';
            pending_separator = false;
            out += static_cast<char>(std::tolower(u));
        } else {
            pending_separator = true;
        }
    }
    if (out.empty()) return "port";
    if (std::isdigit(static_cast<unsigned char>(out.front())) != 0) out.insert(out.begin(), 'p');
    return out;
}

std::optional<LadspaDescription> describe_ladspa(const LADSPA_Descriptor& d,
                                                 const std::string& library,
                                                 double sample_rate, std::string& why) {
    if (d.Label == nullptr || d.Label[0] == '\0') {
        why = "no label";
        return std::nullopt;
    }
    if (d.instantiate == nullptr || d.connect_port == nullptr || d.run == nullptr ||
        d.cleanup == nullptr) {
        why = "missing instantiate, connect_port, run or cleanup";
        return std::nullopt;
    }
    if (d.PortCount == 0 || d.PortDescriptors == nullptr) {
        why = "no ports";
        return std::nullopt;
    }

    LadspaDescription out;
    auto spec = std::make_shared<LadspaPluginSpec>();
    spec->descriptor = &d;
    spec->library = library;
    spec->display_name = d.Name != nullptr && d.Name[0] != '\0' ? d.Name : d.Label;

    const std::string type_name = "ladspa:" + std::string(d.Label);
    out.type.name = type_name;
    out.type.family = "ladspa";
    const std::string maker = or_empty(d.Maker);
    out.type.description = std::string(or_empty(d.Name)) + (maker.empty() ? "" : " by " + maker);
    out.info.type_name = type_name;
    out.info.family = "ladspa";
    out.info.name = or_empty(d.Name);
    out.info.plugin_class = "Plugin";
    out.info.library = library;

    std::set<std::string> taken;
    for (unsigned long i = 0; i < d.PortCount; ++i) {
        const LADSPA_PortDescriptor p = d.PortDescriptors[i];
        const bool input = LADSPA_IS_PORT_INPUT(p) != 0;
        const bool output = LADSPA_IS_PORT_OUTPUT(p) != 0;
        const bool audio = LADSPA_IS_PORT_AUDIO(p) != 0;
        const bool control = LADSPA_IS_PORT_CONTROL(p) != 0;
        if (input == output || audio == control) {
            why = "port " + std::to_string(i) +
                  " is not exactly one of input/output and one of audio/control";
            return std::nullopt;
        }
        const std::string port_name = d.PortNames != nullptr && d.PortNames[i] != nullptr
                                          ? d.PortNames[i]
                                          : "port " + std::to_string(i + 1);
        // One namespace for ports and parameters, so a catalog symbol names
        // exactly one thing.
        const std::string base = sanitize_ladspa_symbol(port_name);
        std::string symbol = base;
        for (int n = 2; taken.contains(symbol); ++n) symbol = base + "_" + std::to_string(n);
        taken.insert(symbol);

        PluginPortInfo port;
        port.symbol = symbol;
        port.name = port_name;
        port.input = input;
        if (audio) {
            port.kind = PluginPortKind::kAudio;
            out.type.ports.push_back({symbol, engine::PortKind::kAudio,
                                      input ? engine::PortDirection::kInput
                                            : engine::PortDirection::kOutput});
            (input ? spec->audio_inputs : spec->audio_outputs).push_back(i);
        } else {
            const ControlRange range =
                control_range(d.PortRangeHints != nullptr ? &d.PortRangeHints[i] : nullptr,
                              sample_rate);
            port.kind = PluginPortKind::kControl;
            port.min = range.min;
            port.max = range.max;
            port.default_value = range.default_value;
            port.unit = unit_from_name(port_name);
            port.toggle = range.toggle;
            port.integer = range.integer;
            port.logarithmic = range.logarithmic;
            if (input) {
                out.type.params.push_back(param_descriptor(port));
                spec->control_inputs.push_back(i);
            } else {
                // The LADSPA convention for reporting latency in frames.
                if (symbol == "latency") {
                    out.info.reports_latency = true;
                    spec->latency_output = static_cast<std::uint32_t>(spec->control_outputs.size());
                }
                spec->control_outputs.push_back(i);
                out.type.control_outputs.push_back(symbol);
            }
        }
        out.info.ports.push_back(std::move(port));
    }
    if (spec->audio_inputs.empty() && spec->audio_outputs.empty()) {
        why = "no audio ports";
        return std::nullopt;
    }
    out.spec = std::move(spec);
    return out;
}

std::optional<PluginInfo> register_ladspa_plugin(const LADSPA_Descriptor& descriptor,
                                                 const std::string& library, double sample_rate,
                                                 engine::NodeRegistry& registry,
                                                 std::vector<std::string>& problems) {
    std::string why;
    std::optional<LadspaDescription> described =
        describe_ladspa(descriptor, library, sample_rate, why);
    if (!described) {
        problems.push_back(library + ": plugin " + plugin_label(descriptor) + ": " + why);
        return std::nullopt;
    }
    const std::string identity =
        library + "#" + std::to_string(descriptor.UniqueID) + "#" + descriptor.Label;
    const std::string names[] = {"ladspa:" + std::string(descriptor.Label),
                                 "ladspa:" + std::to_string(descriptor.UniqueID)};
    // First pass: is this plugin registered already (a re-scan)?
    for (const std::string& name : names) {
        const engine::NodeTypeInfo* existing = registry.find(name);
        if (existing != nullptr && owned_by(existing, identity)) {
            described->info.type_name = name;
            return std::move(described->info);
        }
    }
    for (const std::string& name : names) {
        if (registry.find(name) != nullptr) continue;
        described->type.name = name;
        described->info.type_name = name;
        if (!registry.add(described->type, ladspa_factory(described->spec))) continue;
        record_owner(registry.find(name), identity);
        return std::move(described->info);
    }
    problems.push_back(library + ": plugin " + plugin_label(descriptor) + ": node types " +
                       names[0] + " and " + names[1] + " are both taken");
    return std::nullopt;
}

std::vector<std::string> ladspa_search_path(const std::vector<std::string>& extra) {
    std::vector<std::string> candidates;
    const char* env = std::getenv("LADSPA_PATH");
    if (env != nullptr && env[0] != '\0') {
        std::string_view rest(env);
        while (true) {
            const std::size_t colon = rest.find(':');
            candidates.emplace_back(rest.substr(0, colon));
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
    } else {
        candidates = {"/usr/local/lib/ladspa", "/usr/lib/ladspa"};
    }
    candidates.insert(candidates.end(), extra.begin(), extra.end());

    std::vector<std::string> out;
    for (std::string& dir : candidates) {
        // "/usr/lib/ladspa/" and "/usr/lib/ladspa" are the same directory.
        while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
        if (dir.empty()) continue;
        if (std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(std::move(dir));
    }
    return out;
}

std::vector<PluginInfo> scan_ladspa(const std::vector<std::string>& directories,
                                    double sample_rate, engine::NodeRegistry& registry,
                                    ScanReport& report) {
    std::vector<PluginInfo> found;
    std::set<std::string> seen_libraries;  // canonical paths: a directory listed twice, symlinks
    std::map<std::pair<unsigned long, std::string>, std::string> seen_plugins;  // -> library

    for (const std::string& dir : directories) {
        std::error_code ec;
        // The default directories often do not exist; that is not a problem.
        if (!fs::exists(dir, ec)) continue;
        if (!fs::is_directory(dir, ec)) {
            report.problems.push_back(dir + ": not a directory");
            continue;
        }
        std::vector<fs::path> libraries;
        fs::directory_iterator it(dir, ec);
        if (ec) {
            report.problems.push_back(dir + ": cannot list: " + ec.message());
            continue;
        }
        for (; it != fs::directory_iterator(); it.increment(ec)) {
            const fs::path& path = it->path();
            std::error_code file_ec;
            if (path.extension() == ".so" && fs::is_regular_file(path, file_ec)) {
                libraries.push_back(path);
            }
        }
        if (ec) report.problems.push_back(dir + ": listing stopped: " + ec.message());
        std::sort(libraries.begin(), libraries.end());

        for (const fs::path& path : libraries) {
            std::error_code canon_ec;
            const fs::path canonical = fs::canonical(path, canon_ec);
            const std::string library = canon_ec ? path.string() : canonical.string();
            if (!seen_libraries.insert(library).second) continue;

            dlerror();  // clear any stale message
            void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
            if (handle == nullptr) {
                const char* error = dlerror();
                report.problems.push_back(library + ": cannot load: " +
                                          (error != nullptr ? error : "unknown dlopen error"));
                continue;
            }
            dlerror();
            void* symbol = dlsym(handle, "ladspa_descriptor");
            if (symbol == nullptr) {
                const char* error = dlerror();
                report.problems.push_back(library + ": not a LADSPA library (" +
                                          (error != nullptr ? error : "ladspa_descriptor is null") +
                                          ")");
                dlclose(handle);  // nothing of it was used
                continue;
            }
            const auto descriptor_at = std::bit_cast<LADSPA_Descriptor_Function>(symbol);

            std::size_t declared = 0;
            std::size_t registered = 0;
            for (unsigned long index = 0; index < kMaxPluginsPerLibrary; ++index) {
                const LADSPA_Descriptor* d = descriptor_at(index);
                if (d == nullptr) break;
                ++declared;
                if (d->Label != nullptr) {
                    const auto key = std::make_pair(d->UniqueID, std::string(d->Label));
                    const auto [previous, fresh] = seen_plugins.emplace(key, library);
                    if (!fresh) {
                        report.problems.push_back(library + ": plugin " + plugin_label(*d) +
                                                  ": shadowed by the same plugin in " +
                                                  previous->second);
                        continue;
                    }
                }
                std::optional<PluginInfo> info =
                    register_ladspa_plugin(*d, library, sample_rate, registry, report.problems);
                if (info) {
                    found.push_back(std::move(*info));
                    ++registered;
                }
            }
            if (declared == 0) report.problems.push_back(library + ": declares no plugins");
            // Registered types and their instances call into the library, so
            // it stays; one that gave us nothing can go.
            if (registered == 0) dlclose(handle);
        }
    }
    return found;
}

}  // namespace rtgraph::plugins
