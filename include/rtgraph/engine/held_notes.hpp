// HeldNotes: which notes (and sustain pedals) one MIDI connection has started
// and not yet ended, so that removing the connection mid-note can end them.
// Without it the destination never hears the note-off and the note hangs.
//
// Threads: audio thread only. Fixed size (16 channels x 128 notes, one bit
// each), no allocation.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

#include "rtgraph/engine/midi_buffer.hpp"
#include "rtgraph/rt/annotations.hpp"

namespace rtgraph::engine {

class HeldNotes {
public:
    // [rt] wait-free. Follows one message that passed through the connection.
    void track(const MidiEvent& event) noexcept RTGRAPH_NONBLOCKING {
        if (event.size != 3) return;  // notes and controllers are three bytes
        const std::uint8_t status = event.data[0] & 0xF0;
        const std::uint8_t channel = event.data[0] & 0x0F;
        const std::uint8_t key = event.data[1] & 0x7F;
        const std::uint8_t value = event.data[2] & 0x7F;
        if (status == 0x90 && value != 0) {
            set(channel, key, true);
        } else if (status == 0x80 || status == 0x90) {  // note-on with velocity 0 is a note-off
            set(channel, key, false);
        } else if (status == 0xB0 && key == kSustain) {
            const bool down = value >= 64;
            if (down != sustain_down(channel)) {
                sustain_ ^= static_cast<std::uint16_t>(1u << channel);
                count_ += down ? 1 : -1;
            }
        } else if (status == 0xB0 && (key == kAllNotesOff || key == kAllSoundOff)) {
            for (std::uint8_t k = 0; k < 128; ++k) set(channel, k, false);
        }
    }

    bool any() const noexcept { return count_ != 0; }

    // [rt] wait-free. Appends, at `frame`, a note-off (release velocity 64,
    // the MIDI default) for every held note and a pedal-up for every held
    // sustain pedal, and forgets them. False when `out` filled first: what
    // did not fit stays held for the next call.
    bool release_into(MidiBuffer& out, std::uint32_t frame) noexcept RTGRAPH_NONBLOCKING {
        for (std::uint8_t channel = 0; channel < 16 && count_ != 0; ++channel) {
            for (std::uint32_t word = 0; word < 2; ++word) {
                std::uint64_t& bits = notes_[channel * 2 + word];
                while (bits != 0) {
                    const auto key = static_cast<std::uint8_t>(word * 64 + std::countr_zero(bits));
                    const std::uint8_t note_off[] = {static_cast<std::uint8_t>(0x80 | channel), key, 64};
                    if (!out.push(frame, note_off, 3)) return false;
                    set(channel, key, false);
                }
            }
            if (sustain_down(channel)) {
                const std::uint8_t pedal_up[] = {static_cast<std::uint8_t>(0xB0 | channel), kSustain, 0};
                if (!out.push(frame, pedal_up, 3)) return false;
                sustain_ &= static_cast<std::uint16_t>(~(1u << channel));
                --count_;
            }
        }
        return true;
    }

private:
    static constexpr std::uint8_t kSustain = 64;
    static constexpr std::uint8_t kAllSoundOff = 120;
    static constexpr std::uint8_t kAllNotesOff = 123;

    bool sustain_down(std::uint8_t channel) const noexcept { return (sustain_ >> channel) & 1u; }

    void set(std::uint8_t channel, std::uint8_t key, bool on) noexcept {
        std::uint64_t& bits = notes_[channel * 2 + key / 64];
        const std::uint64_t mask = std::uint64_t{1} << (key % 64);
        if (((bits & mask) != 0) == on) return;
        bits ^= mask;
        count_ += on ? 1 : -1;
    }

    std::array<std::uint64_t, 32> notes_{};  // channel * 2 + key / 64
    std::uint16_t sustain_ = 0;              // one bit per channel
    std::int32_t count_ = 0;                 // held notes plus held pedals
};

}  // namespace rtgraph::engine
