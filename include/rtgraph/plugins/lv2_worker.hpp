// The LV2 worker: one non-real-time thread that runs plugins' work() calls.
//
// Threads: a plugin's run() (audio thread) schedules work into its client's
// request queue; this thread polls every client with work pending and runs
// it; responses go back through the client's response queue and the audio
// thread delivers them at the start of the next block. Nothing here blocks
// the audio thread: only SPSC queues cross, and the audio thread never
// signals (a wake-up would be a syscall), so the thread polls every
// millisecond while any client exists and sleeps otherwise.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace rtgraph::plugins {

class WorkerClient {
public:
    virtual ~WorkerClient() = default;
    // [worker thread] Runs every queued request; returns how many.
    virtual std::uint32_t run_pending_work() = 0;
};

class WorkerThread {
public:
    WorkerThread() = default;
    ~WorkerThread();
    WorkerThread(const WorkerThread&) = delete;
    WorkerThread& operator=(const WorkerThread&) = delete;

    // [nrt] control/housekeeping threads. remove() returns only when the
    // worker is not inside the client's work(), so the client may then be freed.
    void add(WorkerClient* client);
    void remove(WorkerClient* client);

    // Work requests run so far (any thread).
    std::uint64_t jobs_run() const noexcept { return jobs_run_.load(std::memory_order_relaxed); }

private:
    void loop();

    std::mutex mutex_;  // guards clients_ and stop_; held while running work
    std::condition_variable wake_;
    std::vector<WorkerClient*> clients_;
    bool stop_ = false;
    std::thread thread_;
    std::atomic<std::uint64_t> jobs_run_{0};
};

}  // namespace rtgraph::plugins
