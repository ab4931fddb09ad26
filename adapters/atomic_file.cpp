// atomic_file.cpp - temporary file + fsync + rename + directory fsync.
#include "atomic_file.hpp"
#include "fd_io.hpp"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
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

}  // namespace

result<void, io_error> write_file_atomically(const std::string& path, std::string_view contents) {
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
    if (int err = write_all(fd, contents)) return abandon("write temporary file", err);
    fault_point(detail::write_stage::temp_written, fd);
    if (int err = fsync_retrying(fd)) return abandon("sync temporary file", err);
    fault_point(detail::write_stage::temp_synced, fd);
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
    const std::string dir = parent_directory(path);
    if (int err = sync_directory(dir)) return unexpected{errno_error(dir, "sync directory", err)};
    return {};
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

}  // namespace testr
