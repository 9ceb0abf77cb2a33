// WorkerTeam: the span protocol (audio thread and workers) and the workers'
// sleep. Only worker_main's sleep and the audio thread's wake make system
// calls; everything else is atomics on memory sized before the span.
#include "rtgraph/engine/worker_team.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

#if defined(__has_feature)
#if __has_feature(realtime_sanitizer)
#include <sanitizer/rtsan_interface.h>
#define RTGRAPH_HAS_RTSAN 1
#endif
#endif

namespace rtgraph::engine {

namespace {

// Pause iterations a worker spins with nothing to claim before it sleeps for
// the rest of the span (a few tens of microseconds: the audio thread runs the
// rest itself, and a worker sharing its core cannot hold it up for longer).
constexpr std::uint32_t kIdleSpins = 2048;

inline void cpu_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

std::uint32_t* futex_word(std::atomic<std::uint32_t>& word) noexcept {
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
    return reinterpret_cast<std::uint32_t*>(&word);
}

// [rt] The audio thread's one system call: a non-blocking wake.
void futex_wake(std::atomic<std::uint32_t>& word, int count) noexcept {
#ifdef RTGRAPH_HAS_RTSAN
    __rtsan::ScopedDisabler allowed;  // the documented exception
#endif
    syscall(SYS_futex, futex_word(word), FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) noexcept {
    syscall(SYS_futex, futex_word(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

constexpr std::uint64_t tagged(std::uint32_t span, std::uint32_t value) noexcept {
    return (std::uint64_t{span} << 32) | value;
}

}  // namespace

WorkerTeam::WorkerTeam(unsigned workers, std::size_t telemetry_capacity)
    : workers_(workers), slots_(std::make_unique<ThreadSlot[]>(workers + 1)) {
    for (unsigned w = 0; w < workers; ++w) {
        rings_.push_back(std::make_unique<rt::TelemetryRing>(telemetry_capacity));
    }
}

WorkerTeam::~WorkerTeam() = default;

void WorkerTeam::stop() noexcept {
    stop_.store(true, std::memory_order_seq_cst);
    wake_word_.fetch_add(1, std::memory_order_seq_cst);
    futex_wake(wake_word_, INT_MAX);
}

bool WorkerTeam::claim(std::uint32_t& task) noexcept {
    std::uint64_t read = read_.load(std::memory_order_acquire);
    for (;;) {
        const std::uint64_t write = write_.load(std::memory_order_acquire);
        if ((write >> 32) != (read >> 32) || static_cast<std::uint32_t>(read) >= static_cast<std::uint32_t>(write)) {
            return false;
        }
        if (read_.compare_exchange_weak(read, read + 1, std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
            break;
        }
    }
    // The claim succeeded within the span `read` names, which cannot end
    // before this task does: span_ is that span's.
    const auto span = static_cast<std::uint32_t>(read >> 32);
    std::atomic<std::uint64_t>& slot = span_.program->schedule.ready_slots[static_cast<std::uint32_t>(read)];
    std::uint64_t value = slot.load(std::memory_order_acquire);
    // Its writer took the slot number but may not have stored it yet.
    while ((value >> 32) != span) {
        cpu_pause();
        value = slot.load(std::memory_order_acquire);
    }
    task = static_cast<std::uint32_t>(value);
    return true;
}

void WorkerTeam::run_tasks(unsigned thread, std::uint32_t task) noexcept {
    const SpanContext& span = span_;
    StepSchedule& schedule = span.program->schedule;
    StepThread own{&span.program->scratch[thread],
                   thread == 0 ? audio_telemetry_ : rings_[thread - 1].get()};
    ThreadSlot& slot = slots_[thread];
    const std::uint32_t span_number = span_number_;
    for (;;) {
        const ScheduleTask& current = schedule.tasks[task];
        for (std::uint32_t i = 0; i < current.step_count; ++i) {
            run_step(span, own, span.program->steps[schedule.task_steps[current.first_step + i]]);
        }
        std::uint32_t next = ~std::uint32_t{0};
        for (std::uint32_t d = 0; d < current.dependent_count; ++d) {
            const std::uint32_t dependent = schedule.dependents[current.first_dependent + d];
            if (schedule.waits[dependent].fetch_sub(1, std::memory_order_acq_rel) != 1) continue;
            if (next == ~std::uint32_t{0}) {
                next = dependent;  // runs here next, without a hand-over
                continue;
            }
            const auto at = static_cast<std::uint32_t>(write_.fetch_add(1, std::memory_order_acq_rel));
            schedule.ready_slots[at].store(tagged(span_number, dependent), std::memory_order_release);
        }
        slot.fading = slot.fading || own.fading;
        slot.block_steps += current.step_count;
        // Last: once this reaches 0 the audio thread may end the span.
        remaining_.fetch_sub(1, std::memory_order_acq_rel);
        if (next == ~std::uint32_t{0}) return;
        task = next;
    }
}

void WorkerTeam::help(unsigned thread) noexcept {
    std::uint32_t idle = 0;
    while (remaining_.load(std::memory_order_acquire) != 0) {
        std::uint32_t task = 0;
        if (claim(task)) {
            run_tasks(thread, task);
            idle = 0;
            continue;
        }
        if (thread != 0 && ++idle > kIdleSpins) return;  // a worker may sleep; the audio thread may not
        cpu_pause();
    }
}

void WorkerTeam::worker_main(unsigned worker) noexcept {
    const unsigned thread = worker + 1;
    std::uint32_t seen = wake_word_.load(std::memory_order_acquire);
    if (hook_enter_ != nullptr) hook_enter_();
    while (!stop_.load(std::memory_order_acquire)) {
        help(thread);
        // Sleep until the word changes. Announce first, then check: the audio
        // thread changes the word, then checks for sleepers (both seq_cst),
        // so one of the two sees the other and no wake is lost.
        if (hook_exit_ != nullptr) hook_exit_();
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        if (wake_word_.load(std::memory_order_seq_cst) == seen && !stop_.load(std::memory_order_seq_cst)) {
            futex_wait(wake_word_, seen);
        }
        sleepers_.fetch_sub(1, std::memory_order_seq_cst);
        seen = wake_word_.load(std::memory_order_acquire);
        if (hook_enter_ != nullptr) hook_enter_();
    }
    if (hook_exit_ != nullptr) hook_exit_();
}

bool WorkerTeam::run_span(const SpanContext& span, rt::TelemetryRing& telemetry) noexcept {
    StepSchedule& schedule = span.program->schedule;
    if (++span_number_ == 0) span_number_ = 1;  // 0 tags the slots of a program never run
    span_ = span;
    audio_telemetry_ = &telemetry;
    const auto task_count = static_cast<std::uint32_t>(schedule.tasks.size());
    for (std::uint32_t t = 0; t < task_count; ++t) {
        schedule.waits[t].store(schedule.tasks[t].wait_count, std::memory_order_relaxed);
    }
    const auto ready = static_cast<std::uint32_t>(schedule.initial_ready.size());
    for (std::uint32_t i = 0; i < ready; ++i) {
        schedule.ready_slots[i].store(tagged(span_number_, schedule.initial_ready[i]),
                                      std::memory_order_relaxed);
    }
    remaining_.store(task_count, std::memory_order_relaxed);
    write_.store(tagged(span_number_, ready), std::memory_order_release);
    read_.store(tagged(span_number_, 0), std::memory_order_release);  // publishes the span
    spans_.fetch_add(1, std::memory_order_relaxed);

    wake_word_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) != 0) {
        futex_wake(wake_word_, static_cast<int>(workers_));
        wakes_.fetch_add(1, std::memory_order_relaxed);
    }
    help(0);

    bool fading = false;
    for (unsigned t = 0; t <= workers_; ++t) {
        fading = fading || slots_[t].fading;
        slots_[t].fading = false;
    }
    return fading;
}

void WorkerTeam::end_block() noexcept {
    for (unsigned t = 0; t <= workers_; ++t) {
        // A worker adds to block_steps only while a span runs; none does now.
        slots_[t].last_block_steps.store(slots_[t].block_steps, std::memory_order_relaxed);
        slots_[t].block_steps = 0;
    }
}

}  // namespace rtgraph::engine
