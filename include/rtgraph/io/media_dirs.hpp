// MediaDirs: the directories a client may name files in, and the check every
// such path passes before anything opens it.
//
// A path is accepted only when it is absolute, resolves (realpath: every
// symlink followed, every ".." removed) to a place strictly inside one of the
// directories, and names a regular file there. Device nodes, FIFOs, sockets
// and directories are refused even inside: opening a FIFO blocks, reading a
// device never ends. The check itself opens nothing (realpath and stat only
// look), so a refused path has not been touched.
//
// Callers hand the plugin the resolved path, not the one they were sent: a
// symlink swapped after the check then changes nothing.
//
// Threads: [nrt] control thread (realpath and stat are system calls); a
// MediaDirs is immutable once made and may be shared.
#pragma once

#include <string>
#include <vector>

#include "rtgraph/engine/error.hpp"

namespace rtgraph::io {

class MediaDirs {
public:
    MediaDirs() = default;  // no directories: every path is refused

    // Each directory is resolved now; one that does not resolve to a
    // directory is left out and described in `problems`.
    static MediaDirs resolve(const std::vector<std::string>& directories,
                             std::vector<std::string>& problems);

    // kOk with `resolved` set to the real path, or kBadPath saying why.
    engine::Error check_readable(const std::string& path, std::string& resolved) const;

    // The resolved directories, in configuration order.
    const std::vector<std::string>& directories() const noexcept { return directories_; }

private:
    std::vector<std::string> directories_;
};

}  // namespace rtgraph::io
