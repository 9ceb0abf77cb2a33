// Executor: runs the current Program on the audio thread.
//
// Threads: process() runs on the audio thread only. The counters are atomics
// any thread may read. Construction and destruction happen on a non-RT thread
// while no process() call is running.
//
// At the top of each block, and at each frame where something is due inside
// it, the executor takes commands from the queue in order: it adopts new
// programs (retiring the old one to the housekeeping thread; if the retire
// queue is full it keeps the old program one more block) and applies
// parameter events at their exact frame by splitting the block there. Every
// node advances sample by sample, so the split points never change the output.
// With a WorkerTeam, each span of a program that has a schedule runs on the
// audio thread and the workers at once (see WorkerTeam); a span is a barrier.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "rtgraph/engine/audio_command.hpp"
#include "rtgraph/engine/audio_io.hpp"
#include "rtgraph/engine/cycle_clock.hpp"
#include "rtgraph/engine/executor_counters.hpp"
#include "rtgraph/engine/program.hpp"
#include "rtgraph/engine/step_runner.hpp"
#include "rtgraph/engine/worker_team.hpp"
#include "rtgraph/rt/annotations.hpp"
#include "rtgraph/rt/retire_queue.hpp"
#include "rtgraph/rt/spsc_queue.hpp"
#include "rtgraph/rt/telemetry.hpp"

namespace rtgraph::engine {

class Executor {
public:
    // Events scheduled for a later block wait here, sorted by frame.
    static constexpr std::size_t kMaxPendingEvents = 512;

    // [nrt] `team` (may be null: everything runs on the audio thread) must
    // outlive the executor; programs are then compiled for its threads.
    Executor(std::uint32_t max_block, rt::SpscQueue<AudioCommand>& commands,
             rt::RetireQueue& retire, rt::TelemetryRing& telemetry, WorkerTeam* team = nullptr);
    // [nrt] frees the current program and any still queued.
    ~Executor();

    Executor(const Executor&) = delete;
    Executor& operator=(const Executor&) = delete;

    // [rt] wait-free apart from the nodes it runs. Renders nframes (any count;
    // blocks longer than max_block are rendered in max_block pieces).
    void process(const AudioIo& io, std::uint32_t nframes) noexcept RTGRAPH_NONBLOCKING;

    // [rt] wait-free. Moves the frame clock on by `frames` not rendered (the
    // audio server skipped cycles), so scheduled frames keep their meaning:
    // events due in the gap apply at the start of the next block.
    void skip_frames(std::uint64_t frames) noexcept RTGRAPH_NONBLOCKING;

    // [rt] wait-free. Where the next process() call sits on the backend's
    // clock: it starts at `start_us` and the cycle ends at `end_us`, one frame
    // lasting `us_per_frame`. Changes timed on that clock (clock_us) are
    // mapped onto frames with it, every cycle anew (see CycleClock).
    void set_cycle_clock(std::int64_t start_us, double us_per_frame, std::int64_t end_us) noexcept
        RTGRAPH_NONBLOCKING;

    // [rt] wait-free. No backend clock for the next process() call.
    void forget_cycle_clock() noexcept RTGRAPH_NONBLOCKING { clock_.forget(); }

    // [any thread] The backend time up to which audio has been rendered (0
    // while no backend clock runs).
    std::int64_t clock_rendered_us() const noexcept { return clock_.rendered_until_us(); }

    const ExecutorCounters& counters() const noexcept { return counters_; }

    // [any thread] Arms MIDI learn: the next controller message on any graph
    // MIDI input is reported once as a kMidiLearn telemetry record.
    void arm_midi_learn(bool armed) noexcept { midi_learn_.store(armed, std::memory_order_relaxed); }
    bool midi_learn_armed() const noexcept { return midi_learn_.load(std::memory_order_relaxed); }

private:
    void render(const AudioIo& io, std::uint32_t offset, std::uint32_t nframes) noexcept
        RTGRAPH_NONBLOCKING;
    std::uint64_t take_due_commands(std::uint64_t now) noexcept RTGRAPH_NONBLOCKING;
    void apply_due_events(std::uint64_t now) noexcept RTGRAPH_NONBLOCKING;
    void adopt(Program* program) noexcept RTGRAPH_NONBLOCKING;
    bool schedule(const AudioCommand& event) noexcept RTGRAPH_NONBLOCKING;
    std::uint64_t due_frame(const AudioCommand& command) const noexcept RTGRAPH_NONBLOCKING;
    void run_steps(const AudioIo& io, std::uint32_t offset, std::uint32_t nframes) noexcept
        RTGRAPH_NONBLOCKING;
    void read_midi_input(const AudioIo& io, const ProgramStep& step, std::uint32_t offset,
                         std::uint32_t nframes) noexcept RTGRAPH_NONBLOCKING;
    void apply_controller(const MidiEvent& event) noexcept RTGRAPH_NONBLOCKING;

    const std::uint32_t max_block_;
    rt::SpscQueue<AudioCommand>& commands_;
    rt::RetireQueue& retire_;
    rt::TelemetryRing& telemetry_;
    WorkerTeam* const team_;

    // Audio-thread state.
    Program* current_ = nullptr;
    std::uint64_t frame_ = 0;  // absolute frame of the next sample to render
    std::array<AudioCommand, kMaxPendingEvents> pending_{};
    std::size_t pending_count_ = 0;
    bool retire_full_reported_ = false;
    bool settled_ = false;  // no edge of the current program fades any more
    CycleClock clock_;

    ExecutorCounters counters_;
    std::atomic<bool> midi_learn_{false};
};

}  // namespace rtgraph::engine
