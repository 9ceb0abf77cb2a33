// Engine: the model, the node instances and the audio thread's executor, wired.
//
// Threads:
//   control thread  apply(), maintain(), model(), registry lookups
//   housekeeping    collect_garbage(), read_telemetry()  (may be the control thread)
//   audio thread    process()
// Only queues cross between them: commands (control → audio), retired programs
// (audio → housekeeping) and telemetry (audio → housekeeping).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rtgraph/engine/audio_command.hpp"
#include "rtgraph/engine/audio_io.hpp"
#include "rtgraph/engine/compiler.hpp"
#include "rtgraph/engine/edge_state.hpp"
#include "rtgraph/engine/edit.hpp"
#include "rtgraph/engine/error.hpp"
#include "rtgraph/engine/executor.hpp"
#include "rtgraph/engine/model.hpp"
#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/rt/annotations.hpp"
#include "rtgraph/rt/retire_queue.hpp"
#include "rtgraph/rt/spsc_queue.hpp"
#include "rtgraph/rt/telemetry.hpp"

namespace rtgraph::engine {

struct EngineConfig {
    double sample_rate = 48000.0;
    std::uint32_t max_block = 1024;
    // Connections fade in and out over this time; 0 switches fades off (only
    // tests want that, to show what a click looks like).
    float fade_ms = 5.0f;
    std::uint32_t command_queue_capacity = 4096;
    std::uint32_t retire_queue_capacity = 64;
    std::uint32_t telemetry_capacity = 4096;
    std::uint32_t max_graph_ports = 64;  // per direction and kind
    // Threads that help the audio thread run the graph (see WorkerTeam). The
    // engine makes the team; the caller starts that many threads on it
    // (backend::WorkerPool). 0: every step runs on the audio thread.
    unsigned worker_threads = 0;
};

// A parameter as the model took it: its node and index resolved, the value
// clamped (what a /notify/param says without looking anything up again).
struct ResolvedParam {
    std::size_t edit = 0;  // the transaction's edit that set it
    NodeId node = kNoNode;
    std::uint32_t index = 0;
    float value = 0.0f;
};

struct ApplyResult {
    Error error;
    std::size_t failed_index = 0;     // which edit of a transaction was refused
    std::vector<std::string> notes;   // clamping and other remarks
    std::vector<std::size_t> note_edits;  // for each note, the edit it is about
    std::vector<ResolvedParam> params;    // each parameter the transaction set, in edit order
    std::uint64_t last_seq = 0;       // acknowledged once counters().consumed_seq reaches it
    std::uint64_t generation = 0;     // program generation published, 0 if none
    // A scheduled transaction is live once its time has been rendered too.
    std::uint64_t due_frame = 0;      // the frame it was scheduled at (0: next block)
    std::int64_t due_clock_us = 0;    // or its time on the backend's clock (0: none)

    bool ok() const noexcept { return !error; }
};

// Asked by apply(), when given one, once a transaction is validated and its
// nodes are built, before anything is committed. rtgraphd writes the graph as
// the transaction will leave it to its state file here, so that a change it
// cannot keep is refused with nothing changed, rather than acknowledged and
// lost at the next crash.
class CommitGuard {
public:
    using InstanceOf = std::function<std::shared_ptr<Node>(NodeId)>;
    virtual ~CommitGuard() = default;
    // [nrt] `next`: the model as the transaction leaves it. `instance_of`: the
    // instance of a node in it, running or built by this transaction (null
    // for none), valid during the call. An error refuses the transaction.
    virtual Error admit(const Model& next, const InstanceOf& instance_of) = 0;
};

struct EngineStats {
    std::uint64_t frame = 0;
    std::uint64_t live_generation = 0;
    std::uint64_t published_generation = 0;
    std::size_t node_count = 0;
    std::size_t fading_nodes = 0;
    std::size_t fading_edges = 0;
    std::size_t command_queue_high_water = 0;
    std::uint64_t busy_rejections = 0;
    std::uint64_t events_dropped = 0;
    std::uint64_t nonfinite_blocks = 0;
    std::uint64_t swaps_postponed = 0;
    std::uint64_t telemetry_dropped = 0;
    std::uint64_t midi_dropped = 0;
};

class Engine {
public:
    // [nrt] may allocate. `registry` must outlive the engine.
    Engine(const EngineConfig& config, const NodeRegistry& registry);
    // [nrt] The audio thread must have stopped calling process().
    ~Engine();

    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // [nrt] control thread. Applies edits as one transaction: all are
    // validated first; if any is refused, nothing changes. Structural edits
    // reach the audio thread as one program swap; parameter changes as events.
    // `frame` (absolute engine frame) schedules the whole transaction;
    // 0 means the next block. `clock_us`, when nonzero, schedules it at that
    // time on the backend's clock instead (see Executor::set_cycle_clock),
    // `frame` then being the estimate used while no backend clock runs.
    // `guard`, when given, may still refuse the transaction after it is
    // validated (see CommitGuard); its error is the result's, with
    // failed_index 0.
    ApplyResult apply(std::span<const Edit> edits, std::uint64_t frame = 0, std::int64_t clock_us = 0,
                      CommitGuard* guard = nullptr);
    ApplyResult apply(const Edit& edit, std::uint64_t frame = 0);

