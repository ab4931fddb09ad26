// io_error.hpp - what went wrong with a file, as a value.
//
// Shared by the file helpers (atomic_file, file_lock) and the adapters built
// on them, so the CLI prints every file problem the same way.
#pragma once

#include <string>

namespace testr {

/// A failed file operation: which path, what was being done, and why.
struct io_error {
    std::string path;    ///< the file or directory concerned
    std::string action;  ///< what was being attempted, e.g. "rename temporary file over"
    int code = 0;        ///< errno value; 0 when the problem is the content, not a system call
    std::string reason;  ///< strerror(code), or what is wrong with the content

    /// One line for a user: "cannot <action> '<path>': <reason>".
    std::string message() const;
};

/// Builds an io_error from an errno value; reason becomes strerror(code).
io_error errno_error(std::string path, std::string action, int code);

/// Builds an io_error about a file's content (code 0).
io_error content_error(std::string path, std::string action, std::string reason);

}  // namespace testr
