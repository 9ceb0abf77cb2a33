// Lv2Host: finds LV2 plugins through lilv and registers each usable one as a
// node type named by its URI.
//
// Threads: control thread, apart from what the nodes it creates do on the
// audio thread (see lv2_node.hpp) and the worker thread it owns. The host
// must outlive every node it created.
//
// Host features given to plugins: urid:map and urid:unmap, options:options
// (sample rate, min/max/nominal block length, sequence size),
// buf-size:boundedBlockLength, worker:schedule, state:loadDefaultState,
// log:log. A plugin that requires anything else is listed in the catalog with
// the missing features and is not registered as a node type.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/io/media_dirs.hpp"
#include "rtgraph/plugins/plugin_catalog.hpp"

namespace rtgraph::plugins {

class Lv2World;  // lilv state: one world per scan, kept for the host's lifetime

class Lv2Host {
public:
    // [nrt] sample_rate and max_block are what nodes are created for.
    Lv2Host(double sample_rate, std::uint32_t max_block);
    ~Lv2Host();
    Lv2Host(const Lv2Host&) = delete;
    Lv2Host& operator=(const Lv2Host&) = delete;

    // [nrt] Loads the bundles on LV2_PATH (lilv's default path when unset)
    // and every *.lv2 bundle directory in `extra_directories`, registers each
    // usable plugin not yet registered, and returns every plugin found.
    // Plugins that cannot be described are reported in `problems`.
    std::vector<PluginInfo> scan(const std::vector<std::string>& extra_directories,
                                 engine::NodeRegistry& registry, std::vector<std::string>& problems);

    double sample_rate() const noexcept;

    // [nrt] The directories files sent to plugins (/node/path) and files
    // named by restored plugin states must lie in. Until set: none, so every
    // file is refused with kBadPath. Applies to nodes made before and after.
    void set_media_dirs(io::MediaDirs dirs);

    // Work requests plugins' worker threads have run (any thread).
    std::uint64_t worker_jobs() const noexcept;

    struct Shared;  // what nodes share: URIDs, features, the worker thread

private:
    std::unique_ptr<Shared> shared_;
    std::vector<std::unique_ptr<Lv2World>> worlds_;
};

}  // namespace rtgraph::plugins
