// The "gain" and "mixer" nodes: exact products and sums, and linear ramps that
// land exactly on their target.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "support/node_harness.hpp"

namespace rtgraph::test_support {
namespace {

// Integers -500..499 repeating: products with short binary fractions are exact.
std::vector<float> ramp_signal(std::size_t n) {
    std::vector<float> signal(n);
    for (std::size_t i = 0; i < n; ++i) signal[i] = static_cast<float>(i % 1000) - 500.0f;
    return signal;
}

TEST(GainNode, MultipliesExactly) {
    NodeHarness rig("gain", 48000.0, 1024, {{"gain", 0.375f}});
    rig.set_input("in", ramp_signal(3000));
    const std::vector<float> out = rig.render_port(3000, "out", BlockPlan::fixed(100));
    for (std::size_t i = 0; i < out.size(); ++i) {
        ASSERT_EQ(out[i], (static_cast<float>(i % 1000) - 500.0f) * 0.375f) << i;
    }
}

TEST(GainNode, RampIsLinearOverTheRampAndLandsExactly) {
    NodeHarness rig("gain");
    rig.set_input("in", std::vector<float>(5000, 1.0f));
    rig.render(1000, BlockPlan::fixed(64));
    rig.set_param("gain", 3.0f, 960);  // 20 ms, from 1
    const std::vector<float> out = rig.render_port(4000, "out", BlockPlan::fixed(64));
    // Sample k after the change carries 1 + 2 (k + 1) / 960. (SmoothedParam
    // adds a float step per sample, so it strays from the line by ~1e-5.)
    for (std::size_t k = 0; k < 959; ++k) {
        ASSERT_NEAR(out[k], 1.0 + 2.0 * static_cast<double>(k + 1) / 960.0, 1e-4) << k;
        ASSERT_GT(out[k + 1], out[k]) << k;
    }
    for (std::size_t k = 959; k < out.size(); ++k) ASSERT_EQ(out[k], 3.0f) << k;
}

TEST(GainNode, DefaultIsUnityAndZeroSilences) {
    NodeHarness rig("gain");
    rig.set_input("in", ramp_signal(500));
    const std::vector<float> unity = rig.render_port(500, "out");
    EXPECT_EQ(unity, ramp_signal(500));
    rig.set_param("gain", 0.0f);
    for (const float x : rig.render_port(500, "out")) ASSERT_EQ(x, 0.0f);
}

TEST(MixerNode, SumsWeightedInputsExactly) {
    // in_k = k * 0.5 constant; gain_k = 2^-k; master = 4.
    std::vector<std::pair<std::string, float>> overrides{{"master", 4.0f}};
    double expected = 0.0;
    for (int k = 1; k <= 8; ++k) {
        const float g = std::ldexp(1.0f, -k);
        overrides.emplace_back("gain_" + std::to_string(k), g);
        expected += 0.5 * k * g;
    }
    expected *= 4.0;
    NodeHarness rig("mixer", 48000.0, 1024, overrides);
    for (int k = 1; k <= 8; ++k) {
        rig.set_input("in_" + std::to_string(k), std::vector<float>(2000, 0.5f * k));
    }
    const std::vector<float> out = rig.render_port(2000, "out", BlockPlan::randomized(200, 3));
    for (const float x : out) ASSERT_EQ(x, static_cast<float>(expected));
}

TEST(MixerNode, UnconnectedInputsAreSilentAndEachGainAppliesToItsOwnInput) {
    NodeHarness rig("mixer", 48000.0, 1024, {{"gain_3", 0.25f}, {"gain_1", 8.0f}});
    rig.set_input("in_3", ramp_signal(1000));
    const std::vector<float> out = rig.render_port(1000, "out");
    for (std::size_t i = 0; i < out.size(); ++i) {
        ASSERT_EQ(out[i], (static_cast<float>(i) - 500.0f) * 0.25f) << i;
    }
}

TEST(MixerNode, MasterAndInputRampsLandExactly) {
    NodeHarness rig("mixer");
    rig.set_input("in_1", std::vector<float>(5000, 1.0f));
    rig.set_input("in_2", std::vector<float>(5000, 1.0f));
    rig.render(100);
    rig.set_param("master", 0.5f, 960);  // from 1
    rig.set_param("gain_2", 3.0f, 480);  // from 1
    const std::vector<float> out = rig.render_port(3000, "out", BlockPlan::fixed(37));
    for (std::size_t k = 0; k < 959; ++k) {
        const double master = 1.0 - 0.5 * static_cast<double>(k + 1) / 960.0;
        const double gain_2 = k < 479 ? 1.0 + 2.0 * static_cast<double>(k + 1) / 480.0 : 3.0;
        ASSERT_NEAR(out[k], master * (1.0 + gain_2), 1e-4) << k;
    }
    for (std::size_t k = 959; k < out.size(); ++k) ASSERT_EQ(out[k], 2.0f) << k;
}

}  // namespace
}  // namespace rtgraph::test_support
