// The "delay" node: whole-sample delays exact to the sample, feedback echoes,
// dry/wet mix, the max_time clamp, and smooth delay-time changes.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "rtgraph/engine/nodes/delay.hpp"
#include "support/node_harness.hpp"
#include "support/signal_analysis.hpp"

namespace rtgraph::test_support {
namespace {

std::vector<float> impulse_at(std::size_t frames, std::size_t at, float value = 1.0f) {
    std::vector<float> signal(frames, 0.0f);
    signal[at] = value;
    return signal;
}

class DelayImpulse : public ::testing::TestWithParam<std::tuple<double, float>> {};

TEST_P(DelayImpulse, ArrivesExactlyRoundTimeTimesRateLater) {
    const auto [rate, time] = GetParam();
    const auto d = static_cast<std::size_t>(std::lround(static_cast<double>(time) * rate));
    constexpr std::size_t kAt = 1234;
    const std::size_t frames = kAt + d + 500;
    NodeHarness rig("delay", rate, 1024, {{"max_time", 1.0f}, {"time", time}});
    rig.set_input("in", impulse_at(frames, kAt));
    const std::vector<float> out = rig.render_port(frames, "out", BlockPlan::randomized(700, 11));
    for (std::size_t n = 0; n < frames; ++n) {
        ASSERT_EQ(out[n], n == kAt + d ? 1.0f : 0.0f) << "frame " << n << ", delay " << d;
    }
}

INSTANTIATE_TEST_SUITE_P(TimesAndRates, DelayImpulse,
                         ::testing::Combine(::testing::Values(48000.0, 44100.0),
                                            ::testing::Values(0.0f, 0.001f, 0.0105f, 0.25f,
                                                              0.3333f, 1.0f)));

TEST(DelayNode, FeedbackEchoesDecayAsPowersOfTheFeedback) {
    constexpr std::size_t kDelay = 480;  // 10 ms at 48 kHz
    constexpr std::size_t kAt = 100;
    constexpr float kFeedback = 0.6f;
    const std::size_t frames = kAt + 8 * kDelay + 10;
    NodeHarness rig("delay", 48000.0, 1024, {{"time", 0.01f}, {"feedback", kFeedback}});
    rig.set_input("in", impulse_at(frames, kAt));
    const std::vector<float> out = rig.render_port(frames, "out", BlockPlan::fixed(128));
    for (std::size_t n = 0; n < frames; ++n) {
        const bool on_echo = n > kAt && (n - kAt) % kDelay == 0;
        if (!on_echo) {
            ASSERT_EQ(out[n], 0.0f) << n;
            continue;
        }
        const auto k = static_cast<int>((n - kAt) / kDelay);  // echo 1, 2, ...
        EXPECT_NEAR(out[n], std::pow(static_cast<double>(kFeedback), k - 1), 1e-6) << "echo " << k;
    }
}

TEST(DelayNode, MixBlendsDryAndWet) {
    NodeHarness rig("delay", 48000.0, 1024, {{"time", 0.001f}, {"mix", 0.25f}});
    rig.set_input("in", impulse_at(200, 10, 2.0f));
    const std::vector<float> out = rig.render_port(200, "out");
    EXPECT_EQ(out[10], 1.5f);       // 0.75 * 2 dry
    EXPECT_EQ(out[10 + 48], 0.5f);  // 0.25 * 2 wet
    EXPECT_EQ(peak(std::span<const float>(out.data() + 11, 47)), 0.0);
    EXPECT_EQ(peak(std::span<const float>(out.data() + 59, 141)), 0.0);
}

TEST(DelayNode, TimeIsClampedToMaxTime) {
    NodeHarness rig("delay", 48000.0, 1024, {{"max_time", 0.1f}, {"time", 0.5f}});
    EXPECT_EQ(static_cast<engine::DelayNode&>(rig.node()).max_delay(), 4800u);
    rig.set_input("in", impulse_at(6000, 0));
    const std::vector<float> out = rig.render_port(6000, "out");
    EXPECT_EQ(out[4800], 1.0f);
    EXPECT_EQ(peak(out), 1.0);
}

TEST(DelayNode, TimeRampMovesSmoothlyThenSettlesOnTheExactDelay) {
    constexpr double kRate = 48000.0;
    constexpr double kFreq = 200.0;
    NodeHarness rig("delay", kRate, 1024, {{"time", 0.1f}});
    const std::vector<float> in = make_sine(48000, kRate, kFreq, 1.0);
    rig.set_input("in", in);
    rig.render(9600);
    // 4800 -> 4776 samples over 2400 frames: the read point runs 1 % fast, a
    // 2 Hz Doppler shift. Without interpolation it would skip a sample every
    // 100 frames, a jump of twice the sine's slope.
    rig.set_param("time", 0.0995f, 2400);
    const std::vector<float> out = rig.render_port(24000, "out", BlockPlan::fixed(100));
    const double w = 2.0 * std::numbers::pi * kFreq / kRate;
    EXPECT_LE(max_jump(out), w * 1.02);
    // During the ramp: the input read at the fractional delay of that sample.
    for (std::size_t k = 0; k < 2400; ++k) {
        const double delay = 4800.0 - 24.0 * static_cast<double>(k + 1) / 2400.0;
        const double ideal = std::sin(w * (static_cast<double>(9600 + k) - delay));
        ASSERT_NEAR(out[k], ideal, 1e-3) << k;
    }
    // Settled: exactly 4776 samples behind the input.
    for (std::size_t k = 2400; k < out.size(); ++k) {
        ASSERT_EQ(out[k], in[9600 + k - 4776]) << k;
    }
}

TEST(DelayNode, ResetSilencesTheLine) {
    NodeHarness rig("delay", 48000.0, 1024, {{"time", 0.01f}, {"feedback", 0.9f}});
    rig.set_input("in", std::vector<float>(1000, 0.5f));
    rig.render(1000);
    rig.node().reset();
    for (const float x : rig.render_port(5000, "out")) ASSERT_EQ(x, 0.0f);
}

}  // namespace
}  // namespace rtgraph::test_support
