// rtgraph_bench_engine: what the engine costs, on the audio thread and off it.
//
//   BM_GainChain       Engine::process per 64-frame block: sine -> gain x N -> graph:out_1
//                      (N + 1 nodes: the sine is one extra node).
//   BM_Voices          Engine::process per 64-frame block: N voices of
//                      sine -> biquad (lowpass) -> gain, each summed into graph:out_1.
//   BM_CompileProgram  compile_program() for a 1000-node chain (sine + 999 gains).
//   BM_ApplyConnect    Engine::apply of one Connect on a 1000-node chain: model copy,
//                      validation, compile and publish.
//
// Threads: each benchmark plays every role on one thread, as the offline driver
// does: audio (process), control (apply, maintain) and housekeeping
// (collect_garbage). Only the work a benchmark names is timed; graphs are built
// and their fades settled (1 s rendered, then maintain + collect_garbage)
// before the clock starts. Targets live in scripts/bench_engine.sh.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "rtgraph/engine/compiler.hpp"
#include "rtgraph/engine/engine.hpp"
#include "rtgraph/engine/node_registry.hpp"

namespace {

namespace eng = rtgraph::engine;

constexpr double kSampleRate = 48000.0;
constexpr std::uint32_t kBlock = 64;
constexpr std::uint32_t kMaxBlock = 1024;     // the engine's default
constexpr std::uint32_t kSettleBlocks = 750;  // 1 s at 64 frames / 48 kHz
constexpr std::uint32_t kMaintainEvery = 16;  // blocks between maintain() calls while settling
constexpr std::uint32_t kRestoreBlockLimit = 1000;
constexpr std::size_t kCompileNodes = 1000;

const eng::NodeRegistry& builtin_registry() {
    static const eng::NodeRegistry registry = [] {
        eng::NodeRegistry r;
        eng::register_builtin_nodes(r);
        return r;
    }();
    return registry;
}

std::string gain_name(std::size_t index) {
    return "g" + std::to_string(index);
}

// Edits for: graph:out_1 <- gN <- ... <- g1 <- osc (sine).
std::vector<eng::Edit> gain_chain_edits(std::size_t gains) {
    std::vector<eng::Edit> edits;
    edits.push_back(eng::AddGraphPort{"out_1", eng::PortKind::kAudio, eng::PortDirection::kOutput});
    edits.push_back(eng::AddNode{"sine", "osc", {{"freq", 440.0f}, {"amp", 0.25f}}});
    std::string previous = "osc";
    for (std::size_t i = 1; i <= gains; ++i) {
        edits.push_back(eng::AddNode{"gain", gain_name(i), {{"gain", 1.0f}}});
        edits.push_back(eng::Connect{previous + ":out", gain_name(i) + ":in", 1.0f});
        previous = gain_name(i);
    }
    edits.push_back(eng::Connect{previous + ":out", "graph:out_1", 1.0f});
    return edits;
}

// Edits for N voices: sine -> biquad lowpass -> gain, every gain into graph:out_1.
std::vector<eng::Edit> voice_edits(std::size_t voices) {
    std::vector<eng::Edit> edits;
    edits.push_back(eng::AddGraphPort{"out_1", eng::PortKind::kAudio, eng::PortDirection::kOutput});
    const float level = 1.0f / static_cast<float>(voices);
    for (std::size_t v = 0; v < voices; ++v) {
        const std::string n = std::to_string(v);
        const float freq = 110.0f + 7.0f * static_cast<float>(v);
        edits.push_back(eng::AddNode{"sine", "osc" + n, {{"freq", freq}, {"amp", 0.5f}}});
        edits.push_back(
            eng::AddNode{"biquad", "lp" + n, {{"mode", 0.0f}, {"freq", 2000.0f}, {"q", 0.7071f}}});
        edits.push_back(eng::AddNode{"gain", "vca" + n, {{"gain", level}}});
        edits.push_back(eng::Connect{"osc" + n + ":out", "lp" + n + ":in", 1.0f});
        edits.push_back(eng::Connect{"lp" + n + ":out", "vca" + n + ":in", 1.0f});
        edits.push_back(eng::Connect{"vca" + n + ":out", "graph:out_1", 1.0f});
    }
    return edits;
}

// An engine with one captured graph output, driven block by block.
class BenchEngine {
  public:
    // `workers` threads help the benchmark's thread (which plays the audio
    // thread) run the graph.
    explicit BenchEngine(unsigned workers = 0)
        : engine_(make_config(workers), builtin_registry()), output_(kMaxBlock, 0.0f) {
        outputs_[0] = output_.data();
        io_.outputs = outputs_.data();
        io_.output_count = 1;
        if (eng::WorkerTeam* team = engine_.worker_team()) {
            for (unsigned w = 0; w < workers; ++w) threads_.emplace_back([team, w] { team->worker_main(w); });
        }
    }
    ~BenchEngine() {
        if (eng::WorkerTeam* team = engine_.worker_team()) team->stop();
        for (std::thread& thread : threads_) thread.join();
    }

