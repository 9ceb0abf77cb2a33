// The shared real-time workload (test code; see rt_scenario.hpp).
#include "rt_scenario.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace rtgraph::test_support {

namespace {

using namespace engine;

class SpikeNode final : public Node {
public:
    using Node::Node;
    void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override {
        const bool armed = param(0).current() >= 0.5f;
        for (std::uint32_t i = 0; i < block.nframes; ++i) {
            block.outputs[0][i] = block.inputs[0][i];
        }
        if (armed) block.outputs[0][0] = std::numeric_limits<float>::infinity();
    }
};

constexpr std::uint32_t kBlock = 64;

// One step of the edit storm; `round` picks which.
std::vector<Edit> storm_step(std::uint32_t round) {
    const std::string voice = "v" + std::to_string(round % 6);
    switch (round % 9) {
        case 0:
            return {AddNode{"sine", voice, {{"freq", 200.0f + 50.0f * static_cast<float>(round % 7)}}},
                    AddNode{"biquad", voice + "f", {}},
                    Connect{voice + ":out", voice + "f:in"},
                    Connect{voice + "f:out", "mix:in_" + std::to_string(1 + round % 6)}};
        case 1: return {SetParam{"lp", "freq", 500.0f + static_cast<float>(round % 13) * 300.0f, 5.0f}};
        case 2: return {SetParam{"echo", "time", 0.01f * static_cast<float>(1 + round % 20), 10.0f}};
        case 3: return {SetParam{"spike", "armed", 1.0f, std::nullopt}};
        case 4: return {SetParam{"spike", "armed", 0.0f, std::nullopt},
                        SetParam{"env", "gate", static_cast<float>(round % 2), std::nullopt}};
        case 5: return {Disconnect{"lp:out", "graph:out_1"}};
        case 6: return {Connect{"lp:out", "graph:out_1", 0.8f}};
        case 7: return {RemoveNode{voice}, RemoveNode{voice + "f"}};
        default: return {SetEdgeGain{"echo:out", "graph:out_2", 0.1f * static_cast<float>(round % 10)}};
    }
}

void build_base(Engine& engine) {
    std::vector<Edit> edits;
    edits.push_back(AddGraphPort{"out_1", PortKind::kAudio, PortDirection::kOutput});
    edits.push_back(AddGraphPort{"out_2", PortKind::kAudio, PortDirection::kOutput});
    edits.push_back(AddGraphPort{"in_1", PortKind::kAudio, PortDirection::kInput});
    edits.push_back(AddNode{"mixer", "mix", {}});
    edits.push_back(AddNode{"noise", "hiss", {{"amp", 0.05f}}});
    edits.push_back(AddNode{"biquad", "lp", {}});
    edits.push_back(AddNode{"delay", "echo", {{"max_time", 0.5f}}});
    edits.push_back(AddNode{"adsr", "env", {}});
    edits.push_back(AddNode{"meter", "meter", {{"interval_ms", 5.0f}}});
    edits.push_back(AddNode{"spike", "spike", {}});
    edits.push_back(Connect{"hiss:out", "mix:in_8", 1.0f});
    edits.push_back(Connect{"graph:in_1", "mix:in_7", 1.0f});
    edits.push_back(Connect{"mix:out", "spike:in", 1.0f});
    edits.push_back(Connect{"spike:out", "lp:in", 1.0f});
    edits.push_back(Connect{"lp:out", "echo:in", 1.0f});
    edits.push_back(Connect{"echo:out", "env:in", 1.0f});
    edits.push_back(Connect{"env:out", "meter:in", 1.0f});
    edits.push_back(Connect{"meter:out", "graph:out_2", 1.0f});
    edits.push_back(Connect{"lp:out", "graph:out_1", 0.8f});
    const ApplyResult result = engine.apply(edits);
    if (!result.ok()) {
        std::fprintf(stderr, "scenario base patch refused: %s\n", result.error.message.c_str());
        std::abort();
    }
}

EngineConfig scenario_config(unsigned workers) {
    EngineConfig config;
    config.worker_threads = workers;
    config.sample_rate = 48000.0;
    config.max_block = 256;
    config.fade_ms = 2.0f;
    return config;
}

ScenarioStats stats_of(const Engine& engine, std::uint64_t blocks, std::uint64_t events) {
    const EngineStats s = engine.stats();
    const WorkerTeam* team = engine.worker_team();
    return ScenarioStats{blocks, s.live_generation, events, s.nonfinite_blocks,
                         team != nullptr ? team->spans() : 0, team != nullptr ? team->wakes() : 0};
}

// The engine's worker threads, stopped and joined when this goes.
class ScenarioWorkers {
public:
    ScenarioWorkers(Engine& engine, RtScopeHooks hooks) : team_(engine.worker_team()) {
        if (team_ == nullptr) return;
        team_->set_scope_hooks(hooks.enter, hooks.exit);
        for (unsigned w = 0; w < team_->workers(); ++w) threads_.emplace_back([this, w] { team_->worker_main(w); });
    }
    ~ScenarioWorkers() {
        if (team_ != nullptr) team_->stop();
        for (std::thread& thread : threads_) thread.join();
    }

private:
    WorkerTeam* team_;
    std::vector<std::thread> threads_;
};

}  // namespace

