// StateFileWriter: writes the state file, atomically and durably, and leaves
// alone a file that already holds the document.
//
// Threads: one at a time ([nrt]: disk I/O). StateSaver writes with one on the
// thread that marks changes; rtgraphd lends its saver's writer to its
// housekeeping thread (daemon/state_write_thread.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace rtgraph::persist {

struct SaverStats {
    std::uint64_t writes = 0;
    std::uint64_t failures = 0;
    std::uint64_t skipped_unchanged = 0;
    double last_write_ms = 0.0;
    double max_write_ms = 0.0;
};

class StateFileWriter {
public:
    explicit StateFileWriter(std::filesystem::path file) : file_(std::move(file)) {}

    // [nrt] Replaces the file with `document` (temporary file, fsync, rename,
    // directory fsync). A document equal to the last one written or read is
    // not written again, unless `always` (a write that must show the disk
    // takes writes). False with `error`; the old file is then untouched.
    bool write(const std::string& document, std::string& error, bool always = false);
    // The file is known to hold `text` (read at start; empty: unknown).
    void assume_holds(std::string text) { last_written_ = std::move(text); }

    const std::filesystem::path& file() const { return file_; }
    const SaverStats& stats() const { return stats_; }

private:
    std::filesystem::path file_;
    std::string last_written_;
    SaverStats stats_;
};

}  // namespace rtgraph::persist
