// WorkerPool: real-time worker threads for parallel graph processing.
//
// Threads: created and stopped by the control thread. Each worker is
// SCHED_FIFO at the configured priority (falling back to SCHED_OTHER, with the
// reason, when the system refuses), pinned to the configured CPUs, with its
// stack pre-faulted. They wait for work on a semaphore; the executor does not
// hand them any yet (the graph runs on the JACK thread), so today they only
// prove the set-up works where it will matter.
#pragma once

#include <pthread.h>

#include <atomic>
#include <semaphore>
#include <string>
#include <vector>

namespace rtgraph::backend {

struct WorkerPoolConfig {
    unsigned threads = 0;
    int priority = 70;             // SCHED_FIFO 1..99
    std::vector<int> cpu_affinity;  // empty: any CPU
};

struct WorkerReport {
    bool realtime = false;  // SCHED_FIFO was granted
    int priority = 0;
    std::string note;       // why not, when not
};

class WorkerPool {
public:
    // [nrt] Starts the threads. Check reports() for what the system granted.
    explicit WorkerPool(const WorkerPoolConfig& config);
    // [nrt] Stops and joins every worker.
    ~WorkerPool();

    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    const std::vector<WorkerReport>& reports() const { return reports_; }
    std::size_t size() const { return threads_.size(); }

private:
    static void* run(void* self);

    std::vector<pthread_t> threads_;
    std::vector<WorkerReport> reports_;
    std::counting_semaphore<> wake_{0};
    std::atomic<bool> stop_{false};
};

}  // namespace rtgraph::backend
