// StateFileWriter: one durable write of the state file.
#include "rtgraph/persist/state_file_writer.hpp"

#include <algorithm>
#include <chrono>

#include "rtgraph/persist/atomic_file.hpp"

namespace rtgraph::persist {

bool StateFileWriter::write(const std::string& document, std::string& error, bool always) {
    if (!always && document == last_written_) {
        ++stats_.skipped_unchanged;
        return true;
    }
    const auto start = std::chrono::steady_clock::now();
    if (!write_file_atomically(file_, document, error)) {
        ++stats_.failures;
        return false;
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    stats_.last_write_ms = ms;
    stats_.max_write_ms = std::max(stats_.max_write_ms, ms);
    ++stats_.writes;
    last_written_ = document;
    return true;
}

}  // namespace rtgraph::persist
