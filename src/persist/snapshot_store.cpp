// Named snapshots in <state_dir>/snapshots/NAME.json.
#include "rtgraph/persist/snapshot_store.hpp"

#include <algorithm>
#include <cstdio>
#include <system_error>

#include "rtgraph/persist/atomic_file.hpp"

namespace rtgraph::persist {

namespace {

constexpr std::string_view kExtension = ".json";

bool allowed(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

// A byte as text for an error message: printable as itself, else as \xNN,
// so a control character in a name cannot mangle a client's terminal.
std::string shown(char c) {
    if (c > 0x20 && c < 0x7f) return "'" + std::string(1, c) + "'";
    char text[8];
    std::snprintf(text, sizeof text, "\\x%02x", static_cast<unsigned char>(c));
    return text;
}

}  // namespace

bool valid_snapshot_name(std::string_view name, std::string& error) {
    const std::string rule(kSnapshotNameRule);
    if (name.empty()) {
        error = "empty snapshot name: " + rule;
        return false;
    }
    if (name.size() > kMaxSnapshotName) {
        error = "snapshot name of " + std::to_string(name.size()) + " characters is too long: " + rule;
        return false;
    }
    if (name.front() == '.') {
        error = "snapshot name starts with '.': " + rule;
        return false;
    }
    for (const char c : name) {
        if (!allowed(c)) {
            error = "snapshot name contains " + shown(c) + ": " + rule;
            return false;
        }
    }
    return true;
}

SnapshotStore::SnapshotStore(std::filesystem::path state_dir)
    : directory_(std::move(state_dir) / "snapshots") {}

std::filesystem::path SnapshotStore::path_of(std::string_view name) const {
    return directory_ / (std::string(name) + std::string(kExtension));
}

bool SnapshotStore::save(std::string_view name, std::string_view document, std::string& error) {
    if (!valid_snapshot_name(name, error) || !ensure_directory(directory_, error)) return false;
    return write_file_atomically(path_of(name), document, error);
}

bool SnapshotStore::load(std::string_view name, std::string& document, std::string& error) const {
    if (!valid_snapshot_name(name, error)) return false;
    bool missing = false;
    if (read_whole_file(path_of(name), document, error, &missing)) return true;
    if (missing) error = "no snapshot named '" + std::string(name) + "'";
    return false;
}

bool SnapshotStore::remove(std::string_view name, std::string& error) {
    if (!valid_snapshot_name(name, error)) return false;
    std::error_code ec;
    if (!std::filesystem::exists(path_of(name), ec)) {
        error = "no snapshot named '" + std::string(name) + "'";
        return false;
    }
    return remove_file_durably(path_of(name), error);
}

std::vector<std::string> SnapshotStore::list(std::string& error) const {
    std::vector<std::string> names;
    std::error_code ec;
    if (!std::filesystem::exists(directory_, ec)) return names;
    for (std::filesystem::directory_iterator it(directory_, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        const std::string file = it->path().filename().string();
        if (file.size() <= kExtension.size() || !file.ends_with(kExtension)) continue;
        const std::string name = file.substr(0, file.size() - kExtension.size());
        std::string ignored;
        // Files someone else put there ("x.json.tmp", odd names) are not snapshots.
        if (valid_snapshot_name(name, ignored)) names.push_back(name);
    }
    if (ec) error = "cannot list '" + directory_.string() + "': " + ec.message();
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace rtgraph::persist
