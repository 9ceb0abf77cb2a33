// A MIDI connection removed while its notes sound ends them: the destination
// gets a note-off for each note (and a pedal-up for each held sustain pedal)
// the connection started, at the first frame of the block the removal goes
// live in, instead of a note that hangs forever.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/engine_rig.hpp"

namespace rtgraph::test_support {
namespace {

struct Message {
    std::uint32_t frame;
    std::uint8_t status, data1, data2;
    bool operator==(const Message&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Message& m) {
    return os << "{frame " << m.frame << ": " << std::hex << int(m.status) << ' ' << std::dec << int(m.data1)
              << ' ' << int(m.data2) << '}';
}

std::vector<Message> messages(const engine::MidiBuffer& buffer) {
    std::vector<Message> out;
    for (const engine::MidiEvent& e : buffer.events()) out.push_back({e.frame, e.data[0], e.data[1], e.data[2]});
    return out;
}

// Two graph MIDI inputs, both into one graph MIDI output, driven block by
// block through engine->process.
struct MidiRig {
    MidiRig() {
        rig.script("port in midi_a midi\nport in midi_b midi\nport out midi_out midi\n"
                   "connect graph:midi_a graph:midi_out\nconnect graph:midi_b graph:midi_out\n");
        io.midi_inputs = inputs;
        io.midi_input_count = 2;
        io.midi_outputs = outputs;
        io.midi_output_count = 1;
        block();  // adopts the program
    }
    void send(engine::MidiBuffer& to, std::uint32_t frame, std::uint8_t status, std::uint8_t d1, std::uint8_t d2) {
        const std::uint8_t bytes[] = {status, d1, d2};
        to.push(frame, bytes, 3);
    }
    // One 256-frame block; the inputs are cleared after it.
    std::vector<Message> block() {
        out.clear();
        rig.engine->process(io, 256);
        a.clear();
        b.clear();
        rig.engine->maintain();
        return messages(out);
    }
    EngineRig rig{engine::EngineConfig{}, 0, 0};
    engine::MidiBuffer a, b, out;
    const engine::MidiBuffer* inputs[2] = {&a, &b};
    engine::MidiBuffer* outputs[1] = {&out};
    engine::AudioIo io;
};

TEST(MidiNoteRelease, RemovingAConnectionEndsOnlyTheNotesItStarted) {
    MidiRig r;
    r.send(r.a, 5, 0x90, 60, 100);   // a: note 60 on channel 1, held
    r.send(r.a, 6, 0x92, 64, 90);    // a: note 64 on channel 3, held
    r.send(r.a, 7, 0x90, 67, 80);    // a: note 67, ended below
    r.send(r.a, 8, 0xB0, 64, 127);   // a: sustain pedal down on channel 1
    r.send(r.b, 9, 0x90, 62, 100);   // b: note 62, held
    ASSERT_EQ(r.block().size(), 5u);
    r.send(r.a, 3, 0x90, 67, 0);     // a: note-on with velocity 0 ends 67
    ASSERT_EQ(r.block().size(), 1u);

    r.rig.apply_ok({engine::Disconnect{"graph:midi_a", "graph:midi_out"}});
    r.send(r.a, 1, 0x90, 72, 100);   // a is leaving: carries nothing any more
    r.send(r.b, 10, 0x90, 65, 100);  // b goes on
    const std::vector<Message> released = r.block();
    const std::vector<Message> expected = {
        {0, 0x80, 60, 64}, {0, 0xB0, 64, 0}, {0, 0x82, 64, 64}, {10, 0x90, 65, 100}};
    EXPECT_EQ(released, expected);

    // Said once: nothing more, and b's notes are b's to end.
    EXPECT_TRUE(r.block().empty());
    r.rig.apply_ok({engine::Disconnect{"graph:midi_b", "graph:midi_out"}});
    const std::vector<Message> b_released = r.block();
    const std::vector<Message> b_expected = {{0, 0x80, 62, 64}, {0, 0x80, 65, 64}};
    EXPECT_EQ(b_released, b_expected);
}

TEST(MidiNoteRelease, EndedNotesAndAllNotesOffLeaveNothingToRelease) {
    MidiRig r;
    r.send(r.a, 0, 0x90, 60, 100);
    r.send(r.a, 1, 0x80, 60, 0);     // ended by a note-off
    r.send(r.a, 2, 0x91, 50, 100);
    r.send(r.a, 3, 0x91, 51, 100);
    r.send(r.a, 4, 0xB1, 123, 0);    // all notes off on channel 2
    r.send(r.a, 5, 0xB0, 64, 127);
    r.send(r.a, 6, 0xB0, 64, 0);     // pedal down and up again
    ASSERT_EQ(r.block().size(), 7u);
    r.rig.apply_ok({engine::Disconnect{"graph:midi_a", "graph:midi_out"}});
    EXPECT_TRUE(r.block().empty());
    r.block();
    EXPECT_EQ(r.rig.engine->stats().fading_edges, 0u);
}

TEST(MidiNoteRelease, RemovingTheSourcePortEndsItsNotesAndTheConnectionLeaves) {
    MidiRig r;
    r.send(r.a, 20, 0x9F, 127, 1);   // channel 16, the highest key
    r.send(r.a, 21, 0x90, 0, 1);     // channel 1, the lowest key
    ASSERT_EQ(r.block().size(), 2u);
    r.rig.apply_ok({engine::RemoveGraphPort{"midi_a"}});
    const std::vector<Message> expected = {{0, 0x80, 0, 64}, {0, 0x8F, 127, 64}};
    EXPECT_EQ(r.block(), expected);
    r.block();
    r.block();
    // The connection was kept, reading nothing, only until its notes ended.
    EXPECT_EQ(r.rig.engine->stats().fading_edges, 0u);
    EXPECT_EQ(r.rig.engine->model().find_graph_port("midi_a"), nullptr);
    EXPECT_EQ(r.rig.engine->model().edges().size(), 1u);  // graph:midi_b -> graph:midi_out
}

}  // namespace
}  // namespace rtgraph::test_support
