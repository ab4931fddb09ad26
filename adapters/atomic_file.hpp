// atomic_file.hpp - replace a file's content all at once, crash-safely.
//
// The new content goes to a temporary file beside the target, is fsynced,
// then renamed over the target, and the directory is fsynced. rename(2) is
// atomic, so a reader, or the file system after a crash or power loss, sees
// either the old file or the whole new one, never a mix.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "io_error.hpp"
#include <testr/result.hpp>

namespace testr {

/// Replaces `path` with `contents` atomically (see above). A new file gets
/// mode 0666 less the umask. The temporary is named `<path>.tmp.<pid>.<n>`
/// and removed again on every failure this process survives; one killed
/// mid-write leaves it behind (see remove_stale_temporaries).
/// Errors name the path concerned and the errno: ENOENT (missing
/// directory), EACCES / EROFS (not writable), ENOSPC / EDQUOT (full),
/// EIO. A failure while syncing the directory comes after the rename: the
/// new content is in place but may not survive a power loss.
/// Concurrent writers of one path must serialise themselves (file_lock),
/// or the last rename wins.
result<void, io_error> write_file_atomically(const std::string& path, std::string_view contents);

/// The same, the content written by `fill` to the temporary's descriptor
/// as it is produced (a document too large to hold whole first); `fill`
/// returns 0, or the errno of its failed write (the temporary is removed).
result<void, io_error> write_file_atomically(const std::string& path, const std::function<int(int fd)>& fill);

/// The same replacement by rename, without the two fsyncs: readers still
/// see the old content or the whole new one, but after a power loss the
/// file may hold either, or nothing. For advisory files (remembered costs,
/// caches) whose readers take an empty or unreadable file as "not known":
/// their fsyncs were a third of a commit's on a busy disk.
result<void, io_error> replace_file_unsynced(const std::string& path, std::string_view contents);

/// Best effort: deletes `<path>.tmp.*` files that writers killed inside
/// write_file_atomically left behind. Call it only while holding a lock that
/// every writer of `path` takes, or a live writer's temporary may vanish.
void remove_stale_temporaries(const std::string& path);

/// Whether the process whose pid is the digits at the start of `digits` is
/// certainly gone (no digits: true, as the name is not one we make; our
/// own pid: false).
bool dead_pid(std::string_view digits);

/// Removes the private directories `<parent>/<prefix><pid>...` that
/// processes now gone left behind (kill -9 midway), with the files in them;
/// returns their paths. A link, or a directory of another user, is left
/// alone and never followed; a live pid's directory is its own. A named
/// pipe in one is opened for writing and closed first, so that a process
/// blocked reading it (a pre-started runner) gets an empty list and ends.
/// Where this process's private temporary directories go: $TMPDIR, else /tmp.
std::string temp_root();

std::vector<std::string> remove_dead_private_dirs(const std::string& parent, std::string_view prefix);

namespace detail {

/// The points of write_file_atomically at which a test may inject a fault.
enum class write_stage {
    temp_opened,  ///< temporary created and empty
    temp_written, ///< content written, not yet fsynced
    temp_synced,  ///< content durable in the temporary, target untouched
    renamed,      ///< target replaced, directory not yet fsynced
};

/// Tests only: when set, called at each stage with the temporary's
/// descriptor (-1 once closed), e.g. to _exit, raise SIGKILL, or dup2
/// /dev/full over it. Not thread-safe; leave null in production.
using write_fault_hook = void (*)(write_stage stage, int temp_fd);
inline write_fault_hook atomic_write_fault_hook = nullptr;

}  // namespace detail
}  // namespace testr
