// The LV2 worker thread (non-real-time; see the header).
#include "rtgraph/plugins/lv2_worker.hpp"

#include <algorithm>
#include <chrono>

namespace rtgraph::plugins {

WorkerThread::~WorkerThread() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void WorkerThread::add(WorkerClient* client) {
    {
        std::lock_guard lock(mutex_);
        clients_.push_back(client);
        if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
    }
    wake_.notify_all();
}

void WorkerThread::remove(WorkerClient* client) {
    std::lock_guard lock(mutex_);
    std::erase(clients_, client);
}

void WorkerThread::loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
        for (WorkerClient* client : clients_) {
            jobs_run_.fetch_add(client->run_pending_work(), std::memory_order_relaxed);
        }
        if (clients_.empty()) {
            wake_.wait(lock, [this] { return stop_ || !clients_.empty(); });
        } else {
            // Poll: the audio thread schedules work without waking anyone.
            wake_.wait_for(lock, std::chrono::milliseconds(1));
        }
    }
}

}  // namespace rtgraph::plugins
