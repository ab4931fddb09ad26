// testr/detail/small_file.hpp - read a small file (procfs, sysfs, cgroupfs)
// whole. Not part of the public API.
#pragma once

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "../result.hpp"

namespace testr::detail {

/// The contents of `path`, or nullopt when it does not exist (ENOENT,
/// ENOTDIR: an absent cgroup controller is normal, not an error). Any other
/// failure is an error naming the path. Pseudo files report size 0, so this
/// reads until EOF instead of trusting stat; EINTR is retried.
inline result<std::optional<std::string>> read_small_file(const std::string& path,
                                                          std::size_t limit = 1 << 20) {
    int fd;
    do {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>{};
        return fail("cannot open " + path + ": " + std::strerror(errno));
    }
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            return fail("cannot read " + path + ": " + std::strerror(err));
        }
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > limit) {
            ::close(fd);
            return fail("cannot read " + path + ": larger than " + std::to_string(limit) +
                        " bytes, not a kernel pseudo file");
        }
    }
    ::close(fd);
    return std::optional<std::string>{std::move(text)};
}

}  // namespace testr::detail
