// Real-time safety, checked mechanically: with the tripwire armed, thousands
// of blocks with swaps, events, removals, fades and NaN silencing make zero
// forbidden calls on the thread running process(); a node that allocates is
// caught, so the check can fail.
#include <gtest/gtest.h>

#include <cstdlib>
#include <pthread.h>

#include "rt_scenario.hpp"
#include "rt_tripwire.hpp"
#include "rtgraph/engine/engine.hpp"
#include "rtgraph/offline/offline_driver.hpp"

namespace rtgraph::test_support {
namespace {

using namespace engine;

constexpr RtScopeHooks kTripwireHooks{&RtScope::enter, &RtScope::exit};

class TripwireTest : public ::testing::Test {
protected:
    void SetUp() override {
        register_scenario_nodes(registry_);
        reset_rt_violations();
    }
    NodeRegistry registry_;
};

TEST_F(TripwireTest, TheTripwireCatchesAllocationLocksAndSyscalls) {
    {
        RtScope scope;
        void* volatile escaped = std::malloc(32);  // volatile: the optimiser may not drop it
        std::free(escaped);
    }
    EXPECT_EQ(rt_violations(), 2u);
    EXPECT_EQ(first_rt_violation(), "malloc");
    reset_rt_violations();
    pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
    {
        RtScope scope;
        pthread_mutex_lock(&mutex);
    }
    pthread_mutex_unlock(&mutex);
    EXPECT_EQ(first_rt_violation(), "pthread_mutex_lock");
    reset_rt_violations();
    std::vector<int> outside(100);  // outside a scope: not counted
    EXPECT_EQ(rt_violations(), 0u);
}

TEST_F(TripwireTest, OfflineStormMakesNoForbiddenCall) {
    const ScenarioStats stats = run_offline_scenario(registry_, kTripwireHooks, 6000);
    EXPECT_EQ(rt_violations(), 0u) << "first forbidden call: " << first_rt_violation();
    // The storm really exercised the paths it claims to.
    EXPECT_GT(stats.swaps, 300u);
    EXPECT_GT(stats.events, 1000u);
    EXPECT_GT(stats.nonfinite_blocks, 10u);
}

TEST_F(TripwireTest, OfflineStormWithThreeWorkersMakesNoForbiddenCallButCountedWakes) {
    const ScenarioStats stats = run_offline_scenario(registry_, kTripwireHooks, 6000, 3);
    EXPECT_EQ(rt_violations(), 0u) << "first forbidden call: " << first_rt_violation();
    EXPECT_GT(stats.parallel_spans, 3000u);
    // Every futex wake inside a real-time scope is one the team counted.
    EXPECT_EQ(rt_futex_wakes(), stats.wakes);
    EXPECT_GT(stats.wakes, 0u);
    EXPECT_GT(stats.nonfinite_blocks, 10u);
}

TEST_F(TripwireTest, ThreadedStormWithAWorkerMakesNoForbiddenCall) {
    const ScenarioStats stats = run_threaded_scenario(registry_, kTripwireHooks, 20000, 1);
    EXPECT_EQ(rt_violations(), 0u) << "first forbidden call: " << first_rt_violation();
    EXPECT_EQ(rt_futex_wakes(), stats.wakes);
    EXPECT_GT(stats.parallel_spans, 10000u);
}

TEST_F(TripwireTest, ThreadedStormMakesNoForbiddenCall) {
    const ScenarioStats stats = run_threaded_scenario(registry_, kTripwireHooks, 20000);
    EXPECT_EQ(rt_violations(), 0u) << "first forbidden call: " << first_rt_violation();
    EXPECT_GT(stats.swaps, 50u);
}

// A node that allocates in process(): the pointer escapes into a global so the
// allocation cannot be optimised away.
void* volatile g_escape = nullptr;

class AllocatingNode final : public Node {
public:
    using Node::Node;
    void process(const ProcessBlock& block) noexcept override {
        g_escape = new float[block.nframes];
        for (std::uint32_t i = 0; i < block.nframes; ++i) block.outputs[0][i] = 0.0f;
    }
};

TEST_F(TripwireTest, AnAllocatingNodeIsCaught) {
    NodeTypeInfo type{"allocating", "", {{"out", PortKind::kAudio, PortDirection::kOutput}}, {}};
    registry_.add(type, [](const NodeTypeInfo& t, const PrepareSpec& s, std::span<const float> v) {
        return std::make_unique<AllocatingNode>(t, s, v);
    });
    EngineConfig config;
    config.max_block = 64;
    Engine engine(config, registry_);
    ASSERT_TRUE(engine.apply(std::vector<Edit>{AddGraphPort{"o", PortKind::kAudio, PortDirection::kOutput},
                                               AddNode{"allocating", "bad", {}},
                                               Connect{"bad:out", "graph:o", 1.0f}})
                    .ok());
    std::vector<float> out(64);
    float* outputs[] = {out.data()};
    const AudioIo io{nullptr, 0, outputs, 1};
    for (int b = 0; b < 4; ++b) {
        RtScope scope;
        engine.process(io, 64);
    }
    delete[] static_cast<float*>(g_escape);
    EXPECT_GE(rt_violations(), 4u);
    EXPECT_EQ(first_rt_violation(), "malloc");
}

}  // namespace
}  // namespace rtgraph::test_support