    // [nrt] Applies `edits`; on refusal marks the benchmark failed and returns false.
    bool apply(std::span<const eng::Edit> edits, benchmark::State& state) {
        const eng::ApplyResult result = engine_.apply(edits);
        if (!result.ok()) state.SkipWithError(result.error.message.c_str());
        return result.ok();
    }

    // [rt] One 64-frame block.
    void process_block() noexcept { engine_.process(io_, kBlock); }

    // [nrt] Renders until every published change is live and nothing fades any
    // more (at least `min_blocks`), then frees retired programs. False if the
    // engine never got there.
    bool settle(std::uint32_t min_blocks) {
        for (std::uint32_t block = 0; block < kRestoreBlockLimit + min_blocks; ++block) {
            process_block();
            if (block % kMaintainEvery == kMaintainEvery - 1 || block + 1 >= min_blocks) {
                engine_.maintain();
                engine_.collect_garbage();
            }
            if (block + 1 >= min_blocks && quiescent()) {
                process_block();  // run the settled program once before the clock starts
                engine_.collect_garbage();
                return true;
            }
        }
        return false;
    }

    // [nrt] True when the last block put sound on the output and the engine
    // runs `nodes` nodes: the graph is the one meant, not a silent mistake.
    bool runs_graph(std::size_t nodes) const {
        float peak = 0.0f;
        for (std::uint32_t i = 0; i < kBlock; ++i) peak = std::max(peak, std::abs(output_[i]));
        return peak > 1e-6f && engine_.stats().node_count == nodes;
    }

    eng::Engine& engine() noexcept { return engine_; }
    float first_sample() const noexcept { return output_[0]; }

  private:
    static eng::EngineConfig make_config(unsigned workers) {
        eng::EngineConfig config;
        config.worker_threads = workers;
        config.sample_rate = kSampleRate;
        config.max_block = kMaxBlock;
        return config;
    }

    bool quiescent() const {
        const eng::EngineStats stats = engine_.stats();
        return stats.fading_edges == 0 && stats.fading_nodes == 0 &&
               stats.live_generation == stats.published_generation;
    }

