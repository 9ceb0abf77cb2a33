// Bounded single-producer single-consumer queue.
//
// Threads: exactly one producer thread calls try_push / free_slots, exactly one
// consumer thread calls try_pop / front / size_approx. Construction and
// destruction happen on a non-RT thread while neither side is running.
//
// Guarantees: try_push, try_pop and front are wait-free and never allocate.
// A full queue makes try_push return false; the caller counts it and moves on.
// T must be trivially copyable: an element is a plain record, never something
// that owns memory.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>

namespace rtgraph::rt {

// Two indices written by different threads must not share a cache line.
inline constexpr std::size_t kCacheLine = 64;

template <typename T>
class SpscQueue {
    static_assert(std::is_trivially_copyable_v<T>, "queue elements must be plain records");

public:
    // [nrt] may allocate. Capacity is rounded up to a power of two.
    explicit SpscQueue(std::size_t min_capacity)
        : capacity_(std::bit_ceil(min_capacity < 2 ? std::size_t{2} : min_capacity)),
          mask_(capacity_ - 1),
          slots_(std::make_unique<T[]>(capacity_)) {}

    SpscQueue(const SpscQueue&) = delete;
    SpscQueue& operator=(const SpscQueue&) = delete;

    // [rt] producer, wait-free. False when full; nothing is written then.
    bool try_push(const T& value) noexcept {
        const std::size_t head = head_.value.load(std::memory_order_relaxed);
        if (head - tail_cache_ == capacity_) {
            tail_cache_ = tail_.value.load(std::memory_order_acquire);
            if (head - tail_cache_ == capacity_) return false;
        }
        slots_[head & mask_] = value;
        head_.value.store(head + 1, std::memory_order_release);
        return true;
    }

    // [rt] producer, wait-free. A lower bound: the consumer may free more.
    std::size_t free_slots() noexcept {
        const std::size_t head = head_.value.load(std::memory_order_relaxed);
        tail_cache_ = tail_.value.load(std::memory_order_acquire);
        return capacity_ - (head - tail_cache_);
    }

    // [rt] consumer, wait-free. Null when empty. The pointer stays valid until
    // the consumer's next try_pop.
    const T* front() noexcept {
        const std::size_t tail = tail_.value.load(std::memory_order_relaxed);
        if (tail == head_cache_) {
            head_cache_ = head_.value.load(std::memory_order_acquire);
            if (tail == head_cache_) return nullptr;
        }
        return &slots_[tail & mask_];
    }

    // [rt] consumer, wait-free. False when empty.
    bool try_pop(T& out) noexcept {
        const T* slot = front();
        if (slot == nullptr) return false;
        out = *slot;
        tail_.value.store(tail_.value.load(std::memory_order_relaxed) + 1,
                          std::memory_order_release);
        return true;
    }

    // Either thread; a snapshot that may be stale by the time it is read.
    std::size_t size_approx() const noexcept {
        const std::size_t head = head_.value.load(std::memory_order_acquire);
        const std::size_t tail = tail_.value.load(std::memory_order_acquire);
        return head - tail;
    }

    std::size_t capacity() const noexcept { return capacity_; }

private:
    struct alignas(kCacheLine) PaddedIndex {
        std::atomic<std::size_t> value{0};
    };

    const std::size_t capacity_;
    const std::size_t mask_;
    std::unique_ptr<T[]> slots_;

    // Producer side: its index and its cached copy of the consumer's.
    PaddedIndex head_;
    alignas(kCacheLine) std::size_t tail_cache_ = 0;
    // Consumer side: its index and its cached copy of the producer's.
    PaddedIndex tail_;
    alignas(kCacheLine) std::size_t head_cache_ = 0;
};

}  // namespace rtgraph::rt
