// Plugins and MIDI in the running daemon, end to end: real LV2 (lv2-examples,
// swh-lv2) and LADSPA (ladspa-sdk) plugins added over OSC, audio measured at
// a JACK capture client, MIDI sent into and read from rtgraphd's JACK MIDI
// ports by two JACK clients, controller maps and learn, a sample loaded
// through the LV2 worker, and a broken plugin library.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <numbers>
#include <thread>

#include "midi_client.hpp"
#include "osc_client.hpp"
#include "support/signal_analysis.hpp"
#include "support/sine_wav.hpp"

namespace rtgraph::integration {
namespace {

constexpr const char* kAmp = "http://lv2plug.in/plugins/eg-amp";
constexpr const char* kFifths = "http://lv2plug.in/plugins/eg-fifths";
constexpr const char* kSampler = "http://lv2plug.in/plugins/eg-sampler";

MidiMessage midi(std::uint32_t offset, std::uint8_t status, std::uint8_t a, std::uint8_t b) {
    return MidiMessage{offset, 3, {status, a, b}};
}

class PluginDaemonTest : public OscDaemonTest {
protected:
    // Peak at a capture port over 100 ms, from 100 ms after now: parameter
    // ramps (20 ms for plugins) and edge fades are over by then.
    float settled_peak(const CaptureClient& capture) {
        const std::size_t from = capture.frames() + 4800;
        return peak_after(capture, 0, from, 4800).value_or(-1.0f);
    }
    CaptureClient& capture_left() {
        CaptureClient& capture = add_capture(1, 20.0);
        EXPECT_TRUE(capture.connect_from(full_port("out_1"), 0));
        return capture;
    }
};

TEST_F(PluginDaemonTest, CatalogListsPluginsAndAnUnknownUriChangesNothing) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    const OscReply reply = ok("/plugins", {osc_s("eg-amp")});
    const nlohmann::json list = nlohmann::json::parse(reply.str(0));
    ASSERT_EQ(list.size(), 1u) << list.dump();
    EXPECT_EQ(list[0]["type"], kAmp);
    EXPECT_EQ(list[0]["family"], "lv2");
    ASSERT_EQ(list[0]["ports"].size(), 3u);
    EXPECT_EQ(list[0]["ports"][0]["symbol"], "gain");
    EXPECT_EQ(list[0]["ports"][0]["unit"], "dB");

    const nlohmann::json ladspa = nlohmann::json::parse(ok("/plugins", {osc_s("ladspa:amp_mono")}).str(0));
    ASSERT_EQ(ladspa.size(), 1u) << ladspa.dump();
    EXPECT_EQ(ladspa[0]["ports"].size(), 3u);
    const nlohmann::json all = nlohmann::json::parse(ok("/plugins").str(0));
    EXPECT_GE(all.size(), 100u);  // lv2-examples + swh-lv2 + ladspa-sdk
    for (const auto& entry : all) {
        if (entry["type"] == kFifths) {
            EXPECT_EQ(entry["midi_in"], 1);
            EXPECT_EQ(entry["midi_out"], 1);
            EXPECT_EQ(entry["audio_in"], 0);
        }
    }

    // /types filters the same way, ignoring case, and then gives the details.
    const nlohmann::json types = nlohmann::json::parse(ok("/types", {osc_s("EG-AMP")}).str(0));
    ASSERT_EQ(types.size(), 1u) << types.dump();
    EXPECT_EQ(types[0]["name"], kAmp);
    ASSERT_EQ(types[0]["params"].size(), 1u);
    EXPECT_EQ(types[0]["params"][0]["name"], "gain");

    ok("/node/add", {osc_s("sine"), osc_s("osc")});
    const nlohmann::json before = dump();
    const OscReply refused =
        fails("/node/add", {osc_s("http://lv2plug.in/plugins/eg-nonexistent"), osc_s("x")}, "unknown_type");
    EXPECT_NE(refused.text.find("eg-nonexistent"), std::string::npos) << refused.text;
    EXPECT_EQ(dump(), before);
}

TEST_F(PluginDaemonTest, EgAmpGainInDecibelsSetsTheLevelAndFollowsOsc) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    CaptureClient& capture = capture_left();
    ok("/node/add", {osc_s("sine"), osc_s("osc"), osc_s("freq"), osc_f(1000.0f), osc_s("amp"), osc_f(0.5f)});
    ok("/node/add", {osc_s(kAmp), osc_s("amp"), osc_s("gain"), osc_f(-6.0f)});
    ok("/connect", {osc_s("osc:out"), osc_s("amp:in")});
    ok("/connect", {osc_s("amp:out"), osc_s("graph:out_1")});
    EXPECT_NEAR(settled_peak(capture), 0.5 * std::pow(10.0, -6.0 / 20.0), 0.002);
    ok("/param/set", {osc_s("amp"), osc_s("gain"), osc_f(-20.0f)});
    EXPECT_NEAR(settled_peak(capture), 0.05, 0.0005);
}

