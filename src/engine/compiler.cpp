// Compiler: orders the graph, assigns buffers by lifetime, flattens inputs
// (control thread; may allocate).
#include "rtgraph/engine/compiler.hpp"

#include <algorithm>
#include <cstring>
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

// Hands out buffer indices and takes them back when their last reader is done.
class BufferAllocator {
public:
    std::uint32_t acquire() {
        if (!free_.empty()) {
            const std::uint32_t index = free_.back();
            free_.pop_back();
            return index;
        }
        return count_++;
    }
    void release(std::uint32_t index) { free_.push_back(index); }
    std::uint32_t count() const { return count_; }

private:
    std::vector<std::uint32_t> free_;
    std::uint32_t count_ = 0;
};

using EdgesInto = std::map<std::pair<bool, std::uint64_t>, std::vector<std::size_t>>;

// MIDI buffers: one per producer (a graph MIDI input or a node's MIDI output),
// no sharing by lifetime (there are few and they are small), then merge
// buffers for inputs fed by several edges, then one that stays empty.
void compile_midi(const CompileRequest& request, const EdgesInto& edges_into, Program& program) {
    std::map<SourceKey, std::uint32_t> buffer_of;
    std::uint32_t count = 0;
    for (ProgramStep& step : program.steps) {
        step.first_midi_output = static_cast<std::uint32_t>(program.midi_output_buffers.size());
        if (step.kind == StepKind::kGraphMidiInput) {
            buffer_of[{true, step.slot, 0}] = count;
            program.midi_output_buffers.push_back(count++);
        } else if (step.kind == StepKind::kNode) {
            const NodeTypeInfo& type = step.node->type();
            for (std::uint32_t p = 0; p < type.ports.size(); ++p) {
                if (type.ports[p].kind == PortKind::kMidi &&
                    type.ports[p].direction == PortDirection::kOutput) {
                    buffer_of[{false, step.node->id(), p}] = count;
                    program.midi_output_buffers.push_back(count++);
                }
            }
        }
    }
    std::uint32_t widest = 1;
    std::size_t most_edges = 1;
    std::vector<std::size_t> reads_nothing;  // edges whose source is the empty buffer
    for (ProgramStep& step : program.steps) {
        step.first_midi_input = static_cast<std::uint32_t>(program.midi_inputs.size());
        const auto add_input = [&](std::pair<bool, std::uint64_t> destination) {
            ProgramInput input{static_cast<std::uint32_t>(program.midi_edges.size()), 0};
            const auto it = edges_into.find(destination);
            if (it != edges_into.end()) {
                for (std::size_t i : it->second) {
                    const CompileEdge& edge = request.edges[i];
                    const SourceKey key = edge.source.graph
                                              ? SourceKey{true, edge.source_slot, 0}
                                              : SourceKey{false, edge.source.id, edge.source.port};
                    const auto buffer = buffer_of.find(key);
                    if (buffer == buffer_of.end()) {
                        // Its source (a graph MIDI input) is gone. A leaving
                        // connection stays anyway, reading nothing, until it
                        // has ended the notes it started.
                        if (edge.target_gain != 0.0f) continue;
                        reads_nothing.push_back(program.midi_edges.size());
                    }
                    program.midi_edges.push_back(ProgramEdge{
                        buffer != buffer_of.end() ? buffer->second : 0, edge.state.get(), edge.target_gain});
                    program.edge_owners.push_back(edge.state);
                    ++input.edge_count;
                }
                most_edges = std::max<std::size_t>(most_edges, input.edge_count);
            }
            program.midi_inputs.push_back(input);
        };
        if (step.kind == StepKind::kNode) {
            const NodeTypeInfo& type = step.node->type();
            for (std::uint32_t p = 0; p < type.ports.size(); ++p) {
                if (type.ports[p].kind == PortKind::kMidi &&
                    type.ports[p].direction == PortDirection::kInput) {
                    add_input({false, (std::uint64_t{step.node->id()} << 32) | p});
                }
            }
        } else if (step.kind == StepKind::kGraphMidiOutput) {
            add_input({true, step.slot});
        }
        widest = std::max(widest, step.midi_input_count);
        widest = std::max(widest, step.midi_output_count);
    }
    program.midi_merge_base = count;
    program.midi_empty_buffer = count + widest;
    for (std::size_t e : reads_nothing) program.midi_edges[e].source_buffer = program.midi_empty_buffer;
    program.midi_buffers.resize(program.midi_empty_buffer + 1);
    program.midi_input_pointers.assign(widest, nullptr);
    program.midi_output_pointers.assign(widest, nullptr);
    program.midi_merge_sources.assign(most_edges, nullptr);
    program.midi_merge_cursors.assign(most_edges, 0);
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
    const auto step_bypass = [&](NodeId id) { return nodes_by_id.at(id)->bypassed; };

    std::vector<bool> edge_kept;
    const std::vector<NodeId> order = order_nodes(request, edge_kept);
    if (dropped_edges != nullptr) {
        for (std::size_t i = 0; i < edge_kept.size(); ++i) {
            if (!edge_kept[i]) dropped_edges->push_back(i);
        }
    }

    // Edges usable in this program, grouped by destination.
    std::map<std::pair<bool, std::uint64_t>, std::vector<std::size_t>> edges_into;  // (graph, id<<32|port)
    std::map<std::uint32_t, bool> graph_input_slots;
    std::map<std::uint32_t, bool> graph_output_slots;
    std::map<std::pair<bool, std::uint64_t>, std::vector<std::size_t>> midi_edges_into;
    std::map<std::uint32_t, bool> midi_output_slots;
    for (std::size_t i = 0; i < request.edges.size(); ++i) {
        const CompileEdge& edge = request.edges[i];
        if (!edge_kept[i]) continue;
        if (!edge.source.graph && !nodes_by_id.contains(edge.source.id)) continue;
        if (!edge.destination.graph && !nodes_by_id.contains(edge.destination.id)) continue;
        if (edge.kind == PortKind::kMidi) {
            const std::uint64_t key =
                edge.destination.graph
                    ? edge.destination_slot
                    : (std::uint64_t{edge.destination.id} << 32) | edge.destination.port;
            if (edge.destination.graph) midi_output_slots[edge.destination_slot] = true;
            midi_edges_into[{edge.destination.graph, key}].push_back(i);
            continue;
        }
        if (edge.source.graph) graph_input_slots[edge.source_slot] = true;
        const std::uint64_t key = edge.destination.graph
                                      ? edge.destination_slot
                                      : (std::uint64_t{edge.destination.id} << 32) | edge.destination.port;
        if (edge.destination.graph) graph_output_slots[edge.destination_slot] = true;
        edges_into[{edge.destination.graph, key}].push_back(i);
    }

    // Steps in order: graph inputs, nodes, graph outputs.
    std::vector<ProgramStep>& steps = program->steps;
    for (const auto& [slot, used] : graph_input_slots) {
        steps.push_back(ProgramStep{StepKind::kGraphInput, nullptr, slot, 0, 0, 0, 1, false});
    }
    // Every MIDI input gets a step, connected or not: controller maps read it.
    for (std::uint32_t slot : request.midi_input_slots) {
        ProgramStep step{StepKind::kGraphMidiInput, nullptr, slot, 0, 0, 0, 0, false};
        step.midi_output_count = 1;
        steps.push_back(step);
    }
    for (NodeId id : order) {
        Node* node = nodes_by_id.at(id)->node.get();
        const NodeTypeInfo& type = node->type();
        ProgramStep step{StepKind::kNode, node, 0, 0,
                         type.audio_count(PortDirection::kInput), 0,
                         type.audio_count(PortDirection::kOutput), step_bypass(id)};
        step.midi_input_count = type.port_count(PortKind::kMidi, PortDirection::kInput);
        step.midi_output_count = type.port_count(PortKind::kMidi, PortDirection::kOutput);
        steps.push_back(step);
    }
    for (const auto& [slot, used] : graph_output_slots) {
        steps.push_back(ProgramStep{StepKind::kGraphOutput, nullptr, slot, 0, 1, 0, 0, false});
    }
    for (const auto& [slot, used] : midi_output_slots) {
        ProgramStep step{StepKind::kGraphMidiOutput, nullptr, slot, 0, 0, 0, 0, false};
        step.midi_input_count = 1;
        steps.push_back(step);
    }

    // Which step produces each source, and the last step that reads it.
    std::map<SourceKey, std::uint32_t> producer_step;
    std::map<SourceKey, std::uint32_t> last_reader;
    std::unordered_map<NodeId, std::uint32_t> step_of_node;
    for (std::uint32_t s = 0; s < steps.size(); ++s) {
        if (steps[s].kind == StepKind::kGraphInput) producer_step[{true, steps[s].slot, 0}] = s;
        if (steps[s].kind == StepKind::kNode) step_of_node[steps[s].node->id()] = s;
    }
    const auto reader_step = [&](const CompileEdge& edge) -> std::uint32_t {
        if (!edge.destination.graph) return step_of_node.at(edge.destination.id);
        for (std::uint32_t s = static_cast<std::uint32_t>(steps.size()); s-- > 0;) {
            if (steps[s].kind == StepKind::kGraphOutput && steps[s].slot == edge.destination_slot) {
                return s;
            }
        }
        return 0;
    };
    for (const auto& [destination, edge_indices] : edges_into) {
        for (std::size_t i : edge_indices) {
            const SourceKey key = source_key(request.edges[i]);
            std::uint32_t& last = last_reader[key];
            last = std::max(last, reader_step(request.edges[i]));
        }
    }

    // Assign output buffers by lifetime: a step's outputs are taken before the
    // buffers it was the last to read are given back, so an output never
    // aliases an input of the same step.
    BufferAllocator allocator;
    std::map<SourceKey, std::uint32_t> buffer_of;
    std::vector<std::vector<std::uint32_t>> release_after(steps.size());
    for (std::uint32_t s = 0; s < steps.size(); ++s) {
        ProgramStep& step = steps[s];
        step.first_output = static_cast<std::uint32_t>(program->output_buffers.size());
        for (std::uint32_t o = 0; o < step.output_count; ++o) {
            const SourceKey key = step.kind == StepKind::kGraphInput
                                      ? SourceKey{true, step.slot, 0}
                                      : SourceKey{false, step.node->id(), 0};
            SourceKey port_key = key;
            if (step.kind == StepKind::kNode) {
                // The o-th audio output port's index in the type.
                const NodeTypeInfo& type = step.node->type();
                std::uint32_t seen = 0;
                for (std::uint32_t p = 0; p < type.ports.size(); ++p) {
                    if (type.ports[p].kind == PortKind::kAudio &&
                        type.ports[p].direction == PortDirection::kOutput && seen++ == o) {
                        port_key.port = p;
                        break;
                    }
                }
            }
            const std::uint32_t buffer = allocator.acquire();
            buffer_of[port_key] = buffer;
            program->output_buffers.push_back(buffer);
            const auto reader = last_reader.find(port_key);
            release_after[reader == last_reader.end() ? s : reader->second].push_back(buffer);
        }
        for (std::uint32_t buffer : release_after[s]) allocator.release(buffer);
    }

    // Inputs: for each node input port (in audio order) and graph output, its edges.
    std::uint32_t widest_inputs = 1;
    std::uint32_t widest_outputs = 1;
    for (ProgramStep& step : steps) {
        step.first_input = static_cast<std::uint32_t>(program->inputs.size());
        const auto add_input = [&](std::pair<bool, std::uint64_t> destination) {
            ProgramInput input{static_cast<std::uint32_t>(program->edges.size()), 0};
            const auto it = edges_into.find(destination);
            if (it != edges_into.end()) {
                for (std::size_t i : it->second) {
                    const CompileEdge& edge = request.edges[i];
                    program->edges.push_back(ProgramEdge{buffer_of.at(source_key(edge)),
                                                         edge.state.get(), edge.target_gain});
                    program->edge_owners.push_back(edge.state);
                    ++input.edge_count;
                }
            }
            program->inputs.push_back(input);
        };
        if (step.kind == StepKind::kNode) {
            const NodeTypeInfo& type = step.node->type();
            for (std::uint32_t p = 0; p < type.ports.size(); ++p) {
                if (type.ports[p].kind == PortKind::kAudio &&
                    type.ports[p].direction == PortDirection::kInput) {
                    add_input({false, (std::uint64_t{step.node->id()} << 32) | p});
                }
            }
        } else if (step.kind == StepKind::kGraphOutput) {
            add_input({true, step.slot});
        }
        widest_inputs = std::max(widest_inputs, step.input_count);
        widest_outputs = std::max(widest_outputs, step.output_count);
    }

    // Buffers: lifetime-shared outputs, then one mix buffer per input of the
    // widest step, then silence.
    program->mix_buffer_base = allocator.count();
    program->silence_buffer = program->mix_buffer_base + widest_inputs;
    program->buffer_count = program->silence_buffer + 1;
    const std::size_t stride = (request.max_block + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
    const std::size_t total = stride * program->buffer_count + kAlignFloats;
    program->sample_memory = std::make_unique<float[]>(total);  // zero-initialised
    float* base = program->sample_memory.get();
    while (reinterpret_cast<std::uintptr_t>(base) % (kAlignFloats * sizeof(float)) != 0) ++base;
    for (std::uint32_t b = 0; b < program->buffer_count; ++b) {
        program->buffers.push_back(base + b * stride);
    }
    program->input_pointers.assign(widest_inputs, nullptr);
    program->output_pointers.assign(widest_outputs, nullptr);

    compile_midi(request, midi_edges_into, *program);

    for (const auto& [map, ramp_frames] : request.cc_maps) {
        const auto node = nodes_by_id.find(map.node);
        if (node == nodes_by_id.end()) continue;
        program->cc_maps.push_back(ProgramCcMap{map.channel, map.controller,
                                                node->second->node.get(), map.param, map.min,
                                                map.max, ramp_frames});
    }
    // By controller for the audio thread's lookup (std::sort: stable_sort's
    // temporary buffer is deprecated in C++20's library).
    std::sort(program->cc_maps.begin(), program->cc_maps.end(),
              [](const ProgramCcMap& a, const ProgramCcMap& b) {
                  return std::tuple{a.channel, a.controller, a.node->id(), a.param} <
                         std::tuple{b.channel, b.controller, b.node->id(), b.param};
              });

    for (const CompileNode& node : request.nodes) {
        program->node_owners.push_back(node.node);
        program->nodes_sorted.push_back(node.node.get());
    }
    std::sort(program->nodes_sorted.begin(), program->nodes_sorted.end());
    return program;
}

}  // namespace rtgraph::engine
