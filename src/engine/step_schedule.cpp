// StepSchedule: steps grouped into chains, chains into a dependency graph
// (control thread; may allocate).
#include "rtgraph/engine/step_schedule.hpp"

#include <algorithm>
#include <numeric>

namespace rtgraph::engine {

StepSchedule build_schedule(const std::vector<std::vector<std::uint32_t>>& predecessors,
                            std::uint32_t prologue_steps) {
    const auto step_count = static_cast<std::uint32_t>(predecessors.size());
    // Each step's predecessors and successors, without the prologue and
    // without repeats (two edges from one node are one dependency).
    std::vector<std::vector<std::uint32_t>> preds(step_count);
    std::vector<std::uint32_t> successor_count(step_count, 0);
    for (std::uint32_t s = prologue_steps; s < step_count; ++s) {
        for (std::uint32_t p : predecessors[s]) {
            if (p < prologue_steps) continue;
            if (std::find(preds[s].begin(), preds[s].end(), p) != preds[s].end()) continue;
            preds[s].push_back(p);
            ++successor_count[p];
        }
    }

    // A step continues its predecessor's chain when it is that step's only
    // successor and has no other predecessor.
    constexpr std::uint32_t kNone = ~std::uint32_t{0};
    std::vector<std::uint32_t> task_of(step_count, kNone);
    std::vector<std::vector<std::uint32_t>> chains;
    for (std::uint32_t s = prologue_steps; s < step_count; ++s) {
        if (preds[s].size() == 1 && successor_count[preds[s][0]] == 1) {
            task_of[s] = task_of[preds[s][0]];
        } else {
            task_of[s] = static_cast<std::uint32_t>(chains.size());
            chains.emplace_back();
        }
        chains[task_of[s]].push_back(s);
    }

    // Task dependencies: only a chain's first step has predecessors outside it.
    const auto task_count = static_cast<std::uint32_t>(chains.size());
    std::vector<std::vector<std::uint32_t>> task_dependents(task_count);
    std::vector<std::uint32_t> wait_count(task_count, 0);
    for (std::uint32_t t = 0; t < task_count; ++t) {
        for (std::uint32_t p : preds[chains[t].front()]) {
            std::vector<std::uint32_t>& list = task_dependents[task_of[p]];
            if (std::find(list.begin(), list.end(), t) != list.end()) continue;
            list.push_back(t);
            ++wait_count[t];
        }
    }

    // Longest path (in steps) from each task to the end. Tasks were made in
    // step order, so every dependent has a larger index.
    std::vector<std::uint32_t> path(task_count, 0);
    for (std::uint32_t t = task_count; t-- > 0;) {
        std::uint32_t longest = 0;
        for (std::uint32_t d : task_dependents[t]) longest = std::max(longest, path[d]);
        path[t] = static_cast<std::uint32_t>(chains[t].size()) + longest;
    }
    // Ties keep task order, so the schedule is the same on every compile.
    // (std::sort with the index as tie-break: libstdc++'s stable_sort uses
    // the deprecated get_temporary_buffer, an error under clang -Werror.)
    const auto longer_first = [&](std::uint32_t a, std::uint32_t b) {
        return path[a] != path[b] ? path[a] > path[b] : a < b;
    };

    StepSchedule schedule;
    schedule.prologue_steps = prologue_steps;
    schedule.tasks.resize(task_count);
    for (std::uint32_t t = 0; t < task_count; ++t) {
        ScheduleTask& task = schedule.tasks[t];
        task.first_step = static_cast<std::uint32_t>(schedule.task_steps.size());
        task.step_count = static_cast<std::uint32_t>(chains[t].size());
        schedule.task_steps.insert(schedule.task_steps.end(), chains[t].begin(), chains[t].end());
        std::sort(task_dependents[t].begin(), task_dependents[t].end(), longer_first);
        task.first_dependent = static_cast<std::uint32_t>(schedule.dependents.size());
        task.dependent_count = static_cast<std::uint32_t>(task_dependents[t].size());
        schedule.dependents.insert(schedule.dependents.end(), task_dependents[t].begin(),
                                   task_dependents[t].end());
        task.wait_count = wait_count[t];
        if (wait_count[t] == 0) schedule.initial_ready.push_back(t);
    }
    std::sort(schedule.initial_ready.begin(), schedule.initial_ready.end(), longer_first);
    schedule.waits = std::make_unique<std::atomic<std::uint32_t>[]>(task_count);
    schedule.ready_slots = std::make_unique<std::atomic<std::uint64_t>[]>(task_count);
    return schedule;
}

}  // namespace rtgraph::engine
