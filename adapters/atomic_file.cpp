// atomic_file.cpp - temporary file + fsync + rename + directory fsync (or, for
// advisory files, the same without the fsyncs).
#include "atomic_file.hpp"
#include "fd_io.hpp"

#include <cerrno>
#include <cstdlib>
#include <charconv>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace testr {
namespace {

using fd_io::fsync_retrying;
using fd_io::sync_directory;
using fd_io::write_all;

std::string parent_directory(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

void fault_point(detail::write_stage stage, int fd) {
    if (detail::atomic_write_fault_hook != nullptr) detail::atomic_write_fault_hook(stage, fd);
}

/// Opens a fresh temporary beside `path`; O_EXCL so a name left by a dead
/// process with our pid is skipped instead of shared.
int create_temporary(const std::string& path, std::string& temp_path) {
    const std::string prefix = path + ".tmp." + std::to_string(::getpid()) + ".";
    for (unsigned n = 0;; ++n) {
        temp_path = prefix + std::to_string(n);
        const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) return fd;
        if (errno != EEXIST && errno != EINTR) return -1;
    }
}

result<void, io_error> replace(const std::string& path, const std::function<int(int fd)>& fill, bool durable) {
    std::string temp_path;
    int fd = create_temporary(path, temp_path);
    if (fd < 0) return unexpected{errno_error(temp_path, "create temporary file", errno)};

    // Until the rename, any failure leaves the target untouched; undo the
    // temporary and report the step that failed.
    auto abandon = [&](const char* action, int err) {
        if (fd >= 0) ::close(fd);
        ::unlink(temp_path.c_str());
        return unexpected{errno_error(temp_path, action, err)};
    };
    fault_point(detail::write_stage::temp_opened, fd);
    if (int err = fill(fd)) return abandon("write temporary file", err);
    fault_point(detail::write_stage::temp_written, fd);
    if (durable) {
        if (int err = fsync_retrying(fd)) return abandon("sync temporary file", err);
        fault_point(detail::write_stage::temp_synced, fd);
    }
    // close can report a deferred write error (NFS); never retried, as the
    // descriptor is gone either way on Linux.
    const int close_result = ::close(fd);
    fd = -1;
    if (close_result != 0) return abandon("close temporary file", errno);

    if (::rename(temp_path.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp_path.c_str());
        return unexpected{errno_error(path, "rename temporary file over", err)};
    }
    fault_point(detail::write_stage::renamed, -1);
    if (!durable) return {};
    const std::string dir = parent_directory(path);
    if (int err = sync_directory(dir)) return unexpected{errno_error(dir, "sync directory", err)};
    return {};
}

}  // namespace

result<void, io_error> write_file_atomically(const std::string& path, std::string_view contents) {
    return replace(path, [contents](int fd) { return write_all(fd, contents); }, true);
}

result<void, io_error> write_file_atomically(const std::string& path, const std::function<int(int fd)>& fill) {
    return replace(path, fill, true);
}

result<void, io_error> replace_file_unsynced(const std::string& path, std::string_view contents) {
    return replace(path, [contents](int fd) { return write_all(fd, contents); }, false);
}

void remove_stale_temporaries(const std::string& path) {
    const std::string dir = parent_directory(path);
    const std::string prefix = base_name(path) + ".tmp.";
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return;
    const int dir_fd = ::dirfd(d);
    while (const dirent* entry = ::readdir(d)) {
        if (std::string_view(entry->d_name).starts_with(prefix)) ::unlinkat(dir_fd, entry->d_name, 0);
    }
    ::closedir(d);
}

bool dead_pid(std::string_view digits) {
    pid_t pid = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (ec != std::errc() || pid <= 0) return true;
    return pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH;
}

std::string temp_root() {
    const char* tmp = std::getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

std::vector<std::string> remove_dead_private_dirs(const std::string& parent, std::string_view prefix) {
    std::vector<std::string> removed;
    const int parent_fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (parent_fd < 0) return removed;
    DIR* listing = ::fdopendir(::dup(parent_fd));
    std::vector<std::string> candidates;
    while (listing != nullptr) {
        const dirent* entry = ::readdir(listing);
        if (entry == nullptr) break;
        const std::string_view name = entry->d_name;
        if (!name.starts_with(prefix)) continue;
        // <pid>, then the end or a '.' or '-' (a random suffix beyond).
        const std::string_view pid = name.substr(prefix.size());
        const std::size_t digits = pid.find_first_not_of("0123456789");
        if (digits == 0 || (digits != std::string_view::npos && pid[digits] != '.' && pid[digits] != '-')) continue;
        if (dead_pid(pid)) candidates.emplace_back(name);
    }
    if (listing != nullptr) ::closedir(listing);
    for (const std::string& name : candidates) {
        const int fd = ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) continue;  // a link (ELOOP), or gone already
        struct stat st;
        if (::fstat(fd, &st) != 0 || st.st_uid != ::geteuid()) {
            ::close(fd);
            continue;
        }
        if (DIR* d = ::fdopendir(fd)) {
            while (const dirent* entry = ::readdir(d)) {
                const std::string_view file = entry->d_name;
                if (file == "." || file == "..") continue;
                // A runner still waiting to read its ids from a pipe here
                // (its testr-mini killed) is let go: it reads none, and ends.
                struct stat f;
                if (::fstatat(fd, entry->d_name, &f, AT_SYMLINK_NOFOLLOW) == 0 && S_ISFIFO(f.st_mode)) {
                    const int w = ::openat(fd, entry->d_name, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
                    if (w >= 0) ::close(w);
                }
                ::unlinkat(fd, entry->d_name, 0);
            }
            ::closedir(d);
        } else {
            ::close(fd);
        }
        if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) == 0) removed.push_back(parent + "/" + name);
    }
    ::close(parent_fd);
    return removed;
}

}  // namespace testr
