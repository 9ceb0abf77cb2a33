// Compiler: model + live node instances → an immutable Program.
//
// Threads: control thread only; allocates freely. Never called from the audio
// thread. A 1000-node graph compiles in well under the 5 ms budget (see the
// compile benchmark).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "rtgraph/engine/edge_state.hpp"
#include "rtgraph/engine/model.hpp"
#include "rtgraph/engine/node.hpp"
#include "rtgraph/engine/program.hpp"

namespace rtgraph::engine {

struct CompileNode {
    NodeId id = kNoNode;
    std::shared_ptr<Node> node;
    bool bypassed = false;
};

struct CompileEdge {
    Endpoint source;
    Endpoint destination;
    std::uint32_t source_slot = 0;       // when source.graph: the graph input slot
    std::uint32_t destination_slot = 0;  // when destination.graph: the graph output slot
    float target_gain = 1.0f;            // 0 for a connection fading out
    std::shared_ptr<EdgeState> state;
    PortKind kind = PortKind::kAudio;
};

struct CompileCcMap {
    MidiMap map;
    std::uint32_t ramp_frames = 0;
};

struct CompileRequest {
    std::vector<CompileNode> nodes;  // live nodes and nodes still fading out
    std::vector<CompileEdge> edges;  // live edges and edges still fading out
    std::vector<CompileCcMap> cc_maps;
    std::vector<std::uint32_t> midi_input_slots;  // every graph MIDI input
    std::uint32_t max_block = 1024;
    float fade_step = 1.0f;
    std::uint64_t generation = 0;
    // Threads that will run the program's steps (the audio thread and its
    // workers): that many scratch sets, and with more than one a schedule.
    std::uint32_t threads = 1;
};

// [nrt] may allocate. Edges whose endpoints are not in `nodes` are ignored.
// A fading-out edge that would close a cycle with live edges is left out and
// its index added to `dropped_edges` (when given): it has stopped sounding.
std::unique_ptr<Program> compile_program(const CompileRequest& request,
                                         std::vector<std::size_t>* dropped_edges = nullptr);

}  // namespace rtgraph::engine
