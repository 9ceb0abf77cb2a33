// CycleClock: where the block being rendered sits on the audio server's own
// clock (microseconds), so a change timed in microseconds lands on the frame
// the server says that time falls on.
//
// Threads: set() and frame_of() on the audio thread only; rendered_until_us()
// from any thread.
//
// Why the audio thread converts, and not the control thread: a timetag may
// be far ahead, and the server's real frame rate drifts from the nominal one
// (a loaded machine, a sound card's crystal) and cycles may be skipped. The
// backend gives the clock of every cycle it renders (JACK: the DLL-filtered
// jack_get_cycle_times), and a time is mapped onto frames with the clock of
// the cycle it falls in: drift over a long lead costs nothing.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>

#include "rtgraph/rt/annotations.hpp"

namespace rtgraph::engine {

class CycleClock {
public:
    // [rt] wait-free. The block that starts at engine frame `frame` started at
    // `start_us` on the server's clock; one frame lasts `us_per_frame`, and the
    // block (the whole cycle) ends at `end_us`.
    void set(std::uint64_t frame, std::int64_t start_us, double us_per_frame,
             std::int64_t end_us) noexcept RTGRAPH_NONBLOCKING {
        frame_ = frame;
        start_us_ = start_us;
        us_per_frame_ = us_per_frame > 0.0 ? us_per_frame : 1.0;
        end_us_ = end_us;
        known_ = true;
    }

    // [rt] wait-free. The backend could not read its clock this cycle:
    // clocked changes fall back to their estimated frames (and is_live to
    // frames) until it can again, rather than trusting a stale clock.
    void forget() noexcept RTGRAPH_NONBLOCKING {
        known_ = false;
        rendered_until_us_.store(0, std::memory_order_release);
    }

    // [rt] wait-free. Whether the backend gave a clock for this cycle.
    bool known() const noexcept RTGRAPH_NONBLOCKING { return known_; }

    // [rt] wait-free. The engine frame at which `us` falls, by this cycle's
    // clock; a time before the cycle gives a frame before it (due at once).
    std::uint64_t frame_of(std::int64_t us) const noexcept RTGRAPH_NONBLOCKING {
        if (us <= start_us_) return frame_;
        return frame_ + static_cast<std::uint64_t>(
                            std::llround(static_cast<double>(us - start_us_) / us_per_frame_));
    }

    // [rt] wait-free. Called once the cycle is rendered: everything timed
    // before its end has taken effect.
    void publish_rendered() noexcept RTGRAPH_NONBLOCKING {
        // Less half a frame: a time in the cycle's last half frame rounds
        // onto the next cycle's first frame, and is not rendered yet.
        if (known_) {
            rendered_until_us_.store(end_us_ - static_cast<std::int64_t>(us_per_frame_ / 2.0),
                                     std::memory_order_release);
        }
    }

    // [any thread] The server time up to which audio has been rendered; 0
    // before the first clocked cycle.
    std::int64_t rendered_until_us() const noexcept {
        return rendered_until_us_.load(std::memory_order_acquire);
    }

private:
    std::uint64_t frame_ = 0;
    std::int64_t start_us_ = 0;
    std::int64_t end_us_ = 0;
    double us_per_frame_ = 1.0;
    bool known_ = false;
    std::atomic<std::int64_t> rendered_until_us_{0};
};

}  // namespace rtgraph::engine
