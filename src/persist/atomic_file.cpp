// Durable file writes: temp file, fsync, rename, fsync of the directory.
#include "rtgraph/persist/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rtgraph::persist {

namespace {

std::string describe_errno(const std::string& what, const std::filesystem::path& path) {
    return what + " '" + path.string() + "': " + std::strerror(errno);
}

// An fd that closes itself, so every early return releases it.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    // Closes now and reports the result: close() can report a deferred write error.
    int close() {
        const int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }

private:
    int fd_;
};

std::filesystem::path parent_of(const std::filesystem::path& path) {
    const std::filesystem::path parent = path.parent_path();
    return parent.empty() ? std::filesystem::path(".") : parent;
}

bool fsync_directory(const std::filesystem::path& dir, std::string& error) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) {
        error = describe_errno("cannot open directory", dir);
        return false;
    }
    if (::fsync(fd.get()) != 0) {
        error = describe_errno("cannot fsync directory", dir);
        return false;
    }
    return true;
}

}  // namespace

bool ensure_directory(const std::filesystem::path& path, std::string& error) {
    if (path.empty()) {
        error = "the state directory is not set";
        return false;
    }
    // One component at a time, so every directory we create gets our mode
    // (std::filesystem::create_directories would use 0777 & ~umask).
    std::filesystem::path so_far;
    for (const std::filesystem::path& part : path) {
        so_far /= part;
        if (::mkdir(so_far.c_str(), kDirectoryMode) == 0) {
            // The umask may have narrowed it further; that is the admin's choice.
            continue;
        }
        if (errno != EEXIST) {
            error = describe_errno("cannot create directory", so_far);
            return false;
        }
    }
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
        error = "'" + path.string() + "' is not a directory";
        return false;
    }
    return true;
}

bool write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                           std::string& error) {
    // The temporary file must live in the same directory: rename() is atomic
    // only within one file system. A leftover one from a killed process is
    // overwritten (O_TRUNC) on the next write.
    std::filesystem::path temp = path;
    temp += ".tmp";
    {
        Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, kFileMode));
        if (fd.get() < 0) {
            error = describe_errno("cannot create", temp);
            return false;
        }
        std::size_t done = 0;
        while (done < contents.size()) {
            const ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                error = describe_errno("cannot write", temp);
                ::unlink(temp.c_str());
                return false;
            }
            done += static_cast<std::size_t>(n);
        }
        // Data on disk before the rename makes it visible: otherwise a crash
        // could leave the new name pointing at an empty file (ext4 delalloc).
        if (::fsync(fd.get()) != 0 || fd.close() != 0) {
            error = describe_errno("cannot fsync", temp);
            ::unlink(temp.c_str());
            return false;
        }
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        error = describe_errno("cannot rename onto", path);
        ::unlink(temp.c_str());
        return false;
    }
    return fsync_directory(parent_of(path), error);
}

bool remove_file_durably(const std::filesystem::path& path, std::string& error) {
    if (::unlink(path.c_str()) != 0) {
        error = describe_errno("cannot remove", path);
        return false;
    }
    return fsync_directory(parent_of(path), error);
}

bool rename_durably(const std::filesystem::path& from, const std::filesystem::path& to,
                    std::string& error) {
    if (::rename(from.c_str(), to.c_str()) != 0) {
        error = describe_errno("cannot rename '" + from.string() + "' to", to);
        return false;
    }
    return fsync_directory(parent_of(to), error);
}

bool read_whole_file(const std::filesystem::path& path, std::string& out, std::string& error,
                     bool* missing) {
    if (missing != nullptr) *missing = false;
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT && missing != nullptr) *missing = true;
        error = describe_errno("cannot open", path);
        return false;
    }
    out.clear();
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = describe_errno("cannot read", path);
            return false;
        }
        if (n == 0) break;
        out.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace rtgraph::persist
