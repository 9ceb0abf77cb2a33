// Every built-in node renders the same samples (and telemetry) whatever the
// block size, with parameter events and ramps landing mid-way: fixed 1024, 100,
// 64 and 1, and random sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "rtgraph/engine/node_type.hpp"
#include "support/node_harness.hpp"

namespace rtgraph::test_support {
namespace {

struct Scheduled {
    std::uint64_t frame;
    std::string param;
    float value;
    std::uint32_t ramp;
};

struct Scenario {
    std::string type;
    std::vector<std::pair<std::string, float>> initial;
    std::vector<Scheduled> events;
};

constexpr std::uint64_t kFrames = 16000;

struct Render {
    std::vector<std::vector<float>> outputs;
    std::vector<rt::TelemetryRecord> records;
};

Render render_scenario(const Scenario& scenario, BlockPlan plan) {
    NodeHarness rig(scenario.type, 48000.0, 1024, scenario.initial);
    rig.node().set_id(5);
    std::mt19937 rng(17);
    std::uniform_real_distribution<float> sample(-1.0f, 1.0f);
    for (const engine::PortInfo& port : rig.type().ports) {
        if (port.direction != engine::PortDirection::kInput) continue;
        std::vector<float> signal(kFrames);
        for (float& x : signal) x = sample(rng);
        rig.set_input(port.name, std::move(signal));
    }
    for (const Scheduled& e : scenario.events) rig.schedule(e.frame, e.param, e.value, e.ramp);
    Render render;
    render.outputs = rig.render(kFrames, plan);
    render.records = rig.drain_telemetry();
    return render;
}

std::vector<Scenario> scenarios() {
    return {
        {"sine", {}, {{3000, "freq", 2000.0f, 1440}, {5003, "amp", 0.2f, 500}, {9001, "freq", 100.0f, 0}}},
        {"noise", {}, {{2222, "amp", 1.0f, 999}}},
        {"gain", {}, {{1234, "gain", 3.0f, 777}, {7000, "gain", 0.0f, 0}}},
        {"mixer", {}, {{100, "gain_3", 5.0f, 333}, {4000, "master", 0.5f, 2000}, {4001, "gain_8", 0.0f, 10}}},
        {"biquad",
         {{"q", 2.0f}},
         {{2001, "freq", 5000.0f, 1440},
          {3333, "q", 8.0f, 700},
          {6000, "mode", 4.0f, 0},
          {7007, "gain_db", -12.0f, 999},
          {9999, "mode", 2.0f, 0},
          {10001, "freq", 200.0f, 3001}}},
        {"delay",
         {{"time", 0.05f}},
         {{1500, "time", 0.01f, 2400}, {2000, "feedback", 0.8f, 1000}, {6000, "mix", 0.5f, 500},
          {9000, "time", 0.02f, 0}}},
        {"adsr",
         {{"attack", 0.005f}},
         {{10, "gate", 1.0f, 0}, {3000, "gate", 0.0f, 0}, {3100, "gate", 1.0f, 0},
          {4000, "sustain", 0.3f, 900}, {9000, "gate", 0.0f, 0}}},
        {"meter", {{"interval_ms", 3.0f}}, {{7000, "interval_ms", 7.0f, 0}}},
    };
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(BuiltinNodes, OutputDoesNotDependOnBlockSize) {
    for (const Scenario& scenario : scenarios()) {
        SCOPED_TRACE(scenario.type);
        const Render reference = render_scenario(scenario, BlockPlan::fixed(1024));
        for (const BlockPlan plan : {BlockPlan::fixed(100), BlockPlan::fixed(64),
                                     BlockPlan::fixed(1), BlockPlan::randomized(1024, 1),
                                     BlockPlan::randomized(50, 2)}) {
            SCOPED_TRACE("block " + std::to_string(plan.size) + (plan.random ? " random" : ""));
            const Render other = render_scenario(scenario, plan);
            ASSERT_EQ(other.outputs.size(), reference.outputs.size());
            for (std::size_t o = 0; o < reference.outputs.size(); ++o) {
                EXPECT_TRUE(bitwise_equal(other.outputs[o], reference.outputs[o])) << "output " << o;
            }
            ASSERT_EQ(other.records.size(), reference.records.size());
            for (std::size_t r = 0; r < reference.records.size(); ++r) {
                EXPECT_EQ(other.records[r].frame, reference.records[r].frame);
                EXPECT_EQ(std::memcmp(other.records[r].values, reference.records[r].values,
                                      sizeof(reference.records[r].values)),
                          0);
            }
        }
        // Every output is finite and something happened.
        for (const auto& output : reference.outputs) {
            bool any = false;
            for (const float x : output) {
                ASSERT_TRUE(std::isfinite(x));
                any = any || x != 0.0f;
            }
            EXPECT_TRUE(any);
        }
        if (scenario.type == "meter") {
            // 3 ms = 144 frames: 48 windows end by frame 7000; then 7 ms = 336
            // frames: ends at 336 * 21 .. 336 * 47.
            EXPECT_EQ(reference.records.size(), 48u + 27u);
        }
    }
}

}  // namespace
}  // namespace rtgraph::test_support
