// Compiler: orders the graph, lays out the steps, finds which steps may run
// at once, assigns buffers by lifetime and wires every input to its edges
// (control thread; may allocate). compile_program runs the stages in turn.
#include "rtgraph/engine/compiler.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include "rtgraph/engine/graph_order.hpp"

namespace rtgraph::engine {

namespace {

constexpr std::size_t kAlignFloats = 16;  // 64 bytes

// A producer of a buffer: graph input slot, or a node's output port.
struct SourceKey {
    bool graph;
    std::uint32_t id;
    std::uint32_t port;
    friend auto operator<=>(const SourceKey&, const SourceKey&) = default;
};

SourceKey source_key(const CompileEdge& edge) {
    return edge.source.graph ? SourceKey{true, edge.source_slot, 0}
                             : SourceKey{false, edge.source.id, edge.source.port};
}

// An input: a node's port (false, id << 32 | port) or a graph output slot (true, slot).
using InputKey = std::pair<bool, std::uint64_t>;
using EdgesInto = std::map<InputKey, std::vector<std::size_t>>;

InputKey destination_key(const CompileEdge& edge) {
    return edge.destination.graph
               ? InputKey{true, edge.destination_slot}
               : InputKey{false, (std::uint64_t{edge.destination.id} << 32) | edge.destination.port};
}

// Orders nodes so each comes after everything feeding it. A connection that is
// fading out can close a loop with one the user just made; then the fading
// connections that point backwards in the live-only order are dropped.
std::vector<NodeId> order_nodes(const CompileRequest& request, std::vector<bool>& edge_kept) {
    std::vector<NodeId> ids;
    ids.reserve(request.nodes.size());
    for (const CompileNode& node : request.nodes) ids.push_back(node.id);

    std::vector<NodeLink> links;
    for (const CompileEdge& edge : request.edges) {
        if (!edge.source.graph && !edge.destination.graph) {
            links.emplace_back(edge.source.id, edge.destination.id);
        }
    }
    std::vector<NodeId> order = topological_order(ids, links);
    edge_kept.assign(request.edges.size(), true);
    if (order.size() == ids.size()) return order;

    links.clear();
    for (const CompileEdge& edge : request.edges) {
        if (!edge.source.graph && !edge.destination.graph && edge.target_gain != 0.0f) {
            links.emplace_back(edge.source.id, edge.destination.id);
        }
    }
    order = topological_order(ids, links);
    std::unordered_map<NodeId, std::size_t> position;
    for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
    for (std::size_t i = 0; i < request.edges.size(); ++i) {
        const CompileEdge& edge = request.edges[i];
        if (edge.source.graph || edge.destination.graph) continue;
        if (position.at(edge.source.id) >= position.at(edge.destination.id)) edge_kept[i] = false;
    }
    return order;
}

// The edges a program uses, by kind and destination, and the graph ports they touch.
struct UsedEdges {
    EdgesInto audio_into;
    EdgesInto midi_into;
    std::map<std::uint32_t, bool> graph_input_slots;
    std::map<std::uint32_t, bool> graph_output_slots;
    std::map<std::uint32_t, bool> midi_output_slots;
};

UsedEdges collect_edges(const CompileRequest& request, const std::vector<bool>& edge_kept,
                        const std::unordered_map<NodeId, const CompileNode*>& nodes_by_id) {
    UsedEdges used;
    for (std::size_t i = 0; i < request.edges.size(); ++i) {
        const CompileEdge& edge = request.edges[i];
        if (!edge_kept[i]) continue;
        if (!edge.source.graph && !nodes_by_id.contains(edge.source.id)) continue;
        if (!edge.destination.graph && !nodes_by_id.contains(edge.destination.id)) continue;
        const bool midi = edge.kind == PortKind::kMidi;
        if (edge.source.graph && !midi) used.graph_input_slots[edge.source_slot] = true;
        if (edge.destination.graph) {
            (midi ? used.midi_output_slots : used.graph_output_slots)[edge.destination_slot] = true;
        }
        (midi ? used.midi_into : used.audio_into)[destination_key(edge)].push_back(i);
    }
    return used;
}

// Steps in order: graph MIDI inputs (the schedule's prologue), graph audio
// inputs, nodes, graph outputs, graph MIDI outputs.
void lay_out_steps(const CompileRequest& request, const UsedEdges& used,
                   const std::vector<NodeId>& order,
                   const std::unordered_map<NodeId, const CompileNode*>& nodes_by_id,
                   std::vector<ProgramStep>& steps) {
    // Every MIDI input gets a step, connected or not: controller maps read it.
    for (std::uint32_t slot : request.midi_input_slots) {
        ProgramStep step{StepKind::kGraphMidiInput, nullptr, slot, 0, 0, 0, 0, false};
        step.midi_output_count = 1;
        steps.push_back(step);
    }
    for (const auto& [slot, in_use] : used.graph_input_slots) {
        steps.push_back(ProgramStep{StepKind::kGraphInput, nullptr, slot, 0, 0, 0, 1, false});
    }
    for (NodeId id : order) {
        const CompileNode& compiled = *nodes_by_id.at(id);
        const NodeTypeInfo& type = compiled.node->type();
        ProgramStep step{StepKind::kNode, compiled.node.get(), 0, 0,
                         type.audio_count(PortDirection::kInput), 0,
                         type.audio_count(PortDirection::kOutput), compiled.bypassed};
        step.midi_input_count = type.port_count(PortKind::kMidi, PortDirection::kInput);
        step.midi_output_count = type.port_count(PortKind::kMidi, PortDirection::kOutput);
        steps.push_back(step);
    }
    for (const auto& [slot, in_use] : used.graph_output_slots) {
        steps.push_back(ProgramStep{StepKind::kGraphOutput, nullptr, slot, 0, 1, 0, 0, false});
    }
    for (const auto& [slot, in_use] : used.midi_output_slots) {
        ProgramStep step{StepKind::kGraphMidiOutput, nullptr, slot, 0, 0, 0, 0, false};
        step.midi_input_count = 1;
        steps.push_back(step);
    }
}

// Where each step sits, for edges to find their producer and reader.
struct StepIndex {
    std::map<std::pair<PortKind, std::uint32_t>, std::uint32_t> graph_input;   // by kind and slot
    std::map<std::pair<PortKind, std::uint32_t>, std::uint32_t> graph_output;  // likewise
    std::unordered_map<NodeId, std::uint32_t> node;

