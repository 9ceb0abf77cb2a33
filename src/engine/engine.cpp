// Engine: transactions on the model, node instances, fades, publishing
// (control thread), and reclamation (housekeeping thread).
#include "rtgraph/engine/engine.hpp"

#include <algorithm>
#include <cmath>
#include <exception>

namespace rtgraph::engine {

namespace {

// A gain step so large that any fade completes in one sample.
constexpr float kInstantFadeStep = 1e30f;

bool needs_compile(const Edit& edit) {
    return !std::holds_alternative<SetParam>(edit) && !std::holds_alternative<RenameNode>(edit);
}

}  // namespace

Engine::Engine(const EngineConfig& config, const NodeRegistry& registry)
    : config_(config),
      registry_(registry),
      model_(registry, config.max_graph_ports),
      commands_(config.command_queue_capacity),
      retire_(config.retire_queue_capacity),
      telemetry_(config.telemetry_capacity),
      team_(config.worker_threads > 0
                ? std::make_unique<WorkerTeam>(config.worker_threads, config.telemetry_capacity)
                : nullptr),
      executor_(config.max_block, commands_, retire_, telemetry_, team_.get()) {}

bool Engine::read_telemetry(rt::TelemetryRecord& record) {
    if (telemetry_.try_read(record)) return true;
    if (team_ == nullptr) return false;
    for (unsigned w = 0; w < team_->workers(); ++w) {
        if (team_->telemetry(w).try_read(record)) return true;
    }
    return false;
}

Engine::~Engine() = default;

ApplyResult Engine::apply(const Edit& edit, std::uint64_t frame) {
    return apply(std::span<const Edit>(&edit, 1), frame);
}

std::uint32_t Engine::ramp_frames(float ms) const {
    return static_cast<std::uint32_t>(std::lround(ms * config_.sample_rate / 1000.0));
}

bool Engine::push(const AudioCommand& command) {
    if (!commands_.try_push(command)) return false;
    last_seq_ = command.seq;
    queue_high_water_ = std::max(queue_high_water_, commands_.size_approx());
    return true;
}

ApplyResult Engine::apply(std::span<const Edit> edits, std::uint64_t frame, std::int64_t clock_us,
                          CommitGuard* guard) {
    ApplyResult result;

    // 1. Validate every edit against a copy; the real model is untouched on error.
    Model next = model_;
    std::vector<EditOutcome> outcomes(edits.size());
    bool compile_needed = false;
    for (std::size_t i = 0; i < edits.size(); ++i) {
        if (Error error = next.apply(edits[i], outcomes[i])) {
            result.error = std::move(error);
            result.failed_index = i;
            return result;
        }
        compile_needed = compile_needed || needs_compile(edits[i]);
    }

    // 2. Build the nodes this transaction adds (still off the audio thread).
    std::map<NodeId, std::shared_ptr<Node>> created;
    const PrepareSpec spec{config_.sample_rate, config_.max_block};
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        const ModelNode* node = next.node(outcomes[i].added_node);
        if (node == nullptr) continue;
        try {
            std::unique_ptr<Node> instance = registry_.create(*node->type, spec, node->params);
            if (!instance) throw std::runtime_error("the factory returned nothing");
            instance->set_id(node->id);
            // Saved plugin state is restored before the node is published, so
            // nothing runs it meanwhile (LV2's Instantiation threading class).
            if (const auto* add = std::get_if<AddNode>(&edits[i]); add != nullptr && add->state) {
                if (Error refused = instance->restore_state(*add->state)) {
                    if (refused.code == ErrorCode::kBadPath) {
                        result.error = Error{ErrorCode::kBadPath,
                                             "node '" + node->name + "': its plugin state names " +
                                                 refused.message + "; nothing was changed"};
                        result.failed_index = i;
                        return result;
                    }
                    throw std::runtime_error("its saved state was refused: " + refused.message);
                }
            }
            created.emplace(node->id, std::move(instance));
        } catch (const std::exception& ex) {
            result.error = Error{ErrorCode::kInstantiationFailed,
                                 "could not create node '" + node->name + "' of type '" +
                                     node->type->name + "': " + ex.what()};
            result.failed_index = i;
            return result;
        }
    }

    // 3. Parameter events for nodes that already run. A node made in this
    // transaction was built with its final values and needs none.
    std::vector<AudioCommand> events;
    for (const EditOutcome& outcome : outcomes) {
        if (!outcome.param) continue;
        const auto [id, index] = *outcome.param;
        const auto running = instances_.find(id);
        if (running == instances_.end() || next.node(id) == nullptr) continue;
        const ParamDescriptor& descriptor = next.node(id)->type->params[index];
        AudioCommand event;
        event.kind = AudioCommandKind::kSetParam;
        event.node = running->second.get();
        event.param = index;
        event.value = outcome.param_value;
        event.ramp_frames = ramp_frames(outcome.ramp_ms.value_or(descriptor.smoothing_ms));
        event.frame = frame;
        event.clock_us = clock_us;
        events.push_back(event);
    }
    const std::size_t needed = events.size() + (compile_needed ? 1 : 0);
    if (commands_.free_slots() < needed) {
        ++busy_rejections_;
        result.error = Error{ErrorCode::kBusy,
                             "the audio thread's command queue is full; nothing was changed, "
                             "send again shortly"};
        return result;
    }

