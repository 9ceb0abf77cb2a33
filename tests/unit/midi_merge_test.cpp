// Several MIDI connections into one input are merged in frame order, every
// one of them: the merge once stopped at 16 sources and silently left the
// rest out.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/engine_rig.hpp"

namespace rtgraph::test_support {
namespace {

constexpr std::uint32_t kSources = 40;

TEST(MidiMerge, FortyConnectionsIntoOneInputAllArriveInFrameOrder) {
    EngineRig rig{engine::EngineConfig{}, 0, 0};
    std::string script = "port out midi_out midi\n";
    for (std::uint32_t i = 0; i < kSources; ++i) {
        script += "port in in_" + std::to_string(i) + " midi\nconnect graph:in_" + std::to_string(i) +
                  " graph:midi_out\n";
    }
    rig.script(script);

    std::vector<engine::MidiBuffer> in(kSources);
    std::vector<const engine::MidiBuffer*> inputs;
    for (const engine::MidiBuffer& buffer : in) inputs.push_back(&buffer);
    engine::MidiBuffer out;
    engine::MidiBuffer* outputs[] = {&out};
    engine::AudioIo io;
    io.midi_inputs = inputs.data();
    io.midi_input_count = kSources;
    io.midi_outputs = outputs;
    io.midi_output_count = 1;
    rig.engine->process(io, 256);  // adopts the program

    // Source i sends note i at frame (kSources - 1 - i) / 2: later sources
    // come first, and pairs share a frame.
    for (std::uint32_t i = 0; i < kSources; ++i) {
        const std::uint8_t note_on[] = {0x90, static_cast<std::uint8_t>(i), 100};
        in[i].push((kSources - 1 - i) / 2, note_on, 3);
    }
    out.clear();
    rig.engine->process(io, 256);

    const auto events = out.events();
    ASSERT_EQ(events.size(), kSources) << "connections left out of the merge";
    for (std::uint32_t k = 0; k < kSources; ++k) {
        // Frame f carries notes 38 - 2f and 39 - 2f, the lower source first.
        const std::uint32_t frame = k / 2;
        const std::uint32_t note = kSources - 2 - 2 * frame + k % 2;
        EXPECT_EQ(events[k].frame, frame) << "event " << k;
        EXPECT_EQ(events[k].data[1], note) << "event " << k;
    }
}

}  // namespace
}  // namespace rtgraph::test_support
