// The daemon's state file (<state_dir>/state.json): when to write it, and
// reading it back at start.
//
// Threads: the thread that changes the graph ([nrt] throughout: disk I/O).
// rtgraphd writes on its housekeeping thread instead: see take_marks().
//
// Durability contract (README "State and snapshots"):
//  - a structural change (node, connection, port, external connection,
//    snapshot load, import) is written before it is applied (rtgraphd:
//    Engine::apply's CommitGuard); if the write fails it is refused and
//    nothing changes;
//  - parameter and connection-gain changes only mark the file dirty; it is written at most
//    kParamFlushDelay after the first unsaved change, so a storm of /param/set
//    costs at most 1 s / kParamFlushDelay writes per second, and every
//    acknowledged value is on disk within kParamDurabilityBound.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "rtgraph/persist/state_file.hpp"
#include "rtgraph/persist/state_file_writer.hpp"

namespace rtgraph::persist {

inline constexpr auto kParamFlushDelay = std::chrono::milliseconds(200);
// The documented bound: the flush delay plus the daemon's 10 ms busy tick (a
// request keeps the control loop at that pace for a second) and the
// write itself, with room to spare.
inline constexpr auto kParamDurabilityBound = std::chrono::milliseconds(250);

inline constexpr const char* kStateFileName = "state.json";

// What was found at start.
struct StartupState {
    enum class Status {
        kMissing,  // first start: no state file
        kLoaded,   // `graph` holds it
        kCorrupt,  // unreadable or invalid: moved to `kept_aside`; `error` says why
    };
    Status status = Status::kMissing;
    GraphState graph;
    std::string error;
    std::filesystem::path kept_aside;
};

class StateSaver {
public:
    using Clock = std::chrono::steady_clock;

    explicit StateSaver(std::filesystem::path state_dir);

    // [nrt] Creates the state directory (0750) when missing.
    bool prepare(std::string& error);

    // [nrt] Reads and parses the state file. A file that cannot be parsed is
    // renamed to state.json.corrupt-<UTC time> (never deleted) and reported.
    StartupState load_at_start();

    // [nrt] Moves the state file aside (a file that parsed but the model
    // refused), as load_at_start does for a corrupt one. The new name, or
    // nullopt with `error`.
    std::optional<std::filesystem::path> keep_aside(std::string& error);

    void mark_structural() { structural_dirty_ = true; }
    void mark_params(Clock::time_point now) {
        if (!params_dirty_) params_since_ = now;
        params_dirty_ = true;
    }
    bool structural_dirty() const { return structural_dirty_; }
    bool dirty() const { return structural_dirty_ || params_dirty_; }
    // A structural change is due at once; parameters kParamFlushDelay after
    // the first unsaved one.
    bool due(Clock::time_point now) const {
        return structural_dirty_ || (params_dirty_ && now - params_since_ >= kParamFlushDelay);
    }

    // [nrt] Writes `document` atomically and clears the dirty marks. A
    // document equal to the last one written is not written again. On failure
    // the marks stay, so the next call retries.
    bool save(const std::string& document, std::string& error);

    // For a caller that writes on another thread: the marks are taken (the
    // document is on its way), and the writer is lent to that thread. From
    // then on only that thread calls writer(); save(), load_at_start() and
    // keep_aside() are not called again.
    void take_marks() { structural_dirty_ = params_dirty_ = false; }
    StateFileWriter& writer() { return writer_; }

    const std::filesystem::path& file() const { return file_; }
    const SaverStats& stats() const { return writer_.stats(); }

private:
    std::filesystem::path dir_;
    std::filesystem::path file_;
    bool structural_dirty_ = false;
    bool params_dirty_ = false;
    Clock::time_point params_since_{};
    StateFileWriter writer_;
};

}  // namespace rtgraph::persist
