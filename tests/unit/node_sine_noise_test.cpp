// The "sine" and "noise" sources: frequency, amplitude, smooth changes,
// noise statistics and reproducibility.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <span>
#include <tuple>
#include <vector>

#include "support/node_harness.hpp"
#include "support/signal_analysis.hpp"

namespace rtgraph::test_support {
namespace {

class SineNodeAccuracy : public ::testing::TestWithParam<std::tuple<double, double, double>> {};

TEST_P(SineNodeAccuracy, FrequencyAndAmplitudeMatchTheParameters) {
    const auto [sample_rate, frequency, amplitude] = GetParam();
    NodeHarness rig("sine", sample_rate, 1024,
                    {{"freq", static_cast<float>(frequency)}, {"amp", static_cast<float>(amplitude)}});
    const auto frames = static_cast<std::size_t>(sample_rate);  // one second
    const std::vector<float> out = rig.render_port(frames, "out", BlockPlan::fixed(256));

    const double measured = zero_crossing_frequency(out, sample_rate);
    const SineFit fit = fit_sine(out, sample_rate, frequency);
    RecordProperty("measured_hz", std::to_string(measured));
    EXPECT_NEAR(measured, frequency, 0.01) << "zero crossings";
    EXPECT_NEAR(peak(out), amplitude, 1e-3);
    EXPECT_NEAR(fit.amplitude, amplitude, 1e-5);
    EXPECT_LT(fit.residual_rms, 1e-5) << "not a pure sine at the requested frequency";
    EXPECT_NEAR(goertzel_amplitude(out, sample_rate, frequency), amplitude, 1e-3);
    // Starts at phase zero.
    EXPECT_EQ(out[0], 0.0f);
}

INSTANTIATE_TEST_SUITE_P(RatesFrequenciesAmplitudes, SineNodeAccuracy,
                         ::testing::Combine(::testing::Values(48000.0, 44100.0),
                                            ::testing::Values(440.0, 1000.0, 5000.0),
                                            ::testing::Values(0.5, 1.0)));

// THD+N of a full-scale sine: what a fit at the exact frequency leaves, as a
// level relative to the sine's own RMS (dBFS for a full-scale tone).
TEST(SineNode, FullScaleToneHasThdPlusNoiseBelowMinus120Dbfs) {
    for (const double frequency : {997.0, 10007.0, 41.0}) {
        NodeHarness rig("sine", 48000.0, 1024, {{"freq", static_cast<float>(frequency)}, {"amp", 1.0f}});
        const std::vector<float> out = rig.render_port(48000, "out", BlockPlan::randomized(500, 3));
        const SineFit fit = fit_sine(out, 48000.0, frequency);
        const double thd_n_db = 20.0 * std::log10(fit.residual_rms / (1.0 / std::numbers::sqrt2));
        RecordProperty("thd_n_db_" + std::to_string(static_cast<int>(frequency)), std::to_string(thd_n_db));
        EXPECT_LT(thd_n_db, -120.0) << frequency << " Hz";
        EXPECT_NEAR(fit.amplitude, 1.0, 1e-6) << frequency << " Hz";
    }
}

// The phase of the last 100 ms of a 10 s tone, against the first 100 ms, says
// how far the oscillator's frequency is from the parameter: a relative error
// of 1e-6 at 440 Hz is 0.027 radian after 10 s; the fit resolves 1e-7.
TEST(SineNode, FrequencyIsExactToOnePartPerMillionOverTenSeconds) {
    constexpr std::size_t kSegment = 4800;
    for (const double rate : {48000.0, 44100.0}) {
        for (const double frequency : {20.0, 440.0, 1234.5, 15000.0}) {
            NodeHarness rig("sine", rate, 1024, {{"freq", static_cast<float>(frequency)}, {"amp", 1.0f}});
            const auto frames = static_cast<std::size_t>(10.0 * rate);
            const std::vector<float> out = rig.render_port(frames, "out", BlockPlan::randomized(700, 11));
            const std::size_t last = frames - kSegment;
            const double first_phase = fit_sine(std::span(out).first(kSegment), rate, frequency).phase;
            const double last_phase = fit_sine(std::span(out).subspan(last), rate, frequency).phase;
            // x[n0 + m] = cos(w m - phase(n0)) with phase(n0) = phase(0) - w n0.
            const double w = 2.0 * std::numbers::pi * frequency / rate;
            const double advanced = w * static_cast<double>(last);
            const double error = std::remainder(first_phase - last_phase - advanced, 2.0 * std::numbers::pi);
            const double relative = error / advanced;
            RecordProperty("relative_error_" + std::to_string(static_cast<int>(frequency)),
                           std::to_string(relative));
            EXPECT_LT(std::fabs(relative), 1e-6) << frequency << " Hz at " << rate;
        }
    }
}

TEST(SineNode, FrequencyRampHasNoClickAndLandsOnTheNewFrequency) {
    constexpr double kRate = 48000.0;
    NodeHarness rig("sine", kRate, 1024, {{"freq", 440.0f}, {"amp", 1.0f}});
    rig.render(1000, BlockPlan::fixed(128));
    rig.set_param("freq", 880.0f, 1440);  // 30 ms
    const std::vector<float> out = rig.render_port(48000, "out", BlockPlan::fixed(100));
    // Largest slope a unit sine at 880 Hz can have, per sample.
    const double slope = 2.0 * std::numbers::pi * 880.0 / kRate;
    EXPECT_LE(max_jump(out), slope * 1.001);
    const std::span<const float> settled(out.data() + 2400, 45600);  // 912 cycles
    EXPECT_NEAR(zero_crossing_frequency(settled, kRate), 880.0, 0.01);
    EXPECT_NEAR(peak(settled), 1.0, 1e-3);
}

TEST(SineNode, AmplitudeRampIsLinearAndLandsExactlyOnZero) {
    constexpr double kRate = 48000.0;
    NodeHarness rig("sine", kRate, 1024, {{"freq", 1000.0f}, {"amp", 1.0f}});
    rig.render(480, BlockPlan::fixed(64));
    rig.set_param("amp", 0.0f, 960);
    const std::vector<float> out = rig.render_port(2000, "out", BlockPlan::fixed(64));
    // Sample k of the ramp carries amplitude 1 - (k + 1) / 960 times the sine.
    for (std::size_t k = 0; k < 960; k += 7) {
        const double phase = 2.0 * std::numbers::pi * 1000.0 * static_cast<double>(480 + k) / kRate;
        const double expected = (1.0 - static_cast<double>(k + 1) / 960.0) * std::sin(phase);
        EXPECT_NEAR(out[k], expected, 1e-5) << k;
    }
    for (std::size_t k = 959; k < out.size(); ++k) ASSERT_EQ(out[k], 0.0f) << k;
}

TEST(NoiseNode, UniformStatisticsMatchTheAnalyticValues) {
    constexpr float kAmp = 0.25f;
    NodeHarness rig("noise", 48000.0, 1024, {{"amp", kAmp}});
    const std::vector<float> out = rig.render_port(480000, "out", BlockPlan::fixed(512));
    // Uniform on [-a, a): mean 0 (standard error a / sqrt(3 N) = 2.1e-4 here),
    // RMS a / sqrt(3), never reaching beyond a.
    EXPECT_NEAR(mean(out), 0.0, 1e-3);
    EXPECT_NEAR(rms(out), kAmp / std::sqrt(3.0), 0.005 * kAmp / std::sqrt(3.0));
    EXPECT_LE(peak(out), kAmp);
    EXPECT_GT(peak(out), 0.999 * kAmp);
    // White: neighbouring samples uncorrelated (standard error 1 / sqrt(N) = 1.4e-3).
    double lag0 = 0.0;
    double lag1 = 0.0;
    for (std::size_t n = 1; n < out.size(); ++n) {
        lag0 += static_cast<double>(out[n]) * out[n];
        lag1 += static_cast<double>(out[n]) * out[n - 1];
    }
    EXPECT_LT(std::fabs(lag1 / lag0), 0.01);
    // A histogram of 10 equal bins holds N/10 each within 5 standard errors.
    std::vector<int> bins(10, 0);
    for (const float x : out) {
        const int bin = static_cast<int>((x / kAmp + 1.0f) * 5.0f);
        ++bins[static_cast<std::size_t>(std::clamp(bin, 0, 9))];
    }
    for (const int count : bins) EXPECT_NEAR(count, 48000, 5 * std::sqrt(48000 * 0.9));
}

TEST(NoiseNode, TwoInstancesProduceTheSameSamplesAndResetRestarts) {
    NodeHarness a("noise");
    NodeHarness b("noise");
    const std::vector<float> first = a.render_port(10000, "out", BlockPlan::fixed(64));
    const std::vector<float> second = b.render_port(10000, "out", BlockPlan::randomized(300, 7));
    EXPECT_EQ(first, second);
    a.node().reset();
    EXPECT_EQ(a.render_port(10000, "out", BlockPlan::fixed(1000)), first);
    // And it is not a constant or a short cycle.
    EXPECT_NE(std::vector<float>(first.begin(), first.begin() + 100),
              std::vector<float>(first.begin() + 100, first.begin() + 200));
}

}  // namespace
}  // namespace rtgraph::test_support