    eng::Engine engine_;
    std::vector<float> output_;
    std::array<float*, 1> outputs_{};
    eng::AudioIo io_;
    std::vector<std::thread> threads_;
};

// The timed loop shared by the process benchmarks: one block per iteration.
void time_blocks(benchmark::State& state, BenchEngine& rig, std::size_t nodes) {
    if (!rig.runs_graph(nodes)) {
        state.SkipWithError("the graph is silent or not the one built");
        return;
    }
    for (auto _ : state) {
        rig.process_block();
        benchmark::ClobberMemory();
    }
    float sample = rig.first_sample();
    benchmark::DoNotOptimize(sample);
    state.counters["nodes"] = static_cast<double>(nodes);
    // Seconds per node per block (printed with an SI prefix, e.g. 12n = 12 ns).
    state.counters["per_node"] = benchmark::Counter(
        static_cast<double>(nodes),
        benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kBlock);
}

void BM_GainChain(benchmark::State& state) {
    const auto gains = static_cast<std::size_t>(state.range(0));
    BenchEngine rig;
    const std::vector<eng::Edit> edits = gain_chain_edits(gains);
    if (!rig.apply(edits, state)) return;
    if (!rig.settle(kSettleBlocks)) {
        state.SkipWithError("the graph did not settle");
        return;
    }
    time_blocks(state, rig, gains + 1);
}
BENCHMARK(BM_GainChain)
    ->ArgName("gains")
    ->Arg(1)
    ->Arg(100)
    ->Arg(1000)
    ->Unit(benchmark::kMicrosecond);

void BM_Voices(benchmark::State& state) {
    const auto voices = static_cast<std::size_t>(state.range(0));
    BenchEngine rig;
    const std::vector<eng::Edit> edits = voice_edits(voices);
    if (!rig.apply(edits, state)) return;
    if (!rig.settle(kSettleBlocks)) {
        state.SkipWithError("the graph did not settle");
        return;
    }
    time_blocks(state, rig, 3 * voices);
    state.counters["voices"] = static_cast<double>(voices);
}
BENCHMARK(BM_Voices)->ArgName("voices")->Arg(64)->Arg(256)->Unit(benchmark::kMicrosecond);

// Parallel execution: the same graphs with 0 and 1 worker, timed on the wall
// clock (the work is shared between threads, so one thread's CPU time says
// nothing). 256 independent sine -> biquad -> gain voices (two branches of
// 128), and the 1000-gain chain, which has nothing to share.
void BM_VoicesWorkers(benchmark::State& state) {
    const auto workers = static_cast<unsigned>(state.range(0));
    constexpr std::size_t kVoices = 256;
    BenchEngine rig(workers);
    const std::vector<eng::Edit> edits = voice_edits(kVoices);
    if (!rig.apply(edits, state)) return;
    if (!rig.settle(kSettleBlocks)) {
        state.SkipWithError("the graph did not settle");
        return;
    }
    time_blocks(state, rig, 3 * kVoices);
    state.counters["workers"] = workers;
    if (eng::WorkerTeam* team = rig.engine().worker_team()) {
        // The share of the steps the workers ran, over blocks run back to
        // back after the timed ones: how much of the work they took.
        constexpr int kShareBlocks = 1000;
        double worker_steps = 0.0, all_steps = 0.0;
        for (int block = 0; block < kShareBlocks; ++block) {
            rig.process_block();
            for (unsigned t = 0; t <= workers; ++t) {
                const double steps = team->last_block_steps(t);
                all_steps += steps;
                if (t != 0) worker_steps += steps;
            }
        }
        state.counters["worker_share"] = all_steps > 0.0 ? worker_steps / all_steps : 0.0;
    }
}
BENCHMARK(BM_VoicesWorkers)->ArgName("workers")->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_GainChainWorkers(benchmark::State& state) {
    const auto workers = static_cast<unsigned>(state.range(0));
    BenchEngine rig(workers);
    const std::vector<eng::Edit> edits = gain_chain_edits(1000);
    if (!rig.apply(edits, state)) return;
    if (!rig.settle(kSettleBlocks)) {
        state.SkipWithError("the graph did not settle");
        return;
    }
    time_blocks(state, rig, 1001);
    state.counters["workers"] = workers;
}
BENCHMARK(BM_GainChainWorkers)->ArgName("workers")->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);

