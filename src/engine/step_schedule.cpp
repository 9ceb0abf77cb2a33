// StepSchedule: steps grouped into chains, chains into a dependency graph
// (control thread; may allocate).
#include "rtgraph/engine/step_schedule.hpp"

#include <algorithm>
#include <numeric>

namespace rtgraph::engine {

namespace {

// A chain of at most this many steps may share a task with its siblings, and
// a batch holds about this many steps: a few microseconds of typical nodes
// at 64 frames, against a hand-over of a few hundred nanoseconds.
constexpr std::uint32_t kBatchSteps = 16;
// Siblings are never batched into fewer tasks than this, so that up to this
// many threads still share them.
constexpr std::uint32_t kMinSiblingTasks = 8;

// Tasks as lists of chains (ascending), numbered by their first chain.
std::vector<std::vector<std::uint32_t>> batch_siblings(
    const std::vector<std::vector<std::uint32_t>>& chains,
    const std::vector<std::vector<std::uint32_t>>& chain_preds,
    const std::vector<std::vector<std::uint32_t>>& chain_succs) {
    const auto chain_count = static_cast<std::uint32_t>(chains.size());
    // Classes of short chains with the same predecessors and dependents, in
    // the order of their first chain.
    std::vector<std::vector<std::uint32_t>> classes;
    std::vector<std::uint32_t> class_of(chain_count, ~std::uint32_t{0});
    for (std::uint32_t c = 0; c < chain_count; ++c) {
        if (chains[c].size() > kBatchSteps) continue;
        for (std::uint32_t k = 0; k < classes.size(); ++k) {
            const std::uint32_t first = classes[k].front();
            if (chain_preds[first] == chain_preds[c] && chain_succs[first] == chain_succs[c]) {
                class_of[c] = k;
                break;
            }
        }
        if (class_of[c] == ~std::uint32_t{0}) {
            class_of[c] = static_cast<std::uint32_t>(classes.size());
            classes.emplace_back();
        }
        classes[class_of[c]].push_back(c);
    }
    // Each class cut into runs of neighbouring chains, even to one chain:
    // neighbours were made together, and their nodes' state (allocated
    // together) stays on one thread instead of sharing cache lines across two.
    std::vector<std::vector<std::vector<std::uint32_t>>> batches(classes.size());
    for (std::uint32_t k = 0; k < classes.size(); ++k) {
        std::uint32_t steps = 0;
        for (std::uint32_t c : classes[k]) steps += static_cast<std::uint32_t>(chains[c].size());
        const auto members = static_cast<std::uint32_t>(classes[k].size());
        const std::uint32_t count =
            std::min(members, std::max((steps + kBatchSteps - 1) / kBatchSteps, kMinSiblingTasks));
        batches[k].resize(count);
        for (std::uint32_t m = 0; m < members; ++m) {
            batches[k][static_cast<std::uint64_t>(m) * count / members].push_back(classes[k][m]);
        }
    }
    std::vector<std::vector<std::uint32_t>> tasks;
    std::vector<std::uint32_t> next_batch(classes.size(), 0);
    for (std::uint32_t c = 0; c < chain_count; ++c) {
        const std::uint32_t k = class_of[c];
        if (k == ~std::uint32_t{0}) {
            tasks.push_back({c});
            continue;
        }
        // A batch is numbered where its first chain is.
        std::vector<std::vector<std::uint32_t>>& own = batches[k];
        if (next_batch[k] < own.size() && own[next_batch[k]].front() == c) {
            tasks.push_back(std::move(own[next_batch[k]]));
            ++next_batch[k];
        }
    }
    return tasks;
}

}  // namespace

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

    // Chain dependencies: only a chain's first step has predecessors outside it.
    std::vector<std::vector<std::uint32_t>> chain_preds(chains.size());
    for (std::uint32_t c = 0; c < chains.size(); ++c) {
        for (std::uint32_t p : preds[chains[c].front()]) chain_preds[c].push_back(task_of[p]);
        std::sort(chain_preds[c].begin(), chain_preds[c].end());
        chain_preds[c].erase(std::unique(chain_preds[c].begin(), chain_preds[c].end()),
                             chain_preds[c].end());
    }
    std::vector<std::vector<std::uint32_t>> chain_succs(chains.size());
    for (std::uint32_t c = 0; c < chains.size(); ++c) {
        for (std::uint32_t p : chain_preds[c]) chain_succs[p].push_back(c);  // ascending: c grows
    }

    // Short sibling chains (same predecessors, same dependents: hundreds of
    // voices into one mix) become one task of several chains, so that the
    // per-task hand-over (a claim and two counters, each a cache line shared
    // between threads) is paid per batch of steps rather than per voice.
    const std::vector<std::vector<std::uint32_t>> tasks =
        batch_siblings(chains, chain_preds, chain_succs);
    const auto task_count = static_cast<std::uint32_t>(tasks.size());
    std::vector<std::uint32_t> task_of_chain(chains.size());
    for (std::uint32_t t = 0; t < task_count; ++t) {
        for (std::uint32_t c : tasks[t]) task_of_chain[c] = t;
    }
    std::vector<std::vector<std::uint32_t>> task_dependents(task_count);
    std::vector<std::uint32_t> wait_count(task_count, 0);
    for (std::uint32_t t = 0; t < task_count; ++t) {
        for (std::uint32_t c : tasks[t]) {
            for (std::uint32_t p : chain_preds[c]) {
                std::vector<std::uint32_t>& list = task_dependents[task_of_chain[p]];
                if (std::find(list.begin(), list.end(), t) != list.end()) continue;
                list.push_back(t);
                ++wait_count[t];
            }
        }
    }
    std::vector<std::uint32_t> task_size(task_count, 0);
    for (std::uint32_t t = 0; t < task_count; ++t) {
        for (std::uint32_t c : tasks[t])
            task_size[t] += static_cast<std::uint32_t>(chains[c].size());
    }

    // Longest path (in steps) from each task to the end. Tasks are numbered
    // by their first chain, chains in step order, so every dependent has a
    // larger index (a dependent's chains all wait for every chain of its
    // predecessor task, siblings sharing their predecessors).
    std::vector<std::uint32_t> path(task_count, 0);
    for (std::uint32_t t = task_count; t-- > 0;) {
        std::uint32_t longest = 0;
        for (std::uint32_t d : task_dependents[t]) longest = std::max(longest, path[d]);
        path[t] = task_size[t] + longest;
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
        task.step_count = task_size[t];
        for (std::uint32_t c : tasks[t]) {
            schedule.task_steps.insert(schedule.task_steps.end(), chains[c].begin(),
                                       chains[c].end());
        }
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