void register_scenario_nodes(NodeRegistry& registry) {
    register_builtin_nodes(registry);
    NodeTypeInfo spike{"spike", "passes its input; emits Inf when armed",
                       {{"in", PortKind::kAudio, PortDirection::kInput},
                        {"out", PortKind::kAudio, PortDirection::kOutput}},
                       {{"armed", 0, 1, 0, "", 0, ParamKind::kToggle, false}}};
    registry.add(spike, [](const NodeTypeInfo& t, const PrepareSpec& s, std::span<const float> v) {
        return std::make_unique<SpikeNode>(t, s, v);
    });
}

ScenarioStats run_offline_scenario(const NodeRegistry& registry, RtScopeHooks hooks,
                                   std::uint32_t blocks, unsigned workers) {
    Engine engine(scenario_config(workers), registry);
    build_base(engine);
    ScenarioWorkers threads(engine, hooks);
    std::vector<float> in(kBlock, 0.1f), out_1(kBlock), out_2(kBlock);
    const float* inputs[] = {in.data()};
    float* outputs[] = {out_1.data(), out_2.data()};
    const AudioIo io{inputs, 1, outputs, 2};
    std::uint64_t events = 0;
    for (std::uint32_t b = 0; b < blocks; ++b) {
        if (b % 3 == 0) {
            const std::vector<Edit> step = storm_step(b / 3);
            // Every fourth step is timed to land inside the next blocks.
            const std::uint64_t frame = (b / 3) % 4 == 0 ? (b + 1) * kBlock + (b % kBlock) : 0;
            if (engine.apply(step, frame).ok()) events += step.size();
        }
        engine.maintain();
        if (hooks.enter) hooks.enter();
        // Vary the block size too: the executor splits and chunks.
        engine.process(io, b % 5 == 0 ? kBlock / 2 : kBlock);
        if (hooks.exit) hooks.exit();
        engine.collect_garbage();
        rt::TelemetryRecord record;
        while (engine.read_telemetry(record)) {
        }
    }
    return stats_of(engine, blocks, events);
}

ScenarioStats run_threaded_scenario(const NodeRegistry& registry, RtScopeHooks hooks,
                                    std::uint32_t blocks, unsigned workers) {
    Engine engine(scenario_config(workers), registry);
    build_base(engine);
    ScenarioWorkers threads(engine, hooks);
    std::atomic<std::uint32_t> blocks_done{0};
    std::thread audio([&] {
        std::vector<float> in(kBlock, 0.1f), out_1(kBlock), out_2(kBlock);
        const float* inputs[] = {in.data()};
        float* outputs[] = {out_1.data(), out_2.data()};
        const AudioIo io{inputs, 1, outputs, 2};
        for (std::uint32_t b = 0; b < blocks; ++b) {
            if (hooks.enter) hooks.enter();
            engine.process(io, kBlock);
            if (hooks.exit) hooks.exit();
            blocks_done.store(b + 1, std::memory_order_release);
            // Pace like a soundcard would, loosely: the control thread must
            // get to run between blocks on a 2-core machine.
            if (b % 8 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
    });
    std::uint64_t events = 0;
    std::uint32_t round = 0;
    while (blocks_done.load(std::memory_order_acquire) < blocks) {
        const std::vector<Edit> step = storm_step(round++);
        if (engine.apply(step).ok()) events += step.size();
        engine.maintain();
        engine.collect_garbage();
        rt::TelemetryRecord record;
        while (engine.read_telemetry(record)) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    audio.join();
    engine.collect_garbage();
    return stats_of(engine, blocks, events);
}

}  // namespace rtgraph::test_support