    // 4. Kept before it is committed: the last word is the guard's.
    if (guard != nullptr) {
        const CommitGuard::InstanceOf instance_of = [&](NodeId id) -> std::shared_ptr<Node> {
            if (const auto made = created.find(id); made != created.end()) return made->second;
            return next.node(id) != nullptr ? instance(id) : nullptr;
        };
        if (Error error = guard->admit(next, instance_of)) {
            result.error = std::move(error);
            result.failed_index = 0;
            return result;
        }
    }

    // 5. Commit.
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        for (std::string& note : outcomes[i].notes) {
            result.notes.push_back(std::move(note));
            result.note_edits.push_back(i);
        }
        if (outcomes[i].param) {
            result.params.push_back({i, outcomes[i].param->first, outcomes[i].param->second, outcomes[i].param_value});
        }
    }
    if (compile_needed) {
        const std::uint64_t fade_generation = generation_ + 1;
        for (NodeId id : [&] {
                 std::vector<NodeId> gone;
                 for (const auto& [node_id, instance] : instances_) {
                     if (next.node(node_id) == nullptr) gone.push_back(node_id);
                 }
                 return gone;
             }()) {
            fading_nodes_.emplace(id, std::move(instances_.at(id)));
            instances_.erase(id);
        }
        // Connections that left the model fade out from where they are.
        std::map<EdgeKey, const ModelEdge*> now_present;
        for (const ModelEdge& edge : next.edges()) {
            now_present.emplace(EdgeKey{edge.source, edge.destination}, &edge);
        }
        std::map<EdgeKey, const ModelEdge*> before;
        for (const ModelEdge& edge : model_.edges()) {
            before.emplace(EdgeKey{edge.source, edge.destination}, &edge);
        }
        for (auto it = edge_states_.begin(); it != edge_states_.end();) {
            if (now_present.contains(it->first)) {
                ++it;
                continue;
            }
            const ModelEdge& old_edge = *before.at(it->first);
            fading_edges_[it->first] =
                FadingEdge{compile_edge(model_, old_edge, 0.0f, it->second), fade_generation};
            it = edge_states_.erase(it);
        }
        // New connections fade in; one that is still fading out fades back in.
        for (const auto& [key, edge] : now_present) {
            if (edge_states_.contains(key)) continue;
            const auto fading = fading_edges_.find(key);
            if (fading != fading_edges_.end()) {
                edge_states_.emplace(key, fading->second.edge.state);
                fading_edges_.erase(fading);
            } else {
                edge_states_.emplace(key, std::make_shared<EdgeState>());
            }
        }
    }
    for (auto& [id, node] : created) instances_.emplace(id, std::move(node));
    model_ = std::move(next);

    // 6. Publish: the swap first, then the events, all at the same frame.
    if (compile_needed) {
        publish_program(frame, clock_us);  // space was checked above
        result.generation = generation_;
    }
    result.due_frame = frame;
    result.due_clock_us = clock_us;
    for (AudioCommand& event : events) {
        event.seq = next_seq_++;
        push(event);
    }
    result.last_seq = last_seq_;
    return result;
}

CompileEdge Engine::compile_edge(const Model& model, const ModelEdge& edge, float target,
                                 std::shared_ptr<EdgeState> state) const {
    CompileEdge compiled{edge.source, edge.destination, 0, 0, target, std::move(state),
                         model.kind_of(edge.source)};
    if (edge.source.graph) compiled.source_slot = model.graph_port(edge.source.id)->slot;
    if (edge.destination.graph) {
        compiled.destination_slot = model.graph_port(edge.destination.id)->slot;
    }
    return compiled;
}

