// file_bytes.cpp - mmap, with read(2) as the fallback.
#include "file_bytes.hpp"

#include "signals.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace testr {

file_bytes::file_bytes(file_bytes&& other) noexcept
    : heap_(std::move(other.heap_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, false)) {}

file_bytes& file_bytes::operator=(file_bytes&& other) noexcept {
    file_bytes old(std::move(*this));  // releases what we held
    heap_ = std::move(other.heap_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, false);
    return *this;
}

file_bytes::~file_bytes() {
    if (mapped_) ::munmap(data_, size_);
}

file_bytes file_bytes::copy_of(std::string_view bytes) {
    file_bytes f;
    f.heap_ = std::make_unique_for_overwrite<char[]>(bytes.size());
    if (!bytes.empty()) std::memcpy(f.heap_.get(), bytes.data(), bytes.size());
    f.data_ = f.heap_.get();
    f.size_ = bytes.size();
    return f;
}

namespace {

/// Reads `fd` (opened O_NONBLOCK) to its end; 0 or the errno of the
/// failing read. A FIFO or device may keep it waiting for ever: it waits in
/// ppoll with the wait mask, so an interrupt under an interrupt_guard ends
/// it with EINTR. It polls before reading: a FIFO read with no writer yet
/// says end of file, where poll waits for the first writer.
int read_to_end(int fd, std::size_t expected, std::string& out) {
    const unsigned interrupts = process::interrupt_count();
    out.reserve(expected);
    char chunk[65536];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        const sigset_t mask = process::wait_mask();
        ::ppoll(&p, 1, nullptr, &mask);
        if (process::interrupt_count() != interrupts) return EINTR;
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n < 0) return errno;
        if (n == 0) return 0;
        out.append(chunk, static_cast<std::size_t>(n));
    }
}

}  // namespace

result<file_bytes, io_error> read_file_bytes(const std::string& path) {
    int fd;
    do {
        // O_NONBLOCK: opening a FIFO would otherwise wait for a writer
        // with no way out (see read_to_end); regular files ignore it.
        fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return unexpected{errno_error(path, "open", errno)};
    auto fail = [&](const char* action, int err) {
        ::close(fd);
        return unexpected{errno_error(path, action, err)};
    };
    struct stat st;
    if (::fstat(fd, &st) != 0) return fail("stat", errno);
    if (S_ISDIR(st.st_mode)) return fail("read", EISDIR);

    file_bytes bytes;
    const auto size = static_cast<std::size_t>(st.st_size);
    // MAP_POPULATE: the caller reads every byte anyway, and mapping the
    // page cache in one call beats a fault per 64 KiB.
    void* p = S_ISREG(st.st_mode) && size > 0
                  ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0)
                  : MAP_FAILED;
    if (p != MAP_FAILED) {
        bytes.data_ = static_cast<char*>(p);
        bytes.size_ = size;
        bytes.mapped_ = true;
    } else {
        std::string content;
        if (const int err = read_to_end(fd, size, content)) return fail("read", err);
        bytes = file_bytes::copy_of(content);
    }
    ::close(fd);
    return bytes;
}

}  // namespace testr
