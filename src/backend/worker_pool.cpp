// WorkerPool: creation of real-time worker threads (control thread).
#include "rtgraph/backend/worker_pool.hpp"

#include <sched.h>

#include <algorithm>
#include <cerrno>
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

WorkerPool::WorkerPool(const WorkerPoolConfig& config, engine::WorkerTeam& team) : team_(team) {
    const unsigned count = std::min(config.threads, team.workers());
    starts_.reserve(count);
    for (unsigned i = 0; i < count; ++i) starts_.push_back(Start{&team, i});
    for (unsigned i = 0; i < count; ++i) {
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
            // In turn: worker i on the i-th listed CPU.
            CPU_SET(config.cpu_affinity[i % config.cpu_affinity.size()], &cpus);
            pthread_attr_setaffinity_np(&attr, sizeof cpus, &cpus);
        }
        pthread_t thread;
        int rc = config.priority > 0 ? pthread_create(&thread, &attr, &WorkerPool::run, &starts_[i]) : EINVAL;
        if (config.priority <= 0) {
            report.note = "the JACK process thread is not real-time; running as SCHED_OTHER";
            pthread_attr_setinheritsched(&attr, PTHREAD_INHERIT_SCHED);
            rc = pthread_create(&thread, &attr, &WorkerPool::run, &starts_[i]);
        } else if (rc == 0) {
            report.realtime = true;
            report.priority = config.priority;
        } else {
            // Typically EPERM: no CAP_SYS_NICE and RLIMIT_RTPRIO too low.
            report.note = std::string("SCHED_FIFO refused (") + std::strerror(rc) +
                          "); running as SCHED_OTHER";
            pthread_attr_setinheritsched(&attr, PTHREAD_INHERIT_SCHED);
            rc = pthread_create(&thread, &attr, &WorkerPool::run, &starts_[i]);
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
    team_.stop();
    for (pthread_t thread : threads_) pthread_join(thread, nullptr);
}

void* WorkerPool::run(void* start) {
    const Start& what = *static_cast<const Start*>(start);
    pthread_setname_np(pthread_self(), "rtgraph-worker");  // how ps and /proc name it
    prefault_stack();
    what.team->worker_main(what.worker);
    return nullptr;
}

}  // namespace rtgraph::backend
