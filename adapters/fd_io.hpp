// fd_io.hpp - the raw descriptor loops that file writers need: all of a
// buffer written, fsync, directory fsync, each retried on EINTR.
//
// Each returns 0 on success or the errno of the failing call, so callers
// wrap it in an io_error naming their own path and action.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace testr::fd_io {

/// Writes all of `data` to `fd`; a write making no progress is EIO.
int write_all(int fd, std::string_view data);

/// Writes all of `data` to `fd` at byte `offset` (pwrite(2)), leaving the
/// file position alone; a write making no progress is EIO.
int pwrite_all(int fd, std::string_view data, std::size_t offset);

/// fsync(2), retried on EINTR.
int fsync_retrying(int fd);

/// fsyncs directory `dir`, making renames and creations in it durable.
/// EINVAL (a file system that cannot sync directories) counts as success:
/// nothing more can be done there.
int sync_directory(const std::string& dir);

}  // namespace testr::fd_io
