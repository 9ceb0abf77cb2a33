// LADSPA plugins as engine nodes: turning one LADSPA_Descriptor into a node
// type (ports, parameters with ranges from the hints) and a catalog entry, and
// the node that runs an instance of it.
//
// Threads: describe_ladspa, register_ladspa_plugin and the LadspaNode
// constructor/destructor run on the control thread (instantiate() may
// allocate). LadspaNode::process runs on the audio thread and calls only
// connect_port() and run(). control_output() may be read from any thread.
#pragma once

#include <ladspa.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rtgraph/engine/node.hpp"
#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/plugins/plugin_catalog.hpp"

namespace rtgraph::plugins {

// What a LadspaNode needs to know about its plugin beyond the node type: the
// descriptor (owned by a library that is never unloaded) and where each of the
// type's ports and parameters lives among the plugin's LADSPA ports.
struct LadspaPluginSpec {
    const LADSPA_Descriptor* descriptor = nullptr;
    std::string library;
    std::string display_name;                   // for error messages
    std::vector<unsigned long> audio_inputs;    // LADSPA port index, in node input order
    std::vector<unsigned long> audio_outputs;   // ... in node output order
    std::vector<unsigned long> control_inputs;  // ... in parameter order
    std::vector<unsigned long> control_outputs; // ... in control_output() order
    // Which control output is the conventional "latency" one, if any.
    std::optional<std::uint32_t> latency_output;
};

struct LadspaDescription {
    engine::NodeTypeInfo type;  // named "ladspa:LABEL"
    PluginInfo info;            // same type_name
    std::shared_ptr<const LadspaPluginSpec> spec;
};

// [nrt] "Gain (dB)" -> "gain_db": lowercase, every run of characters that are
// not ASCII letters or digits becomes one '_', none at either end. A name that
// would start with a digit gets a 'p' in front, an empty one becomes "port".
std::string sanitize_ladspa_symbol(std::string_view name);

// [nrt] Describes one plugin. `sample_rate` resolves LADSPA_HINT_SAMPLE_RATE
// bounds. Nullopt with `why` set when the descriptor is unusable (missing
// strings or functions, a port that is not exactly one of input/output and
// one of audio/control, or no audio port at all).
std::optional<LadspaDescription> describe_ladspa(const LADSPA_Descriptor& descriptor,
                                                 const std::string& library,
                                                 double sample_rate, std::string& why);

// [nrt] The factory that builds LadspaNodes for `spec`.
engine::NodeFactory ladspa_factory(std::shared_ptr<const LadspaPluginSpec> spec);

// One instance of a LADSPA plugin.
class LadspaNode final : public engine::Node {
public:
    // Host-side smoothing runs the plugin in sub-blocks this long while a
    // continuous parameter ramps: LADSPA reads a control value once per run().
    static constexpr std::uint32_t kRampSubBlock = 16;

    // [nrt] instantiate(), connect the control ports, activate(). Throws
    // std::runtime_error naming the plugin if instantiate() returns null.
    LadspaNode(const engine::NodeTypeInfo& type, const engine::PrepareSpec& spec,
               std::span<const float> initial, std::shared_ptr<const LadspaPluginSpec> plugin);
    // [nrt] deactivate() and cleanup().
    ~LadspaNode() override;

    // [rt] wait-free (as far as the plugin's run() is).
    void process(const engine::ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override;

    // reset() stays the base class's no-op: the only way to clear a LADSPA
    // instance's state is deactivate()+activate(), and the spec promises
    // real-time behaviour for run() alone (LADSPA_PROPERTY_HARD_RT_CAPABLE),
    // not for activate(), which commonly clears or sizes whole delay lines.

    // [any thread] The value control output `index` (NodeTypeInfo::
    // control_outputs order) had after the latest run(); 0 before the first.
    float control_output(std::uint32_t index) const noexcept override {
        return index < plugin_->control_outputs.size()
                   ? control_out_mirror_[index].load(std::memory_order_relaxed)
                   : 0.0f;
    }
    std::uint32_t control_output_count() const noexcept {
        return static_cast<std::uint32_t>(plugin_->control_outputs.size());
    }

    // [any thread] What the plugin's "latency" control output said after the
    // latest run() (LADSPA's convention for reporting latency), else the type's.
    std::uint32_t latency_frames() const noexcept override;

private:
    void run_span(const engine::ProcessBlock& block, std::uint32_t offset,
                  std::uint32_t frames) noexcept RTGRAPH_NONBLOCKING;

    std::shared_ptr<const LadspaPluginSpec> plugin_;
    LADSPA_Handle handle_ = nullptr;
    bool activated_ = false;
    // One slot per LADSPA port; control ports point at theirs for the
    // instance's lifetime, audio slots are unused.
    std::vector<LADSPA_Data> controls_;
    std::unique_ptr<std::atomic<float>[]> control_out_mirror_;
};

// [nrt] Describes `descriptor` and registers it in `registry` as
// "ladspa:LABEL", or "ladspa:UNIQUEID" when that name is taken by another
// type. If this very plugin (same library, unique ID and label) is already
// registered there, nothing is added and the existing entry is described.
// Nullopt with a line in `problems` when the plugin is unusable or both names
// are taken.
std::optional<PluginInfo> register_ladspa_plugin(const LADSPA_Descriptor& descriptor,
                                                 const std::string& library, double sample_rate,
                                                 engine::NodeRegistry& registry,
                                                 std::vector<std::string>& problems);

}  // namespace rtgraph::plugins