TEST_F(PluginDaemonTest, LadspaAmpGainSetsTheLevelAndFollowsOsc) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    CaptureClient& capture = capture_left();
    ok("/node/add", {osc_s("sine"), osc_s("osc"), osc_s("freq"), osc_f(1000.0f), osc_s("amp"), osc_f(0.5f)});
    ok("/node/add", {osc_s("ladspa:amp_mono"), osc_s("amp"), osc_s("gain"), osc_f(0.25f)});
    ok("/connect", {osc_s("osc:out"), osc_s("amp:input")});
    ok("/connect", {osc_s("amp:output"), osc_s("graph:out_1")});
    EXPECT_NEAR(settled_peak(capture), 0.125, 0.001);
    ok("/param/set", {osc_s("amp"), osc_s("gain"), osc_f(1.5f)});
    EXPECT_NEAR(settled_peak(capture), 0.75, 0.005);
}

TEST_F(PluginDaemonTest, EgFifthsAddsTheFifthToJackMidiOnTheSameFrame) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    ok("/port/add", {osc_s("notes"), osc_s("out"), osc_s("midi")});
    ok("/node/add", {osc_s(kFifths), osc_s("fifths")});
    ok("/connect", {osc_s("graph:keys"), osc_s("fifths:in")});
    ok("/connect", {osc_s("fifths:out"), osc_s("graph:notes")});
    MidiSender sender(server_name_, "keyboard");
    MidiReceiver receiver(server_name_, "sequencer");
    ASSERT_TRUE(sender.ok() && receiver.ok());
    ASSERT_TRUE(sender.connect_to(full_port("keys")));
    ASSERT_TRUE(receiver.connect_from(full_port("notes")));
    std::this_thread::sleep_for(50ms);
    sender.send({midi(17, 0x90, 60, 100), midi(90, 0x80, 60, 0)});
    ASSERT_TRUE(wait_until([&] { return receiver.received().size() >= 4; }, 2s))
        << receiver.received().size() << " events arrived";
    const std::vector<ReceivedMidi> got = receiver.received();
    ASSERT_EQ(got.size(), 4u);
    // Same cycle, same offsets as sent: sample-accurate through the daemon.
    EXPECT_EQ(got[0].message.offset, 17u);
    EXPECT_EQ(got[1].message.offset, 17u);
    EXPECT_EQ(got[2].message.offset, 90u);
    EXPECT_EQ(got[3].message.offset, 90u);
    EXPECT_EQ(got[0].cycle_start, got[3].cycle_start);
    EXPECT_EQ(got[0].message.data[0], 0x90);
    EXPECT_EQ(got[0].message.data[1] + got[1].message.data[1], 60 + 67);
    EXPECT_EQ(got[2].message.data[0], 0x80);
    EXPECT_EQ(got[2].message.data[1] + got[3].message.data[1], 60 + 67);
}

TEST_F(PluginDaemonTest, MappedControllerMovesAPluginParameterAndTheModel) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    CaptureClient& capture = capture_left();
    ok("/node/add", {osc_s("sine"), osc_s("osc"), osc_s("freq"), osc_f(1000.0f), osc_s("amp"), osc_f(0.5f)});
    ok("/node/add", {osc_s(kAmp), osc_s("amp")});
    ok("/connect", {osc_s("osc:out"), osc_s("amp:in")});
    ok("/connect", {osc_s("amp:out"), osc_s("graph:out_1")});
    ok("/midi/map", {osc_i(1), osc_i(7), osc_s("amp"), osc_s("gain"), osc_f(-40.0f), osc_f(0.0f)});
    fails("/midi/map", {osc_i(17), osc_i(7), osc_s("amp"), osc_s("gain")}, "bad_midi_map");
    const nlohmann::json maps = dump()["midi_maps"];
    ASSERT_EQ(maps.size(), 1u);
    EXPECT_EQ(maps[0]["controller"], 7);
    EXPECT_EQ(maps[0]["min"], -40.0);

    MidiSender sender(server_name_, "faders");
    ASSERT_TRUE(sender.ok() && sender.connect_to(full_port("keys")));
    std::this_thread::sleep_for(50ms);
    sender.send({midi(0, 0xB0, 7, 0)});
    EXPECT_NEAR(settled_peak(capture), 0.005, 0.0002);  // -40 dB
    sender.send({midi(0, 0xB0, 7, 127)});
    EXPECT_NEAR(settled_peak(capture), 0.5, 0.005);  // 0 dB
    sender.send({midi(0, 0xB1, 7, 0)});               // channel 2: not mapped
    EXPECT_NEAR(settled_peak(capture), 0.5, 0.005);
    // The model follows what the controller did (saved state would too).
    const float gain = dump()["nodes"][1]["params"]["gain"].get<float>();
    EXPECT_NEAR(gain, 0.0f, 1e-4f);
    ok("/midi/unmap", {osc_i(1), osc_i(7)});
    sender.send({midi(0, 0xB0, 7, 0)});
    EXPECT_NEAR(settled_peak(capture), 0.5, 0.005);
}

