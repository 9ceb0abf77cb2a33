// WorkerTeam: runs a span's tasks on the audio thread and its workers at once.
//
// The audio thread publishes a span (the program's ready tasks, tagged with a
// span number), wakes sleeping workers with one non-blocking futex wake (the
// one system call the audio thread makes, counted in wakes()), then runs
// tasks itself. Whoever finishes a task counts down its dependents; one that
// becomes ready is run next on the same thread, the others go into the
// program's ready slots. When nothing is ready but tasks are still running,
// the audio thread spins with a pause instruction: it never waits on a
// worker's sleep. The span ends when every task has finished.
//
// Workers spin while a span has unfinished tasks (briefly, if none is ready
// for them) and otherwise sleep on a futex until the next span.
//
// The claim cursor and the write cursor carry the span number in their high
// 32 bits: a worker late from one span cannot take a slot of the next, and
// reads the span's context only after a claim succeeded.
//
// Threads: run_span on the audio thread; worker_main on each worker thread
// (started by backend::WorkerPool or a test); stop() and the figures on any.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "rtgraph/engine/step_runner.hpp"
#include "rtgraph/rt/annotations.hpp"
#include "rtgraph/rt/telemetry.hpp"

namespace rtgraph::engine {

class WorkerTeam {
public:
    static constexpr unsigned kMaxWorkers = 64;

    // [nrt] `workers` threads will call worker_main(0 .. workers - 1). Each
    // gets its own telemetry ring of `telemetry_capacity` records.
    WorkerTeam(unsigned workers, std::size_t telemetry_capacity);
    ~WorkerTeam();
    WorkerTeam(const WorkerTeam&) = delete;
    WorkerTeam& operator=(const WorkerTeam&) = delete;

    unsigned workers() const noexcept { return workers_; }

    // [worker thread] Runs tasks of every span until stop().
    void worker_main(unsigned worker) noexcept;

    // [nrt] Makes every worker_main return (after its current task).
    void stop() noexcept;

    // [rt] audio thread. Runs the span's tasks (program.schedule, compiled
    // for workers() + 1 threads) with the workers, writing the audio thread's
    // telemetry into `telemetry`. Returns whether any edge or bypass
    // moved on any thread.
    bool run_span(const SpanContext& span, rt::TelemetryRing& telemetry) noexcept RTGRAPH_NONBLOCKING;

    // [rt] audio thread, once per process() call: publishes the steps each
    // thread ran in the block and starts counting the next.
    void end_block() noexcept RTGRAPH_NONBLOCKING;

    // [housekeeping] worker `worker`'s telemetry.
    rt::TelemetryRing& telemetry(unsigned worker) noexcept { return *rings_[worker]; }

    // [any thread] Futex wakes the audio thread made; spans run in parallel;
    // steps thread t (0: the audio thread) ran in the last block.
    std::uint64_t wakes() const noexcept { return wakes_.load(std::memory_order_relaxed); }
    std::uint64_t spans() const noexcept { return spans_.load(std::memory_order_relaxed); }
    std::uint32_t last_block_steps(unsigned thread) const noexcept {
        return slots_[thread].last_block_steps.load(std::memory_order_relaxed);
    }

    // [nrt] before workers start: called on a worker when it starts running
    // tasks and before it sleeps (tests mark real-time scopes with them).
    void set_scope_hooks(void (*enter)(), void (*exit)()) noexcept {
        hook_enter_ = enter;
        hook_exit_ = exit;
    }

private:
    // Per thread (0: the audio thread), each on its own cache line. Written
    // by its thread during a span, read by the audio thread after it.
    struct alignas(64) ThreadSlot {
        bool fading = false;
        std::uint32_t block_steps = 0;
        std::atomic<std::uint32_t> last_block_steps{0};
    };

    bool claim(std::uint32_t& task) noexcept RTGRAPH_NONBLOCKING;
    void run_tasks(unsigned thread, std::uint32_t task) noexcept RTGRAPH_NONBLOCKING;
    void help(unsigned thread) noexcept RTGRAPH_NONBLOCKING;

    const unsigned workers_;
    std::vector<std::unique_ptr<rt::TelemetryRing>> rings_;  // one per worker
    std::unique_ptr<ThreadSlot[]> slots_;                    // workers_ + 1

    alignas(64) std::atomic<std::uint64_t> read_{0};   // span << 32 | next slot to claim
    alignas(64) std::atomic<std::uint64_t> write_{0};  // span << 32 | slots written
    alignas(64) std::atomic<std::uint32_t> remaining_{0};  // unfinished tasks of the span
    alignas(64) std::atomic<std::uint32_t> wake_word_{0};  // futex: changes at every span
    std::atomic<std::uint32_t> sleepers_{0};
    std::atomic<bool> stop_{false};

    alignas(64) SpanContext span_{};  // written before the span is published
    std::uint32_t span_number_ = 0;             // likewise
    rt::TelemetryRing* audio_telemetry_ = nullptr;  // likewise
    std::atomic<std::uint64_t> wakes_{0};
    std::atomic<std::uint64_t> spans_{0};
    void (*hook_enter_)() = nullptr;
    void (*hook_exit_)() = nullptr;
};

}  // namespace rtgraph::engine
