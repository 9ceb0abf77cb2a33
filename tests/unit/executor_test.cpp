// Executor and engine behaviour on rendered audio: sample-accurate events,
// click-free swaps (and that the check can fail without fades), block-size
// independence, NaN containment, state kept across recompiles, reclamation.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <numbers>
#include <random>

#include "support/engine_rig.hpp"
#include "support/signal_analysis.hpp"

namespace rtgraph::engine {
namespace {

using test_support::EngineRig;

constexpr double kRate = 48000.0;

EngineConfig config_with(std::uint32_t max_block, float fade_ms = 5.0f) {
    EngineConfig config;
    config.sample_rate = kRate;
    config.max_block = max_block;
    config.fade_ms = fade_ms;
    return config;
}

// ---------------------------------------------------------------------------
// Sample accuracy

class SampleAccuracyTest : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(SampleAccuracyTest, ParameterEventLandsOnItsExactFrame) {
    const std::uint32_t block = GetParam();
    EngineRig rig(config_with(block));
    rig.script(
        "port out out_1\n"
        "add sine osc freq=997 amp=0.5\n"
        "add gain amp gain=1\n"
        "connect osc:out amp:in\n"
        "connect amp:out graph:out_1\n");
    // Frames chosen to fall at the start, inside and at the end of blocks.
    const std::vector<std::uint64_t> frames = {4800, 4801, 5000 + block - 1, 6000 + block, 7777};
    // Gain alternates 0, 1, 0, ... with no ramp, starting from 1.
    for (std::size_t i = 0; i < frames.size(); ++i) {
        rig.apply_ok({engine::SetParam{"amp", "gain", i % 2 == 0 ? 0.0f : 1.0f, 0.0f}}, frames[i]);
    }
    rig.driver.render(9000, block);
    const std::span<const float> out = rig.out();
    // The sine alone, to compare against.
    const auto sine = [](std::uint64_t n) {
        return 0.5 * std::sin(2.0 * std::numbers::pi * 997.0 * static_cast<double>(n) / kRate);
    };
    bool on = true;
    std::uint64_t next_index = 0;
    for (std::uint64_t n = 1000; n < 9000; ++n) {  // past the 5 ms fade-in
        if (next_index < frames.size() && n == frames[next_index]) {
            on = !on;
            ++next_index;
        }
        if (on) {
            ASSERT_NEAR(out[n], sine(n), 1e-4) << "frame " << n << " block " << block;
            // The sine is never near zero at the switch frames: a switch one
            // frame early or late is visible.
            if (n + 1 == frames[0]) {
                ASSERT_GT(std::fabs(out[n]), 0.01);
            }
        } else {
            ASSERT_EQ(out[n], 0.0f) << "frame " << n << " block " << block;
        }
    }
}

TEST_P(SampleAccuracyTest, RampStartsOnItsFrameAndLandsExactly) {
    const std::uint32_t block = GetParam();
    EngineRig rig(config_with(block));
    rig.script("port out out_1\nadd sine osc freq=50 amp=1\nadd gain g gain=0\n"
               "connect osc:out g:in\nconnect g:out graph:out_1\n");
    // Ramp the gain 0 -> 1 over 480 frames (10 ms) starting at frame 2400.
    rig.apply_ok({engine::SetParam{"g", "gain", 1.0f, 10.0f}}, 2400);
    rig.driver.render(4000, block);
    const std::span<const float> out = rig.out();
    const auto sine = [](std::uint64_t n) {
        return std::sin(2.0 * std::numbers::pi * 50.0 * static_cast<double>(n) / kRate);
    };
    EXPECT_EQ(out[2399], 0.0f);
    for (std::uint64_t k = 0; k < 480; ++k) {
        const double gain = static_cast<double>(k + 1) / 480.0;
        ASSERT_NEAR(out[2400 + k], gain * sine(2400 + k), 1e-4) << "ramp sample " << k;
    }
    EXPECT_NEAR(out[2880], sine(2880), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, SampleAccuracyTest, ::testing::Values(16u, 64u, 100u, 1000u));

TEST(EngineTest, LateEventAppliesAtTheNextBlock) {
    EngineRig rig(config_with(64));
    rig.script("port out out_1\nadd sine osc freq=100 amp=1\nadd gain g\n"
               "connect osc:out g:in\nconnect g:out graph:out_1\n");
    rig.driver.render(640, 64);
    rig.apply_ok({engine::SetParam{"g", "gain", 0.0f, 0.0f}}, 100);  // frame 100 is long past
    rig.driver.render(64, 64);
    EXPECT_NE(rig.out()[639], 0.0f);
    for (std::size_t n = 640; n < 704; ++n) ASSERT_EQ(rig.out()[n], 0.0f) << n;
}

TEST(EngineTest, TimedStructuralChangeLandsOnItsFrame) {
    EngineRig rig(config_with(256, 0.0f));  // no fade, so the edge appears at once
    rig.script("port out out_1\nadd sine osc freq=440 amp=0.5\n");
    rig.apply_ok({Connect{"osc:out", "graph:out_1", 1.0f}}, 1000);
    rig.driver.render(2048, 256);
    for (std::size_t n = 0; n < 1000; ++n) ASSERT_EQ(rig.out()[n], 0.0f) << n;
    const double expected = 0.5 * std::sin(2.0 * std::numbers::pi * 440.0 * 1000.0 / kRate);
    EXPECT_NEAR(rig.out()[1000], expected, 1e-5);
}

// ---------------------------------------------------------------------------
// Swap continuity: edges and nodes come and go every few blocks while a sine
// plays; with fades no step in the output is larger than the sine's own
// steepest step (plus the fade's own slope); without fades the check fails.

struct ContinuityResult {
    double max_jump = 0.0;
    double bound = 0.0;
    std::uint64_t swaps = 0;
};

ContinuityResult run_swap_storm(float fade_ms) {
    EngineRig rig(config_with(64, fade_ms));
    constexpr double kFreq = 440.0;
    constexpr double kAmp = 0.5;
    rig.script(
        "port out out_1\n"
        "add sine osc freq=440 amp=0.5\n"
        "add gain a gain=1\n"
        "connect osc:out a:in\n"
        "connect a:out graph:out_1\n");
    const std::vector<std::vector<Edit>> storm = {
        {AddNode{"gain", "b", {}}, Connect{"osc:out", "b:in"}, Connect{"b:out", "graph:out_1"}},
        {Disconnect{"a:out", "graph:out_1"}},
        {RemoveNode{"b"}},
        {Connect{"a:out", "graph:out_1"}},
        {AddNode{"gain", "c", {{"gain", 0.5f}}}, Connect{"osc:out", "c:in"},
         Connect{"c:out", "graph:out_1"}},
        {RemoveNode{"a"}, AddNode{"gain", "a", {}}, Connect{"osc:out", "a:in"},
         Connect{"a:out", "graph:out_1"}},
        {RemoveNode{"c"}},
        {ClearGraph{}},
        {AddNode{"sine", "osc", {{"freq", 440.0f}, {"amp", 0.5f}}}, AddNode{"gain", "a", {}},
         Connect{"osc:out", "a:in"}, Connect{"a:out", "graph:out_1"}},
    };
    std::size_t next = 0;
    rig.driver.on_block([&](std::uint64_t frame) {
        if (frame < 4800 || (frame / 64) % 3 != 0) return;  // every third block after 100 ms
        const engine::ApplyResult result = rig.engine->apply(storm[next % storm.size()]);
        EXPECT_TRUE(result.ok()) << result.error.message;
        ++next;
    });
    rig.driver.render(48000, 64);

    ContinuityResult result;
    // Skip the first sample: the sine starts at 0 but the fade-in starts too.
    result.max_jump = test_support::max_jump(rig.out().subspan(4800));
    // At most two unity paths and one half path sound at once: amplitude 2.5 * kAmp.
    const double max_amplitude = 2.5 * kAmp;
    const double fade_step = fade_ms > 0 ? 1.0 / (fade_ms * kRate / 1000.0) : 0.0;
    result.bound = max_amplitude * 2.0 * std::numbers::pi * kFreq / kRate + kAmp * fade_step * 2.5;
    result.swaps = rig.engine->stats().live_generation;
    return result;
}

TEST(SwapContinuityTest, NoClickWhenEdgesAndNodesChangeEveryFewBlocks) {
    const ContinuityResult result = run_swap_storm(5.0f);
    EXPECT_GT(result.swaps, 200u);
    EXPECT_LE(result.max_jump, result.bound)
        << "largest step " << result.max_jump << " exceeds the sine's own " << result.bound;
}

TEST(SwapContinuityTest, WithoutFadesTheSameStormClicks) {
    const ContinuityResult result = run_swap_storm(0.0f);
    EXPECT_GT(result.max_jump, 3.0 * result.bound)
        << "the click detector must see hard switching (step " << result.max_jump << ")";
}

// ---------------------------------------------------------------------------
// Block-size independence

std::vector<float> render_patch_with_blocks(const std::vector<std::uint32_t>& blocks,
                                            std::uint32_t max_block) {
    EngineRig rig(config_with(max_block), 2);
    rig.script(
        "port out out_1\nport out out_2\n"
        "add sine osc freq=330 amp=0.4\n"
        "add noise hiss amp=0.1\n"
        "add mixer mix\n"
        "connect osc:out mix:in_1\nconnect hiss:out mix:in_2\n"
        "add biquad lp mode=0 freq=2000 q=1\n"
        "connect mix:out lp:in\n"
        "add delay echo max_time=0.5 time=0.01 feedback=0.5 mix=0.5\n"
        "connect lp:out echo:in\n"
        "add adsr env attack=0.01 decay=0.02 sustain=0.5 release=0.03\n"
        "connect echo:out env:in\n"
        "connect env:out graph:out_1\n"
        "connect lp:out graph:out_2 0.5\n"
        "at 0.01\nset env gate 1\nset lp freq 6000 40\n"
        "at 0.0305\nset osc freq 550 7\nset echo time 0.013 20\n"
        "at 0.05\nset env gate 0\n"
        "at 0.06\ndisconnect lp:out graph:out_2\nadd gain late gain=0.7\n"
        "connect osc:out late:in\nconnect late:out graph:out_2\n"
        "at 0.0712\nset late gain 0.1 3\n");
    std::uint64_t total = 0;
    for (std::uint32_t b : blocks) total += b;
    EXPECT_GE(total, 4800u);
    rig.driver.render_blocks(blocks);
    std::vector<float> both(rig.out(0).begin(), rig.out(0).begin() + 4800);
    both.insert(both.end(), rig.out(1).begin(), rig.out(1).begin() + 4800);
    return both;
}

TEST(BlockSizeIndependenceTest, SameOutputForAnyBlockSizes) {
    const auto uniform = [](std::uint32_t size) {
        return std::vector<std::uint32_t>(4800 / size + 1, size);
    };
    const std::vector<float> reference = render_patch_with_blocks(uniform(16), 1024);
    std::mt19937 random(1234);
    std::vector<std::uint32_t> ragged;
    for (std::uint32_t total = 0; total < 4800;) {
        ragged.push_back(1 + random() % 700);
        total += ragged.back();
    }
    const std::vector<std::vector<std::uint32_t>> sequences = {uniform(64), uniform(1000), ragged};
    double reference_peak = 0.0;
    for (float x : reference) reference_peak = std::max(reference_peak, double{std::fabs(x)});
    ASSERT_GT(reference_peak, 0.1) << "the patch must actually make sound";
    for (const auto& blocks : sequences) {
        const std::vector<float> other = render_patch_with_blocks(blocks, 1024);
        double worst = 0.0;
        std::size_t worst_at = 0;
        for (std::size_t i = 0; i < reference.size(); ++i) {
            const double d = std::fabs(double{reference[i]} - double{other[i]});
            if (d > worst) {
                worst = d;
                worst_at = i;
            }
        }
        EXPECT_LT(worst, 1e-5) << "differs at sample " << worst_at << " with first block "
                               << blocks.front();
    }
    // Blocks longer than the engine's maximum are rendered in pieces, same result.
    const std::vector<float> chunked = render_patch_with_blocks(uniform(1000), 256);
    for (std::size_t i = 0; i < reference.size(); ++i) {
        ASSERT_NEAR(reference[i], chunked[i], 1e-5) << i;
    }
}

// ---------------------------------------------------------------------------
// A node producing NaN/Inf is silenced and reported; the rest keeps playing.

// Drains the telemetry; counts the non-finite reports, each of which must name `node`.
std::size_t nonfinite_reports(EngineRig& rig, const char* node) {
    const NodeId id = rig.engine->model().find_node(node)->id;
    std::size_t reports = 0;
    rt::TelemetryRecord record;
    while (rig.engine->read_telemetry(record)) {
        if (record.kind != rt::TelemetryKind::kNodeNonFinite) continue;
        EXPECT_EQ(record.source, id) << "reported against the wrong node";
        ++reports;
    }
    return reports;
}

class PoisonNode final : public Node {
public:
    using Node::Node;
    void process(const ProcessBlock& block) noexcept override {
        const bool poison = param(0).current() >= 0.5f;
        for (std::uint32_t i = 0; i < block.nframes; ++i) {
            block.outputs[0][i] = poison && i == block.nframes / 2
                                      ? std::numeric_limits<float>::quiet_NaN()
                                      : 0.25f;
        }
    }
};

TEST(EngineTest, NonFiniteOutputIsSilencedAndReported) {
    EngineRig rig(config_with(64));
    NodeTypeInfo type{"poison", "emits NaN when armed", {{"out", PortKind::kAudio, PortDirection::kOutput}},
                      {{"armed", 0, 1, 0, "", 0, ParamKind::kToggle, false}}};
    rig.registry.add(type, [](const NodeTypeInfo& t, const PrepareSpec& s, std::span<const float> v) {
        return std::make_unique<PoisonNode>(t, s, v);
    });
    rig.script("port out out_1\nadd poison p\nadd sine osc freq=1000 amp=0.5\n"
               "connect p:out graph:out_1\nconnect osc:out graph:out_1\n");
    rig.apply_ok({engine::SetParam{"p", "armed", 1.0f, std::nullopt}}, 4800);
    rig.apply_ok({engine::SetParam{"p", "armed", 0.0f, std::nullopt}}, 4800 + 640);
    rig.driver.render(9600, 64);
    const std::span<const float> out = rig.out();
    for (float x : out) ASSERT_TRUE(std::isfinite(x));
    // While armed the poison node is silent, the sine goes on alone.
    const test_support::SineFit during = test_support::fit_sine(out.subspan(4864, 512), kRate, 1000.0);
    EXPECT_NEAR(during.amplitude, 0.5, 1e-3);
    EXPECT_NEAR(during.dc, 0.0, 1e-3);
    // Once disarmed it plays 0.25 DC again.
    const test_support::SineFit after = test_support::fit_sine(out.subspan(6000, 512), kRate, 1000.0);
    EXPECT_NEAR(after.dc, 0.25, 1e-3);
    EXPECT_EQ(rig.engine->stats().nonfinite_blocks, 10u);
    EXPECT_EQ(nonfinite_reports(rig, "p"), 10u);
}

// A gain checks its own output in the loop that writes it (the executor then
// skips its pass). A finite input of 4e36 (64 of them still sum finite) times
// 16 is beyond what all_finite accepts: that block is still caught, silenced
// and reported against the gain.
class LoudNode final : public Node {
public:
    using Node::Node;
    void process(const ProcessBlock& block) noexcept override {
        const float level = param(0).current() >= 0.5f ? 4e36f : 0.25f;
        for (std::uint32_t i = 0; i < block.nframes; ++i) block.outputs[0][i] = level;
    }
};

TEST(EngineTest, GainThatOverflowsToInfIsSilencedAndReported) {
    EngineRig rig(config_with(64));
    NodeTypeInfo type{"loud", "emits 4e36 when armed", {{"out", PortKind::kAudio, PortDirection::kOutput}},
                      {{"armed", 0, 1, 0, "", 0, ParamKind::kToggle, false}}};
    rig.registry.add(type, [](const NodeTypeInfo& t, const PrepareSpec& s, std::span<const float> v) {
        return std::make_unique<LoudNode>(t, s, v);
    });
    rig.script("port out out_1\nadd loud l\nadd gain g gain=16\nadd sine osc freq=1000 amp=0.5\n"
               "connect l:out g:in\nconnect g:out graph:out_1\nconnect osc:out graph:out_1\n");
    rig.apply_ok({engine::SetParam{"l", "armed", 1.0f, std::nullopt}}, 4800);
    rig.apply_ok({engine::SetParam{"l", "armed", 0.0f, std::nullopt}}, 4800 + 640);
    rig.driver.render(9600, 64);
    const std::span<const float> out = rig.out();
    for (float x : out) ASSERT_TRUE(std::isfinite(x));
    const test_support::SineFit during = test_support::fit_sine(out.subspan(4864, 512), kRate, 1000.0);
    EXPECT_NEAR(during.amplitude, 0.5, 1e-3);
    EXPECT_NEAR(during.dc, 0.0, 1e-3);
    const test_support::SineFit after = test_support::fit_sine(out.subspan(6000, 512), kRate, 1000.0);
    EXPECT_NEAR(after.dc, 0.25 * 16, 1e-3);
    EXPECT_EQ(rig.engine->stats().nonfinite_blocks, 10u);
    EXPECT_EQ(nonfinite_reports(rig, "g"), 10u);
}

// ---------------------------------------------------------------------------
// State survives recompiles; nodes and programs are freed, none leaks.

TEST(EngineTest, NodeStateSurvivesUnrelatedEdits) {
    EngineRig rig(config_with(64));
    rig.script("port out out_1\nadd sine osc freq=500 amp=0.5\n"
               "add delay echo max_time=1 time=0.1 feedback=0 mix=1\n"
               "connect osc:out echo:in\nconnect echo:out graph:out_1\n");
    rig.driver.render(4800, 64);  // 100 ms of sine now fills the delay line
    // Unrelated structural edits: a recompile each.
    rig.apply_ok({AddNode{"noise", "n1", {}}});
    rig.apply_ok({AddNode{"gain", "g1", {}}, Connect{"n1:out", "g1:in"}});
    rig.apply_ok({Disconnect{"osc:out", "echo:in"}});  // the echo input goes silent
    rig.driver.render(4800, 64);
    // The 100 ms that were in the line before the edits still come out.
    const test_support::SineFit fit = test_support::fit_sine(rig.out().subspan(4800 + 480, 2400), kRate, 500.0);
    EXPECT_NEAR(fit.amplitude, 0.5, 2e-3) << "the delay line was reset by a recompile";
    EXPECT_GE(rig.engine->stats().live_generation, 4u);
}

std::atomic<int> g_live_counted_nodes{0};

class CountedNode final : public Node {
public:
    CountedNode(const NodeTypeInfo& t, const PrepareSpec& s, std::span<const float> v) : Node(t, s, v) {
        ++g_live_counted_nodes;
    }
    ~CountedNode() override { --g_live_counted_nodes; }
    void process(const ProcessBlock& block) noexcept override {
        for (std::uint32_t i = 0; i < block.nframes; ++i) block.outputs[0][i] = block.inputs[0][i];
    }
};

TEST(ReclamationTest, RemovedNodesAndRetiredProgramsAreFreedAndNoneLeaks) {
    g_live_counted_nodes = 0;
    std::size_t freed_programs = 0;
    std::uint64_t published = 0;
    {
        EngineRig rig(config_with(64));
        NodeTypeInfo type{"counted", "", {{"in", PortKind::kAudio, PortDirection::kInput},
                                          {"out", PortKind::kAudio, PortDirection::kOutput}}, {}};
        rig.registry.add(type, [](const NodeTypeInfo& t, const PrepareSpec& s, std::span<const float> v) {
            return std::make_unique<CountedNode>(t, s, v);
        });
        rig.script("port out out_1\nadd sine osc\n");
        for (int round = 0; round < 50; ++round) {
            rig.apply_ok({AddNode{"counted", "c", {}}, Connect{"osc:out", "c:in"},
                          Connect{"c:out", "graph:out_1"}});
            rig.driver.render(640, 64);
            EXPECT_EQ(g_live_counted_nodes, 1);
            rig.apply_ok({RemoveNode{"c"}});
            // Still alive while it fades out and while a program can reach it.
            EXPECT_EQ(g_live_counted_nodes, 1);
            rig.driver.render(640, 64);  // fade done, compiled out, retired, collected
            EXPECT_EQ(g_live_counted_nodes, 0) << "round " << round;
        }
        freed_programs = rig.engine->collect_garbage();
        published = rig.engine->stats().published_generation;
        EXPECT_EQ(rig.engine->stats().fading_nodes, 0u);
        EXPECT_EQ(rig.engine->stats().fading_edges, 0u);
    }
    EXPECT_EQ(g_live_counted_nodes, 0);
    EXPECT_GE(published, 150u);  // add, remove, and the fade-done recompile per round
    (void)freed_programs;
}

TEST(ReclamationTest, EveryRetiredProgramIsFreedOnTheHousekeepingSide) {
    EngineConfig config = config_with(64);
    NodeRegistry registry;
    register_builtin_nodes(registry);
    Engine engine(config, registry);
    std::vector<float> out(64);
    float* outputs[] = {out.data()};
    const AudioIo io{nullptr, 0, outputs, 1};
    std::size_t freed = 0;
    ASSERT_TRUE(engine.apply(AddGraphPort{"o", PortKind::kAudio, PortDirection::kOutput}).ok());
    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(engine.apply(AddNode{"gain", "g" + std::to_string(i), {}}).ok());
        engine.process(io, 64);
        if (i % 10 == 9) freed += engine.collect_garbage();
    }
    freed += engine.collect_garbage();
    // 101 programs published; the one running is the only one not freed.
    EXPECT_EQ(engine.stats().published_generation, 101u);
    EXPECT_EQ(freed, 100u);
}

TEST(EngineTest, FullQueueAnswersBusyAndChangesNothing) {
    EngineConfig config = config_with(64);
    config.command_queue_capacity = 8;
    EngineRig rig(config);
    rig.script("add gain g\n");
    rig.driver.render(64, 64);
    for (int i = 0; i < 8; ++i) {
        ASSERT_TRUE(rig.engine->apply(engine::SetParam{"g", "gain", 0.5f, std::nullopt}).ok()) << i;
    }
    const ApplyResult busy = rig.engine->apply(engine::SetParam{"g", "gain", 0.25f, std::nullopt});
    EXPECT_EQ(busy.error.code, ErrorCode::kBusy);
    EXPECT_FLOAT_EQ(rig.engine->model().find_node("g")->params[0], 0.5f);
    EXPECT_EQ(rig.engine->stats().busy_rejections, 1u);
    rig.driver.render(64, 64);  // the audio thread drains the queue
    EXPECT_TRUE(rig.engine->apply(engine::SetParam{"g", "gain", 0.25f, std::nullopt}).ok());
}

TEST(EngineTest, TransactionWithOneBadEditChangesNothing) {
    EngineRig rig(config_with(64));
    rig.script("port out out_1\nadd sine osc\n");
    const std::uint64_t generation = rig.engine->stats().published_generation;
    const ApplyResult result = rig.engine->apply(std::vector<Edit>{
        AddNode{"gain", "g", {}}, Connect{"osc:out", "g:in"}, Connect{"g:out", "graph:nope"}});
    EXPECT_EQ(result.error.code, ErrorCode::kUnknownPort);
    EXPECT_EQ(result.failed_index, 2u);
    EXPECT_EQ(rig.engine->model().find_node("g"), nullptr);
    EXPECT_TRUE(rig.engine->model().edges().empty());
    EXPECT_EQ(rig.engine->stats().published_generation, generation);
}

}  // namespace
}  // namespace rtgraph::engine

