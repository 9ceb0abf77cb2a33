// Real-time safety under RealtimeSanitizer (clang >= 20, -fsanitize=realtime):
// every function marked RTGRAPH_NONBLOCKING aborts the process on any
// allocation, lock or blocking call it reaches, including in nodes. The same
// storms as the tripwire test must run to the end; an allocating node must
// die, so the check can fail.
#include <gtest/gtest.h>

#include "rt_scenario.hpp"
#include "rtgraph/engine/engine.hpp"

namespace rtgraph::test_support {
namespace {

using namespace engine;

TEST(RtsanTest, OfflineStormRunsWithoutAViolation) {
    NodeRegistry registry;
    register_scenario_nodes(registry);
    const ScenarioStats stats = run_offline_scenario(registry, {}, 6000);
    EXPECT_GT(stats.swaps, 300u);
    EXPECT_GT(stats.nonfinite_blocks, 10u);
}

TEST(RtsanTest, ThreadedStormRunsWithoutAViolation) {
    NodeRegistry registry;
    register_scenario_nodes(registry);
    const ScenarioStats stats = run_threaded_scenario(registry, {}, 20000);
    EXPECT_GT(stats.swaps, 50u);
}

// The workers run steps in RTGRAPH_NONBLOCKING functions too; the audio
// thread's futex wake is the one call marked as allowed.
TEST(RtsanTest, OfflineStormWithThreeWorkersRunsWithoutAViolation) {
    NodeRegistry registry;
    register_scenario_nodes(registry);
    const ScenarioStats stats = run_offline_scenario(registry, {}, 6000, 3);
    EXPECT_GT(stats.parallel_spans, 3000u);
    EXPECT_GT(stats.wakes, 0u);
}

TEST(RtsanTest, ThreadedStormWithAWorkerRunsWithoutAViolation) {
    NodeRegistry registry;
    register_scenario_nodes(registry);
    const ScenarioStats stats = run_threaded_scenario(registry, {}, 20000, 1);
    EXPECT_GT(stats.parallel_spans, 10000u);
}

void* volatile g_escape = nullptr;

class AllocatingNode final : public Node {
public:
    using Node::Node;
    void process(const ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override {
        g_escape = new float[block.nframes];
        for (std::uint32_t i = 0; i < block.nframes; ++i) block.outputs[0][i] = 0.0f;
    }
};

void run_allocating_node() {
    NodeRegistry registry;
    NodeTypeInfo type{"allocating", "", {{"out", PortKind::kAudio, PortDirection::kOutput}}, {}};
    registry.add(type, [](const NodeTypeInfo& t, const PrepareSpec& s, std::span<const float> v) {
        return std::make_unique<AllocatingNode>(t, s, v);
    });
    EngineConfig config;
    config.max_block = 64;
    Engine engine(config, registry);
    engine.apply(std::vector<Edit>{AddGraphPort{"o", PortKind::kAudio, PortDirection::kOutput},
                                   AddNode{"allocating", "bad", {}},
                                   Connect{"bad:out", "graph:o", 1.0f}});
    std::vector<float> out(64);
    float* outputs[] = {out.data()};
    engine.process(AudioIo{nullptr, 0, outputs, 1}, 64);
}

TEST(RtsanDeathTest, AnAllocatingNodeAborts) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(run_allocating_node(), "RealtimeSanitizer");
}

}  // namespace
}  // namespace rtgraph::test_support
