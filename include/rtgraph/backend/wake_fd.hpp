// WakeFd: an eventfd that another thread makes readable so the control loop's
// poll() returns at once, instead of the loop waking on a timer to look.
//
// Threads: signal() from any thread, including JACK's notification thread and
// a JACK shutdown callback (write(2) on an eventfd is async-signal-safe and,
// the fd being non-blocking, never waits). Not for the audio thread: it is a
// syscall. fd() and clear() on the thread that polls.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace rtgraph::backend {

class WakeFd {
  public:
    WakeFd() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
    ~WakeFd() {
        if (fd_ >= 0) ::close(fd_);
    }
    WakeFd(const WakeFd&) = delete;
    WakeFd& operator=(const WakeFd&) = delete;

    // -1 if the eventfd could not be made: the loop then finds the news at
    // its next timed look, as it would without one.
    int fd() const noexcept { return fd_; }

    void signal() const noexcept {
        if (fd_ < 0) return;
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = ::write(fd_, &one, sizeof one);
    }

    // Makes the fd unreadable again; true if it had been signalled.
    bool clear() const noexcept {
        std::uint64_t count = 0;
        return fd_ >= 0 && ::read(fd_, &count, sizeof count) == sizeof count;
    }

  private:
    int fd_ = -1;
};

}  // namespace rtgraph::backend