// [nrt] A compile request for a chain of `count` nodes (one sine, then gains)
// ending in graph output slot 0, with fresh instances from the registry.
eng::CompileRequest chain_request(std::size_t count) {
    const eng::NodeRegistry& registry = builtin_registry();
    const eng::NodeTypeInfo& sine = *registry.find("sine");
    const eng::NodeTypeInfo& gain = *registry.find("gain");
    const eng::PrepareSpec spec{kSampleRate, kMaxBlock};
    const auto defaults = [](const eng::NodeTypeInfo& type) {
        std::vector<float> values;
        for (const eng::ParamDescriptor& param : type.params) values.push_back(param.default_value);
        return values;
    };
    const std::vector<float> sine_params = defaults(sine);
    const std::vector<float> gain_params = defaults(gain);
    const std::uint32_t sine_out = *sine.find_port("out");
    const std::uint32_t gain_in = *gain.find_port("in");
    const std::uint32_t gain_out = *gain.find_port("out");

    eng::CompileRequest request;
    request.max_block = kMaxBlock;
    request.fade_step = static_cast<float>(1000.0 / (5.0 * kSampleRate));
    request.generation = 1;
    for (std::size_t i = 0; i < count; ++i) {
        const auto id = static_cast<eng::NodeId>(i + 1);
        const bool first = i == 0;
        std::shared_ptr<eng::Node> node =
            registry.create(first ? sine : gain, spec, first ? sine_params : gain_params);
        node->set_id(id);
        request.nodes.push_back({id, std::move(node)});
        if (!first) {
            request.edges.push_back({eng::Endpoint{false, id - 1, i == 1 ? sine_out : gain_out},
                                     eng::Endpoint{false, id, gain_in}, 0, 0, 1.0f,
                                     std::make_shared<eng::EdgeState>()});
        }
    }
    const auto last = static_cast<eng::NodeId>(count);
    request.edges.push_back({eng::Endpoint{false, last, count == 1 ? sine_out : gain_out},
                             eng::Endpoint{true, 1, 0}, 0, 0, 1.0f,
                             std::make_shared<eng::EdgeState>()});
    return request;
}

void BM_CompileProgram(benchmark::State& state) {
    const auto count = static_cast<std::size_t>(state.range(0));
    const eng::CompileRequest request = chain_request(count);
    for (auto _ : state) {
        std::unique_ptr<eng::Program> program = eng::compile_program(request);
        benchmark::DoNotOptimize(program.get());
        state.PauseTiming();  // freeing the program is the housekeeping thread's cost
        program.reset();
        state.ResumeTiming();
    }
    state.counters["nodes"] = static_cast<double>(count);
    state.counters["edges"] = static_cast<double>(request.edges.size());
}
BENCHMARK(BM_CompileProgram)->ArgName("nodes")->Arg(kCompileNodes)->Unit(benchmark::kMicrosecond);

void BM_ApplyConnect(benchmark::State& state) {
    const auto count = static_cast<std::size_t>(state.range(0));
    BenchEngine rig;
    const std::vector<eng::Edit> edits = gain_chain_edits(count - 1);
    if (!rig.apply(edits, state)) return;
    if (!rig.settle(kSettleBlocks)) {
        state.SkipWithError("the graph did not settle");
        return;
    }
    // A skip connection across the middle of the chain: validation walks the
    // graph for a cycle, and the compiler reorders and re-flattens all of it.
    const std::string from = gain_name(count / 4) + ":out";
    const std::string to = gain_name(3 * count / 4) + ":in";
    const eng::Edit connect = eng::Connect{from, to, 0.5f};
    const eng::Edit disconnect = eng::Disconnect{from, to};
    eng::Engine& engine = rig.engine();
    for (auto _ : state) {
        const eng::ApplyResult result = engine.apply(connect);
        state.PauseTiming();
        // Untimed: let the audio thread take the program, then take the
        // connection away again and let it fade and compile out, so every
        // timed apply sees the same graph and memory stays bounded.
        bool restored = result.ok();
        if (restored) {
            rig.process_block();
            restored = engine.apply(disconnect).ok() && rig.settle(1);
        }
        state.ResumeTiming();
        if (!restored) {
            state.SkipWithError(result.ok() ? "could not restore the graph"
                                            : result.error.message.c_str());
            break;
        }
    }
    state.counters["nodes"] = static_cast<double>(count);
}
BENCHMARK(BM_ApplyConnect)->ArgName("nodes")->Arg(kCompileNodes)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
