// The "adsr" node: segment lengths exact to the sample, linear shapes, the gate
// acting on its exact frame, and release or retrigger from mid-segment.
#include <gtest/gtest.h>

#include <cmath>
#include <span>
#include <vector>

#include "support/node_harness.hpp"
#include "support/signal_analysis.hpp"

namespace rtgraph::test_support {
namespace {

constexpr double kRate = 48000.0;
constexpr std::size_t kAttack = 480;    // 0.01 s
constexpr std::size_t kDecay = 4800;    // 0.1 s
constexpr std::size_t kRelease = 9600;  // 0.2 s
constexpr float kSustain = 0.7f;

NodeHarness make_adsr() {
    return NodeHarness("adsr", kRate, 1024,
                       {{"attack", 0.01f}, {"decay", 0.1f}, {"sustain", kSustain},
                        {"release", 0.2f}});
}

TEST(AdsrNode, SegmentsLandOnTheirExactFrames) {
    constexpr std::size_t kOn = 1000;
    constexpr std::size_t kOff = 20000;
    NodeHarness rig = make_adsr();
    rig.set_input("in", std::vector<float>(40000, 0.5f));
    rig.schedule(kOn, "gate", 1.0f);
    rig.schedule(kOff, "gate", 0.0f);
    const auto outputs = rig.render(40000, BlockPlan::randomized(333, 2));
    const std::vector<float>& out = outputs[0];
    const std::vector<float>& env = outputs[1];

    for (std::size_t n = 0; n < kOn; ++n) ASSERT_EQ(env[n], 0.0f) << n;
    // Attack: sample k after the gate is (k + 1) / 480; the 480th sample is 1.
    for (std::size_t k = 0; k + 1 < kAttack; ++k) {
        ASSERT_NEAR(env[kOn + k], static_cast<double>(k + 1) / kAttack, 1e-6) << k;
        ASSERT_LT(env[kOn + k], 1.0f) << k;
    }
    const std::size_t peak_at = kOn + kAttack - 1;
    EXPECT_EQ(env[peak_at], 1.0f);
    // Decay: 1 -> 0.7 over 4800 samples, straight, landing on its last sample.
    for (std::size_t k = 0; k + 1 < kDecay; ++k) {
        const double expected = 1.0 - 0.3 * static_cast<double>(k + 1) / kDecay;
        ASSERT_NEAR(env[peak_at + 1 + k], expected, 1e-6) << k;
        ASSERT_GT(env[peak_at + 1 + k], kSustain) << k;
    }
    const std::size_t sustain_from = peak_at + kDecay;
    for (std::size_t n = sustain_from; n < kOff; ++n) ASSERT_EQ(env[n], kSustain) << n;
    // Release: 0.7 -> 0 over 9600 samples from the gate-off frame.
    for (std::size_t k = 0; k + 1 < kRelease; ++k) {
        const double expected = 0.7 * (1.0 - static_cast<double>(k + 1) / kRelease);
        ASSERT_NEAR(env[kOff + k], expected, 1e-6) << k;
        ASSERT_GT(env[kOff + k], 0.0f) << k;
    }
    for (std::size_t n = kOff + kRelease - 1; n < env.size(); ++n) ASSERT_EQ(env[n], 0.0f) << n;
    // out = in * env, sample by sample.
    for (std::size_t n = 0; n < out.size(); ++n) ASSERT_EQ(out[n], 0.5f * env[n]) << n;
    // Linear segments: no step bigger than the attack's slope.
    EXPECT_LE(max_jump(env), 1.0 / kAttack + 1e-6);
}

TEST(AdsrNode, GateOffDuringAttackReleasesFromTheCurrentLevel) {
    NodeHarness rig = make_adsr();
    rig.schedule(0, "gate", 1.0f);
    rig.schedule(240, "gate", 0.0f);  // half-way up
    const std::vector<float> env = rig.render_port(12000, "env", BlockPlan::fixed(100));
    EXPECT_NEAR(env[239], 0.5f, 1e-6);
    for (std::size_t k = 0; k + 1 < kRelease; ++k) {
        ASSERT_NEAR(env[240 + k], 0.5 * (1.0 - static_cast<double>(k + 1) / kRelease), 1e-6);
    }
    EXPECT_EQ(env[240 + kRelease - 1], 0.0f);
    EXPECT_EQ(peak(std::span<const float>(env.data() + 240 + kRelease, 1000)), 0.0);
}

TEST(AdsrNode, RetriggerDuringReleaseRisesFromTheCurrentLevelAtTheAttackSlope) {
    NodeHarness rig = make_adsr();
    rig.schedule(0, "gate", 1.0f);
    rig.schedule(10000, "gate", 0.0f);
    // Half-way through the release the level is 0.35; rising at 1/480 per
    // sample it needs round(0.65 * 480) = 312 samples to reach 1.
    rig.schedule(10000 + kRelease / 2, "gate", 1.0f);
    const std::vector<float> env = rig.render_port(20000, "env", BlockPlan::fixed(64));
    const std::size_t on = 10000 + kRelease / 2;
    EXPECT_NEAR(env[on - 1], 0.35f, 1e-6);
    EXPECT_GT(env[on], env[on - 1]);
    EXPECT_LT(env[on + 310], 1.0f);
    EXPECT_EQ(env[on + 311], 1.0f);
    EXPECT_LE(max_jump(std::span<const float>(env.data() + on - 10, 400)), 1.0 / kAttack + 1e-6);
}

TEST(AdsrNode, ZeroTimesJumpAndZeroSustainEndsSilent) {
    NodeHarness rig("adsr", kRate, 1024,
                    {{"attack", 0.0f}, {"decay", 0.0f}, {"sustain", 0.0f}, {"release", 0.0f}});
    rig.schedule(10, "gate", 1.0f);
    const std::vector<float> env = rig.render_port(100, "env");
    EXPECT_EQ(env[9], 0.0f);
    EXPECT_EQ(env[10], 1.0f);  // attack of zero length: the first sample is the peak
    EXPECT_EQ(env[11], 0.0f);  // decay of zero length straight to sustain 0
    EXPECT_EQ(peak(std::span<const float>(env.data() + 11, 89)), 0.0);
}

TEST(AdsrNode, SustainFollowsItsParameterSmoothly) {
    NodeHarness rig = make_adsr();
    rig.set_param("gate", 1.0f);
    rig.render(10000);
    rig.set_param("sustain", 0.2f, 960);
    const std::vector<float> env = rig.render_port(2000, "env");
    EXPECT_NEAR(env[479], 0.45f, 1e-4);  // half-way down the 960-frame ramp
    EXPECT_EQ(env[959], 0.2f);
    EXPECT_EQ(env[1999], 0.2f);
}

TEST(AdsrNode, GateAtTheSameFrameWhateverTheBlockSize) {
    std::vector<std::vector<float>> renders;
    for (const BlockPlan plan : {BlockPlan::fixed(1024), BlockPlan::fixed(64),
                                 BlockPlan::fixed(1), BlockPlan::randomized(500, 9)}) {
        NodeHarness rig = make_adsr();
        rig.schedule(777, "gate", 1.0f);
        rig.schedule(5555, "attack", 0.02f, 100);
        rig.schedule(8000, "gate", 0.0f);
        rig.schedule(9000, "gate", 1.0f);
        rig.schedule(15000, "gate", 0.0f);
        renders.push_back(rig.render_port(30000, "env", plan));
    }
    for (std::size_t i = 1; i < renders.size(); ++i) EXPECT_EQ(renders[i], renders[0]) << i;
}

}  // namespace
}  // namespace rtgraph::test_support
