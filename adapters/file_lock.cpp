// file_lock.cpp - flock(2) on a dedicated lock file.
#include "file_lock.hpp"

#include "signals.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
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
    const unsigned interrupts = process::interrupt_count();
    int fd = open_lock_file(path);
    if (fd < 0) return unexpected{errno_error(path, "open lock file", errno)};
    file_lock lock(fd);  // closes fd on every early return below
    // A blocking flock would sleep with SIGINT/SIGTERM blocked (an
    // interrupt_guard blocks them outside the waits that unblock them) for
    // as long as another process holds the lock. So: try, then sleep in
    // ppoll with the wait mask, which lets an interrupt end the wait.
    // Backing off to 20 ms bounds the handover delay.
    long pause_ns = 1'000'000;
    for (;;) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return lock;
        if (errno != EWOULDBLOCK && errno != EINTR) return unexpected{errno_error(path, "lock", errno)};
        if (process::interrupt_count() != interrupts) break;
        const timespec pause{0, pause_ns};
        const sigset_t mask = process::wait_mask();
        ::ppoll(nullptr, 0, &pause, &mask);
        if (process::interrupt_count() != interrupts) break;
        pause_ns = std::min(pause_ns * 2, 20'000'000L);
    }
    io_error e = errno_error(path, "take lock", EINTR);
    e.reason = "interrupted (" + process::signal_name(process::last_interrupt_signal()) +
               ") while waiting for another process to release it";
    return unexpected{std::move(e)};
}

}  // namespace testr
