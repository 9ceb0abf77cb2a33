// Telemetry: what the audio thread counts, it writes here as fixed-size records.
//
// Threads: producers are the audio thread (and nodes it runs); the single
// consumer is the housekeeping thread, which turns records into log lines,
// notifications and status figures. The audio thread never formats text.
//
// Guarantees: TelemetryWriter::write is wait-free and never allocates. A full
// ring drops the record and counts the drop; it never waits.
#pragma once

#include <atomic>
#include <cstdint>

#include "rtgraph/rt/spsc_queue.hpp"

namespace rtgraph::rt {

enum class TelemetryKind : std::uint16_t {
    kNodeNonFinite = 1,     // source = node id; the node's output was silenced
    kMeter = 2,             // source = node id; values = {peak, rms}
    kBlockLoad = 3,         // values = {load 0..1, block microseconds, period microseconds}
    kDeadlineMiss = 4,      // values = {block microseconds, period microseconds}
    kCommandQueueHigh = 5,  // values = {high-water mark}
    kProgramLive = 6,       // source = program generation now running
    kSchedInfo = 7,         // values = {policy, priority}
    kXrun = 8,              // values = {delay microseconds}
    kRetireQueueFull = 9,   // a program swap was postponed one block
    kMidiLearn = 10,        // values = {channel 0..15, controller, value}: MIDI learn caught it
    kParamFromMidi = 11,    // source = node id; values = {param index, value}: a mapped CC moved it
    kPluginLog = 12,        // source = node id: a plugin logged from the audio thread (dropped)
};

struct TelemetryRecord {
    TelemetryKind kind;
    std::uint16_t reserved;
    std::uint32_t source;
    std::uint64_t frame;
    float values[4];
};

class TelemetryRing {
public:
    // [nrt] may allocate.
    explicit TelemetryRing(std::size_t capacity) : queue_(capacity) {}

    // [rt] wait-free, single producer.
    void write(const TelemetryRecord& record) noexcept {
        if (!queue_.try_push(record)) dropped_.fetch_add(1, std::memory_order_relaxed);
    }

    // [nrt] single consumer.
    bool try_read(TelemetryRecord& out) noexcept { return queue_.try_pop(out); }

    // Either thread.
    std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

private:
    SpscQueue<TelemetryRecord> queue_;
    std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace rtgraph::rt
