// Durable file writes for the state directory: a reader (a restarted
// rtgraphd, a human with an editor) sees either the old file or the new one,
// never a torn mix, even when the process is killed or the machine loses
// power in the middle of a write.
//
// Threads: the control thread (which also does rtgraphd's housekeeping). Every
// function blocks on the disk and may allocate: never call from the audio
// thread. ([nrt] throughout.)
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace rtgraph::persist {

// Permissions: the daemon's group may read the state (backups, monitoring),
// nobody else.
inline constexpr mode_t kDirectoryMode = 0750;
inline constexpr mode_t kFileMode = 0640;

// [nrt] Creates `path` and any missing parents with kDirectoryMode (an existing
// directory keeps its mode). False with `error` naming the path and errno.
bool ensure_directory(const std::filesystem::path& path, std::string& error);

// [nrt] Replaces `path` with `contents`: writes a temporary file next to it,
// fsyncs it, renames it over `path`, then fsyncs the directory so the rename
// itself is durable. On failure the old file is untouched and the temporary
// one removed.
bool write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                           std::string& error);

// [nrt] Removes `path` and fsyncs its directory.
bool remove_file_durably(const std::filesystem::path& path, std::string& error);

// [nrt] Renames `from` to `to` (same directory) and fsyncs the directory.
bool rename_durably(const std::filesystem::path& from, const std::filesystem::path& to,
                    std::string& error);

// [nrt] The whole file. False with `error` when it cannot be read; `missing`
// is set when it does not exist (not an error for a first start).
bool read_whole_file(const std::filesystem::path& path, std::string& out, std::string& error,
                     bool* missing = nullptr);

}  // namespace rtgraph::persist
