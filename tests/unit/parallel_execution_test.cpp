// Parallel execution: the schedule the compiler builds, output bit-identical
// to the serial engine with 0, 1 and 3 workers over random graphs, edits,
// timed events, fades, bypass and MIDI; every step run exactly once per
// span; two branches really running at once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "rtgraph/engine/compiler.hpp"
#include "rtgraph/engine/engine.hpp"
#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/offline/offline_driver.hpp"

namespace rtgraph::engine {
namespace {

constexpr std::uint32_t kMaxBlock = 256;

// MIDI source: a note on and off every `period` frames, on the absolute clock.
class PulseNode final : public Node {
public:
    using Node::Node;
    void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override {
        const auto period = static_cast<std::uint64_t>(param(0).target());
        for (std::uint32_t i = 0; i < block.nframes; ++i) {
            const std::uint64_t n = block.frame + i;
            if (n % period == 0) {
                const std::uint8_t on[3] = {0x90, static_cast<std::uint8_t>(40 + n / period % 40), 100};
                block.midi_outputs[0]->push(i, on, 3);
            } else if (n % period == period / 2) {
                const std::uint8_t off[3] = {0x80, static_cast<std::uint8_t>(40 + n / period % 40), 0};
                block.midi_outputs[0]->push(i, off, 3);
            }
        }
    }
};

// MIDI to audio: its input plus a level that follows the notes it hears, and
// the notes passed on.
class NotesNode final : public Node {
public:
    using Node::Node;
    void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override {
        const MidiBuffer& in = *block.midi_inputs[0];
        std::size_t next = 0;
        for (std::uint32_t i = 0; i < block.nframes; ++i) {
            for (; next < in.events().size() && in.events()[next].frame == i; ++next) {
                const MidiEvent& event = in.events()[next];
                level_ += (event.data[0] & 0xF0) == 0x90 ? 0.001f * event.data[1] : -0.0005f;
                block.midi_outputs[0]->push(event, i);
            }
            block.outputs[0][i] = block.inputs[0][i] * 0.5f + level_;
        }
    }
    void reset() noexcept RTGRAPH_NONBLOCKING override { level_ = 0; }

private:
    float level_ = 0;
};

// Pass-through that checks it runs exactly once per span: each call starts
// where the last one ended.
std::atomic<std::uint64_t> g_tally_runs{0};
std::atomic<std::uint64_t> g_tally_faults{0};

class TallyNode final : public Node {
public:
    using Node::Node;
    void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override {
        if (ran_ && block.frame != next_frame_) g_tally_faults.fetch_add(1, std::memory_order_relaxed);
        ran_ = true;
        next_frame_ = block.frame + block.nframes;
        g_tally_runs.fetch_add(1, std::memory_order_relaxed);
        std::memcpy(block.outputs[0], block.inputs[0], block.nframes * sizeof(float));
    }

private:
    bool ran_ = false;
    std::uint64_t next_frame_ = 0;
};

// Two of these (side 0 and side 1) in independent branches meet when each
// sees the other inside process() for the same span: proof that they ran on
// two threads at once. Each waits up to 200 ms for the other, then gives up.
std::atomic<std::uint64_t> g_inside[2];
std::atomic<std::uint64_t> g_saw[2];
std::atomic<std::uint64_t> g_meetings{0};

class MeetNode final : public Node {
public:
    using Node::Node;
    void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override {
        const int side = param(0).target() >= 0.5f ? 1 : 0;
        const std::uint64_t mark = block.frame + 1;
        g_inside[side].store(mark);
        const auto wait_for = [&](std::atomic<std::uint64_t>& flag) {
            const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
            while (flag.load() != mark) {
                if (std::chrono::steady_clock::now() > give_up) return false;
            }
            return true;
        };
        if (wait_for(g_inside[1 - side])) {
            g_meetings.fetch_add(1);
            g_saw[side].store(mark);
            wait_for(g_saw[1 - side]);  // stay inside until the other has seen us
        }
        g_inside[side].store(0);
        std::memcpy(block.outputs[0], block.inputs[0], block.nframes * sizeof(float));
    }
};

const std::vector<PortInfo> kPassPorts = {{"in", PortKind::kAudio, PortDirection::kInput},
                                          {"out", PortKind::kAudio, PortDirection::kOutput}};

template <typename NodeClass>
void add_type(NodeRegistry& registry, NodeTypeInfo info) {
    registry.add(info, [](const NodeTypeInfo& t, const PrepareSpec& s, std::span<const float> v) {
        return std::make_unique<NodeClass>(t, s, v);
    });
}

NodeRegistry& registry() {
    static NodeRegistry instance = [] {
        NodeRegistry r;
        register_builtin_nodes(r);
        add_type<PulseNode>(r, {"pulse", "MIDI notes every period frames",
                                {{"midi_out", PortKind::kMidi, PortDirection::kOutput}},
                                {{"period", 16, 4096, 300, "", 0, ParamKind::kInteger, false}}});
        add_type<NotesNode>(r, {"notes", "audio from MIDI notes",
                                {{"in", PortKind::kAudio, PortDirection::kInput},
                                 {"midi_in", PortKind::kMidi, PortDirection::kInput},
                                 {"out", PortKind::kAudio, PortDirection::kOutput},
                                 {"midi_out", PortKind::kMidi, PortDirection::kOutput}},
                                {}});
        add_type<TallyNode>(r, {"tally", "checks it runs once per span", kPassPorts, {}});
        add_type<MeetNode>(r, {"meet", "waits for another to run at once", kPassPorts,
                               {{"side", 0, 1, 0, "", 0, ParamKind::kInteger, false}}});
        return r;
    }();
    return instance;
}

// An engine with `workers` threads on its team, driven offline.
struct Session {
    Session(unsigned workers, std::uint32_t inputs, std::uint32_t outputs)
        : engine(make_config(workers), registry()), driver(engine, inputs, outputs) {
        if (WorkerTeam* team = engine.worker_team()) {
            for (unsigned w = 0; w < team->workers(); ++w) {
                threads.emplace_back([team, w] { team->worker_main(w); });
            }
        }
    }
    ~Session() {
        if (WorkerTeam* team = engine.worker_team()) team->stop();
        for (std::thread& thread : threads) thread.join();
    }
    static EngineConfig make_config(unsigned workers) {
        EngineConfig config;
        config.max_block = kMaxBlock;
        config.fade_ms = 2.0f;
        config.worker_threads = workers;
        return config;
    }
    Engine engine;
    offline::OfflineDriver driver;
    std::vector<std::thread> threads;
};

// ---------------------------------------------------------------------------
// The schedule

TEST(StepScheduleTest, ChainsAreOneTaskAndBranchesAreTheirOwn) {
    // Steps: 0 MIDI in (prologue); 1 -> 2 -> 3 a chain; 4 -> 5 another;
    // 6 reads 3 and 5; 7 reads 6.
    const std::vector<std::vector<std::uint32_t>> preds = {{}, {0}, {1}, {2}, {}, {4}, {3, 5}, {6}};
    const StepSchedule schedule = build_schedule(preds, 1);
    ASSERT_EQ(schedule.tasks.size(), 3u);
    const auto steps_of = [&](std::uint32_t t) {
        const ScheduleTask& task = schedule.tasks[t];
        return std::vector<std::uint32_t>(schedule.task_steps.begin() + task.first_step,
                                          schedule.task_steps.begin() + task.first_step + task.step_count);
    };
    EXPECT_EQ(steps_of(0), (std::vector<std::uint32_t>{1, 2, 3}));
    EXPECT_EQ(steps_of(1), (std::vector<std::uint32_t>{4, 5}));
    EXPECT_EQ(steps_of(2), (std::vector<std::uint32_t>{6, 7}));
    EXPECT_EQ(schedule.tasks[2].wait_count, 2u);
    // The longer branch (3 steps to go, then 2) starts first.
    EXPECT_EQ(schedule.initial_ready, (std::vector<std::uint32_t>{0, 1}));
    EXPECT_TRUE(schedule.parallel());
}

TEST(StepScheduleTest, ShortSiblingChainsAreBatchedIntoRunsOfNeighbours) {
    // 256 voices of 3 steps (osc -> filter -> vca) into one mix step: the
    // hand-over per task would cost about what a voice does, so neighbouring
    // voices share a task of about 16 steps (48 tasks of 5 or 6 voices); the
    // mix waits for every batch.
    constexpr std::uint32_t kVoices = 256;
    std::vector<std::vector<std::uint32_t>> preds;
    std::vector<std::uint32_t> mix;
    for (std::uint32_t v = 0; v < kVoices; ++v) {
        const auto first = static_cast<std::uint32_t>(preds.size());
        preds.push_back({});
        preds.push_back({first});
        preds.push_back({first + 1});
        mix.push_back(first + 2);
    }
    preds.push_back(mix);
    const StepSchedule schedule = build_schedule(preds, 0);
    ASSERT_EQ(schedule.tasks.size(), 768u / 16u + 1u);
    std::vector<bool> seen(preds.size(), false);
    std::uint32_t next_step = 0;
    for (std::uint32_t t = 0; t + 1 < schedule.tasks.size(); ++t) {
        const ScheduleTask& task = schedule.tasks[t];
        EXPECT_TRUE(task.step_count == 15u || task.step_count == 18u) << "task " << t << ": " << task.step_count;
        EXPECT_EQ(task.wait_count, 0u);
        ASSERT_EQ(task.dependent_count, 1u);
        EXPECT_EQ(schedule.dependents[task.first_dependent], schedule.tasks.size() - 1);
        // Neighbours, each voice's steps in order.
        for (std::uint32_t i = 0; i < task.step_count; ++i) {
            const std::uint32_t step = schedule.task_steps[task.first_step + i];
            EXPECT_EQ(step, next_step++) << "task " << t;
            seen[step] = true;
        }
    }
    EXPECT_EQ(schedule.tasks.back().wait_count, 48u);
    EXPECT_EQ(schedule.task_steps.back(), preds.size() - 1);
    seen.back() = true;
    EXPECT_EQ(std::count(seen.begin(), seen.end(), true), static_cast<long>(preds.size())) << "every step once";

    // A few siblings stay one task each, so that eight threads can share them.
    std::vector<std::vector<std::uint32_t>> few(8, std::vector<std::uint32_t>{});
    few.push_back({0, 1, 2, 3, 4, 5, 6, 7});
    EXPECT_EQ(build_schedule(few, 0).tasks.size(), 9u);
}

TEST(StepScheduleTest, AThousandGainChainIsOneTaskAndRunsSerially) {
    Session session(1, 1, 1);
    std::vector<Edit> edits = {AddGraphPort{"in_1", PortKind::kAudio, PortDirection::kInput},
                               AddGraphPort{"out_1", PortKind::kAudio, PortDirection::kOutput}};
    std::string previous = "graph:in_1";
    for (int i = 0; i < 1000; ++i) {
        const std::string name = "g" + std::to_string(i);
        edits.push_back(AddNode{"gain", name, {}});
        edits.push_back(Connect{previous, name + ":in"});
        previous = name + ":out";
    }
    edits.push_back(Connect{previous, "graph:out_1"});
    ASSERT_TRUE(session.engine.apply(edits).ok());
    session.driver.render(64 * 10, 64);
    EXPECT_EQ(session.engine.worker_team()->spans(), 0u) << "a chain needs no worker";
    EXPECT_EQ(session.engine.worker_team()->wakes(), 0u);
}

// ---------------------------------------------------------------------------
// Bit-identical to serial

// A random graph edited every few blocks, the same for any worker count
// (the model refuses the same edits in every run). Edges always go from an
// earlier node to a later one, so every graph is a DAG.
class RandomSession {
public:
    RandomSession(unsigned workers, std::uint32_t seed) : session_(workers, 2, 2), random_(seed) {
        std::vector<float> hiss(kMaxBlock * 4000);
        std::mt19937 noise(seed ^ 0x5eed);
        for (float& sample : hiss) sample = std::uniform_real_distribution<float>(-0.5f, 0.5f)(noise);
        session_.driver.set_input(0, hiss);
        apply({AddGraphPort{"in_1", PortKind::kAudio, PortDirection::kInput},
               AddGraphPort{"in_2", PortKind::kAudio, PortDirection::kInput},
               AddGraphPort{"out_1", PortKind::kAudio, PortDirection::kOutput},
               AddGraphPort{"out_2", PortKind::kAudio, PortDirection::kOutput}});
        for (int i = 0; i < 40; ++i) add_node();
    }