bool Engine::publish_program(std::uint64_t frame, std::int64_t clock_us) {
    if (commands_.free_slots() == 0) return false;
    CompileRequest request;
    request.max_block = config_.max_block;
    const double fade_frames = config_.fade_ms * config_.sample_rate / 1000.0;
    request.fade_step = fade_frames >= 1.0 ? static_cast<float>(1.0 / fade_frames) : kInstantFadeStep;
    request.generation = generation_ + 1;
    request.threads = config_.worker_threads + 1;
    for (const auto& [id, node] : instances_) {
        request.nodes.push_back({id, node, model_.node(id)->bypassed});
    }
    for (const auto& [id, node] : fading_nodes_) request.nodes.push_back({id, node, false});
    for (const GraphPort& port : model_.graph_ports()) {
        if (port.kind == PortKind::kMidi && port.direction == PortDirection::kInput) {
            request.midi_input_slots.push_back(port.slot);
        }
    }
    for (const MidiMap& map : model_.midi_maps()) {
        const ParamDescriptor& descriptor = model_.node(map.node)->type->params[map.param];
        // A controller moves in steps of 1/127: ramp across them so the steps
        // are not heard, even for a parameter that has no smoothing of its own.
        const float ramp_ms = std::max(descriptor.smoothing_ms, 10.0f);
        request.cc_maps.push_back(CompileCcMap{map, ramp_frames(ramp_ms)});
    }
    for (const ModelEdge& edge : model_.edges()) {
        const auto state = edge_states_.at(EdgeKey{edge.source, edge.destination});
        request.edges.push_back(compile_edge(model_, edge, edge.gain, state));
    }
    std::vector<EdgeKey> fading_keys;
    for (const auto& [key, fading] : fading_edges_) {
        request.edges.push_back(fading.edge);
        fading_keys.push_back(key);
    }
    std::vector<std::size_t> dropped;
    std::unique_ptr<Program> program = compile_program(request, &dropped);
    const std::size_t first_fading = model_.edges().size();
    for (std::size_t index : dropped) {
        if (index >= first_fading) fading_edges_.erase(fading_keys[index - first_fading]);
    }

    AudioCommand swap;
    swap.kind = AudioCommandKind::kSwapProgram;
    swap.frame = frame;
    swap.clock_us = clock_us;
    swap.seq = next_seq_;
    swap.program = program.get();
    if (!push(swap)) return false;
    program.release();  // the audio thread owns it now
    ++next_seq_;
    ++generation_;
    return true;
}

void Engine::maintain() {
    bool changed = recompile_wanted_;
    const std::uint64_t live = executor_.counters().live_generation.load(std::memory_order_acquire);
    for (auto it = fading_edges_.begin(); it != fading_edges_.end();) {
        const std::uint64_t silent =
            it->second.edge.state->silent_generation.load(std::memory_order_acquire);
        if (silent >= it->second.since_generation && live >= it->second.since_generation) {
            it = fading_edges_.erase(it);
            changed = true;
        } else {
            ++it;
        }
    }
    for (auto it = fading_nodes_.begin(); it != fading_nodes_.end();) {
        const NodeId id = it->first;
        bool still_fading = false;
        for (const auto& [key, fading] : fading_edges_) {
            if ((!key.source.graph && key.source.id == id) ||
                (!key.destination.graph && key.destination.id == id)) {
                still_fading = true;
                break;
            }
        }
        if (still_fading) {
            ++it;
        } else {
            it = fading_nodes_.erase(it);
            changed = true;
        }
    }
    if (changed) recompile_wanted_ = !publish_program(0);
}

std::size_t Engine::collect_garbage() { return retire_.drain(); }

bool Engine::settled() const noexcept {
    const ExecutorCounters& c = executor_.counters();
    return !recompile_wanted_ && fading_edges_.empty() && fading_nodes_.empty() &&
           c.consumed_seq.load(std::memory_order_acquire) >= last_seq_ &&
           c.live_generation.load(std::memory_order_acquire) >= generation_;
}

std::shared_ptr<Node> Engine::instance(NodeId id) const {
    const auto it = instances_.find(id);
    return it == instances_.end() ? nullptr : it->second;
}

bool Engine::is_live(const ApplyResult& result) const noexcept {
    const ExecutorCounters& c = executor_.counters();
    if (c.consumed_seq.load(std::memory_order_acquire) < result.last_seq ||
        c.live_generation.load(std::memory_order_acquire) < result.generation) {
        return false;
    }
    // A clocked change is live once the cycle its time falls in is rendered;
    // without a backend clock its estimated frame stands in.
    const std::int64_t rendered_us = executor_.clock_rendered_us();
    if (result.due_clock_us != 0 && rendered_us != 0) return rendered_us > result.due_clock_us;
    return result.due_frame == 0 || c.frame.load(std::memory_order_acquire) > result.due_frame;
}

EngineStats Engine::stats() const {
    const ExecutorCounters& c = executor_.counters();
    EngineStats stats;
    stats.frame = c.frame.load(std::memory_order_acquire);
    stats.live_generation = c.live_generation.load(std::memory_order_acquire);
    stats.published_generation = generation_;
    stats.node_count = model_.nodes().size();
    stats.fading_nodes = fading_nodes_.size();
    stats.fading_edges = fading_edges_.size();
    stats.command_queue_high_water = queue_high_water_;
    stats.busy_rejections = busy_rejections_;
    stats.events_dropped = c.events_dropped.load(std::memory_order_relaxed);
    stats.nonfinite_blocks = c.nonfinite_blocks.load(std::memory_order_relaxed);
    stats.swaps_postponed = c.swaps_postponed.load(std::memory_order_relaxed);
    stats.telemetry_dropped = telemetry_.dropped();
    if (team_ != nullptr) {
        for (unsigned w = 0; w < team_->workers(); ++w) stats.telemetry_dropped += team_->telemetry(w).dropped();
    }
    stats.midi_dropped = c.midi_dropped.load(std::memory_order_relaxed);
    return stats;
}

}  // namespace rtgraph::engine
