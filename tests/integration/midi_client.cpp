// JACK MIDI test clients (see the header).
#include "midi_client.hpp"

#include <jack/midiport.h>

#include "jack_harness.hpp"

namespace rtgraph::integration {

MidiSender::MidiSender(const std::string& server, const std::string& client_name)
    : name_(client_name) {
    client_ = open_jack_client(server, client_name);
    if (client_ == nullptr) return;
    port_ = jack_port_register(client_, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    jack_set_process_callback(client_, &MidiSender::process, this);
    if (port_ == nullptr || jack_activate(client_) != 0) {
        jack_client_close(client_);
        client_ = nullptr;
    }
}

MidiSender::~MidiSender() {
    if (client_ != nullptr) jack_client_close(client_);
}

std::string MidiSender::port_name() const { return name_ + ":out"; }

bool MidiSender::connect_to(const std::string& destination) {
    return client_ != nullptr && jack_connect(client_, port_name().c_str(), destination.c_str()) == 0;
}

void MidiSender::send(const std::vector<MidiMessage>& messages) {
    const std::uint32_t batch = queued_batches_.load(std::memory_order_relaxed);
    for (const MidiMessage& message : messages) {
        if (next_slot_ < kSlots) slots_[next_slot_++] = message;
    }
    batch_end_[batch] = next_slot_;
    queued_batches_.store(batch + 1, std::memory_order_release);
}

int MidiSender::process(jack_nframes_t nframes, void* arg) noexcept {
    auto* self = static_cast<MidiSender*>(arg);
    void* buffer = jack_port_get_buffer(self->port_, nframes);
    jack_midi_clear_buffer(buffer);
    const std::uint32_t sent = self->sent_batches_.load(std::memory_order_relaxed);
    if (sent == self->queued_batches_.load(std::memory_order_acquire)) return 0;
    for (; self->read_slot_ < self->batch_end_[sent]; ++self->read_slot_) {
        const MidiMessage& message = self->slots_[self->read_slot_];
        if (message.offset < nframes) {
            jack_midi_event_write(buffer, message.offset, message.data.data(), message.size);
        }
    }
    self->sent_batches_.store(sent + 1, std::memory_order_release);
    return 0;
}

MidiReceiver::MidiReceiver(const std::string& server, const std::string& client_name)
    : name_(client_name) {
    client_ = open_jack_client(server, client_name);
    if (client_ == nullptr) return;
    port_ = jack_port_register(client_, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(client_, &MidiReceiver::process, this);
    if (port_ == nullptr || jack_activate(client_) != 0) {
        jack_client_close(client_);
        client_ = nullptr;
    }
}

MidiReceiver::~MidiReceiver() {
    if (client_ != nullptr) jack_client_close(client_);
}

std::string MidiReceiver::port_name() const { return name_ + ":in"; }

bool MidiReceiver::connect_from(const std::string& source) {
    return client_ != nullptr && jack_connect(client_, source.c_str(), port_name().c_str()) == 0;
}

std::vector<ReceivedMidi> MidiReceiver::received() const {
    const std::size_t count = count_.load(std::memory_order_acquire);
    return {slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(count)};
}

int MidiReceiver::process(jack_nframes_t nframes, void* arg) noexcept {
    auto* self = static_cast<MidiReceiver*>(arg);
    void* buffer = jack_port_get_buffer(self->port_, nframes);
    const jack_nframes_t cycle_start = jack_last_frame_time(self->client_);
    std::size_t count = self->count_.load(std::memory_order_relaxed);
    const jack_nframes_t events = jack_midi_get_event_count(buffer);
    for (jack_nframes_t i = 0; i < events && count < kSlots; ++i) {
        jack_midi_event_t event;
        if (jack_midi_event_get(&event, buffer, i) != 0 || event.size > 3) continue;
        ReceivedMidi& slot = self->slots_[count++];
        slot.cycle_start = cycle_start;
        slot.message.offset = event.time;
        slot.message.size = static_cast<std::uint8_t>(event.size);
        for (std::size_t b = 0; b < event.size; ++b) slot.message.data[b] = event.buffer[b];
    }
    self->count_.store(count, std::memory_order_release);
    return 0;
}

}  // namespace rtgraph::integration