    std::vector<std::vector<float>> run(std::uint32_t blocks) {
        for (std::uint32_t b = 0; b < blocks; ++b) {
            if (pick(4) == 0) edit();
            session_.driver.render(1 + pick(kMaxBlock), kMaxBlock);
        }
        return {session_.driver.output(0), session_.driver.output(1)};
    }

    Engine& engine() { return session_.engine; }

private:
    std::uint32_t pick(std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(random_); }

    void apply(std::vector<Edit> edits, std::uint64_t frame = 0) { (void)session_.engine.apply(edits, frame); }

    std::string audio_source(std::uint32_t below) {
        const std::uint32_t choice = pick(below + 2);
        if (choice >= below) return choice == below ? "graph:in_1" : "graph:in_2";
        return "n" + std::to_string(choice) + ":out";
    }

    void add_node() {
        static const char* const kTypes[] = {"sine", "noise", "gain", "biquad", "delay", "mixer",
                                             "adsr", "meter", "pulse", "notes", "tally", "gain"};
        const std::uint32_t index = next_++;
        const std::string name = "n" + std::to_string(index);
        const std::string type = kTypes[pick(std::size(kTypes))];
        std::vector<Edit> edits;
        AddNode add{type, name, {}};
        if (type == "delay") add.params = {{"max_time", 0.05f}, {"time", 0.001f * (1 + pick(40))}, {"feedback", 0.5f}};
        if (type == "sine") add.params = {{"freq", 50.0f + pick(2000)}};
        if (type == "adsr") add.params = {{"gate", 1.0f}};
        if (type == "pulse") add.params = {{"period", 20.0f + pick(500)}};
        if (type == "meter") add.params = {{"interval_ms", 1.0f}};
        edits.push_back(add);
        const std::string input = type == "mixer" ? ":in_" + std::to_string(1 + pick(4)) : ":in";
        if (type != "sine" && type != "noise" && type != "pulse") {
            for (std::uint32_t k = 1 + pick(3); k > 0; --k) {
                edits.push_back(Connect{audio_source(index), name + input, 0.25f + 0.25f * pick(4)});
            }
        }
        if (type == "notes" && index > 0) {
            // A MIDI source: any earlier pulse or notes node (refused if that is not one).
            for (std::uint32_t k = 0; k < 2; ++k) {
                edits.push_back(Connect{"n" + std::to_string(pick(index)) + ":midi_out", name + ":midi_in"});
            }
        }
        apply(edits);  // refused whole now and then (a MIDI source that is not one): then the node is not there
        if (pick(3) == 0) apply({Connect{name + ":out", pick(2) == 0 ? "graph:out_1" : "graph:out_2", 0.5f}});
    }

