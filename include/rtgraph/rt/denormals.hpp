// Flush denormals to zero for the scope of one audio block.
//
// Threads: the audio thread constructs one at the top of process(). Denormal
// arithmetic (filter tails decaying towards zero) can cost a hundred times a
// normal operation; FTZ/DAZ make it free at an inaudible precision cost.
#pragma once

#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace rtgraph::rt {

class ScopedFlushDenormals {
public:
    // [rt] wait-free.
    ScopedFlushDenormals() noexcept {
#if defined(__x86_64__) || defined(__i386__)
        saved_ = _mm_getcsr();
        _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero);
#elif defined(__aarch64__)
        std::uint64_t fpcr;
        __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
        saved_ = fpcr;
        __asm__ __volatile__("msr fpcr, %0" ::"r"(fpcr | (std::uint64_t{1} << 24)));
#endif
    }

    // [rt] wait-free.
    ~ScopedFlushDenormals() {
#if defined(__x86_64__) || defined(__i386__)
        _mm_setcsr(static_cast<unsigned>(saved_));
#elif defined(__aarch64__)
        __asm__ __volatile__("msr fpcr, %0" ::"r"(saved_));
#endif
    }

    ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
    ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

private:
#if defined(__x86_64__) || defined(__i386__)
    static constexpr unsigned kFlushToZero = 0x8000;
    static constexpr unsigned kDenormalsAreZero = 0x0040;
#endif
    std::uint64_t saved_ = 0;
};

}  // namespace rtgraph::rt
