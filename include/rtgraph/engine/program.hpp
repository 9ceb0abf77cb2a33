// Program: one compiled, flat, immutable render sequence.
//
// Threads: built by the compiler on the control thread, handed to the audio
// thread through the command queue, retired through the retire queue and
// destroyed on the housekeeping thread. Once published its structure never
// changes; the audio thread only writes the sample buffers and pointer
// scratch arrays it owns, which were all sized here.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "rtgraph/engine/edge_state.hpp"
#include "rtgraph/engine/node.hpp"
#include "rtgraph/engine/step_schedule.hpp"

namespace rtgraph::engine {

// One source feeding an input: a buffer, scaled by a fading gain.
struct ProgramEdge {
    std::uint32_t source_buffer;
    EdgeState* state;
    float target_gain;  // 0 for a connection that is fading out
};

// An input port (or graph output) and the edges summed into it.
struct ProgramInput {
    std::uint32_t first_edge;
    std::uint32_t edge_count;
};

enum class StepKind : std::uint8_t {
    kGraphInput,   // copy external input `slot` into its output buffer
    kNode,         // run `node`
    kGraphOutput,  // add the mixed input into external output `slot`
    kGraphMidiInput,   // copy external MIDI input `slot`'s events of the span; apply CC maps
    kGraphMidiOutput,  // append the merged MIDI input to external MIDI output `slot`
};

struct ProgramStep {
    StepKind kind;
    Node* node;                  // kNode only
    std::uint32_t slot;          // graph port slot (kGraphInput, kGraphOutput)
    std::uint32_t first_input;   // into Program::inputs
    std::uint32_t input_count;
    std::uint32_t first_output;  // into Program::output_buffers
    std::uint32_t output_count;
    bool bypass;  // kNode: outputs crossfade to the inputs
    // MIDI ports, like the audio ones: into Program::midi_inputs and
    // ::midi_output_buffers.
    std::uint32_t first_midi_input = 0;
    std::uint32_t midi_input_count = 0;
    std::uint32_t first_midi_output = 0;
    std::uint32_t midi_output_count = 0;
};

// A MIDI controller bound to a parameter: value 0..127 maps linearly onto
// [min, max] and reaches the node as a ramped parameter change.
struct ProgramCcMap {
    std::uint8_t channel;     // 0..15
    std::uint8_t controller;  // 0..127
    Node* node;
    std::uint32_t param;
    float min;
    float max;
    std::uint32_t ramp_frames;
};

// [rt] What one thread running steps writes per step: pointer arrays sized for
// the widest step, and the first of its own mix and MIDI merge buffers. One
// per thread (the audio thread's is [0]), so steps can run at once.
struct StepScratch {
    std::uint32_t mix_buffer_base = 0;   // buffers [base, base + widest inputs)
    std::uint32_t midi_merge_base = 0;   // MIDI buffers [base, base + widest MIDI ports)
    std::vector<const float*> input_pointers;
    std::vector<float*> output_pointers;
    std::vector<const MidiBuffer*> midi_input_pointers;
    std::vector<MidiBuffer*> midi_output_pointers;
    std::vector<const MidiBuffer*> midi_merge_sources;  // sized for the most edges into one input
    std::vector<std::uint32_t> midi_merge_cursors;      // likewise: merge_midi's scratch
};

struct Program {
    std::uint64_t generation = 0;
    std::uint32_t max_block = 0;
    float fade_step = 1.0f;  // gain change per sample while an edge fades

    std::vector<ProgramStep> steps;  // in dependency order
    std::vector<ProgramInput> inputs;
    std::vector<ProgramEdge> edges;
    std::vector<std::uint32_t> output_buffers;  // buffer index per step output
    std::uint32_t silence_buffer = 0;           // always zero

    // Sample memory: buffer_count buffers of max_block floats, 64-byte aligned.
    std::uint32_t buffer_count = 0;
    std::unique_ptr<float[]> sample_memory;
    std::vector<float*> buffers;

    // [rt] per-thread scratch (see StepScratch), and which steps may run at
    // once. A program compiled for one thread has one scratch and shares
    // output buffers by lifetime in step order; one compiled for several
    // shares a buffer only inside a chain, which one thread runs in order.
    std::vector<StepScratch> scratch;
    StepSchedule schedule;

    // MIDI: one buffer per MIDI output (graph MIDI inputs included), then per
    // thread one merge buffer per MIDI port of the widest step, then an empty
    // one. MIDI edges do not fade: an edge with target_gain 0 is leaving and
    // carries nothing.
    std::vector<MidiBuffer> midi_buffers;
    std::vector<ProgramInput> midi_inputs;
    std::vector<ProgramEdge> midi_edges;
    std::vector<std::uint32_t> midi_output_buffers;
    std::uint32_t midi_empty_buffer = 0;
    std::vector<ProgramCcMap> cc_maps;  // sorted by (channel, controller)

    // Node ids in the program, sorted, to check a pending event's target.
    std::vector<Node*> nodes_sorted;

    // Ownership, released on the housekeeping thread with the program.
    std::vector<std::shared_ptr<Node>> node_owners;
    std::vector<std::shared_ptr<EdgeState>> edge_owners;

    // [rt] wait-free: whether `node` is part of this program.
    bool contains(const Node* node) const noexcept;
};

}  // namespace rtgraph::engine
