// The "biquad" node: measured steady-state gain against the analytic response.
//
// The reference response here is written independently of the node's code: the
// cookbook filters are the bilinear transform, warped so that analog frequency
// 1 lands on w0, of the analog prototypes below. So |H(e^jw)| is |H_a(s)| at
// s = j tan(w / 2) / tan(w0 / 2), with no b/a coefficients involved.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "support/node_harness.hpp"
#include "support/signal_analysis.hpp"

namespace rtgraph::test_support {
namespace {

enum Mode { kLowpass = 0, kHighpass = 1, kBandpass = 2, kNotch = 3, kPeaking = 4 };

// Analog prototypes, normalized to a centre/corner frequency of 1 rad/s.
double analytic_gain_db(int mode, double sample_rate, double fc, double q, double gain_db,
                        double f) {
    const double w = 2.0 * std::numbers::pi * f / sample_rate;
    const double w0 = 2.0 * std::numbers::pi * fc / sample_rate;
    const std::complex<double> s(0.0, std::tan(w / 2.0) / std::tan(w0 / 2.0));
    const std::complex<double> denominator = s * s + s / q + 1.0;
    std::complex<double> h;
    switch (mode) {
        case kLowpass: h = 1.0 / denominator; break;
        case kHighpass: h = s * s / denominator; break;
        case kBandpass: h = (s / q) / denominator; break;
        case kNotch: h = (s * s + 1.0) / denominator; break;
        default: {
            const double a = std::pow(10.0, gain_db / 40.0);
            h = (s * s + s * (a / q) + 1.0) / (s * s + s / (a * q) + 1.0);
            break;
        }
    }
    return 20.0 * std::log10(std::abs(h));
}

// Drives a unit sine at f for half a second; fits the second half of input and
// output at f and returns the gain in dB.
double measured_gain_db(NodeHarness& rig, double f) {
    const double rate = rig.sample_rate();
    const auto frames = static_cast<std::size_t>(rate / 2);
    const std::vector<float> in = make_sine(frames, rate, f, 1.0);
    rig.node().reset();
    rig.set_input("in", in);
    const std::vector<float> out = rig.render_port(frames, "out", BlockPlan::fixed(256));
    const std::size_t skip = frames / 2;
    const std::span<const float> in_tail(in.data() + skip, frames - skip);
    const std::span<const float> out_tail(out.data() + skip, frames - skip);
    return ratio_db(fit_sine(out_tail, rate, f).amplitude, fit_sine(in_tail, rate, f).amplitude);
}

// mode, gain_db (peaking only), sample rate, fc, q
using ResponseCase = std::tuple<int, double, double, double, double>;

class BiquadResponse : public ::testing::TestWithParam<ResponseCase> {};

TEST_P(BiquadResponse, SteadyStateGainMatchesTheAnalyticResponse) {
    const auto [mode, gain_db, rate, fc, q] = GetParam();
    NodeHarness rig("biquad", rate, 1024,
                    {{"mode", static_cast<float>(mode)},
                     {"freq", static_cast<float>(fc)},
                     {"q", static_cast<float>(q)},
                     {"gain_db", static_cast<float>(gain_db)}});
    for (const double ratio : {0.25, 0.5, 1.0, 2.0, 4.0}) {
        const double f = fc * ratio;
        // The node holds its parameters as float: use the same values here.
        const double expected = analytic_gain_db(mode, rate, static_cast<float>(fc),
                                                 static_cast<float>(q),
                                                 static_cast<float>(gain_db), f);
        const double measured = measured_gain_db(rig, f);
        SCOPED_TRACE("f = " + std::to_string(f) + " Hz, expected " + std::to_string(expected) +
                     " dB, measured " + std::to_string(measured) + " dB");
        if (expected < -80.0) {
            EXPECT_LT(measured, -60.0);  // a notch at its centre: the null is deep
        } else {
            EXPECT_NEAR(measured, expected, 0.1);
            EXPECT_NEAR(measured, expected, 0.001) << "much worse than expected rounding";
        }
    }
}

std::string response_name(const ::testing::TestParamInfo<ResponseCase>& info) {
    static const char* const kNames[] = {"lowpass", "highpass", "bandpass", "notch", "peaking"};
    const auto [mode, gain_db, rate, fc, q] = info.param;
    std::string name = std::string(kNames[mode]) + "_" + std::to_string(static_cast<int>(rate)) +
                       "_fc" + std::to_string(static_cast<int>(fc)) + "_q" +
                       std::to_string(static_cast<int>(q * 100));
    if (mode == kPeaking) {
        name += gain_db < 0 ? "_minus" : "_plus";
        name += std::to_string(static_cast<int>(std::fabs(gain_db)));
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(
    PlainModes, BiquadResponse,
    ::testing::Combine(::testing::Values(kLowpass, kHighpass, kBandpass, kNotch),
                       ::testing::Values(0.0), ::testing::Values(48000.0, 44100.0),
                       ::testing::Values(250.0, 1000.0, 4000.0),
                       ::testing::Values(0.7071, 2.5)),
    response_name);

INSTANTIATE_TEST_SUITE_P(
    Peaking, BiquadResponse,
    ::testing::Combine(::testing::Values(kPeaking), ::testing::Values(9.0, -6.0),
                       ::testing::Values(48000.0, 44100.0),
                       ::testing::Values(250.0, 1000.0, 4000.0),
                       ::testing::Values(0.7071, 2.5)),
    response_name);

// Facts that hold whatever formula one trusts.
TEST(BiquadNode, ButterworthLowpassIsMinus3dBAtCutoff) {
    NodeHarness rig("biquad", 48000.0, 1024, {{"mode", 0.0f}, {"freq", 1000.0f}, {"q", 0.7071f}});
    const double at_fc = measured_gain_db(rig, 1000.0);
    RecordProperty("lowpass_at_fc_db", std::to_string(at_fc));
    EXPECT_NEAR(at_fc, -3.0103, 0.01);
    EXPECT_NEAR(measured_gain_db(rig, 20.0), 0.0, 0.01);
}

TEST(BiquadNode, BandpassIsUnityAndPeakingIsGainAtCentre) {
    NodeHarness bandpass("biquad", 48000.0, 1024, {{"mode", 2.0f}, {"freq", 2000.0f}, {"q", 4.0f}});
    EXPECT_NEAR(measured_gain_db(bandpass, 2000.0), 0.0, 0.01);
    NodeHarness peaking("biquad", 48000.0, 1024,
                        {{"mode", 4.0f}, {"freq", 2000.0f}, {"q", 1.0f}, {"gain_db", 12.0f}});
    EXPECT_NEAR(measured_gain_db(peaking, 2000.0), 12.0, 0.01);
    EXPECT_NEAR(measured_gain_db(peaking, 20.0), 0.0, 0.05);
    NodeHarness notch("biquad", 48000.0, 1024, {{"mode", 3.0f}, {"freq", 3000.0f}, {"q", 1.0f}});
    EXPECT_LT(measured_gain_db(notch, 3000.0), -80.0);
}

TEST(BiquadNode, ModeAndFrequencyChangesTakeEffect) {
    NodeHarness rig("biquad", 48000.0, 1024, {{"mode", 0.0f}, {"freq", 1000.0f}});
    EXPECT_LT(measured_gain_db(rig, 8000.0), -30.0);
    rig.set_param("mode", 1.0f);  // highpass
    EXPECT_NEAR(measured_gain_db(rig, 8000.0), 0.0, 0.1);
    EXPECT_LT(measured_gain_db(rig, 125.0), -30.0);
    rig.set_param("freq", 100.0f, 0);  // a jump: immediate
    EXPECT_NEAR(measured_gain_db(rig, 8000.0), 0.0, 0.01);
    const double expected = analytic_gain_db(kHighpass, 48000.0, 100.0, 0.7071f, 0.0, 125.0);
    EXPECT_NEAR(measured_gain_db(rig, 125.0), expected, 0.01);
}

// A 100 Hz tone through a 1 kHz lowpass, switched to highpass (which all but
// removes it) at frame 4800: an abrupt switch jumps by about the tone's
// amplitude; the crossfade keeps every sample-to-sample step within the
// steady tone's own largest step plus amplitude / crossfade length.
TEST(BiquadNode, ModeSwitchDoesNotClick) {
    constexpr double kRate = 48000.0;
    constexpr double kAmp = 0.5;
    constexpr std::size_t kSwitch = 4800;
    const std::vector<float> in = make_sine(3 * kSwitch, kRate, 100.0, kAmp);
    std::vector<float> reference;
    for (const BlockPlan plan : {BlockPlan::fixed(64), BlockPlan::randomized(300, 9)}) {
        NodeHarness rig("biquad", kRate, 1024, {{"mode", 0.0f}, {"freq", 1000.0f}});
        rig.set_input("in", in);
        rig.schedule(kSwitch, "mode", 1.0f);
        const std::vector<float> out = rig.render_port(in.size(), "out", plan);
        const double steady = max_jump(std::span(out).subspan(kSwitch / 2, kSwitch / 2));
        const double around_switch = max_jump(std::span(out).subspan(kSwitch - 1, kSwitch));
        RecordProperty("largest_step_steady", std::to_string(steady));
        RecordProperty("largest_step_at_switch", std::to_string(around_switch));
        const double fade_frames = kRate * 0.01;
        EXPECT_LT(around_switch, steady + kAmp / fade_frames * 1.1);
        // It did switch: the highpass leaves the tone 40 dB down, as analysed.
        const std::span<const float> after(out.data() + 2 * kSwitch, kSwitch);
        const double expected = analytic_gain_db(kHighpass, kRate, 1000.0, 0.7071, 0.0, 100.0);
        EXPECT_NEAR(ratio_db(fit_sine(after, kRate, 100.0).amplitude, kAmp), expected, 0.05);
        if (reference.empty()) {
            reference = out;
        } else {
            EXPECT_EQ(out, reference) << "the crossfade depends on block splits";
        }
    }
}

// A second switch during a crossfade waits for it to end: still no click, and
// the filter ends in the last mode asked for.
TEST(BiquadNode, ModeSwitchDuringACrossfadeWaitsForIt) {
    constexpr double kRate = 48000.0;
    const std::vector<float> in = make_sine(14400, kRate, 100.0, 0.5);
    NodeHarness rig("biquad", kRate, 1024, {{"mode", 0.0f}, {"freq", 1000.0f}});
    rig.set_input("in", in);
    rig.schedule(4800, "mode", 1.0f);
    rig.schedule(4900, "mode", 3.0f);  // notch, 100 frames into the first crossfade
    const std::vector<float> out = rig.render_port(in.size(), "out", BlockPlan::randomized(200, 4));
    const double steady = max_jump(std::span(out).subspan(2400, 2400));
    EXPECT_LT(max_jump(std::span(out).subspan(4799, 4800)), steady + 0.5 / 480.0 * 1.1);
    const std::span<const float> after(out.data() + 9600, 4800);
    const double expected = analytic_gain_db(kNotch, kRate, 1000.0, 0.7071, 0.0, 100.0);
    EXPECT_NEAR(ratio_db(fit_sine(after, kRate, 100.0).amplitude, 0.5), expected, 0.05);
}

TEST(BiquadNode, ResetClearsTheFilterMemory) {
    NodeHarness rig("biquad", 48000.0, 1024, {{"mode", 0.0f}, {"freq", 200.0f}, {"q", 20.0f}});
    rig.set_input("in", make_sine(4800, 48000.0, 200.0, 1.0));
    rig.render(4800);
    // Without reset, a resonant filter rings on after its input stops.
    const std::vector<float> ringing = rig.render_port(100, "out");
    EXPECT_GT(peak(ringing), 0.1);
    rig.node().reset();
    for (const float x : rig.render_port(1000, "out")) ASSERT_EQ(x, 0.0f);
}

TEST(BiquadNode, FastSweepAtHighQStaysFiniteAndBounded) {
    NodeHarness rig("biquad", 48000.0, 1024, {{"mode", 2.0f}, {"freq", 50.0f}, {"q", 40.0f}});
    NodeHarness source("noise", 48000.0, 1024, {{"amp", 1.0f}});
    rig.set_input("in", source.render_port(96000, "out"));
    rig.set_param("freq", 20000.0f, 24000);
    rig.schedule(30000, "freq", 20.0f, 24000);
    const std::vector<float> out = rig.render_port(96000, "out", BlockPlan::randomized(512, 5));
    for (const float x : out) ASSERT_TRUE(std::isfinite(x));
    EXPECT_LT(peak(out), 10.0);
    EXPECT_GT(rms(out), 1e-3);
}

}  // namespace
}  // namespace rtgraph::test_support
