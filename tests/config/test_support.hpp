// config/test_support.hpp - scaffolding shared by the differential tests of
// the .testr.conf pieces (test_config, test_command_template,
// test_group_regex): temporary directories, files, and running the Python
// oracles in tests/config/.
#pragma once

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

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

/// A fresh directory under /tmp, removed with its content at scope end.
class temp_dir {
public:
    explicit temp_dir(const std::string& prefix) {
        std::string templ = "/tmp/" + prefix + "-XXXXXX";
        REQUIRE(::mkdtemp(templ.data()) != nullptr);
        path_ = templ;
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

inline void write_file(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot read " << path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

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
