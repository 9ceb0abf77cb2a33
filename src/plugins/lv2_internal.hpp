// What the LV2 host and its nodes share. Private to src/plugins.
//
// Threads: built on the control thread at scan time and read-only afterwards
// (the URID map excepted, which has its own lock), so the audio thread may
// read these structures freely.
#pragma once

#include <lilv/lilv.h>
#include <lv2/core/lv2.h>
#include <lv2/options/options.h>
#include <lv2/urid/urid.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rtgraph/engine/node.hpp"
#include "rtgraph/plugins/lv2_host.hpp"
#include "rtgraph/plugins/lv2_urid_map.hpp"
#include "rtgraph/plugins/lv2_worker.hpp"

namespace rtgraph::plugins {

// One lilv world, kept alive while any plugin from it may be instantiated.
class Lv2World {
public:
    Lv2World() : world(lilv_world_new()) {}
    ~Lv2World() { lilv_world_free(world); }
    Lv2World(const Lv2World&) = delete;
    Lv2World& operator=(const Lv2World&) = delete;
    LilvWorld* world;
};

struct Lv2Urids {
    LV2_URID atom_sequence, atom_chunk, atom_float, atom_int, atom_path, atom_urid, atom_object;
    LV2_URID midi_event, patch_set, patch_property, patch_value;
    LV2_URID param_sample_rate, bufsz_min, bufsz_max, bufsz_nominal, bufsz_sequence_size;
};

struct Lv2Host::Shared {
    Shared(double rate, std::uint32_t block);

    double sample_rate;
    std::uint32_t max_block;
    static constexpr std::uint32_t kAtomCapacity = 8192;  // bytes per atom port buffer
    UridMap urid_map;
    Lv2Urids urids{};

    // Option values must stay where the options array points.
    float option_rate;
    std::int32_t option_min_block = 1;
    std::int32_t option_max_block;
    std::int32_t option_sequence_size = static_cast<std::int32_t>(kAtomCapacity);
    std::array<LV2_Options_Option, 6> options{};

    LV2_Feature map_feature{}, unmap_feature{}, options_feature{}, bounded_feature{},
        default_state_feature{};
    WorkerThread worker;
    // Where files handed to plugins may be (send_path, restored states).
    std::shared_ptr<const io::MediaDirs> media_dirs = std::make_shared<const io::MediaDirs>();
};

enum class Lv2Role : std::uint8_t {
    kAudioIn, kAudioOut, kControlIn, kControlOut, kMidiIn, kMidiOut,
    kAtomIn,   // an atom sequence that carries no MIDI: gets host messages only
    kAtomOut,  // an atom sequence output we read nothing from
    kCvIn, kCvOut,
};

struct Lv2Port {
    std::uint32_t index;  // the plugin's port index
    Lv2Role role;
    std::uint32_t slot;   // index among ports of its role (the parameter index for kControlIn)
    float default_value = 0.0f;
    bool latency = false;         // kControlOut: reports the plugin's latency
    bool host_messages = false;   // kMidiIn/kAtomIn: lv2:control designation, takes patch:Set
};

struct Lv2PluginDesc {
    const LilvPlugin* plugin = nullptr;
    LilvWorld* world = nullptr;
    Lv2Host::Shared* shared = nullptr;
    std::string uri;
    std::vector<Lv2Port> ports;
    std::uint32_t count[10] = {};  // ports per Lv2Role
    bool has_worker = false;       // offers worker:interface
    bool has_default_state = false;

    std::uint32_t role_count(Lv2Role role) const { return count[static_cast<int>(role)]; }
};

// [nrt] Instantiates, restores the plugin's default state, activates. Throws
// std::runtime_error with a reason a person can act on.
std::unique_ptr<engine::Node> make_lv2_node(std::shared_ptr<const Lv2PluginDesc> desc,
                                            const engine::NodeTypeInfo& type,
                                            const engine::PrepareSpec& spec,
                                            std::span<const float> initial);

}  // namespace rtgraph::plugins
