// The tripwire's interposers. Defined in the executable, they take precedence
// over libc's for every library in the process (libstdc++'s operator new calls
// malloc through the PLT, so it is caught too). Allocation forwards to glibc's
// __libc_* entry points; everything else to the next definition via dlsym.
#include "rt_tripwire.hpp"

#include <dlfcn.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <semaphore.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstddef>
#include <cstdlib>
#include <cstring>

extern "C" {
void* __libc_malloc(std::size_t);
void __libc_free(void*);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace {

thread_local bool t_in_rt_scope = false;
std::atomic<std::uint64_t> g_violations{0};
std::atomic<const char*> g_first_violation{nullptr};
std::atomic<std::uint64_t> g_futex_wakes{0};

void flag(const char* what) noexcept {
    if (!t_in_rt_scope) return;
    const char* none = nullptr;
    g_first_violation.compare_exchange_strong(none, what);
    g_violations.fetch_add(1, std::memory_order_relaxed);
}

template <typename Fn>
Fn next_symbol(const char* name) noexcept {
    // Resolved outside any RtScope (the first call may allocate inside dlsym).
    const bool was = t_in_rt_scope;
    t_in_rt_scope = false;
    void* symbol = dlsym(RTLD_NEXT, name);
    t_in_rt_scope = was;
    Fn fn;
    std::memcpy(&fn, &symbol, sizeof fn);
    return fn;
}

using SyscallFn = long (*)(long, ...);
std::atomic<SyscallFn> g_next_syscall{nullptr};

// The real syscall(), without a function-local static: its guard makes a
// thread that calls syscall() while another is resolving it wait on a futex
// through syscall() itself, which inside a scope is flagged (the audio thread's
// first worker wake meeting a worker's first sleep). Resolved before main,
// and again (harmlessly, the same pointer) by any call that comes earlier.
SyscallFn next_syscall() noexcept {
    SyscallFn fn = g_next_syscall.load(std::memory_order_acquire);
    if (fn == nullptr) {
        fn = next_symbol<SyscallFn>("syscall");
        g_next_syscall.store(fn, std::memory_order_release);
    }
    return fn;
}
[[maybe_unused]] const SyscallFn g_resolved_at_load = next_syscall();

}  // namespace

namespace rtgraph::test_support {

void RtScope::enter() noexcept { t_in_rt_scope = true; }
void RtScope::exit() noexcept { t_in_rt_scope = false; }

std::uint64_t rt_violations() { return g_violations.load(); }

std::string first_rt_violation() {
    const char* what = g_first_violation.load();
    return what == nullptr ? "" : what;
}

void reset_rt_violations() {
    g_violations = 0;
    g_first_violation = nullptr;
    g_futex_wakes = 0;
}

std::uint64_t rt_futex_wakes() { return g_futex_wakes.load(); }

}  // namespace rtgraph::test_support

extern "C" {

void* malloc(std::size_t size) {
    flag("malloc");
    return __libc_malloc(size);
}

void free(void* pointer) {
    if (pointer != nullptr) flag("free");
    __libc_free(pointer);
}

void* calloc(std::size_t count, std::size_t size) {
    flag("calloc");
    return __libc_calloc(count, size);
}

void* realloc(void* pointer, std::size_t size) {
    flag("realloc");
    return __libc_realloc(pointer, size);
}

void* aligned_alloc(std::size_t alignment, std::size_t size) {
    flag("aligned_alloc");
    return __libc_memalign(alignment, size);
}

void* memalign(std::size_t alignment, std::size_t size) {
    flag("memalign");
    return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
    flag("posix_memalign");
    void* pointer = __libc_memalign(alignment, size);
    if (pointer == nullptr) return ENOMEM;
    *out = pointer;
    return 0;
}

int pthread_mutex_lock(pthread_mutex_t* mutex) {
    flag("pthread_mutex_lock");
    static auto next = next_symbol<int (*)(pthread_mutex_t*)>("pthread_mutex_lock");
    return next(mutex);
}

int pthread_mutex_trylock(pthread_mutex_t* mutex) {
    flag("pthread_mutex_trylock");
    static auto next = next_symbol<int (*)(pthread_mutex_t*)>("pthread_mutex_trylock");
    return next(mutex);
}

int pthread_rwlock_rdlock(pthread_rwlock_t* lock) {
    flag("pthread_rwlock_rdlock");
    static auto next = next_symbol<int (*)(pthread_rwlock_t*)>("pthread_rwlock_rdlock");
    return next(lock);
}

int pthread_rwlock_wrlock(pthread_rwlock_t* lock) {
    flag("pthread_rwlock_wrlock");
    static auto next = next_symbol<int (*)(pthread_rwlock_t*)>("pthread_rwlock_wrlock");
    return next(lock);
}

int pthread_cond_wait(pthread_cond_t* cond, pthread_mutex_t* mutex) {
    flag("pthread_cond_wait");
    static auto next = next_symbol<int (*)(pthread_cond_t*, pthread_mutex_t*)>("pthread_cond_wait");
    return next(cond, mutex);
}

int sem_wait(sem_t* semaphore) {
    flag("sem_wait");
    static auto next = next_symbol<int (*)(sem_t*)>("sem_wait");
    return next(semaphore);
}

ssize_t write(int fd, const void* data, std::size_t size) {
    flag("write");
    static auto next = next_symbol<ssize_t (*)(int, const void*, std::size_t)>("write");
    return next(fd, data, size);
}

ssize_t read(int fd, void* data, std::size_t size) {
    flag("read");
    static auto next = next_symbol<ssize_t (*)(int, void*, std::size_t)>("read");
    return next(fd, data, size);
}

int nanosleep(const struct timespec* request, struct timespec* remain) {
    flag("nanosleep");
    static auto next = next_symbol<int (*)(const struct timespec*, struct timespec*)>("nanosleep");
    return next(request, remain);
}

// The one system call the audio thread may make: waking sleeping workers
// (FUTEX_WAKE). It is counted, not flagged; any other syscall() is flagged.
long syscall(long number, ...) {
    va_list list;
    va_start(list, number);
    long a[6];
    for (long& arg : a) arg = va_arg(list, long);
    va_end(list);
    if (number == SYS_futex && (a[1] & FUTEX_CMD_MASK) == FUTEX_WAKE) {
        if (t_in_rt_scope) g_futex_wakes.fetch_add(1, std::memory_order_relaxed);
    } else if (number == SYS_futex && (a[1] & FUTEX_CMD_MASK) == FUTEX_WAIT) {
        flag("syscall(futex wait)");  // a sleep: named, as the likeliest mistake
    } else {
        flag("syscall");
    }
    return next_syscall()(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int usleep(useconds_t microseconds) {
    flag("usleep");
    static auto next = next_symbol<int (*)(useconds_t)>("usleep");
    return next(microseconds);
}

}  // extern "C"
