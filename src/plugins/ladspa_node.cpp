// LadspaNode: one LADSPA plugin instance as an engine node.
//
// Threads: constructor and destructor on the control thread (instantiate,
// activate, deactivate and cleanup may allocate); process() on the audio
// thread, where only connect_port() and run() are called.
#include "rtgraph/plugins/ladspa_node.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace rtgraph::plugins {

engine::NodeFactory ladspa_factory(std::shared_ptr<const LadspaPluginSpec> spec) {
    return [spec = std::move(spec)](const engine::NodeTypeInfo& type,
                                    const engine::PrepareSpec& prepare,
                                    std::span<const float> initial) -> std::unique_ptr<engine::Node> {
        return std::make_unique<LadspaNode>(type, prepare, initial, spec);
    };
}

LadspaNode::LadspaNode(const engine::NodeTypeInfo& type, const engine::PrepareSpec& spec,
                       std::span<const float> initial,
                       std::shared_ptr<const LadspaPluginSpec> plugin)
    : Node(type, spec, initial), plugin_(std::move(plugin)) {
    const LADSPA_Descriptor& d = *plugin_->descriptor;
    controls_.assign(d.PortCount, 0.0f);
    // make_unique<T[]> value-initialises: every mirror starts at 0.
    control_out_mirror_ = std::make_unique<std::atomic<float>[]>(plugin_->control_outputs.size());

    const auto rate = static_cast<unsigned long>(std::lround(spec.sample_rate));
    handle_ = d.instantiate(&d, rate);
    if (handle_ == nullptr) {
        throw std::runtime_error("LADSPA plugin '" + plugin_->display_name + "' (" +
                                 plugin_->library + ") could not be instantiated at " +
                                 std::to_string(rate) + " Hz");
    }
    // Control ports stay connected to our own slots for the instance's
    // lifetime; process() only rewrites the values.
    for (std::uint32_t k = 0; k < plugin_->control_inputs.size(); ++k) {
        const unsigned long port = plugin_->control_inputs[k];
        controls_[port] = param(k).current();
        d.connect_port(handle_, port, &controls_[port]);
    }
    for (const unsigned long port : plugin_->control_outputs) {
        d.connect_port(handle_, port, &controls_[port]);
    }
    // Audio ports are connected to the block's buffers before every run(); the
    // spec only asks that every port be connected before the first run().
    if (d.activate != nullptr) d.activate(handle_);
    activated_ = true;
}

LadspaNode::~LadspaNode() {
    if (handle_ == nullptr) return;
    const LADSPA_Descriptor& d = *plugin_->descriptor;
    // The spec: every activate() is matched by a deactivate() before cleanup().
    if (activated_ && d.deactivate != nullptr) d.deactivate(handle_);
    d.cleanup(handle_);
}

std::uint32_t LadspaNode::latency_frames() const noexcept {
    if (!plugin_->latency_output) return type().latency_frames;
    const float frames = control_output(*plugin_->latency_output);
    // A plugin may report garbage; anything that is not a sane frame count is 0.
    if (!(frames >= 0.0f && frames < 1.0e9f)) return 0;
    return static_cast<std::uint32_t>(std::lround(frames));
}

void LadspaNode::run_span(const engine::ProcessBlock& block, std::uint32_t offset,
                          std::uint32_t frames) noexcept {
    const LADSPA_Descriptor& d = *plugin_->descriptor;
    for (std::size_t j = 0; j < plugin_->audio_inputs.size(); ++j) {
        // LADSPA's connect_port takes a non-const pointer for every port, but
        // a plugin only reads its input ports.
        d.connect_port(handle_, plugin_->audio_inputs[j],
                       const_cast<LADSPA_Data*>(block.inputs[j] + offset));
    }
    for (std::size_t j = 0; j < plugin_->audio_outputs.size(); ++j) {
        d.connect_port(handle_, plugin_->audio_outputs[j], block.outputs[j] + offset);
    }
    d.run(handle_, frames);
    for (std::size_t k = 0; k < plugin_->control_outputs.size(); ++k) {
        control_out_mirror_[k].store(controls_[plugin_->control_outputs[k]],
                                     std::memory_order_relaxed);
    }
}

void LadspaNode::process(const engine::ProcessBlock& block) noexcept {
    const std::uint32_t params = param_count();
    const auto any_ramping = [&]() noexcept {
        for (std::uint32_t k = 0; k < params; ++k) {
            if (param(k).is_ramping()) return true;
        }
        return false;
    };

    std::uint32_t done = 0;
    // A plugin reads each control value once per run(), so while a parameter
    // ramps the block is run in short pieces, each with the value the ramp
    // reaches at the piece's end. Toggles and integers never ramp (set_param
    // makes them jump), so skip() leaves them where they are.
    while (done < block.nframes && any_ramping()) {
        const std::uint32_t frames = std::min(kRampSubBlock, block.nframes - done);
        for (std::uint32_t k = 0; k < params; ++k) {
            engine::SmoothedParam& p = param(k);
            p.skip(frames);
            controls_[plugin_->control_inputs[k]] = p.current();
        }
        run_span(block, done, frames);
        done += frames;
    }
    if (done == block.nframes) return;
    // Nothing ramps (any more): one run for the rest with the settled values.
    for (std::uint32_t k = 0; k < params; ++k) {
        controls_[plugin_->control_inputs[k]] = param(k).current();
    }
    run_span(block, done, block.nframes - done);
}

}  // namespace rtgraph::plugins
