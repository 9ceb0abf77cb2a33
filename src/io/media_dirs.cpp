#include "rtgraph/io/media_dirs.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace rtgraph::io {
namespace {

// realpath(3) into a std::string; empty with errno set on failure.
std::string real_path(const std::string& path) {
    const std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(path.c_str(), nullptr),
                                                               &std::free);
    return resolved ? std::string(resolved.get()) : std::string();
}

// True when `path` lies strictly below `directory` (both resolved): a prefix
// match on whole components, so /media2/x is not inside /media.
bool inside(const std::string& path, const std::string& directory) {
    if (directory == "/") return path.size() > 1;
    return path.size() > directory.size() + 1 && path.compare(0, directory.size(), directory) == 0 &&
           path[directory.size()] == '/';
}

engine::Error refused(const std::string& path, const std::string& why) {
    return engine::Error{engine::ErrorCode::kBadPath, "'" + path + "' " + why};
}

}  // namespace

MediaDirs MediaDirs::resolve(const std::vector<std::string>& directories,
                             std::vector<std::string>& problems) {
    MediaDirs dirs;
    for (const std::string& directory : directories) {
        const std::string real = real_path(directory);
        struct stat info {};
        if (real.empty()) {
            problems.push_back("media directory '" + directory + "': " + std::strerror(errno));
        } else if (::stat(real.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
            problems.push_back("media directory '" + directory + "' is not a directory");
        } else {
            dirs.directories_.push_back(real);
        }
    }
    return dirs;
}

engine::Error MediaDirs::check_readable(const std::string& path, std::string& resolved) const {
    if (directories_.empty()) {
        return refused(path, "is refused: no media directory is configured ([paths] media_dirs)");
    }
    if (path.empty() || path.front() != '/') {
        return refused(path, "is not an absolute path");
    }
    const std::string real = real_path(path);
    if (real.empty()) return refused(path, std::string("cannot be resolved: ") + std::strerror(errno));
    bool allowed = false;
    for (const std::string& directory : directories_) allowed = allowed || inside(real, directory);
    if (!allowed) {
        std::string list;
        for (const std::string& directory : directories_) list += (list.empty() ? "" : ", ") + directory;
        return refused(path, "resolves to '" + real + "', outside the media directories (" + list + ")");
    }
    struct stat info {};
    if (::stat(real.c_str(), &info) != 0) {
        return refused(path, std::string("cannot be read: ") + std::strerror(errno));
    }
    if (!S_ISREG(info.st_mode)) {
        return refused(path, "is not a regular file (directories, devices, FIFOs and sockets are refused)");
    }
    resolved = real;
    return {};
}

}  // namespace rtgraph::io
