// Real-time safety with real plugins in the graph: LV2 (eg-amp, swh delay,
// eg-fifths on MIDI, eg-sampler with its worker) and LADSPA (amp_mono), with
// ramping parameters (host sub-blocks), MIDI through atom sequences, worker
// responses and program swaps. The host's own audio path must make no
// allocation, lock or syscall; the plugins run inside the same scope, so a
// plugin that broke the rule would show up too.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "rt_tripwire.hpp"
#include "rtgraph/engine/engine.hpp"
#include "rtgraph/plugins/ladspa_host.hpp"
#include "rtgraph/plugins/lv2_host.hpp"
#include "rtgraph/plugins/lv2_node.hpp"

namespace rtgraph::test_support {
namespace {

using namespace engine;

constexpr const char* kSampler = "http://lv2plug.in/plugins/eg-sampler";

TEST(PluginTripwire, PluginsInTheGraphMakeNoForbiddenCallOnTheAudioThread) {
    NodeRegistry registry;
    register_builtin_nodes(registry);
    EngineConfig config;
    config.max_block = 256;
    plugins::Lv2Host host(config.sample_rate, config.max_block);  // outlives the engine
    std::vector<std::string> media_problems;
    host.set_media_dirs(io::MediaDirs::resolve({"/usr/lib/lv2/eg-sampler.lv2"}, media_problems));
    std::vector<std::string> problems;
    host.scan({}, registry, problems);
    plugins::ScanReport report;
    plugins::scan_ladspa({"/usr/lib/ladspa"}, config.sample_rate, registry, report);
    Engine engine(config, registry);
    const std::vector<Edit> base = {
        AddGraphPort{"out_1", PortKind::kAudio, PortDirection::kOutput},
        AddGraphPort{"keys", PortKind::kMidi, PortDirection::kInput},
        AddGraphPort{"notes", PortKind::kMidi, PortDirection::kOutput},
        AddNode{"sine", "osc", {{"freq", 440.0f}}},
        AddNode{"http://lv2plug.in/plugins/eg-amp", "amp", {}},
        AddNode{"http://plugin.org.uk/swh-plugins/delay_n", "delay", {{"delay_time", 0.01f}}},
        AddNode{"ladspa:amp_mono", "ladspa_amp", {{"gain", 0.5f}}},
        AddNode{"http://lv2plug.in/plugins/eg-fifths", "fifths", {}},
        AddNode{kSampler, "sampler", {}},
        Connect{"osc:out", "amp:in"},
        Connect{"amp:out", "delay:in"},
        Connect{"delay:out", "ladspa_amp:input"},
        Connect{"ladspa_amp:output", "graph:out_1"},
        Connect{"graph:keys", "fifths:in"},
        Connect{"fifths:out", "graph:notes"},
        Connect{"graph:keys", "sampler:control"},
        Connect{"sampler:out", "graph:out_1"},
        MapMidi{1, 7, "amp", "gain", -30.0f, 0.0f},
    };
    const ApplyResult built = engine.apply(base);
    ASSERT_TRUE(built.ok()) << built.error.message;

    std::vector<float> out(256);
    float* outputs[] = {out.data()};
    MidiBuffer keys;
    MidiBuffer notes;
    const MidiBuffer* midi_in[] = {&keys};
    MidiBuffer* midi_out[] = {&notes};
    AudioIo io;
    io.outputs = outputs;
    io.output_count = 1;
    io.midi_inputs = midi_in;
    io.midi_input_count = 1;
    io.midi_outputs = midi_out;
    io.midi_output_count = 1;

    auto sampler = std::dynamic_pointer_cast<plugins::Lv2Node>(
        engine.instance(engine.model().find_node("sampler")->id));
    ASSERT_NE(sampler, nullptr);
    reset_rt_violations();
    std::size_t midi_out_events = 0;
    std::size_t note_offs = 0;
    for (int block = 0; block < 3000; ++block) {
        // Control side, between blocks: parameter ramps, swaps, a worker job.
        if (block % 50 == 10) {
            engine.apply(SetParam{"amp", "gain", block % 100 == 10 ? -12.0f : 0.0f, 20.0f});
        }
        if (block % 300 == 150) engine.apply(Disconnect{"delay:out", "ladspa_amp:input"});
        if (block % 300 == 200) engine.apply(Connect{"delay:out", "ladspa_amp:input"});
        // Removed while its notes sound (none is ever ended): the executor ends them.
        if (block % 300 == 250) engine.apply(Disconnect{"graph:keys", "fifths:in"});
        if (block % 300 == 280) engine.apply(Connect{"graph:keys", "fifths:in"});
        if (block == 500) {
            const engine::Error sent = sampler->send_path(std::string(kSampler) + "#sample",
                                                          "/usr/lib/lv2/eg-sampler.lv2/click.wav");
            ASSERT_FALSE(sent) << sent.message;
        }
        keys.clear();
        notes.clear();
        if (block % 20 == 0) {
            const std::uint8_t on[] = {0x90, static_cast<std::uint8_t>(48 + block % 24), 100};
            const std::uint8_t cc[] = {0xB0, 7, static_cast<std::uint8_t>(block % 128)};
            keys.push(static_cast<std::uint32_t>(block % 200), on, 3);
            keys.push(220, cc, 3);
        }
        {
            RtScope scope;
            engine.process(io, 256);
        }
        for (const MidiEvent& e : notes.events()) {
            ((e.data[0] & 0xF0) == 0x80 ? note_offs : midi_out_events) += 1;
        }
        engine.maintain();
        engine.collect_garbage();
        rtgraph::rt::TelemetryRecord record;
        while (engine.read_telemetry(record)) {
        }
        if (block > 500 && block < 700) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    EXPECT_EQ(rt_violations(), 0u) << "first forbidden call: " << first_rt_violation();
    // The paths were really taken.
    EXPECT_GE(sampler->work_responses(), 1u);
    // Each note, its fifth and the controller passed on, but for the note
    // (at block 260 of every 300) sent while fifths was disconnected.
    EXPECT_EQ(midi_out_events, 3u * (150u - 10u));
    // On each of the 10 disconnects the notes held (6 keys, 48..68 in steps
    // of 4, each with its fifth) were ended: 12 note-offs out of fifths.
    EXPECT_EQ(note_offs, 10u * 12u);
    EXPECT_GT(engine.stats().live_generation, 15u);
}

}  // namespace
}  // namespace rtgraph::test_support
