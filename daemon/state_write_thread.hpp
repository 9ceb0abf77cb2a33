// StateWriteThread: rtgraphd's housekeeping thread for the state file. A
// write is a temporary file, two fsyncs and a rename: milliseconds on a good
// disk, far more on a busy SD card. On the control thread it stalled every
// client's requests while one client's structural change was being saved;
// here only that client's replies wait for it (see ControlPort).
//
// Threads: submit(), collect() and wait_idle() on the control thread; the
// write on this one. The audio thread never sees it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "rtgraph/persist/state_file_writer.hpp"

namespace rtgraph::daemon {

class StateWriteThread {
public:
    // What became of one submitted document.
    struct Finished {
        std::uint64_t generation = 0;  // as submitted
        bool ok = false;
        std::string error;
        persist::SaverStats stats;  // the writer's figures after it
    };

    // `writer` is used by this thread only, until the destructor returns.
    explicit StateWriteThread(persist::StateFileWriter& writer);
    // Finishes a write in progress (never abandons one half done), then joins.
    ~StateWriteThread();
    StateWriteThread(const StateWriteThread&) = delete;
    StateWriteThread& operator=(const StateWriteThread&) = delete;

    // [nrt] Starts writing `document`. Only when !busy(): one write at a
    // time, so a storm of changes costs one write per write time, each of
    // the newest document. `always`: written even when the file holds it
    // (StateFileWriter::write).
    void submit(std::string document, std::uint64_t generation, bool always = false);
    bool busy() const { return busy_; }
    // [nrt] The finished write, once: polled when wake_fd() is readable.
    std::optional<Finished> collect();
    // [nrt] Blocks until the write in progress has finished (shutdown).
    std::optional<Finished> wait_idle();
    // An eventfd that becomes readable when a write finishes.
    int wake_fd() const { return wake_fd_; }

private:
    void run();

    persist::StateFileWriter& writer_;
    int wake_fd_ = -1;
    bool busy_ = false;  // control thread's view: submitted, not yet collected

    std::mutex mutex_;
    std::condition_variable changed_;
    std::optional<std::string> document_;  // to write
    std::uint64_t generation_ = 0;
    bool always_ = false;
    std::optional<Finished> finished_;
    bool stopping_ = false;
    std::thread thread_;  // last: starts once the members above exist
};

}  // namespace rtgraph::daemon
