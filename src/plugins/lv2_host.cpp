// LV2 discovery and node-type registration (control thread).
#include "rtgraph/plugins/lv2_host.hpp"

#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/log/log.h>
#include <lv2/midi/midi.h>
#include <lv2/parameters/parameters.h>
#include <lv2/patch/patch.h>
#include <lv2/port-props/port-props.h>
#include <lv2/state/state.h>
#include <lv2/units/units.h>
#include <lv2/worker/worker.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "lv2_internal.hpp"

namespace rtgraph::plugins {

namespace {

// Host features we give (or plugin properties that ask nothing of us).
const std::set<std::string> kSupportedFeatures = {
    LV2_URID__map,           LV2_URID__unmap,         LV2_OPTIONS__options,
    LV2_BUF_SIZE__boundedBlockLength, LV2_WORKER__schedule, LV2_STATE__loadDefaultState,
    LV2_LOG__log,            LV2_CORE__isLive,        LV2_CORE__hardRTCapable,
    LV2_CORE__inPlaceBroken,  // the engine never hands a node the same buffer twice
};

// Owns one lilv node.
struct LilvNodeOwner {
    explicit LilvNodeOwner(LilvNode* n) : node(n) {}
    ~LilvNodeOwner() { lilv_node_free(node); }
    LilvNodeOwner(const LilvNodeOwner&) = delete;
    LilvNodeOwner& operator=(const LilvNodeOwner&) = delete;
    LilvNode* node;
};

struct Vocabulary {
    explicit Vocabulary(LilvWorld* w) : world(w) {}
    LilvNode* uri(const char* text) {
        owned.push_back(std::make_unique<LilvNodeOwner>(lilv_new_uri(world, text)));
        return owned.back()->node;
    }
    LilvWorld* world;
    std::vector<std::unique_ptr<LilvNodeOwner>> owned;
};

std::string unit_text(LilvWorld* world, const LilvNode* unit, LilvNode* symbol_predicate) {
    if (unit == nullptr) return {};
    if (lilv_node_is_uri(unit)) {
        static const std::map<std::string, std::string> kUnits = {
            {"db", "dB"}, {"hz", "Hz"}, {"khz", "kHz"}, {"mhz", "MHz"}, {"ms", "ms"}, {"s", "s"},
            {"pc", "%"}, {"bpm", "BPM"}, {"semitone12TET", "semitones"}, {"cent", "cents"},
            {"frame", "frames"}, {"degree", "degrees"}, {"oct", "octaves"}, {"midiNote", "note"},
        };
        const std::string text = lilv_node_as_uri(unit);
        const std::size_t hash = text.rfind('#');
        if (hash != std::string::npos) {
            const auto it = kUnits.find(text.substr(hash + 1));
            if (it != kUnits.end()) return it->second;
        }
    }
    // A unit described inline: use its symbol.
    if (LilvNode* symbol = lilv_world_get(world, unit, symbol_predicate, nullptr)) {
        std::string text = lilv_node_as_string(symbol);
        lilv_node_free(symbol);
        return text;
    }
    return {};
}

float node_float(LilvNode* node, float fallback) {
    if (node == nullptr) return fallback;
    const float value = lilv_node_is_float(node) || lilv_node_is_int(node) ? lilv_node_as_float(node)
                                                                           : fallback;
    lilv_node_free(node);
    return value;
}

}  // namespace

Lv2Host::Shared::Shared(double rate, std::uint32_t block)
    : sample_rate(rate),
      max_block(block),
      option_rate(static_cast<float>(rate)),
      option_max_block(static_cast<std::int32_t>(block)) {
    UridMap& m = urid_map;
    urids = Lv2Urids{m.map(LV2_ATOM__Sequence),   m.map(LV2_ATOM__Chunk),
                     m.map(LV2_ATOM__Float),      m.map(LV2_ATOM__Int),
                     m.map(LV2_ATOM__Path),       m.map(LV2_ATOM__URID),
                     m.map(LV2_ATOM__Object),     m.map(LV2_MIDI__MidiEvent),
                     m.map(LV2_PATCH__Set),       m.map(LV2_PATCH__property),
                     m.map(LV2_PATCH__value),     m.map(LV2_PARAMETERS__sampleRate),
                     m.map(LV2_BUF_SIZE__minBlockLength), m.map(LV2_BUF_SIZE__maxBlockLength),
                     m.map(LV2_BUF_SIZE__nominalBlockLength), m.map(LV2_BUF_SIZE__sequenceSize)};
    const auto option = [](LV2_URID key, std::uint32_t size, LV2_URID type, const void* value) {
        return LV2_Options_Option{LV2_OPTIONS_INSTANCE, 0, key, size, type, value};
    };
    options[0] = option(urids.param_sample_rate, sizeof(float), urids.atom_float, &option_rate);
    options[1] = option(urids.bufsz_min, sizeof(std::int32_t), urids.atom_int, &option_min_block);
    options[2] = option(urids.bufsz_max, sizeof(std::int32_t), urids.atom_int, &option_max_block);
    // The engine runs nodes in whatever spans the period splits into; the
    // longest is the most honest "nominal" length we can promise.
    options[3] = option(urids.bufsz_nominal, sizeof(std::int32_t), urids.atom_int, &option_max_block);
    options[4] = option(urids.bufsz_sequence_size, sizeof(std::int32_t), urids.atom_int,
                        &option_sequence_size);
    options[5] = LV2_Options_Option{LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, nullptr};

    map_feature = {LV2_URID__map, m.map_feature()};
    unmap_feature = {LV2_URID__unmap, m.unmap_feature()};
    options_feature = {LV2_OPTIONS__options, options.data()};
    bounded_feature = {LV2_BUF_SIZE__boundedBlockLength, nullptr};
    default_state_feature = {LV2_STATE__loadDefaultState, nullptr};
}

Lv2Host::Lv2Host(double sample_rate, std::uint32_t max_block)
    : shared_(std::make_unique<Shared>(sample_rate, max_block)) {}

// Worlds go before the shared state: nodes are gone by now, and no plugin
// description outlives the host.
Lv2Host::~Lv2Host() { worlds_.clear(); }

void Lv2Host::set_media_dirs(io::MediaDirs dirs) {
    shared_->media_dirs = std::make_shared<const io::MediaDirs>(std::move(dirs));
}

double Lv2Host::sample_rate() const noexcept { return shared_->sample_rate; }

std::uint64_t Lv2Host::worker_jobs() const noexcept { return shared_->worker.jobs_run(); }

std::vector<PluginInfo> Lv2Host::scan(const std::vector<std::string>& extra_directories,
                                      engine::NodeRegistry& registry,
                                      std::vector<std::string>& problems) {
    auto owned_world = std::make_unique<Lv2World>();
    LilvWorld* world = owned_world->world;
    for (const std::string& directory : extra_directories) {
        std::error_code error;
        for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
            if (!entry.is_directory() || entry.path().extension() != ".lv2") continue;
            const std::string path = entry.path().string() + "/";
            LilvNode* bundle = lilv_new_file_uri(world, nullptr, path.c_str());
            lilv_world_load_bundle(world, bundle);
            lilv_node_free(bundle);
        }
        if (error) problems.push_back("LV2 path " + directory + ": " + error.message());
    }
    lilv_world_load_all(world);

