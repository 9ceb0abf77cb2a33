// WorkerPool: creation of real-time worker threads (control thread).
#include "rtgraph/backend/worker_pool.hpp"

#include <sched.h>

#include <cstring>

namespace rtgraph::backend {

namespace {

// Touch the stack a worker will use so its pages are resident before it runs
// in real time (with mlockall they then stay so).
void prefault_stack() {
    constexpr std::size_t kBytes = 64 * 1024;
    unsigned char stack[kBytes];
    std::memset(stack, 0, kBytes);
    asm volatile("" : : "r"(stack) : "memory");  // keep the writes
}

}  // namespace

WorkerPool::WorkerPool(const WorkerPoolConfig& config) {
    for (unsigned i = 0; i < config.threads; ++i) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        WorkerReport report;
        sched_param param{};
        param.sched_priority = config.priority;
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
        pthread_attr_setschedparam(&attr, &param);
        if (!config.cpu_affinity.empty()) {
            cpu_set_t cpus;
            CPU_ZERO(&cpus);
            for (int cpu : config.cpu_affinity) CPU_SET(cpu, &cpus);
            pthread_attr_setaffinity_np(&attr, sizeof cpus, &cpus);
        }
        pthread_t thread;
        int rc = pthread_create(&thread, &attr, &WorkerPool::run, this);
        if (rc == 0) {
            report.realtime = true;
            report.priority = config.priority;
        } else {
            // Typically EPERM: no CAP_SYS_NICE and RLIMIT_RTPRIO too low.
            report.note = std::string("SCHED_FIFO refused (") + std::strerror(rc) +
                          "); running as SCHED_OTHER";
            pthread_attr_setinheritsched(&attr, PTHREAD_INHERIT_SCHED);
            rc = pthread_create(&thread, &attr, &WorkerPool::run, this);
        }
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            report.note = std::string("could not start worker: ") + std::strerror(rc);
            reports_.push_back(report);
            continue;
        }
        threads_.push_back(thread);
        reports_.push_back(report);
    }
}

WorkerPool::~WorkerPool() {
    stop_.store(true, std::memory_order_release);
    wake_.release(static_cast<std::ptrdiff_t>(threads_.size()));
    for (pthread_t thread : threads_) pthread_join(thread, nullptr);
}

void* WorkerPool::run(void* self) {
    auto* pool = static_cast<WorkerPool*>(self);
    prefault_stack();
    while (!pool->stop_.load(std::memory_order_acquire)) pool->wake_.acquire();
    return nullptr;
}

}  // namespace rtgraph::backend