namespace rtgraph::engine {
namespace {

TEST(BypassTest, CrossfadesToTheInputAndBackWithoutAClick) {
    EngineRig rig(config_with(64));
    rig.script("port out out_1\nadd sine osc freq=440 amp=0.5\nadd gain g gain=0.25\n"
               "connect osc:out g:in\nconnect g:out graph:out_1\n");
    // Switch near the sine's peaks (a quarter period after a zero), where a
    // hard switch would jump by 0.75 * 0.5.
    rig.apply_ok({BypassNode{"g", true}}, 4827);
    rig.apply_ok({BypassNode{"g", false}}, 9627);
    rig.driver.render(14400, 64);
    const std::span<const float> out = rig.out();
    const auto sine = [](std::uint64_t n) {
        return 0.5 * std::sin(2.0 * std::numbers::pi * 440.0 * static_cast<double>(n) / kRate);
    };
    // Before: the gain's output; from 5 ms after the bypass: the dry input exactly.
    EXPECT_NEAR(out[4826], 0.25 * sine(4826), 1e-5);
    for (std::uint64_t n = 4827 + 240; n < 9627; ++n) ASSERT_NEAR(out[n], sine(n), 1e-5) << n;
    for (std::uint64_t n = 9627 + 240; n < 14400; ++n) ASSERT_NEAR(out[n], 0.25 * sine(n), 1e-5) << n;
    // The crossfade is no steeper than the sine itself plus the fade's slope.
    const double bound = 0.5 * 2.0 * std::numbers::pi * 440.0 / kRate + 0.5 * 0.75 / 240.0;
    EXPECT_LE(test_support::max_jump(out.subspan(4700, 9600)), bound);  // both fades, inside the 14400 rendered
    EXPECT_FALSE(rig.engine->model().find_node("g")->bypassed);
}

TEST(BypassTest, UnknownNodeIsRefused) {
    EngineRig rig(config_with(64));
    const ApplyResult result = rig.engine->apply(BypassNode{"ghost", true});
    EXPECT_EQ(result.error.code, ErrorCode::kUnknownNode);
}

}  // namespace
}  // namespace rtgraph::engine
