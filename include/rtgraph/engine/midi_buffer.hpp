// MidiBuffer: the MIDI events of one span of frames, in a fixed-size array.
//
// Threads: the audio thread fills and reads these; they are sized when the
// program is compiled and never grow, so nothing on the audio path allocates.
//
// Only short messages (1 to 3 bytes: notes, controllers, pitch bend, program
// change, real-time bytes) are carried. System exclusive is refused at the
// edge of the graph and counted, as are events beyond a buffer's capacity.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "rtgraph/rt/annotations.hpp"

namespace rtgraph::engine {

struct MidiEvent {
    std::uint32_t frame = 0;  // offset from the first frame of the span
    std::uint8_t size = 0;    // 1..3
    std::array<std::uint8_t, 3> data{};
};

class MidiBuffer {
public:
    static constexpr std::uint32_t kCapacity = 512;

    // [rt] wait-free.
    void clear() noexcept RTGRAPH_NONBLOCKING { count_ = 0; }

    // [rt] wait-free. Appends one short message. Events must arrive in frame
    // order; an earlier frame is moved up to the last one so the buffer stays
    // sorted. False (and counted) when full or when size is not 1..3.
    bool push(std::uint32_t frame, const std::uint8_t* data, std::uint32_t size) noexcept
        RTGRAPH_NONBLOCKING {
        if (size == 0 || size > 3 || count_ == kCapacity) {
            ++dropped_;
            return false;
        }
        if (count_ > 0 && frame < events_[count_ - 1].frame) frame = events_[count_ - 1].frame;
        MidiEvent& event = events_[count_++];
        event.frame = frame;
        event.size = static_cast<std::uint8_t>(size);
        for (std::uint32_t i = 0; i < 3; ++i) event.data[i] = i < size ? data[i] : 0;
        return true;
    }

    bool push(const MidiEvent& event, std::uint32_t frame) noexcept RTGRAPH_NONBLOCKING {
        return push(frame, event.data.data(), event.size);
    }

    std::span<const MidiEvent> events() const noexcept { return {events_.data(), count_}; }
    std::uint32_t size() const noexcept { return count_; }
    bool empty() const noexcept { return count_ == 0; }

    // Events refused since construction (full buffer, bad size). Read by the
    // audio thread only; the executor turns increases into telemetry.
    std::uint32_t dropped() const noexcept { return dropped_; }

private:
    std::array<MidiEvent, kCapacity> events_{};
    std::uint32_t count_ = 0;
    std::uint32_t dropped_ = 0;
};

// [rt] wait-free. Appends the sorted buffers `sources` to `destination` in
// frame order (events of equal frame keep source order); what `destination`
// already holds stays first. `cursors` is scratch with one entry per source
// (the program sizes it for its widest merge), so any number of connections
// into one input is merged, none left out.
inline void merge_midi(MidiBuffer& destination, std::span<const MidiBuffer* const> sources,
                       std::span<std::uint32_t> cursors) noexcept RTGRAPH_NONBLOCKING {
    const std::size_t count = sources.size() < cursors.size() ? sources.size() : cursors.size();
    for (std::size_t s = 0; s < count; ++s) cursors[s] = 0;
    for (;;) {
        std::size_t best = count;
        std::uint32_t best_frame = 0;
        for (std::size_t s = 0; s < count; ++s) {
            const auto events = sources[s]->events();
            if (cursors[s] < events.size() && (best == count || events[cursors[s]].frame < best_frame)) {
                best = s;
                best_frame = events[cursors[s]].frame;
            }
        }
        if (best == count) return;
        destination.push(sources[best]->events()[cursors[best]++], best_frame);
    }
}

}  // namespace rtgraph::engine
