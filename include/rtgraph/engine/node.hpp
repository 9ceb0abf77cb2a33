// The interface every DSP node implements.
//
// Two phases. Construction (and anything the constructor calls) happens on the
// control thread: allocate, size delay lines, compute tables. process() and
// reset() run on the audio thread: no allocation, lock, syscall, log or throw,
// and no change to any buffer size.
//
// A node instance outlives programs: each recompiled Program refers to the same
// instance by NodeId, so a filter keeps its state when unrelated edges change.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <span>
#include <vector>

#include "rtgraph/engine/error.hpp"
#include "rtgraph/engine/midi_buffer.hpp"
#include "rtgraph/engine/node_type.hpp"
#include "rtgraph/engine/smoothed_param.hpp"
#include "rtgraph/rt/annotations.hpp"
#include "rtgraph/rt/telemetry.hpp"

namespace rtgraph::engine {

struct PrepareSpec {
    double sample_rate = 48000.0;
    std::uint32_t max_block = 1024;  // process() is never called with more frames
};

// What process() gets for one run over a contiguous span of frames.
struct ProcessBlock {
    const float* const* inputs;  // one per audio input port, never null (silence if unconnected)
    float* const* outputs;       // one per audio output port
    std::uint32_t nframes;       // 1 .. max_block
    std::uint64_t frame;         // absolute engine frame of the first sample
    rt::TelemetryRing* telemetry;
    // One per MIDI port of the direction, in port order. Input events are
    // sorted, frames relative to the first frame of this call; output buffers
    // arrive empty and the node appends in frame order.
    const MidiBuffer* const* midi_inputs = nullptr;
    MidiBuffer* const* midi_outputs = nullptr;
};

class Node {
public:
    // [nrt] may allocate. `initial` holds one value per parameter of `type`,
    // already validated and clamped by the model.
    Node(const NodeTypeInfo& type, const PrepareSpec& spec, std::span<const float> initial);
    virtual ~Node() = default;

    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    // [rt] wait-free. Reads inputs, writes every output sample.
    virtual void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING = 0;

    // [rt] wait-free. Clears DSP state (filter memories, delay lines); used after
    // the node produced NaN or Inf so the next block starts clean.
    virtual void reset() noexcept RTGRAPH_NONBLOCKING {}

    // [rt] wait-free. Moves parameter `index` towards `value` over ramp_frames.
    // Toggle and integer parameters always jump.
    void set_param(std::uint32_t index, float value, std::uint32_t ramp_frames) noexcept
        RTGRAPH_NONBLOCKING;

    // [any thread] The latest value of control output `index` (see
    // NodeTypeInfo::control_outputs), as of the last block; 0 when none.
    virtual float control_output(std::uint32_t /*index*/) const noexcept { return 0.0f; }

    // [nrt] control thread. The node's internal state beyond its parameters
    // (an LV2 plugin's state: a loaded sample, a preset) as text, or nullopt
    // when it has none.
    virtual std::optional<std::string> save_state() { return std::nullopt; }

    // [nrt] control thread, before the node is published (nothing runs it).
    // An error when the state cannot be restored: kBadPath when it names a
    // file a client may not name (nothing of it was restored then).
    virtual Error restore_state(const std::string& /*state*/) {
        return Error{ErrorCode::kInstantiationFailed, "node type " + type_->name + " keeps no state"};
    }

    // [nrt] control thread. Hands the node a file for `property_uri` (for an
    // LV2 plugin, a patch:Set of an atom:Path), taken at its next block.
    // An error when the node takes no files or not this one now; kBadPath
    // when the file is not one a client may name (it was not opened). The
    // control plane answers bad_node for any other code.
    virtual Error send_path(const std::string& /*property_uri*/, const std::string& /*path*/) {
        return Error{ErrorCode::kInstantiationFailed,
                     "node type " + type_->name +
                         " takes no file paths (LV2 plugins with patch:writable paths do)"};
    }

    // [any thread] The delay the node adds, in frames, as it reports it now.
    virtual std::uint32_t latency_frames() const noexcept { return type_->latency_frames; }

    const NodeTypeInfo& type() const noexcept { return *type_; }
    const PrepareSpec& spec() const noexcept { return spec_; }
    NodeId id() const noexcept { return id_; }
    void set_id(NodeId id) noexcept { id_ = id; }

    // [rt] the parameter's current (smoothed) state.
    SmoothedParam& param(std::uint32_t index) noexcept { return params_[index]; }
    const SmoothedParam& param(std::uint32_t index) const noexcept { return params_[index]; }
    std::uint32_t param_count() const noexcept {
        return static_cast<std::uint32_t>(params_.size());
    }

    // [rt] How far the outputs are crossfaded towards the inputs (0 = the
    // node's own output, 1 = fully bypassed). Owned by the executor.
    float& bypass_mix() noexcept { return bypass_mix_; }

    // [rt] True when the last process() found its own outputs finite in the
    // loop that wrote them (see outputs_found_finite); clears the mark. The
    // executor then skips its second pass over the outputs.
    bool take_outputs_found_finite() noexcept {
        const bool found = outputs_found_finite_;
        outputs_found_finite_ = false;
        return found;
    }

protected:
    // [rt] For process(): every output sample of this block is finite, as
    // kernels::all_finite would find (a node whose kernel sums what it writes
    // can say so for the price of the additions).
    void outputs_found_finite() noexcept { outputs_found_finite_ = true; }

    // Called by set_param after the target changed; nodes that derive
    // coefficients from parameters can mark them dirty here. [rt] wait-free.
    virtual void on_param_changed(std::uint32_t /*index*/) noexcept RTGRAPH_NONBLOCKING {}

private:
    const NodeTypeInfo* type_;
    PrepareSpec spec_;
    NodeId id_ = kNoNode;
    bool outputs_found_finite_ = false;
    std::vector<SmoothedParam> params_;
    float bypass_mix_ = 0.0f;
};

}  // namespace rtgraph::engine
