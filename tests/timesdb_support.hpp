// timesdb_support.hpp - scaffolding for the file-store tests: temporary
// directories, whole-file I/O, and forked children that report back.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace timesdb_test {

/// A fresh directory under /tmp, removed with its content at scope end.
class temp_dir {
public:
    temp_dir() {
        std::string templ = "/tmp/testr-timesdb-XXXXXX";
        REQUIRE(::mkdtemp(templ.data()) != nullptr);
        path_ = templ;
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ignored);
        std::filesystem::remove_all(path_, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

/// Whole-file content, or nothing; safe in a forked child (no doctest).
inline std::optional<std::string> try_read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in.good()) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string read_bytes(const std::string& path) {
    auto content = try_read(path);
    REQUIRE_MESSAGE(content.has_value(), "cannot read " << path);
    return *content;
}

inline void write_bytes(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

/// Names in a directory, sorted.
inline std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

/// How a forked child ended and what it reported.
struct child_outcome {
    int status = 0;      ///< as from waitpid
    std::string report;  ///< what the body returned; empty means success
};

/// Runs `body` in a forked child. The body must not use doctest macros (a
/// child's assertions would be lost, and a failed REQUIRE would unwind into
/// the child's copy of the test runner): it returns an empty string on
/// success or a description of what went wrong, which reaches the parent
/// through a pipe. A child that dies first (on purpose, e.g. SIGKILL) reports nothing.
inline child_outcome run_in_child(const std::function<std::string()>& body) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        std::string report;
        try {
            report = body();
        } catch (...) {  // never let the child unwind into the test runner
            report = "exception in child";
        }
        std::size_t done = 0;
        while (done < report.size()) {
            const ssize_t n = ::write(fds[1], report.data() + done, report.size() - done);
            if (n <= 0 && errno != EINTR) break;
            if (n > 0) done += static_cast<std::size_t>(n);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    child_outcome out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n > 0) out.report.append(buf, static_cast<std::size_t>(n));
        else if (n == 0 || errno != EINTR) break;
    }
    ::close(fds[0]);
    while (::waitpid(pid, &out.status, 0) < 0 && errno == EINTR) {
    }
    return out;
}

inline bool exited_cleanly(const child_outcome& c) { return WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0; }

}  // namespace timesdb_test
