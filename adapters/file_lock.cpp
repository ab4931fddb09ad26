// file_lock.cpp - flock(2) on a dedicated lock file.
#include "file_lock.hpp"

#include "signals.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
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

// O_NOFOLLOW: a link planted at the lock's name would make us create or
// lock a file anywhere (ELOOP instead). O_NONBLOCK: opening a FIFO planted
// there must not wait; it is refused below as not a regular file.
constexpr int open_flags = O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;

int open_lock_file(const std::string& path) {
    for (;;) {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | open_flags, 0666);
        if (fd < 0 && (errno == EACCES || errno == EROFS)) {
            // Perhaps a lock file someone else created, in a directory we
            // may not write: reading is enough for flock.
            const int create_errno = errno;
            fd = ::open(path.c_str(), O_RDONLY | open_flags);
            if (fd < 0 && errno != EINTR && errno != ELOOP) errno = create_errno;  // the more telling reason
        }
        if (fd >= 0 || errno != EINTR) return fd;
    }
}

}  // namespace

result<file_lock, io_error> lock_file(const std::string& path) {
    const unsigned interrupts = process::interrupt_count();
    int fd = open_lock_file(path);
    if (fd < 0 && errno == ELOOP) {
        io_error e = errno_error(path, "open lock file", ELOOP);
        e.reason = "it is a symbolic link, which a lock file never is (remove it if nobody planted it on purpose)";
        return unexpected{std::move(e)};
    }
    if (fd < 0) return unexpected{errno_error(path, "open lock file", errno)};
    file_lock lock(fd);  // closes fd on every early return below
    struct stat st;
    if (::fstat(fd, &st) != 0) return unexpected{errno_error(path, "stat lock file", errno)};
    if (!S_ISREG(st.st_mode)) {
        io_error e = errno_error(path, "open lock file", EINVAL);
        e.reason = "it is not a regular file";
        return unexpected{std::move(e)};
    }
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
