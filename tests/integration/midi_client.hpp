// JACK MIDI test clients: one that sends short messages at chosen offsets in
// its next cycle, one that records what arrives with the JACK frame of each.
//
// Threads: test code, and each client's process callback (JACK's real-time
// thread), which only reads and writes preallocated slots and atomics.
#pragma once

#include <jack/jack.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace rtgraph::integration {

struct MidiMessage {
    std::uint32_t offset = 0;  // frame within the cycle
    std::uint8_t size = 0;
    std::array<std::uint8_t, 3> data{};
};

struct ReceivedMidi {
    jack_nframes_t cycle_start = 0;  // jack_last_frame_time of the cycle
    MidiMessage message;
};

class MidiSender {
public:
    MidiSender(const std::string& server, const std::string& client_name);
    ~MidiSender();
    MidiSender(const MidiSender&) = delete;
    MidiSender& operator=(const MidiSender&) = delete;

    bool ok() const { return client_ != nullptr; }
    std::string port_name() const;  // "client:out"
    bool connect_to(const std::string& destination);
    // Queues messages that all go out in one cycle, at their offsets (sorted).
    void send(const std::vector<MidiMessage>& messages);
    // Cycles in which queued messages went out.
    std::uint32_t batches_sent() const { return sent_batches_.load(std::memory_order_acquire); }

private:
    static int process(jack_nframes_t nframes, void* self) noexcept;

    static constexpr std::size_t kSlots = 1024;
    jack_client_t* client_ = nullptr;
    jack_port_t* port_ = nullptr;
    std::string name_;
    std::array<MidiMessage, kSlots> slots_{};
    std::array<std::uint32_t, kSlots> batch_end_{};  // slot index where each batch ends
    std::atomic<std::uint32_t> queued_batches_{0};
    std::atomic<std::uint32_t> sent_batches_{0};
    std::uint32_t next_slot_ = 0;   // test thread
    std::uint32_t read_slot_ = 0;   // process callback
};

class MidiReceiver {
public:
    MidiReceiver(const std::string& server, const std::string& client_name);
    ~MidiReceiver();
    MidiReceiver(const MidiReceiver&) = delete;
    MidiReceiver& operator=(const MidiReceiver&) = delete;

    bool ok() const { return client_ != nullptr; }
    std::string port_name() const;  // "client:in"
    bool connect_from(const std::string& source);
    std::vector<ReceivedMidi> received() const;

private:
    static int process(jack_nframes_t nframes, void* self) noexcept;

    static constexpr std::size_t kSlots = 4096;
    jack_client_t* client_ = nullptr;
    jack_port_t* port_ = nullptr;
    std::string name_;
    std::array<ReceivedMidi, kSlots> slots_{};
    std::atomic<std::size_t> count_{0};
};

}  // namespace rtgraph::integration
