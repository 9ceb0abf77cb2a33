// Named snapshots of the graph: one state document per file under
// <state_dir>/snapshots/, written atomically.
//
// Threads: the control thread. ([nrt] throughout: disk I/O and allocation.)
//
// Names come from OSC clients, so they are checked before they touch a path:
// 1..64 characters of [A-Za-z0-9._-], not starting with '.'. That rules out
// '/', "..", control characters and hidden files, so a name can never leave
// the snapshots directory.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace rtgraph::persist {

inline constexpr std::size_t kMaxSnapshotName = 64;

// The rule, as /error texts quote it.
inline constexpr std::string_view kSnapshotNameRule =
    "a snapshot name is 1 to 64 characters of A-Z a-z 0-9 . _ - and does not start with '.'";

// [nrt] True when `name` follows the rule; else false with `error` saying
// what is wrong and quoting the rule.
bool valid_snapshot_name(std::string_view name, std::string& error);

class SnapshotStore {
public:
    // [nrt] `state_dir` is the daemon's state directory; nothing is created yet.
    explicit SnapshotStore(std::filesystem::path state_dir);

    // [nrt] Each returns false with `error` (name rule, I/O) and then changed nothing.
    bool save(std::string_view name, std::string_view document, std::string& error);
    bool load(std::string_view name, std::string& document, std::string& error) const;
    bool remove(std::string_view name, std::string& error);
    // [nrt] Names of the saved snapshots, sorted; empty when there are none.
    std::vector<std::string> list(std::string& error) const;

    const std::filesystem::path& directory() const { return directory_; }

private:
    std::filesystem::path path_of(std::string_view name) const;

    std::filesystem::path directory_;
};

}  // namespace rtgraph::persist