TEST_F(PluginDaemonTest, LearnBindsTheNextControllerThatArrives) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    ok("/node/add", {osc_s(kAmp), osc_s("amp")});
    fails("/midi/learn", {osc_s("amp"), osc_s("nope")}, "unknown_param");
    ok("/midi/learn", {osc_s("amp"), osc_s("gain"), osc_f(-30.0f), osc_f(6.0f)});
    MidiSender sender(server_name_, "knobs");
    ASSERT_TRUE(sender.ok() && sender.connect_to(full_port("keys")));
    std::this_thread::sleep_for(50ms);
    sender.send({midi(3, 0x92, 64, 100), midi(5, 0xB2, 21, 64)});  // a note is not a controller
    const std::optional<OscMessage> learned = tcp().wait_message(
        [](const OscMessage& m) { return m.address == "/midi/learned"; }, 3s);
    ASSERT_TRUE(learned) << "no /midi/learned";
    ASSERT_EQ(learned->args.size(), 4u);
    EXPECT_EQ(std::get<std::int32_t>(learned->args[0].value), 3);
    EXPECT_EQ(std::get<std::int32_t>(learned->args[1].value), 21);
    const nlohmann::json maps = dump()["midi_maps"];
    ASSERT_EQ(maps.size(), 1u);
    EXPECT_EQ(maps[0]["channel"], 3);
    EXPECT_EQ(maps[0]["controller"], 21);
    EXPECT_EQ(maps[0]["max"], 6.0);
}

TEST_F(PluginDaemonTest, SamplerLoadsAFileThroughTheWorkerAndPlaysIt) {
    settings_.media_dirs = {dir_.path().string()};
    ASSERT_NO_FATAL_FAILURE(start_all());
    const std::string wav = (dir_.path() / "a440.wav").string();
    ASSERT_TRUE(test_support::write_sine_wav(wav, 440.0, 0.5));
    CaptureClient& capture = capture_left();
    ok("/node/add", {osc_s(kSampler), osc_s("sampler")});
    ok("/connect", {osc_s("graph:keys"), osc_s("sampler:control")});
    ok("/connect", {osc_s("sampler:out"), osc_s("graph:out_1")});
    ok("/node/path", {osc_s("sampler"), osc_s(std::string(kSampler) + "#sample"), osc_s(wav)});
    fails("/node/path", {osc_s("nobody"), osc_s("x"), osc_s(wav)}, "unknown_node");
    ASSERT_TRUE(wait_until([&] { return status()["lv2_worker_jobs"].get<int>() >= 1; }, 3s))
        << status().dump();
    MidiSender sender(server_name_, "pads");
    ASSERT_TRUE(sender.ok() && sender.connect_to(full_port("keys")));
    std::this_thread::sleep_for(100ms);
    const std::size_t before = capture.frames();
    sender.send({midi(0, 0x90, 60, 127)});
    ASSERT_TRUE(capture.wait_for_frames(before + 24000, 3s));
    const std::optional<std::size_t> onset = capture.first_nonzero(0, before, 0.01f);
    ASSERT_TRUE(onset);
    const std::span<const float> played = capture.samples(0, *onset + 256, 9600);
    // The file, not the default click.wav.
    EXPECT_NEAR(test_support::zero_crossing_frequency(played, 48000.0), 440.0, 10.0);
}

TEST_F(PluginDaemonTest, ABrokenLadspaLibraryIsReportedAndTheDaemonRuns) {
    const std::filesystem::path plugins = dir_.path() / "ladspa";
    std::filesystem::create_directories(plugins);
    std::ofstream(plugins / "broken.so") << "this is not an ELF file";
    settings_.ladspa_path = {plugins.string()};
    ASSERT_NO_FATAL_FAILURE(start_all());
    const nlohmann::json summary = nlohmann::json::parse(ok("/plugins/rescan").str(0));
    bool reported = false;
    for (const auto& problem : summary["problems"]) {
        reported = reported || problem.get<std::string>().find("broken.so") != std::string::npos;
    }
    EXPECT_TRUE(reported) << summary.dump();
    EXPECT_TRUE(daemon_->running());
    EXPECT_EQ(nlohmann::json::parse(ok("/plugins", {osc_s("ladspa:amp_mono")}).str(0)).size(), 1u);
}

}  // namespace
}  // namespace rtgraph::integration
