// A test-build tripwire for the audio thread.
//
// This test binary replaces malloc, free and friends, pthread mutex/rwlock/
// condition calls, syscall() and a few blocking syscalls with versions that count (and
// name) any call made while the calling thread is inside an RtScope. Linking
// it into a binary is what arms it; nothing else in the project uses it.
#pragma once

#include <cstdint>
#include <string>

namespace rtgraph::test_support {

// [rt] Marks the current thread as the audio thread until the scope ends.
class RtScope {
public:
    RtScope() noexcept { enter(); }
    ~RtScope() { exit(); }
    RtScope(const RtScope&) = delete;
    RtScope& operator=(const RtScope&) = delete;

    static void enter() noexcept;
    static void exit() noexcept;
};

// How many forbidden calls happened inside RtScopes since the last reset, and
// the name of the first one.
std::uint64_t rt_violations();
std::string first_rt_violation();
void reset_rt_violations();
// Futex wakes made inside RtScopes (allowed: waking sleeping workers).
std::uint64_t rt_futex_wakes();

}  // namespace rtgraph::test_support