    // [nrt] control thread, call every few ms: compiles out connections and
    // nodes whose fade-out the audio thread has finished.
    void maintain();

    // [nrt] housekeeping: frees programs the audio thread retired. Returns how many.
    std::size_t collect_garbage();

    // [nrt] control thread: nothing waits for maintain() or collect_garbage():
    // every command and program sent has been taken by the audio thread, no
    // fade-out waits to be compiled out. A daemon may then look less often.
    bool settled() const noexcept;

    // [nrt] housekeeping: next telemetry record, false when none. The audio
    // thread and each worker write their own ring; records of one thread
    // come in order, those of different threads in no particular order.
    bool read_telemetry(rt::TelemetryRecord& record);

    // The team the worker threads run on, or null with worker_threads = 0.
    WorkerTeam* worker_team() noexcept { return team_.get(); }
    const WorkerTeam* worker_team() const noexcept { return team_.get(); }

    // [rt] audio thread: the ring it writes telemetry into. A backend running
    // process() may add its own records (block load) from that same thread.
    rt::TelemetryRing& telemetry_ring() noexcept { return telemetry_; }

    // [rt] audio thread: frames the server skipped (see Executor::skip_frames).
    void skip_frames(std::uint64_t frames) noexcept RTGRAPH_NONBLOCKING { executor_.skip_frames(frames); }

    // [rt] audio thread: the backend's clock for the next process() call.
    void set_cycle_clock(std::int64_t start_us, double us_per_frame, std::int64_t end_us) noexcept
        RTGRAPH_NONBLOCKING {
        executor_.set_cycle_clock(start_us, us_per_frame, end_us);
    }

    // [rt] audio thread: the backend has no clock for the next process() call.
    void forget_cycle_clock() noexcept RTGRAPH_NONBLOCKING { executor_.forget_cycle_clock(); }

    // [rt] audio thread.
    void process(const AudioIo& io, std::uint32_t nframes) noexcept RTGRAPH_NONBLOCKING {
        executor_.process(io, nframes);
    }

    const Model& model() const noexcept { return model_; }
    const NodeRegistry& registry() const noexcept { return registry_; }
    const EngineConfig& config() const noexcept { return config_; }
    const ExecutorCounters& counters() const noexcept { return executor_.counters(); }
    EngineStats stats() const;

    // [nrt] The running instance of a node (tests and plugins' state), or null.
    std::shared_ptr<Node> instance(NodeId id) const;

    // [nrt] control thread. MIDI learn: the next controller that arrives is
    // reported once as a kMidiLearn telemetry record.
    void arm_midi_learn(bool armed) noexcept { executor_.arm_midi_learn(armed); }
    bool midi_learn_armed() const noexcept { return executor_.midi_learn_armed(); }

    // [nrt] control thread: a mapped controller moved a parameter on the audio
    // thread (a kParamFromMidi record); the model records the value.
    void note_param_from_midi(NodeId node, std::uint32_t param, float value) {
        model_.note_param_value(node, param, value);
    }

    // True once everything applied so far is live on the audio thread, and a
    // scheduled transaction's frame (or time) has been rendered.
    bool is_live(const ApplyResult& result) const noexcept;

private:
    struct EdgeKey {
        Endpoint source;
        Endpoint destination;
        friend bool operator<(const EdgeKey& a, const EdgeKey& b) {
            const auto tie = [](const EdgeKey& k) {
                return std::make_tuple(k.source.graph, k.source.id, k.source.port,
                                       k.destination.graph, k.destination.id, k.destination.port);
            };
            return tie(a) < tie(b);
        }
    };
    struct FadingEdge {
        CompileEdge edge;  // target_gain 0
        std::uint64_t since_generation = 0;
    };

    bool publish_program(std::uint64_t frame, std::int64_t clock_us = 0);
    CompileEdge compile_edge(const Model& model, const ModelEdge& edge, float target,
                             std::shared_ptr<EdgeState> state) const;
    std::uint32_t ramp_frames(float ms) const;
    bool push(const AudioCommand& command);

    EngineConfig config_;
    const NodeRegistry& registry_;
    Model model_;
    std::map<NodeId, std::shared_ptr<Node>> instances_;
    std::map<EdgeKey, std::shared_ptr<EdgeState>> edge_states_;
    std::map<NodeId, std::shared_ptr<Node>> fading_nodes_;
    std::map<EdgeKey, FadingEdge> fading_edges_;

    rt::SpscQueue<AudioCommand> commands_;
    rt::RetireQueue retire_;
    rt::TelemetryRing telemetry_;
    std::unique_ptr<WorkerTeam> team_;  // before executor_, which refers to it
    Executor executor_;

    std::uint64_t next_seq_ = 1;
    std::uint64_t last_seq_ = 0;
    std::uint64_t generation_ = 0;
    bool recompile_wanted_ = false;
    std::size_t queue_high_water_ = 0;
    std::uint64_t busy_rejections_ = 0;
};

}  // namespace rtgraph::engine
