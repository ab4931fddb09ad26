// file_lock.hpp - an exclusive advisory lock held through a lock file.
//
// Serialises read-modify-write cycles between processes (several `testr run`
// in one repository). The lock lives on a separate, never-replaced file
// because a file swapped in by rename would leave waiters locking the old
// inode.
#pragma once

#include <string>

#include "io_error.hpp"
#include <testr/result.hpp>

namespace testr {

/// Holds an exclusive flock(2) on a lock file until destroyed or released.
/// Move-only. The kernel drops the lock when the process dies, even by
/// SIGKILL, so a crashed holder never blocks later ones.
///
/// The lock belongs to the open file description: two file_locks on the same
/// path in one process exclude each other (the second one blocks forever if
/// the first is held by the same thread), and a child forked while the lock
/// is held shares it.
class file_lock {
public:
    file_lock() = default;
    file_lock(file_lock&& other) noexcept;
    file_lock& operator=(file_lock&& other) noexcept;
    file_lock(const file_lock&) = delete;
    file_lock& operator=(const file_lock&) = delete;
    ~file_lock();

    /// True while the lock is held.
    bool held() const noexcept { return fd_ >= 0; }

    /// Releases the lock early (the destructor does the same).
    void release() noexcept;

private:
    friend result<file_lock, io_error> lock_file(const std::string& path);
    explicit file_lock(int fd) noexcept : fd_(fd) {}
    int fd_ = -1;
};

/// Waits until the exclusive lock on `path` is ours. The wait ends early
/// when SIGINT, SIGTERM or SIGHUP arrives under an interrupt_guard
/// (signals.hpp): error code EINTR, reason naming the signal; nothing was
/// changed. Without a guard those signals keep their own disposition. Creates the lock file
/// (mode 0666 less umask) when missing; an existing one is opened read-only
/// if it is not writable, as flock needs no write access. The file is never
/// removed: deleting it would let two processes lock different inodes.
/// A symbolic link at `path` is refused (ELOOP), never followed, as is
/// anything but a regular file (EINVAL).
/// Errors: the directory is missing (ENOENT) or not writable (EACCES,
/// EROFS) and the file does not exist yet, or flock fails (ENOLCK), or the
/// wait was interrupted (EINTR).
result<file_lock, io_error> lock_file(const std::string& path);

}  // namespace testr
