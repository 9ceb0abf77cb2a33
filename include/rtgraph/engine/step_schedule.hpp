// StepSchedule: which steps of a Program may run at once, compiled off the
// audio thread.
//
// Steps are grouped into tasks: a task is a chain (each step's only
// predecessor is the step before it, which feeds nothing else), so a chain
// runs on one thread without being handed around. A task waits for
// `wait_count` other tasks; finishing it counts down the tasks in its
// dependents list. Tasks with no predecessor form the initial ready list,
// the longest remaining path first so the critical path starts at once.
//
// Threads: built by the compiler (control thread), immutable once published.
// The two runtime arrays (`waits`, `ready_slots`) are written during a span by
// the threads running it (the audio thread and the workers) only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace rtgraph::engine {

struct ScheduleTask {
    std::uint32_t first_step = 0;  // into StepSchedule::task_steps
    std::uint32_t step_count = 0;
    std::uint32_t first_dependent = 0;  // into StepSchedule::dependents
    std::uint32_t dependent_count = 0;
    std::uint32_t wait_count = 0;  // tasks that must finish first
};

struct StepSchedule {
    // Steps [0, prologue_steps) of the program run first, in order, on the
    // audio thread (graph MIDI inputs: their controller maps set parameters
    // of any node, so nothing may run meanwhile). The rest are in tasks.
    std::uint32_t prologue_steps = 0;
    std::vector<std::uint32_t> task_steps;  // step indices, task by task, each in program order
    std::vector<ScheduleTask> tasks;
    std::vector<std::uint32_t> dependents;
    std::vector<std::uint32_t> initial_ready;  // tasks without predecessors, longest path first

    // Runtime, one per task: counts left before the task may run, reset per
    // span; and the ready list's slots, tagged with the span they belong to.
    std::unique_ptr<std::atomic<std::uint32_t>[]> waits;
    std::unique_ptr<std::atomic<std::uint64_t>[]> ready_slots;

    // Whether more than one task could ever run at once. A chain-shaped
    // program has one task and runs serially, with no cost for the workers.
    bool parallel() const noexcept { return tasks.size() > 1; }
};

// [nrt] may allocate. Builds tasks from each step's predecessor steps (indices
// of earlier steps whose outputs it reads; steps before `prologue_steps` are
// never predecessors). Sizes the runtime arrays.
StepSchedule build_schedule(const std::vector<std::vector<std::uint32_t>>& predecessors,
                            std::uint32_t prologue_steps);

}  // namespace rtgraph::engine
