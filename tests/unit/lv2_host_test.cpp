// LV2 hosting with real plugins from Debian's lv2-examples and swh-lv2:
// the catalog, levels through eg-amp, host-side ramps, an exact delay, MIDI
// through eg-fifths, and eg-sampler loading a sample through the worker.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <thread>

#include "rtgraph/control/patch_script.hpp"
#include "rtgraph/plugins/lv2_host.hpp"
#include "rtgraph/plugins/lv2_node.hpp"
#include "support/engine_rig.hpp"
#include "support/signal_analysis.hpp"
#include "support/sine_wav.hpp"

namespace rtgraph::test_support {
namespace {

constexpr double kRate = 48000.0;
constexpr const char* kAmp = "http://lv2plug.in/plugins/eg-amp";
constexpr const char* kFifths = "http://lv2plug.in/plugins/eg-fifths";
constexpr const char* kSampler = "http://lv2plug.in/plugins/eg-sampler";
constexpr const char* kDelay = "http://plugin.org.uk/swh-plugins/delay_n";

struct Lv2Rig {
    explicit Lv2Rig(std::uint32_t outputs = 1, std::uint32_t inputs = 1)
        : host(kRate, engine::EngineConfig{}.max_block), rig(engine::EngineConfig{}, outputs, inputs) {
        catalog = host.scan({}, rig.registry, problems);
    }
    const plugins::PluginInfo* info(std::string_view uri) const {
        for (const plugins::PluginInfo& p : catalog) {
            if (p.type_name == uri) return &p;
        }
        return nullptr;
    }
    plugins::Lv2Host host;  // first in, last out: nodes die before their plugins' host
    EngineRig rig;
    std::vector<std::string> problems;
    std::vector<plugins::PluginInfo> catalog;
};

double db_to_gain(double db) { return std::pow(10.0, db / 20.0); }

TEST(Lv2Catalog, ListsInstalledPluginsWithTheirPorts) {
    Lv2Rig r;
    const plugins::PluginInfo* amp = r.info(kAmp);
    ASSERT_NE(amp, nullptr) << "eg-amp (lv2-examples) not found";
    EXPECT_EQ(amp->count(plugins::PluginPortKind::kAudio, true), 1u);
    EXPECT_EQ(amp->count(plugins::PluginPortKind::kAudio, false), 1u);
    EXPECT_EQ(amp->count(plugins::PluginPortKind::kControl, true), 1u);
    EXPECT_EQ(amp->plugin_class, "Amplifier Plugin");
    const engine::NodeTypeInfo* type = r.rig.registry.find(kAmp);
    ASSERT_NE(type, nullptr);
    ASSERT_EQ(type->params.size(), 1u);
    EXPECT_EQ(type->params[0].name, "gain");
    EXPECT_EQ(type->params[0].min, -90.0f);
    EXPECT_EQ(type->params[0].max, 24.0f);
    EXPECT_EQ(type->params[0].default_value, 0.0f);
    EXPECT_EQ(type->params[0].unit, "dB");

    const plugins::PluginInfo* fifths = r.info(kFifths);
    ASSERT_NE(fifths, nullptr);
    EXPECT_EQ(fifths->count(plugins::PluginPortKind::kMidi, true), 1u);
    EXPECT_EQ(fifths->count(plugins::PluginPortKind::kMidi, false), 1u);
    EXPECT_EQ(fifths->count(plugins::PluginPortKind::kAudio, true) +
                  fifths->count(plugins::PluginPortKind::kAudio, false),
              0u);

    const plugins::PluginInfo* delay = r.info(kDelay);
    ASSERT_NE(delay, nullptr) << "swh-lv2 not found";
    EXPECT_EQ(delay->count(plugins::PluginPortKind::kControl, true), 2u);
    // Every swh-lv2 and lv2-examples plugin is found, not just a few.
    EXPECT_GE(r.catalog.size(), 90u);
}

TEST(Lv2Catalog, UnknownUriIsRefusedAndChangesNothing) {
    Lv2Rig r;
    r.rig.script("port out out_1\nadd sine osc\n");
    const std::string before = control::write_patch_script(r.rig.engine->model());
    const engine::ApplyResult result =
        r.rig.engine->apply(engine::AddNode{"http://lv2plug.in/plugins/eg-nonexistent", "x", {}});
    EXPECT_EQ(result.error.code, engine::ErrorCode::kUnknownType);
    EXPECT_EQ(control::write_patch_script(r.rig.engine->model()), before);
}

class EgAmpGain : public ::testing::TestWithParam<float> {};

TEST_P(EgAmpGain, OutputLevelMatchesTheGainInDecibels) {
    const float db = GetParam();
    Lv2Rig r;
    r.rig.script(std::string("port out out_1\nadd sine osc freq=1000 amp=0.25\nadd ") + kAmp +
                 " amp gain=" + std::to_string(db) +
                 "\nconnect osc:out amp:in\nconnect amp:out graph:out_1\n");
    r.rig.driver.render(48000, 256);
    const std::span<const float> out = r.rig.out().subspan(4800);  // past the edge fade-in
    const double expected = 0.25 / std::sqrt(2.0) * db_to_gain(db);
    EXPECT_NEAR(20.0 * std::log10(rms(out) / expected), 0.0, 0.01) << "gain " << db << " dB";
}

INSTANTIATE_TEST_SUITE_P(Decibels, EgAmpGain, ::testing::Values(-20.0f, -6.0f, 0.0f, 6.0f));

TEST(EgAmp, ParameterChangeIsRampedByTheHostInShortSteps) {
    Lv2Rig r;
    r.rig.script(std::string("port out out_1\nport in in_1\nadd ") + kAmp +
                 " amp gain=0\nconnect graph:in_1 amp:in\nconnect amp:out graph:out_1\n");
    r.rig.driver.set_input(0, std::vector<float>(48000, 0.5f));  // DC: the gain is the output
    r.rig.driver.render(4800, 256);
    r.rig.apply_ok({engine::SetParam{"amp", "gain", -20.0f, 20.0f}}, 4800);  // 960 frames
    r.rig.driver.render(4800, 256);
    const std::span<const float> out = r.rig.out();
    EXPECT_NEAR(out[4799], 0.5f, 1e-6f);
    EXPECT_NEAR(out[4800 + 960 + 16], 0.05f, 1e-5f);  // on target once the ramp ends
    // In between the gain moves in 60 steps of 16 frames, each step at most
    // 1/60 of the 20 dB: no jump to the new value.
    double largest_step_db = 0.0;
    for (std::size_t n = 4800; n < 4800 + 960 + 16; ++n) {
        const double step = 20.0 * std::log10(out[n - 1] / out[n]);
        largest_step_db = std::max(largest_step_db, step);
    }
    EXPECT_LE(largest_step_db, 20.0 / 60.0 + 1e-3);
    EXPECT_GT(largest_step_db, 0.1);  // it did move in steps
}

TEST(SwhDelay, AnImpulseArrivesExactlyTheDelayTimeLater) {
    Lv2Rig r;
    r.rig.script(std::string("port out out_1\nport in in_1\nadd ") + kDelay +
                 " d delay_time=0.01 max_delay=1\nconnect graph:in_1 d:in\nconnect d:out graph:out_1\n");
    std::vector<float> input(9600, 0.0f);
    input[1234] = 1.0f;
    r.rig.driver.set_input(0, input);
    r.rig.driver.render(9600, 100);
    const std::span<const float> out = r.rig.out();
    for (std::size_t n = 0; n < out.size(); ++n) {
        ASSERT_EQ(out[n], n == 1234 + 480 ? 1.0f : 0.0f) << "frame " << n;
    }
}

// eg-fifths between a graph MIDI input and a graph MIDI output, driven with
// engine->process and MIDI buffers directly.
struct FifthsRig {
    FifthsRig() {
        r.rig.script(std::string("port in midi_in midi\nport out midi_out midi\nadd ") + kFifths +
                     " fifths\nconnect graph:midi_in fifths:in\nconnect fifths:out graph:midi_out\n");
        io.midi_inputs = inputs;
        io.midi_input_count = 1;
        io.midi_outputs = outputs;
        io.midi_output_count = 1;
        r.rig.engine->process(io, 256);  // adopts the program
    }
    // One 256-frame block of what `in` holds; what came out is in `out`.
    void block() {
        out.clear();
        r.rig.engine->process(io, 256);
        in.clear();
    }
    Lv2Rig r;
    engine::MidiBuffer in;
    engine::MidiBuffer out;
    const engine::MidiBuffer* inputs[1] = {&in};
    engine::MidiBuffer* outputs[1] = {&out};
    engine::AudioIo io;
};

// MIDI in, through a plugin, out: engine->process with MIDI buffers directly.
TEST(EgFifths, EachNoteComesOutWithItsFifthAtTheSameFrame) {
    FifthsRig f;
    const std::uint8_t note_on[] = {0x90, 60, 100};
    const std::uint8_t note_off[] = {0x80, 60, 0};
    f.in.push(37, note_on, 3);
    f.in.push(200, note_off, 3);
    f.block();
    const auto events = f.out.events();
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(events[0].frame, 37u);
    EXPECT_EQ(events[1].frame, 37u);
    EXPECT_EQ(events[0].data[1] + events[1].data[1], 60 + 67);
    EXPECT_EQ(events[0].data[0], 0x90);
    EXPECT_EQ(events[2].frame, 200u);
    EXPECT_EQ(events[3].frame, 200u);
    EXPECT_EQ(events[2].data[1] + events[3].data[1], 60 + 67);
    EXPECT_EQ(events[3].data[0], 0x80);
}

// A node removed while the notes it sent still sound: its connection ends
// them (the note and the fifth eg-fifths added), in the next block.
TEST(EgFifths, RemovingItMidNoteEndsTheNotesItStarted) {
    FifthsRig f;
    const std::uint8_t note_on[] = {0x93, 60, 100};  // channel 4
    f.in.push(10, note_on, 3);
    f.block();
    ASSERT_EQ(f.out.size(), 2u);

    f.r.rig.apply_ok({engine::RemoveNode{"fifths"}});
    f.block();
    const auto events = f.out.events();
    ASSERT_EQ(events.size(), 2u);
    for (const engine::MidiEvent& e : events) {
        EXPECT_EQ(e.frame, 0u);
        EXPECT_EQ(e.data[0], 0x83);
        EXPECT_EQ(e.data[2], 64);
    }
    EXPECT_EQ(events[0].data[1] + events[1].data[1], 60 + 67);
    f.r.rig.engine->maintain();
    f.block();
    EXPECT_TRUE(f.out.empty());
}

TEST(EgSampler, LoadsASampleThroughTheWorkerAndPlaysIt) {
    Lv2Rig r;
    const std::string wav = (std::filesystem::temp_directory_path() /
                             ("rtgraph-sampler-" + std::to_string(::getpid()) + ".wav"))
                                .string();
    ASSERT_TRUE(write_sine_wav(wav, 440.0, 0.5));
    r.rig.script(std::string("port in midi_in midi\nport out out_1\nadd ") + kSampler +
                 " sampler\nconnect graph:midi_in sampler:control\nconnect sampler:out graph:out_1\n");
    std::vector<float> left(256);
    float* audio_out[] = {left.data()};
    engine::MidiBuffer in;
    const engine::MidiBuffer* inputs[] = {&in};
    engine::AudioIo io;
    io.outputs = audio_out;
    io.output_count = 1;
    io.midi_inputs = inputs;
    io.midi_input_count = 1;
    r.rig.engine->process(io, 256);

    auto node = std::dynamic_pointer_cast<plugins::Lv2Node>(
        r.rig.engine->instance(r.rig.engine->model().find_node("sampler")->id));
    ASSERT_NE(node, nullptr);
    std::vector<std::string> problems;
    r.host.set_media_dirs(io::MediaDirs::resolve({std::filesystem::temp_directory_path().string()}, problems));
    ASSERT_TRUE(problems.empty());
    const engine::Error sent = node->send_path(std::string(kSampler) + "#sample", wav);
    ASSERT_FALSE(sent) << sent.message;
    // The audio thread keeps running while the worker loads the file.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (node->work_responses() == 0 && std::chrono::steady_clock::now() < deadline) {
        r.rig.engine->process(io, 256);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_GE(node->work_scheduled(), 1u);
    ASSERT_GE(node->work_responses(), 1u) << "the worker never answered";
    EXPECT_GE(r.host.worker_jobs(), 1u);

    // Play it: a note-on, then measure what comes out.
    const std::uint8_t note_on[] = {0x90, 60, 127};
    in.push(0, note_on, 3);
    std::vector<float> played;
    for (int block = 0; block < 40; ++block) {
        std::fill(left.begin(), left.end(), 0.0f);
        r.rig.engine->process(io, 256);
        in.clear();
        played.insert(played.end(), left.begin(), left.end());
    }
    const std::span<const float> body = std::span<const float>(played).subspan(512, 8192);
    EXPECT_NEAR(zero_crossing_frequency(body, kRate), 440.0, 2.0);
    EXPECT_NEAR(peak(body), 0.5, 0.01);

    // Its state names the file; a new node made from that state plays it too
    // (what persistence and snapshots rely on).
    const std::optional<std::string> state = node->save_state();
    ASSERT_TRUE(state);
    EXPECT_NE(state->find(wav), std::string::npos) << *state;
    engine::AddNode copy{kSampler, "copy", {}, *state};
    r.rig.apply_ok({copy, engine::Disconnect{"sampler:out", "graph:out_1"},
                    engine::Connect{"graph:midi_in", "copy:control"},
                    engine::Connect{"copy:out", "graph:out_1"}});
    played.clear();
    for (int block = 0; block < 40; ++block) {
        if (block == 4) in.push(0, note_on, 3);  // after the worker has loaded it
        std::fill(left.begin(), left.end(), 0.0f);
        r.rig.engine->process(io, 256);
        in.clear();
        played.insert(played.end(), left.begin(), left.end());
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const std::span<const float> again = std::span<const float>(played).subspan(4 * 256 + 512, 8192);
    EXPECT_NEAR(zero_crossing_frequency(again, kRate), 440.0, 2.0);

    // Nonsense state is refused and the graph is unchanged.
    const std::string before = control::write_patch_script(r.rig.engine->model());
    const engine::ApplyResult refused =
        r.rig.engine->apply(engine::AddNode{kSampler, "bad", {}, std::string("not turtle {")});
    EXPECT_EQ(refused.error.code, engine::ErrorCode::kInstantiationFailed);
    EXPECT_EQ(control::write_patch_script(r.rig.engine->model()), before);

    // The same good state, once its file is outside the media directories,
    // is refused before the plugin sees it: bad_path, nothing changed.
    r.host.set_media_dirs(io::MediaDirs::resolve({"/usr/lib/lv2/eg-sampler.lv2"}, problems));
    const engine::ApplyResult outside = r.rig.engine->apply(engine::AddNode{kSampler, "again", {}, *state});
    EXPECT_EQ(outside.error.code, engine::ErrorCode::kBadPath);
    EXPECT_NE(outside.error.message.find("node 'again': its plugin state names '" + wav + "' resolves to"),
              std::string::npos) << outside.error.message;
    EXPECT_NE(outside.error.message.find("outside the media directories"), std::string::npos);
    EXPECT_EQ(control::write_patch_script(r.rig.engine->model()), before);
    // And so is sending it to a running node.
    const engine::Error sent_outside = node->send_path(std::string(kSampler) + "#sample", "/etc/shadow");
    EXPECT_EQ(sent_outside.code, engine::ErrorCode::kBadPath);
    std::filesystem::remove(wav);
}

}  // namespace
}  // namespace rtgraph::test_support

namespace rtgraph::test_support {
namespace {

// With every installed plugin registered, a short name finds the plugin's URI
// (the README's example).
TEST(Lv2Catalog, AnUnknownTypeSuggestsThePluginItNames) {
    Lv2Rig r;
    const engine::ApplyResult refused = r.rig.engine->apply(engine::AddNode{"plate", "reverb", {}});
    EXPECT_EQ(refused.error.code, engine::ErrorCode::kUnknownType);
    EXPECT_EQ(refused.error.message,
              "unknown node type 'plate'; did you mean 'http://plugin.org.uk/swh-plugins/plate' or "
              "'http://plugin.org.uk/swh-plugins/gate'?; `rtgraphctl types` (/types) lists them")
        << "the exact last segment first, then two edits away";
}

}  // namespace
}  // namespace rtgraph::test_support
