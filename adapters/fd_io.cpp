// fd_io.cpp - EINTR-safe write/fsync loops.
#include "fd_io.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace testr::fd_io {

int write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return EIO;  // no progress and no reason: do not spin
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
}

int pwrite_all(int fd, std::string_view data, std::size_t offset) {
    while (!data.empty()) {
        const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return EIO;
        data.remove_prefix(static_cast<std::size_t>(n));
        offset += static_cast<std::size_t>(n);
    }
    return 0;
}

int fsync_retrying(int fd) {
    while (::fsync(fd) != 0) {
        if (errno != EINTR) return errno;
    }
    return 0;
}

int sync_directory(const std::string& dir) {
    int fd;
    do {
        fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return errno;
    const int err = fsync_retrying(fd);
    ::close(fd);
    return err == EINVAL ? 0 : err;
}

}  // namespace testr::fd_io