    void edit() {
        const std::uint64_t now = session_.driver.frames_rendered();
        const std::string someone = "n" + std::to_string(pick(next_));
        switch (pick(8)) {
            case 0: add_node(); break;
            case 1: apply({RemoveNode{someone}}, now + pick(300)); break;  // a timed swap
            case 2: apply({Connect{audio_source(next_), "n" + std::to_string(next_ - 1 - pick(std::min(next_, 10u))) + ":in"}}); break;
            case 3: apply({Disconnect{audio_source(next_), someone + ":in"}}); break;
            case 4: apply({BypassNode{someone, pick(2) == 0}}); break;
            case 5: apply({SetParam{someone, "gain", 0.1f * pick(20), 1.0f * pick(5)}}, now + pick(400)); break;
            case 6: apply({SetParam{someone, "freq", 100.0f + pick(3000), 0.0f}}, now + pick(400)); break;
            default: apply({Connect{someone + ":out", pick(2) == 0 ? "graph:out_1" : "graph:out_2", 0.3f}}); break;
        }
    }

    Session session_;
    std::mt19937 random_;
    std::uint32_t next_ = 0;
};

TEST(ParallelExecutionTest, RandomGraphsRenderBitIdenticalWithZeroOneAndThreeWorkers) {
    for (std::uint32_t seed : {1u, 2u, 3u}) {
        RandomSession serial(0, seed);
        const auto expected = serial.run(3000);
        for (unsigned workers : {1u, 3u}) {
            RandomSession parallel(workers, seed);
            const auto actual = parallel.run(3000);
            const WorkerTeam& team = *parallel.engine().worker_team();
            ASSERT_GT(team.spans(), 1000u) << "the parallel path ran";
            for (std::size_t channel = 0; channel < expected.size(); ++channel) {
                ASSERT_EQ(actual[channel].size(), expected[channel].size());
                const bool same = std::memcmp(actual[channel].data(), expected[channel].data(),
                                              expected[channel].size() * sizeof(float)) == 0;
                std::size_t first = 0;
                while (!same && actual[channel][first] == expected[channel][first]) ++first;
                EXPECT_TRUE(same) << "seed " << seed << ", " << workers << " workers, out_" << channel + 1
                                  << " differs first at frame " << first;
            }
            // The signal is not trivially silent.
            float peak = 0;
            for (float sample : expected[0]) peak = std::max(peak, std::abs(sample));
            EXPECT_GT(peak, 0.01f) << "seed " << seed;
        }
    }
}

TEST(ParallelExecutionTest, BatchedVoicesRenderBitIdenticalWithZeroOneAndThreeWorkers) {
    // 96 voices into two outputs: siblings batched into runs of neighbours,
    // with parameter ramps and a removed voice fading out mid-run.
    const auto render = [](unsigned workers) {
        Session session(workers, 0, 2);
        std::vector<Edit> edits = {AddGraphPort{"out_1", PortKind::kAudio, PortDirection::kOutput},
                                   AddGraphPort{"out_2", PortKind::kAudio, PortDirection::kOutput}};
        for (int v = 0; v < 96; ++v) {
            const std::string n = std::to_string(v);
            edits.push_back(AddNode{"sine", "osc" + n, {{"freq", 100.0f + 13.0f * static_cast<float>(v)}}});
            edits.push_back(AddNode{"biquad", "lp" + n, {{"freq", 1500.0f}}});
            edits.push_back(AddNode{"gain", "vca" + n, {{"gain", 0.01f}}});
            edits.push_back(Connect{"osc" + n + ":out", "lp" + n + ":in"});
            edits.push_back(Connect{"lp" + n + ":out", "vca" + n + ":in"});
            edits.push_back(Connect{"vca" + n + ":out", v % 2 == 0 ? "graph:out_1" : "graph:out_2"});
        }
        EXPECT_TRUE(session.engine.apply(edits).ok());
        session.driver.render(64 * 20, 64);
        EXPECT_TRUE(session.engine.apply(std::vector<Edit>{SetParam{"lp7", "freq", 300.0f, 20.0f},
                                                           RemoveNode{"osc40"}})
                        .ok());
        session.driver.render(64 * 40, 64);
        if (workers > 0) {
            EXPECT_GT(session.engine.worker_team()->spans(), 0u);
        }
        return std::vector<std::vector<float>>{session.driver.output(0), session.driver.output(1)};
    };
    const std::vector<std::vector<float>> serial = render(0);
    EXPECT_EQ(render(1), serial);
    EXPECT_EQ(render(3), serial);
    float peak = 0.0f;
    for (float sample : serial[1]) peak = std::max(peak, std::abs(sample));
    EXPECT_GT(peak, 0.05f);
}

// ---------------------------------------------------------------------------
// Every step exactly once per span

TEST(ParallelExecutionTest, ThousandNodeGraphsWithSwapsRunEveryStepOncePerSpan) {
    Session session(3, 1, 1);
    std::mt19937 random(7);
    const auto pick = [&](std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(random); };
    ASSERT_TRUE(session.engine.apply(std::vector<Edit>{
                    AddGraphPort{"in_1", PortKind::kAudio, PortDirection::kInput},
                    AddGraphPort{"out_1", PortKind::kAudio, PortDirection::kOutput}}).ok());
    std::vector<Edit> edits;
    for (std::uint32_t i = 0; i < 1000; ++i) {
        const std::string name = "t" + std::to_string(i);
        edits.push_back(AddNode{"tally", name, {}});
        edits.push_back(Connect{i < 8 ? "graph:in_1" : "t" + std::to_string(pick(i)) + ":out", name + ":in"});
        if (pick(10) == 0) edits.push_back(Connect{name + ":out", "graph:out_1"});
    }
    ASSERT_TRUE(session.engine.apply(edits).ok());
    g_tally_runs = 0;
    g_tally_faults = 0;
    std::uint64_t spans_before = 0;
    for (int round = 0; round < 300; ++round) {
        // A swap every few blocks: an edge moved (the nodes stay, so each
        // keeps checking that its runs follow each other).
        const std::uint32_t node = 8 + pick(992);
        (void)session.engine.apply(std::vector<Edit>{Connect{"t" + std::to_string(pick(node)) + ":out",
                                                             "t" + std::to_string(node) + ":in", 0.5f}});
        spans_before = session.engine.worker_team()->spans();
        session.driver.render(64 * (1 + pick(4)), 64);
    }
    EXPECT_EQ(g_tally_faults.load(), 0u) << "a step ran twice in a span, or not at all";
    EXPECT_GT(session.engine.worker_team()->spans(), spans_before);
    // 1000 nodes, every block one span (nothing splits them): exact count.
    EXPECT_EQ(g_tally_runs.load(), 1000u * (session.driver.frames_rendered() / 64));
}

// ---------------------------------------------------------------------------
// Really at once

std::uint64_t meetings_with(unsigned workers) {
    Session session(workers, 1, 1);
    EXPECT_TRUE(session.engine.apply(std::vector<Edit>{
                    AddGraphPort{"in_1", PortKind::kAudio, PortDirection::kInput},
                    AddGraphPort{"out_1", PortKind::kAudio, PortDirection::kOutput},
                    AddNode{"meet", "a", {}}, AddNode{"meet", "b", {{"side", 1.0f}}},
                    Connect{"graph:in_1", "a:in"}, Connect{"graph:in_1", "b:in"},
                    Connect{"a:out", "graph:out_1"}, Connect{"b:out", "graph:out_1"}}).ok());
    g_meetings = 0;
    session.driver.render(64 * 4, 64);
    return g_meetings.load();
}

TEST(ParallelExecutionTest, TwoBranchesRunOnTwoThreadsAtOnce) {
    EXPECT_EQ(meetings_with(1), 4u * 2) << "both nodes of every block met";
    EXPECT_EQ(meetings_with(0), 0u) << "serially they never can";
}

}  // namespace
}  // namespace rtgraph::engine
