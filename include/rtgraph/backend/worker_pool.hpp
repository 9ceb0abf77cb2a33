// WorkerPool: real-time worker threads for parallel graph processing.
//
// Threads: created and stopped by the control thread. Each worker is
// SCHED_FIFO at the configured priority (falling back to SCHED_OTHER, with the
// reason, when the system refuses), pinned to the configured CPUs, with its
// stack pre-faulted. Each runs engine::WorkerTeam::worker_main: it helps the
// JACK thread run a span's steps and sleeps on a futex between spans.
#pragma once

#include <pthread.h>

#include <string>
#include <vector>

#include "rtgraph/engine/worker_team.hpp"

namespace rtgraph::backend {

struct WorkerPoolConfig {
    unsigned threads = 0;
    int priority = 70;             // SCHED_FIFO 1..99; 0: SCHED_OTHER
    std::vector<int> cpu_affinity;  // empty: any CPU
};

struct WorkerReport {
    bool realtime = false;  // SCHED_FIFO was granted
    int priority = 0;
    std::string note;       // why not, when not
};

class WorkerPool {
public:
    // [nrt] Starts config.threads threads (at most team.workers()) on `team`,
    // which must outlive the pool. Check reports() for what the system granted.
    WorkerPool(const WorkerPoolConfig& config, engine::WorkerTeam& team);
    // [nrt] Stops the team and joins every worker.
    ~WorkerPool();

    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    const std::vector<WorkerReport>& reports() const { return reports_; }
    std::size_t size() const { return threads_.size(); }

private:
    struct Start {
        engine::WorkerTeam* team;
        unsigned worker;
    };
    static void* run(void* start);

    engine::WorkerTeam& team_;
    std::vector<Start> starts_;  // sized before any thread starts: threads keep pointers into it
    std::vector<pthread_t> threads_;
    std::vector<WorkerReport> reports_;
};

}  // namespace rtgraph::backend