    explicit StepIndex(const std::vector<ProgramStep>& steps) {
        for (std::uint32_t s = 0; s < steps.size(); ++s) {
            const ProgramStep& step = steps[s];
            switch (step.kind) {
                case StepKind::kGraphInput: graph_input[{PortKind::kAudio, step.slot}] = s; break;
                case StepKind::kGraphMidiInput: graph_input[{PortKind::kMidi, step.slot}] = s; break;
                case StepKind::kNode: node[step.node->id()] = s; break;
                case StepKind::kGraphOutput: graph_output[{PortKind::kAudio, step.slot}] = s; break;
                case StepKind::kGraphMidiOutput: graph_output[{PortKind::kMidi, step.slot}] = s; break;
            }
        }
    }
    // False for a MIDI edge whose graph MIDI input is gone: it reads nothing.
    bool has_producer(const CompileEdge& edge) const {
        return !edge.source.graph || graph_input.contains({edge.kind, edge.source_slot});
    }
    std::uint32_t producer_of(const CompileEdge& edge) const {
        return edge.source.graph ? graph_input.at({edge.kind, edge.source_slot}) : node.at(edge.source.id);
    }
    std::uint32_t reader_of(const CompileEdge& edge) const {
        return edge.destination.graph ? graph_output.at({edge.kind, edge.destination_slot})
                                      : node.at(edge.destination.id);
    }
};

// Each step's predecessors: the steps whose outputs (audio or MIDI) it reads.
std::vector<std::vector<std::uint32_t>> find_predecessors(const CompileRequest& request,
                                                          const UsedEdges& used,
                                                          const StepIndex& index,
                                                          std::size_t step_count) {
    std::vector<std::vector<std::uint32_t>> predecessors(step_count);
    for (const EdgesInto* edges_into : {&used.audio_into, &used.midi_into}) {
        for (const auto& [destination, edge_indices] : *edges_into) {
            for (std::size_t i : edge_indices) {
                const CompileEdge& edge = request.edges[i];
                if (!index.has_producer(edge)) continue;
                predecessors[index.reader_of(edge)].push_back(index.producer_of(edge));
            }
        }
    }
    return predecessors;
}

// The type port index of a node's o-th port of a kind and direction.
std::uint32_t port_of(const NodeTypeInfo& type, PortKind kind, PortDirection direction,
                      std::uint32_t nth) {
    std::uint32_t seen = 0;
    for (std::uint32_t p = 0; p < type.ports.size(); ++p) {
        if (type.ports[p].kind == kind && type.ports[p].direction == direction && seen++ == nth) return p;
    }
    return 0;
}

// Hands out buffer indices and takes them back when their last reader is
// done. With a schedule, a buffer goes back only to the task (chain) that
// produced and read it, since only that task's later steps surely run after.
class BufferAllocator {
public:
    explicit BufferAllocator(std::size_t pools) : free_(pools) {}
    std::uint32_t acquire(std::uint32_t pool) {
        std::vector<std::uint32_t>& free = free_[pool];
        if (free.empty()) return count_++;
        const std::uint32_t index = free.back();
        free.pop_back();
        return index;
    }
    void release(std::uint32_t pool, std::uint32_t index) { free_[pool].push_back(index); }
    std::uint32_t count() const { return count_; }

private:
    std::vector<std::vector<std::uint32_t>> free_;
    std::uint32_t count_ = 0;
};

// Audio output buffers, shared by lifetime: a step's outputs are taken
// before the buffers it was the last to read are given back, so an output
// never aliases an input of the same step.
std::map<SourceKey, std::uint32_t> assign_audio_buffers(const CompileRequest& request,
                                                        const UsedEdges& used,
                                                        const StepIndex& index, Program& program) {
    std::vector<ProgramStep>& steps = program.steps;
    const StepSchedule& schedule = program.schedule;
    const bool scheduled = !schedule.tasks.empty();
    std::vector<std::uint32_t> pool_of(steps.size(), 0);
    if (scheduled) {
        for (std::uint32_t t = 0; t < schedule.tasks.size(); ++t) {
            const ScheduleTask& task = schedule.tasks[t];
            for (std::uint32_t i = 0; i < task.step_count; ++i) {
                pool_of[schedule.task_steps[task.first_step + i]] = t;
            }
        }
    }
    struct Readers {
        std::uint32_t last = 0;
        bool other_task = false;  // read by a step outside its producer's task
    };
    std::map<SourceKey, Readers> readers;
    for (const auto& [destination, edge_indices] : used.audio_into) {
        for (std::size_t i : edge_indices) {
            const CompileEdge& edge = request.edges[i];
            const std::uint32_t reader = index.reader_of(edge);
            Readers& r = readers[source_key(edge)];
            r.last = std::max(r.last, reader);
            r.other_task = r.other_task || pool_of[reader] != pool_of[index.producer_of(edge)];
        }
    }

    BufferAllocator allocator(scheduled ? schedule.tasks.size() : 1);
    std::map<SourceKey, std::uint32_t> buffer_of;
    std::vector<std::vector<std::uint32_t>> release_after(steps.size());
    for (std::uint32_t s = 0; s < steps.size(); ++s) {
        ProgramStep& step = steps[s];
        step.first_output = static_cast<std::uint32_t>(program.output_buffers.size());
        for (std::uint32_t o = 0; o < step.output_count; ++o) {
            const SourceKey key =
                step.kind == StepKind::kGraphInput
                    ? SourceKey{true, step.slot, 0}
                    : SourceKey{false, step.node->id(),
                                port_of(step.node->type(), PortKind::kAudio, PortDirection::kOutput, o)};
            const std::uint32_t buffer = allocator.acquire(pool_of[s]);
            buffer_of[key] = buffer;
            program.output_buffers.push_back(buffer);
            const auto reader = readers.find(key);
            if (reader == readers.end()) {
                release_after[s].push_back(buffer);
            } else if (!reader->second.other_task) {
                release_after[reader->second.last].push_back(buffer);
            }
        }
        for (std::uint32_t buffer : release_after[s]) allocator.release(pool_of[s], buffer);
    }
    program.silence_buffer = allocator.count();  // the per-thread mix buffers follow it
    return buffer_of;
}

// MIDI output buffers: one per producer (a graph MIDI input or a node's MIDI
// output), no sharing by lifetime (there are few and they are small).
std::map<SourceKey, std::uint32_t> assign_midi_buffers(Program& program) {
    std::map<SourceKey, std::uint32_t> buffer_of;
    std::uint32_t count = 0;
    for (ProgramStep& step : program.steps) {
        step.first_midi_output = static_cast<std::uint32_t>(program.midi_output_buffers.size());
        for (std::uint32_t o = 0; o < step.midi_output_count; ++o) {
            const SourceKey key =
                step.kind == StepKind::kGraphMidiInput
                    ? SourceKey{true, step.slot, 0}
                    : SourceKey{false, step.node->id(),
                                port_of(step.node->type(), PortKind::kMidi, PortDirection::kOutput, o)};
            buffer_of[key] = count;
            program.midi_output_buffers.push_back(count++);
        }
    }
    program.midi_empty_buffer = count;  // the per-thread merge buffers follow it
    return buffer_of;
}

// Every input of one kind (a node's input ports in port order, or a graph
// output's one) and the edges summed into it, in the order the model lists
// them: the order that fixes the sum whatever thread runs the step.
struct WiredInputs {
    std::vector<ProgramInput> inputs;
    std::vector<ProgramEdge> edges;
    std::size_t most_edges = 1;
};

WiredInputs wire_inputs(const CompileRequest& request, std::vector<ProgramStep>& steps,
                        PortKind kind, const EdgesInto& edges_into,
                        const std::map<SourceKey, std::uint32_t>& buffer_of,
                        std::uint32_t missing_source_buffer, Program& program,
                        std::uint32_t ProgramStep::*first_input) {
    WiredInputs wired;
    const StepKind graph_destination = kind == PortKind::kMidi ? StepKind::kGraphMidiOutput
                                                               : StepKind::kGraphOutput;
    for (ProgramStep& step : steps) {
        step.*first_input = static_cast<std::uint32_t>(wired.inputs.size());
        const auto add_input = [&](InputKey destination) {
            ProgramInput input{static_cast<std::uint32_t>(wired.edges.size()), 0};
            const auto it = edges_into.find(destination);
            if (it != edges_into.end()) {
                for (std::size_t i : it->second) {
                    const CompileEdge& edge = request.edges[i];
                    const auto buffer = buffer_of.find(source_key(edge));
                    // Only a MIDI edge can lose its source (a graph MIDI input
                    // that is gone). A leaving one stays anyway, reading
                    // nothing, until it has ended the notes it started.
                    if (buffer == buffer_of.end() && edge.target_gain != 0.0f) continue;
                    wired.edges.push_back(ProgramEdge{
                        buffer != buffer_of.end() ? buffer->second : missing_source_buffer,
                        edge.state.get(), edge.target_gain});
                    program.edge_owners.push_back(edge.state);
                    ++input.edge_count;
                }
                wired.most_edges = std::max<std::size_t>(wired.most_edges, input.edge_count);
            }
            wired.inputs.push_back(input);
        };
        if (step.kind == StepKind::kNode) {
            const NodeTypeInfo& type = step.node->type();
            for (std::uint32_t p = 0; p < type.ports.size(); ++p) {
                if (type.ports[p].kind == kind && type.ports[p].direction == PortDirection::kInput) {
                    add_input({false, (std::uint64_t{step.node->id()} << 32) | p});
                }
            }
        } else if (step.kind == graph_destination) {
            add_input({true, step.slot});
        }
    }
    return wired;
}

// Sample memory and the per-thread scratch: after the lifetime-shared
// outputs and silence, each thread's mix buffers; after the MIDI outputs and
// the empty MIDI buffer, each thread's merge buffers.
void allocate_scratch(const CompileRequest& request, std::size_t most_midi_edges, Program& program) {
    std::uint32_t widest_inputs = 1, widest_outputs = 1, widest_midi = 1;
    for (const ProgramStep& step : program.steps) {
        widest_inputs = std::max(widest_inputs, step.input_count);
        widest_outputs = std::max(widest_outputs, step.output_count);
        widest_midi = std::max({widest_midi, step.midi_input_count, step.midi_output_count});
    }
    const std::uint32_t threads = std::max<std::uint32_t>(request.threads, 1);
    program.scratch.resize(threads);
    for (std::uint32_t t = 0; t < threads; ++t) {
        StepScratch& scratch = program.scratch[t];
        scratch.mix_buffer_base = program.silence_buffer + 1 + t * widest_inputs;
        scratch.midi_merge_base = program.midi_empty_buffer + 1 + t * widest_midi;
        scratch.input_pointers.assign(widest_inputs, nullptr);
        scratch.output_pointers.assign(widest_outputs, nullptr);
        scratch.midi_input_pointers.assign(widest_midi, nullptr);
        scratch.midi_output_pointers.assign(widest_midi, nullptr);
        scratch.midi_merge_sources.assign(most_midi_edges, nullptr);
        scratch.midi_merge_cursors.assign(most_midi_edges, 0);
    }
    program.buffer_count = program.silence_buffer + 1 + threads * widest_inputs;
    program.midi_buffers.resize(program.midi_empty_buffer + 1 + threads * widest_midi);

    const std::size_t stride = (request.max_block + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
    const std::size_t total = stride * program.buffer_count + kAlignFloats;
    program.sample_memory = std::make_unique<float[]>(total);  // zero-initialised
    float* base = program.sample_memory.get();
    while (reinterpret_cast<std::uintptr_t>(base) % (kAlignFloats * sizeof(float)) != 0) ++base;
    for (std::uint32_t b = 0; b < program.buffer_count; ++b) program.buffers.push_back(base + b * stride);
}

void add_cc_maps(const CompileRequest& request,
                 const std::unordered_map<NodeId, const CompileNode*>& nodes_by_id, Program& program) {
    for (const auto& [map, ramp_frames] : request.cc_maps) {
        const auto node = nodes_by_id.find(map.node);
        if (node == nodes_by_id.end()) continue;
        program.cc_maps.push_back(ProgramCcMap{map.channel, map.controller, node->second->node.get(),
                                               map.param, map.min, map.max, ramp_frames});
    }
    // By controller for the audio thread's lookup (std::sort: stable_sort's
    // temporary buffer is deprecated in C++20's library).
    std::sort(program.cc_maps.begin(), program.cc_maps.end(),
              [](const ProgramCcMap& a, const ProgramCcMap& b) {
                  return std::tuple{a.channel, a.controller, a.node->id(), a.param} <
                         std::tuple{b.channel, b.controller, b.node->id(), b.param};
              });
}

}  // namespace

bool Program::contains(const Node* node) const noexcept {
    return std::binary_search(nodes_sorted.begin(), nodes_sorted.end(), node);
}

std::unique_ptr<Program> compile_program(const CompileRequest& request,
                                         std::vector<std::size_t>* dropped_edges) {
    auto program = std::make_unique<Program>();
    program->generation = request.generation;
    program->max_block = request.max_block;
    program->fade_step = request.fade_step;

    std::unordered_map<NodeId, const CompileNode*> nodes_by_id;
    for (const CompileNode& node : request.nodes) nodes_by_id.emplace(node.id, &node);

    std::vector<bool> edge_kept;
    const std::vector<NodeId> order = order_nodes(request, edge_kept);
    if (dropped_edges != nullptr) {
        for (std::size_t i = 0; i < edge_kept.size(); ++i) {
            if (!edge_kept[i]) dropped_edges->push_back(i);
        }
    }
    const UsedEdges used = collect_edges(request, edge_kept, nodes_by_id);
    lay_out_steps(request, used, order, nodes_by_id, program->steps);
    const StepIndex index(program->steps);
    if (request.threads > 1) {
        program->schedule = build_schedule(
            find_predecessors(request, used, index, program->steps.size()),
            static_cast<std::uint32_t>(request.midi_input_slots.size()));
    }

    const auto audio_buffers = assign_audio_buffers(request, used, index, *program);
    const auto midi_buffers = assign_midi_buffers(*program);
    WiredInputs audio = wire_inputs(request, program->steps, PortKind::kAudio, used.audio_into,
                                    audio_buffers, program->silence_buffer, *program,
                                    &ProgramStep::first_input);
    WiredInputs midi = wire_inputs(request, program->steps, PortKind::kMidi, used.midi_into,
                                   midi_buffers, program->midi_empty_buffer, *program,
                                   &ProgramStep::first_midi_input);
    program->inputs = std::move(audio.inputs);
    program->edges = std::move(audio.edges);
    program->midi_inputs = std::move(midi.inputs);
    program->midi_edges = std::move(midi.edges);
    allocate_scratch(request, midi.most_edges, *program);
    add_cc_maps(request, nodes_by_id, *program);

    for (const CompileNode& node : request.nodes) {
        program->node_owners.push_back(node.node);
        program->nodes_sorted.push_back(node.node.get());
    }
    std::sort(program->nodes_sorted.begin(), program->nodes_sorted.end());
    return program;
}

}  // namespace rtgraph::engine