    Vocabulary v(world);
    LilvNode* audio_port = v.uri(LV2_CORE__AudioPort);
    LilvNode* control_port = v.uri(LV2_CORE__ControlPort);
    LilvNode* cv_port = v.uri(LV2_CORE__CVPort);
    LilvNode* atom_port = v.uri(LV2_ATOM__AtomPort);
    LilvNode* input_port = v.uri(LV2_CORE__InputPort);
    LilvNode* output_port = v.uri(LV2_CORE__OutputPort);
    LilvNode* midi_event = v.uri(LV2_MIDI__MidiEvent);
    LilvNode* toggled = v.uri(LV2_CORE__toggled);
    LilvNode* integer = v.uri(LV2_CORE__integer);
    LilvNode* enumeration = v.uri(LV2_CORE__enumeration);
    LilvNode* logarithmic = v.uri(LV2_PORT_PROPS__logarithmic);
    LilvNode* sample_rate_property = v.uri(LV2_CORE__sampleRate);
    LilvNode* reports_latency = v.uri(LV2_CORE__reportsLatency);
    LilvNode* latency_designation = v.uri(LV2_CORE__latency);
    LilvNode* control_designation = v.uri(LV2_CORE__control);
    LilvNode* unit_predicate = v.uri(LV2_UNITS__unit);
    LilvNode* unit_symbol = v.uri(LV2_UNITS__symbol);
    LilvNode* worker_interface = v.uri(LV2_WORKER__interface);
    LilvNode* designation_predicate = v.uri(LV2_CORE__designation);

