// A demanding workload for the audio thread, shared by the real-time checks:
// thousands of blocks with program swaps, parameter events (immediate, timed
// and ramped), node removal with fades, graph clears and NaN silencing.
//
// Threads: run_offline_scenario plays control and audio in turn on one thread;
// run_threaded_scenario runs process() on its own thread while the calling
// thread edits the graph and collects garbage, as the daemon does.
#pragma once

#include <cstdint>
#include <functional>

#include "rtgraph/engine/engine.hpp"
#include "rtgraph/engine/node_registry.hpp"

namespace rtgraph::test_support {

// Called around every process() call on the thread that runs it.
struct RtScopeHooks {
    void (*enter)() = nullptr;
    void (*exit)() = nullptr;
};

struct ScenarioStats {
    std::uint64_t blocks = 0;
    std::uint64_t swaps = 0;
    std::uint64_t events = 0;
    std::uint64_t nonfinite_blocks = 0;
    std::uint64_t parallel_spans = 0;  // spans run with the workers
    std::uint64_t wakes = 0;           // futex wakes the audio thread made
};

// [nrt] Registers every built-in type plus a "spike" test node that emits a
// NaN when its `armed` parameter is 1.
void register_scenario_nodes(engine::NodeRegistry& registry);

// With `workers` > 0 the engine has that many worker threads (std::thread,
// the hooks marking their real-time part too).
ScenarioStats run_offline_scenario(const engine::NodeRegistry& registry, RtScopeHooks hooks,
                                   std::uint32_t blocks, unsigned workers = 0);

ScenarioStats run_threaded_scenario(const engine::NodeRegistry& registry, RtScopeHooks hooks,
                                    std::uint32_t blocks, unsigned workers = 0);

}  // namespace rtgraph::test_support
