// support/child.hpp - a forked child that reports back to the test.
#pragma once

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <string>

namespace test_support {

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

}  // namespace test_support