    std::vector<PluginInfo> found;
    const LilvPlugins* plugins = lilv_world_get_all_plugins(world);
    LILV_FOREACH (plugins, it, plugins) {
        const LilvPlugin* plugin = lilv_plugins_get(plugins, it);
        PluginInfo info;
        info.type_name = lilv_node_as_uri(lilv_plugin_get_uri(plugin));
        info.family = "lv2";
        if (LilvNode* name = lilv_plugin_get_name(plugin)) {
            info.name = lilv_node_as_string(name);
            lilv_node_free(name);
        }
        info.plugin_class = lilv_node_as_string(lilv_plugin_class_get_label(lilv_plugin_get_class(plugin)));
        if (const LilvNode* library = lilv_plugin_get_library_uri(plugin)) {
            if (char* path = lilv_file_uri_parse(lilv_node_as_uri(library), nullptr)) {
                info.library = path;
                lilv_free(path);
            }
        }
        LilvNodes* required = lilv_plugin_get_required_features(plugin);
        LILV_FOREACH (nodes, f, required) {
            const std::string feature = lilv_node_as_uri(lilv_nodes_get(required, f));
            if (!kSupportedFeatures.contains(feature)) info.missing_features.push_back(feature);
        }
        lilv_nodes_free(required);

        auto desc = std::make_shared<Lv2PluginDesc>();
        desc->plugin = plugin;
        desc->world = world;
        desc->shared = shared_.get();
        desc->uri = info.type_name;
        desc->has_worker = lilv_plugin_has_extension_data(plugin, worker_interface);
        if (LilvState* state = lilv_state_new_from_world(world, shared_->urid_map.map_feature(),
                                                         lilv_plugin_get_uri(plugin))) {
            desc->has_default_state = true;
            lilv_state_free(state);
        }

        engine::NodeTypeInfo type;
        type.name = info.type_name;
        type.family = "lv2";
        std::set<std::string> used_names;
        const std::uint32_t port_count = lilv_plugin_get_num_ports(plugin);
        for (std::uint32_t index = 0; index < port_count; ++index) {
            const LilvPort* port = lilv_plugin_get_port_by_index(plugin, index);
            PluginPortInfo p;
            p.symbol = lilv_node_as_string(lilv_port_get_symbol(plugin, port));
            if (LilvNode* name = lilv_port_get_name(plugin, port)) {
                p.name = lilv_node_as_string(name);
                lilv_node_free(name);
            }
            const bool is_input = lilv_port_is_a(plugin, port, input_port);
            const bool is_output = lilv_port_is_a(plugin, port, output_port);
            p.input = is_input;
            Lv2Port layout{index, Lv2Role::kAudioIn, 0};
            if (!is_input && !is_output) {
                info.missing_features.push_back("port '" + p.symbol + "' is neither input nor output");
                continue;
            }
            if (lilv_port_is_a(plugin, port, audio_port)) {
                p.kind = PluginPortKind::kAudio;
                layout.role = is_input ? Lv2Role::kAudioIn : Lv2Role::kAudioOut;
            } else if (lilv_port_is_a(plugin, port, control_port)) {
                p.kind = PluginPortKind::kControl;
                layout.role = is_input ? Lv2Role::kControlIn : Lv2Role::kControlOut;
                LilvNode* def = nullptr;
                LilvNode* min = nullptr;
                LilvNode* max = nullptr;
                lilv_port_get_range(plugin, port, &def, &min, &max);
                p.min = node_float(min, 0.0f);
                p.max = node_float(max, 1.0f);
                p.default_value = node_float(def, p.min);
                p.toggle = lilv_port_has_property(plugin, port, toggled);
                p.integer = lilv_port_has_property(plugin, port, integer) ||
                            lilv_port_has_property(plugin, port, enumeration);
                p.logarithmic = lilv_port_has_property(plugin, port, logarithmic);
                if (lilv_port_has_property(plugin, port, sample_rate_property)) {
                    const auto rate = static_cast<float>(shared_->sample_rate);
                    p.min *= rate;
                    p.max *= rate;
                    p.default_value *= rate;
                }
                if (p.toggle) {
                    p.min = 0.0f;
                    p.max = 1.0f;
                }
                if (!(p.min < p.max)) p.max = p.min + 1.0f;
                p.default_value = std::clamp(p.default_value, p.min, p.max);
                if (LilvNodes* units = lilv_port_get_value(plugin, port, unit_predicate)) {
                    p.unit = unit_text(world, lilv_nodes_get_first(units), unit_symbol);
                    lilv_nodes_free(units);
                }
                layout.default_value = p.default_value;
                if (!is_input) {
                    layout.latency = lilv_port_has_property(plugin, port, reports_latency);
                    if (LilvNodes* designation = lilv_port_get_value(
                            plugin, port, designation_predicate)) {
                        layout.latency = layout.latency ||
                                         lilv_nodes_contains(designation, latency_designation);
                        lilv_nodes_free(designation);
                    }
                    info.reports_latency = info.reports_latency || layout.latency;
                }
            } else if (lilv_port_is_a(plugin, port, atom_port)) {
                const bool midi = lilv_port_supports_event(plugin, port, midi_event);
                p.kind = midi ? PluginPortKind::kMidi : PluginPortKind::kOther;
                layout.role = midi ? (is_input ? Lv2Role::kMidiIn : Lv2Role::kMidiOut)
                                   : (is_input ? Lv2Role::kAtomIn : Lv2Role::kAtomOut);
                if (LilvNodes* designation =
                        lilv_port_get_value(plugin, port, designation_predicate)) {
                    layout.host_messages = is_input && lilv_nodes_contains(designation, control_designation);
                    lilv_nodes_free(designation);
                }
            } else if (lilv_port_is_a(plugin, port, cv_port)) {
                // CV ports are fed silence and their output is dropped; they
                // are not graph ports (yet).
                p.kind = PluginPortKind::kOther;
                layout.role = is_input ? Lv2Role::kCvIn : Lv2Role::kCvOut;
            } else {
                info.missing_features.push_back("port '" + p.symbol + "' has a type rtgraph does not host");
                continue;
            }
            const auto role = static_cast<int>(layout.role);
            layout.slot = desc->count[role]++;
            desc->ports.push_back(layout);

            switch (layout.role) {
                case Lv2Role::kAudioIn:
                case Lv2Role::kAudioOut:
                case Lv2Role::kMidiIn:
                case Lv2Role::kMidiOut:
                    type.ports.push_back(engine::PortInfo{
                        p.symbol,
                        p.kind == PluginPortKind::kMidi ? engine::PortKind::kMidi : engine::PortKind::kAudio,
                        is_input ? engine::PortDirection::kInput : engine::PortDirection::kOutput});
                    break;
                case Lv2Role::kControlIn:
                    type.params.push_back(param_descriptor(p));
                    break;
                case Lv2Role::kControlOut:
                    type.control_outputs.push_back(p.symbol);
                    break;
                default:
                    break;
            }
            info.ports.push_back(std::move(p));
        }
        type.description = info.name + " (LV2 " + info.plugin_class + ")";
        const bool usable = info.usable();
        if (!usable) {
            std::string missing;
            for (const std::string& feature : info.missing_features) {
                missing += (missing.empty() ? "" : ", ") + feature;
            }
            problems.push_back(info.type_name + ": needs " + missing);
        }
        if (usable && registry.find(type.name) == nullptr) {
            registry.add(std::move(type), [desc](const engine::NodeTypeInfo& t,
                                                 const engine::PrepareSpec& spec,
                                                 std::span<const float> initial) {
                return make_lv2_node(desc, t, spec, initial);
            });
        }
        found.push_back(std::move(info));
    }
    worlds_.push_back(std::move(owned_world));
    return found;
}

}  // namespace rtgraph::plugins
