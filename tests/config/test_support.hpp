// config/test_support.hpp - scaffolding shared by the differential tests of
// the .testr.conf pieces (test_config, test_command_template,
// test_group_regex): running the Python oracles in tests/config/, plus the
// temporary directories and files of timesdb_support.hpp.
#pragma once

#include "../timesdb_support.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/wait.h>

namespace config_test {

inline std::string env_or(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

/// Debian's Python, which has testrepository (test_env sets PYTHON).
inline std::string python() { return env_or("PYTHON", "/usr/bin/python3"); }

/// A helper script in tests/config/.
inline std::string helper(const char* name) {
    return (std::filesystem::path(env_or("TESTR_SOURCE_ROOT", ".")) / "tests" / "config" / name).string();
}

// Temporary directories and whole files: the file-store tests' helpers.
using timesdb_test::temp_dir;
using timesdb_test::write_bytes;

struct run_result {
    int exit_code = -1;
    std::string out;
};

/// Runs a shell command line; stdout is captured, stderr goes to the log.
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

}  // namespace config_test
