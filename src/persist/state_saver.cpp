// The state file: write scheduling and start-up restore.
#include "rtgraph/persist/state_saver.hpp"

#include <ctime>
#include <system_error>

#include "rtgraph/persist/atomic_file.hpp"

namespace rtgraph::persist {

StateSaver::StateSaver(std::filesystem::path state_dir)
    : dir_(std::move(state_dir)), file_(dir_ / kStateFileName), writer_(file_) {}

bool StateSaver::prepare(std::string& error) { return ensure_directory(dir_, error); }

std::optional<std::filesystem::path> StateSaver::keep_aside(std::string& error) {
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
    std::filesystem::path aside = file_;
    aside += std::string(".corrupt-") + stamp;
    // Two bad starts within a second must not overwrite the first one kept.
    std::error_code ec;
    for (int n = 1; std::filesystem::exists(aside, ec) && n < 1000; ++n) {
        aside = file_;
        aside += std::string(".corrupt-") + stamp + "-" + std::to_string(n);
    }
    if (!rename_durably(file_, aside, error)) return std::nullopt;
    writer_.assume_holds({});
    return aside;
}

StartupState StateSaver::load_at_start() {
    StartupState out;
    std::string text, error;
    bool missing = false;
    if (!read_whole_file(file_, text, error, &missing)) {
        if (missing) return out;
        out.status = StartupState::Status::kCorrupt;
        out.error = error;
    } else if (!from_document(text, out.graph, error)) {
        out.status = StartupState::Status::kCorrupt;
        out.error = "state file " + file_.string() + ": " + error;
    } else {
        out.status = StartupState::Status::kLoaded;
        writer_.assume_holds(text);
        return out;
    }
    std::string aside_error;
    if (auto aside = keep_aside(aside_error)) {
        out.kept_aside = *aside;
    } else {
        out.error += "; and it could not be moved aside: " + aside_error;
    }
    out.graph = GraphState{};
    return out;
}

bool StateSaver::save(const std::string& document, std::string& error) {
    if (!writer_.write(document, error)) return false;  // the marks stay: the next call retries
    take_marks();
    return true;
}

}  // namespace rtgraph::persist
