// Deferred reclamation: the audio thread never frees memory.
//
// Threads: the audio thread hands objects it no longer reaches to try_retire;
// one non-RT housekeeping thread calls drain, which destroys them there.
//
// Guarantees: try_retire is wait-free and never allocates or frees. When the
// queue is full it returns false and the caller keeps the object (the executor
// keeps running the old program one more block rather than wait). drain may
// free memory and must never run on the audio thread.
#pragma once

#include <cstddef>

#include "rtgraph/rt/spsc_queue.hpp"

namespace rtgraph::rt {

class RetireQueue {
public:
    // [nrt] may allocate.
    explicit RetireQueue(std::size_t capacity) : queue_(capacity) {}

    // [nrt] destroys whatever is still queued.
    ~RetireQueue() { drain(); }

    // [rt] wait-free. Ownership of `object` passes to the queue on success.
    template <typename T>
    bool try_retire(T* object) noexcept {
        return queue_.try_push(Retired{object, &destroy<T>});
    }

    // [rt] wait-free. How many objects can be retired right now, at least.
    std::size_t free_slots() noexcept { return queue_.free_slots(); }

    // [nrt] may free. Destroys everything retired so far; returns how many.
    std::size_t drain() {
        std::size_t count = 0;
        Retired item{};
        while (queue_.try_pop(item)) {
            item.destroy(item.object);
            ++count;
        }
        return count;
    }

private:
    struct Retired {
        void* object;
        void (*destroy)(void*);
    };

    template <typename T>
    static void destroy(void* object) {
        delete static_cast<T*>(object);
    }

    SpscQueue<Retired> queue_;
};

}  // namespace rtgraph::rt
