// Changes timed on the backend's clock (Engine::apply's clock_us) land on the
// frame the clock of the cycle they fall in puts them at: however far the
// server's real rate is from the nominal one, and however wrong the control
// thread's estimate was. Offline, with a simulated server clock given before
// every block as the JACK backend gives jack_get_cycle_times.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "support/engine_rig.hpp"

namespace rtgraph::engine {
namespace {

using test_support::EngineRig;

constexpr double kRate = 48000.0;
constexpr std::uint32_t kBlock = 64;
constexpr std::int64_t kClockStart = 5'000'000;  // the server clock at frame 0, in us

EngineConfig config() {
    EngineConfig c;
    c.sample_rate = kRate;
    c.max_block = kBlock;
    c.fade_ms = 0.0f;  // connections appear at once, so their first frame shows
    return c;
}

// A server whose frames last `slowness` times their nominal length: its clock
// at frame n, and the rig told so before every block.
struct SimulatedServer {
    double us_per_frame;
    explicit SimulatedServer(double slowness) : us_per_frame(1e6 / kRate * slowness) {}
    std::int64_t at(double frame) const { return kClockStart + std::llround(frame * us_per_frame); }
    void drive(EngineRig& rig) const {
        rig.driver.on_block([this, &rig](std::uint64_t frame) {
            rig.engine->set_cycle_clock(at(static_cast<double>(frame)), us_per_frame,
                                        at(static_cast<double>(frame + kBlock)));
        });
    }
};

std::uint64_t first_sound(std::span<const float> out) {
    for (std::uint64_t n = 0; n < out.size(); ++n) {
        if (out[n] != 0.0f) return n;
    }
    return out.size();
}

void gated_sine(EngineRig& rig) {
    rig.script("port out out_1\nadd sine osc freq=997 amp=0.5\nadd gain g gain=0\n"
               "connect osc:out g:in\nconnect g:out graph:out_1\n");
}

TEST(CycleClockTest, ClockedParameterLandsOnTheServersFrameNotTheEstimate) {
    EngineRig rig(config());
    gated_sine(rig);
    const SimulatedServer server(1.01);  // 1 % slow: 480 frames over a second
    server.drive(rig);
    // The control thread's estimate (nominal rate) says 30300; the server
    // plays frame 30000 at that time.
    const std::vector<Edit> open{SetParam{"g", "gain", 1.0f, 0.0f}};
    const ApplyResult result = rig.engine->apply(open, 30300, server.at(30000.2));
    ASSERT_TRUE(result.ok()) << result.error.message;
    rig.driver.render(32000, kBlock);
    EXPECT_EQ(first_sound(rig.out()), 30000u);
}

TEST(CycleClockTest, WithoutABackendClockTheEstimateStands) {
    EngineRig rig(config());
    gated_sine(rig);
    const SimulatedServer server(1.01);
    const std::vector<Edit> open{SetParam{"g", "gain", 1.0f, 0.0f}};
    ASSERT_TRUE(rig.engine->apply(open, 30300, server.at(30000.2)).ok());
    rig.driver.render(32000, kBlock);
    EXPECT_EQ(first_sound(rig.out()), 30300u);
}

TEST(CycleClockTest, ClockedSwapLandsOnTheServersFrame) {
    EngineRig rig(config());
    rig.script("port out out_1\nadd sine osc freq=997 amp=0.5\n");
    const SimulatedServer server(0.995);  // fast by 0.5 %
    server.drive(rig);
    const std::vector<Edit> connect{Connect{"osc:out", "graph:out_1", 1.0f}};
    ASSERT_TRUE(rig.engine->apply(connect, 12000, server.at(12345.0)).ok());
    rig.driver.render(14000, kBlock);
    EXPECT_EQ(first_sound(rig.out()), 12345u);
}

// The clock of the cycle a time falls in decides, not the one when it was
// queued: the server's rate changes half-way through the lead.
TEST(CycleClockTest, PendingEventsAreMappedAgainEveryCycle) {
    EngineRig rig(config());
    gated_sine(rig);
    const SimulatedServer before(1.0);
    const SimulatedServer after(1.02);
    const std::uint64_t change_frame = 9600;
    rig.driver.on_block([&](std::uint64_t frame) {
        // The server clock is continuous at change_frame, slower after it.
        const auto clock_at = [&](double f) {
            return f <= change_frame ? before.at(f)
                                     : before.at(change_frame) + std::llround((f - change_frame) * after.us_per_frame);
        };
        const SimulatedServer& now = frame < change_frame ? before : after;
        rig.engine->set_cycle_clock(clock_at(static_cast<double>(frame)), now.us_per_frame,
                                    clock_at(static_cast<double>(frame + kBlock)));
    });
    rig.driver.render(640, kBlock);  // the event is queued and pending before the change
    const std::int64_t target = before.at(change_frame) + std::llround(10000.4 * after.us_per_frame);
    ASSERT_TRUE(rig.engine->apply(std::vector<Edit>{SetParam{"g", "gain", 1.0f, 0.0f}}, 20000, target).ok());
    rig.driver.render(24000, kBlock);
    EXPECT_EQ(first_sound(rig.out()), change_frame + 10000);
}

TEST(CycleClockTest, ClockedEventsApplyInTimeOrderWhateverTheSendOrder) {
    EngineRig rig(config());
    gated_sine(rig);
    const SimulatedServer server(1.003);
    server.drive(rig);
    ASSERT_TRUE(rig.engine->apply(std::vector<Edit>{SetParam{"g", "gain", 0.0f, 0.0f}}, 0, server.at(8000.0)).ok());
    ASSERT_TRUE(rig.engine->apply(std::vector<Edit>{SetParam{"g", "gain", 1.0f, 0.0f}}, 0, server.at(5000.0)).ok());
    rig.driver.render(10000, kBlock);
    const std::span<const float> out = rig.out();
    EXPECT_EQ(first_sound(out), 5000u);
    for (std::uint64_t n = 8000; n < 10000; ++n) ASSERT_EQ(out[n], 0.0f) << n;
    EXPECT_NE(out[7999], 0.0f);
}

// A clocked change is live (its /done may go) once the cycle its time falls
// in has been rendered, not when the audio thread queued it.
TEST(CycleClockTest, LiveOnceTheCycleOfItsTimeIsRendered) {
    EngineRig rig(config());
    gated_sine(rig);
    const SimulatedServer server(1.0);
    server.drive(rig);
    rig.driver.render(kBlock, kBlock);
    const ApplyResult result =
        rig.engine->apply(std::vector<Edit>{SetParam{"g", "gain", 1.0f, 0.0f}}, 0, server.at(1000.0));
    ASSERT_TRUE(result.ok());
    rig.driver.render(960 - kBlock, kBlock);  // up to frame 960: the cycle of 1000 not yet
    EXPECT_FALSE(rig.engine->is_live(result));
    rig.driver.render(kBlock, kBlock);  // 960..1024 holds frame 1000
    EXPECT_TRUE(rig.engine->is_live(result));
}

// A time in a cycle's last half frame rounds onto the next cycle's first
// frame: the change is not live until that cycle is rendered.
TEST(CycleClockTest, TimeInTheLastHalfFrameIsLiveOnlyWithTheNextCycle) {
    EngineRig rig(config());
    gated_sine(rig);
    const SimulatedServer server(1.0);
    server.drive(rig);
    const ApplyResult result =
        rig.engine->apply(std::vector<Edit>{SetParam{"g", "gain", 1.0f, 0.0f}}, 0, server.at(1023.7));
    ASSERT_TRUE(result.ok());
    rig.driver.render(1024, kBlock);
    EXPECT_FALSE(rig.engine->is_live(result));
    rig.driver.render(kBlock, kBlock);
    EXPECT_TRUE(rig.engine->is_live(result));
    EXPECT_EQ(first_sound(rig.out()), 1024u);
}

// Events for one frame apply in the order they were sent: one that waited
// for its frame, then one sent later for "now" that reaches the same frame.
TEST(CycleClockTest, EventsForOneFrameApplyInSendOrder) {
    EngineRig rig(config());
    gated_sine(rig);
    ASSERT_TRUE(rig.engine->apply(std::vector<Edit>{SetParam{"g", "gain", 1.0f, 0.0f}}, 1024).ok());
    rig.driver.render(1024, kBlock);  // the first waits in the pending list for frame 1024
    ASSERT_TRUE(rig.engine->apply(std::vector<Edit>{SetParam{"g", "gain", 0.0f, 0.0f}}).ok());
    rig.driver.render(kBlock, kBlock);
    const std::span<const float> out = rig.out();
    for (std::uint64_t n = 1024; n < 1024 + kBlock; ++n) ASSERT_EQ(out[n], 0.0f) << n;
}

}  // namespace
}  // namespace rtgraph::engine
