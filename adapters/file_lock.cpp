// file_lock.cpp - flock(2) on a dedicated lock file.
#include "file_lock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace testr {

file_lock::file_lock(file_lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

file_lock& file_lock::operator=(file_lock&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

file_lock::~file_lock() { release(); }

void file_lock::release() noexcept {
    if (fd_ >= 0) {
        // Closing the only descriptor of the open file description drops
        // the flock; an explicit LOCK_UN would add nothing.
        ::close(fd_);
        fd_ = -1;
    }
}

namespace {

int open_lock_file(const std::string& path) {
    for (;;) {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0 && (errno == EACCES || errno == EROFS)) {
            // Perhaps a lock file someone else created, in a directory we
            // may not write: reading is enough for flock.
            const int create_errno = errno;
            fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0 && errno != EINTR) errno = create_errno;  // the more telling reason
        }
        if (fd >= 0 || errno != EINTR) return fd;
    }
}

}  // namespace

result<file_lock, io_error> lock_file(const std::string& path) {
    int fd = open_lock_file(path);
    if (fd < 0) return unexpected{errno_error(path, "open lock file", errno)};
    file_lock lock(fd);  // closes fd on every early return below
    while (::flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) return unexpected{errno_error(path, "lock", errno)};
    }
    return lock;
}

}  // namespace testr
