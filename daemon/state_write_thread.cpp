// StateWriteThread: state file writes off the control thread.
#include "state_write_thread.hpp"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <utility>

namespace rtgraph::daemon {

StateWriteThread::StateWriteThread(persist::StateFileWriter& writer)
    : writer_(writer), wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), thread_([this] { run(); }) {}

StateWriteThread::~StateWriteThread() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

void StateWriteThread::submit(std::string document, std::uint64_t generation, bool always) {
    {
        std::lock_guard lock(mutex_);
        document_ = std::move(document);
        generation_ = generation;
        always_ = always;
    }
    busy_ = true;
    changed_.notify_all();
}

std::optional<StateWriteThread::Finished> StateWriteThread::collect() {
    std::uint64_t count = 0;
    [[maybe_unused]] const auto n = ::read(wake_fd_, &count, sizeof count);
    std::lock_guard lock(mutex_);
    if (!finished_) return std::nullopt;
    busy_ = false;
    return std::exchange(finished_, std::nullopt);
}

std::optional<StateWriteThread::Finished> StateWriteThread::wait_idle() {
    if (!busy_) return std::nullopt;
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return finished_.has_value(); });
    busy_ = false;
    return std::exchange(finished_, std::nullopt);
}

void StateWriteThread::run() {
    pthread_setname_np(pthread_self(), "rtgraph-state");
    std::unique_lock lock(mutex_);
    while (true) {
        changed_.wait(lock, [this] { return stopping_ || document_.has_value(); });
        if (!document_) return;  // stopping, nothing left to write
        const std::string document = std::move(*document_);
        document_.reset();
        Finished done;
        done.generation = generation_;
        const bool always = always_;
        lock.unlock();
        done.ok = writer_.write(document, done.error, always);
        done.stats = writer_.stats();
        lock.lock();
        finished_ = std::move(done);
        changed_.notify_all();
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
    }
}

}  // namespace rtgraph::daemon
