// file_bytes.hpp - a whole file's bytes, read-only, in one go.
//
// For files that are replaced by rename and never changed in place (the
// times store, run files): such a file is mapped privately, so loading
// costs neither a copy nor fresh pages, and the bytes can be viewed for as
// long as the file_bytes lives.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "io_error.hpp"
#include <testr/result.hpp>

namespace testr {

/// Owns a file's bytes: a private read-only mapping, or a heap copy where
/// mapping is impossible (empty file, special file, file system without
/// mmap) or the bytes came from memory. Move-only; moving keeps views valid.
class file_bytes {
public:
    file_bytes() = default;
    file_bytes(file_bytes&& other) noexcept;
    file_bytes& operator=(file_bytes&& other) noexcept;
    file_bytes(const file_bytes&) = delete;
    file_bytes& operator=(const file_bytes&) = delete;
    ~file_bytes();

    /// A heap copy of `bytes`.
    static file_bytes copy_of(std::string_view bytes);

    std::string_view view() const noexcept { return {data_, size_}; }

private:
    friend result<file_bytes, io_error> read_file_bytes(const std::string& path);
    std::unique_ptr<char[]> heap_;
    char* data_ = nullptr;
    std::size_t size_ = 0;
    bool mapped_ = false;
};

/// Reads the whole file at `path`. Truncating the file in place while the
/// result lives would crash the reader (SIGBUS on a mapping): only use it
/// for files whose writers replace them by rename (write_file_atomically).
/// A FIFO or device is read until its end; an interrupt under an
/// interrupt_guard (signals.hpp) ends that wait with EINTR.
/// Errors name the path: ENOENT, EACCES, EISDIR, EIO, ENOMEM, EINTR.
result<file_bytes, io_error> read_file_bytes(const std::string& path);

}  // namespace testr
