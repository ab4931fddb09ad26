// support/command.hpp - what the C++ tests need to reach the world outside
// the test program: the environment meson test sets (source and build roots,
// the Python interpreter) and shell command lines with stdout captured.
#pragma once

#include <testr/command_template.hpp>

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace test_support {

inline std::string env_or(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

inline std::filesystem::path source_root() { return env_or("TESTR_SOURCE_ROOT", "."); }
inline std::filesystem::path build_root() { return env_or("TESTR_BUILD_ROOT", "."); }

/// A file of the source tree, e.g. "tests/config/re_oracle.py".
inline std::string source_file(const std::string& relative) { return (source_root() / relative).string(); }

/// Debian's Python, which has python-subunit and testrepository (the first
/// python3 on PATH may not); meson test sets PYTHON.
inline std::string python() { return env_or("PYTHON", "/usr/bin/python3"); }

/// The runner's own quoting, so tests quote as the commands they check do.
/// Takes std::string so that a std::filesystem::path converts.
inline std::string shell_quote(const std::string& text) { return testr::shell_quote(text); }

struct run_result {
    int exit_code = -1;  ///< -1 when the shell did not exit normally
    std::string out;
};

/// Runs a shell command line; stdout is captured, stderr goes to the test
/// log (append " 2>&1" to capture it too).
inline run_result run(const std::string& command) {
    run_result r;
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE_MESSAGE(pipe != nullptr, command);
    std::array<char, 65536> buffer{};
    for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) r.out.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

}  // namespace test_support
