// The "meter" node: pass-through, and peak/RMS records on a fixed frame grid
// that does not move with the block size.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "rtgraph/engine/nodes/meter.hpp"
#include "rtgraph/rt/telemetry.hpp"
#include "support/node_harness.hpp"
#include "support/signal_analysis.hpp"

namespace rtgraph::test_support {
namespace {

struct MeterRun {
    std::vector<float> in;
    std::vector<float> out;
    std::vector<rt::TelemetryRecord> records;
};

MeterRun run_meter(BlockPlan plan, std::uint64_t start_frame, std::uint64_t frames,
                   float interval_ms = 50.0f) {
    NodeHarness rig("meter", 48000.0, 1024, {{"interval_ms", interval_ms}});
    rig.node().set_id(42);
    rig.set_frame(start_frame);
    MeterRun run;
    run.in = make_sine(frames, 48000.0, 1000.0, 0.5);
    rig.set_input("in", run.in);
    run.out = rig.render_port(frames, "out", plan);
    run.records = rig.drain_telemetry();
    return run;
}

bool same_record(const rt::TelemetryRecord& a, const rt::TelemetryRecord& b) {
    return a.kind == b.kind && a.source == b.source && a.frame == b.frame &&
           a.values[0] == b.values[0] && a.values[1] == b.values[1] &&
           a.values[2] == b.values[2] && a.values[3] == b.values[3];
}

TEST(MeterNode, ReportsPeakAndRmsOfASineOnTheIntervalGrid) {
    const MeterRun run = run_meter(BlockPlan::fixed(64), 0, 48000);
    EXPECT_EQ(run.out, run.in);  // pass-through, bit for bit
    // 50 ms = 2400 frames = 50 whole cycles of 1 kHz: windows end at 2400 k.
    ASSERT_EQ(run.records.size(), 20u);
    for (std::size_t k = 0; k < run.records.size(); ++k) {
        const rt::TelemetryRecord& r = run.records[k];
        EXPECT_EQ(r.kind, rt::TelemetryKind::kMeter);
        EXPECT_EQ(r.source, 42u);
        EXPECT_EQ(r.frame, 2400u * (k + 1));
        EXPECT_NEAR(r.values[0], 0.5, 1e-3) << "peak";
        EXPECT_NEAR(r.values[1], 0.5 / std::sqrt(2.0), 1e-3) << "rms";
        EXPECT_EQ(r.values[2], 0.0f);
        EXPECT_EQ(r.values[3], 0.0f);
    }
}

TEST(MeterNode, RecordsDoNotDependOnBlockSize) {
    const MeterRun a = run_meter(BlockPlan::fixed(64), 1000, 30000);
    const MeterRun b = run_meter(BlockPlan::fixed(100), 1000, 30000);
    const MeterRun c = run_meter(BlockPlan::randomized(1024, 4), 1000, 30000);
    // From frame 1000 to 31000: a partial first window ending at 2400, then
    // whole ones up to 28800.
    ASSERT_EQ(a.records.size(), 12u);
    EXPECT_EQ(a.records.front().frame, 2400u);
    EXPECT_EQ(a.records.back().frame, 28800u);
    for (const MeterRun* other : {&b, &c}) {
        ASSERT_EQ(other->records.size(), a.records.size());
        for (std::size_t k = 0; k < a.records.size(); ++k) {
            EXPECT_TRUE(same_record(other->records[k], a.records[k])) << k;
        }
    }
}

TEST(MeterNode, WindowMeasuresOnlyItsOwnSamples) {
    // Loud then quiet: the window after the change must not remember the loud part.
    NodeHarness rig("meter", 48000.0, 1024, {{"interval_ms", 10.0f}});  // 480 frames
    std::vector<float> in(4800, 0.0f);
    for (std::size_t n = 0; n < 960; ++n) in[n] = (n % 2 == 0) ? 0.8f : -0.8f;
    for (std::size_t n = 960; n < 1440; ++n) in[n] = 0.1f;
    rig.set_input("in", in);
    rig.render(4800, BlockPlan::fixed(100));
    const auto records = rig.drain_telemetry();
    ASSERT_EQ(records.size(), 10u);
    EXPECT_FLOAT_EQ(records[1].values[0], 0.8f);
    EXPECT_FLOAT_EQ(records[1].values[1], 0.8f);
    EXPECT_FLOAT_EQ(records[2].values[0], 0.1f);
    EXPECT_FLOAT_EQ(records[2].values[1], 0.1f);
    EXPECT_EQ(records[3].values[0], 0.0f);
    EXPECT_EQ(records[3].values[1], 0.0f);
}

TEST(MeterNode, IntervalChangeMovesTheGrid) {
    NodeHarness rig("meter", 48000.0, 1024, {{"interval_ms", 50.0f}});
    rig.set_input("in", std::vector<float>(20000, 0.25f));
    rig.render(3000, BlockPlan::fixed(256));  // one record at 2400
    rig.set_param("interval_ms", 20.4f);      // integer: 20 ms = 960 frames
    EXPECT_EQ(static_cast<engine::MeterNode&>(rig.node()).interval_frames(), 960u);
    rig.render(3000, BlockPlan::fixed(256));  // records at 3840, 4800, 5760
    const auto records = rig.drain_telemetry();
    ASSERT_EQ(records.size(), 4u);
    EXPECT_EQ(records[0].frame, 2400u);
    EXPECT_EQ(records[1].frame, 3840u);
    EXPECT_EQ(records[2].frame, 4800u);
    EXPECT_EQ(records[3].frame, 5760u);
    for (const auto& r : records) EXPECT_FLOAT_EQ(r.values[1], 0.25f);
}

}  // namespace
}  // namespace rtgraph::test_support
