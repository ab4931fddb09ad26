// legacy_support.hpp - for the tests of testrepository's format 1: the
// canonical event lines of tests/subunit/canonical.py, shell commands, and
// a project whose .testrepository the real testr wrote
// (tests/legacy/make_testr_repo.py), made once per build directory.
#pragma once

#include "subunit_v2.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace legacy_test {

namespace fs = std::filesystem;

inline std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}
inline fs::path source_root() { return env_or("TESTR_SOURCE_ROOT", "."); }
inline fs::path build_root() { return env_or("TESTR_BUILD_ROOT", "."); }
inline std::string python() { return env_or("PYTHON", "/usr/bin/python3"); }
inline fs::path helper(const char* name) { return source_root() / "tests" / "legacy" / name; }

inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

struct run_result {
    int exit_code = -1;
    std::string out;
};

/// A shell command line; stdout captured, stderr to the test log.
inline run_result run(const std::string& command) {
    run_result r;
    FILE* p = ::popen(command.c_str(), "r");
    REQUIRE_MESSAGE(p != nullptr, command);
    std::array<char, 65536> buf{};
    for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) r.out.append(buf.data(), n);
    const int st = ::pclose(p);
    r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

inline std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

inline void write_file(const fs::path& p, std::string_view bytes) {
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string tmpl = (fs::temp_directory_path() / "testr-legacy-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

/// The project made by make_testr_repo.py: made once per build directory
/// and script version (testr takes seconds), then only read; copy it before
/// changing anything. Concurrent test programs race to rename theirs into
/// place; the loser uses the winner's.
inline fs::path testr_fixture() {
    static const fs::path made = [] {
        const fs::path script = helper("make_testr_repo.py");
        struct stat st {};
        REQUIRE(::stat(script.c_str(), &st) == 0);
        const fs::path dir = build_root() / ("legacy-fixture-" + std::to_string(st.st_size) + "-" +
                                             std::to_string(static_cast<long long>(st.st_mtime)));
        if (fs::exists(dir / "testr-stats.rc")) return dir;
        const fs::path temp = build_root() / ("legacy-fixture.tmp." + std::to_string(::getpid()));
        std::error_code ec;
        fs::remove_all(temp, ec);
        const auto r = run(python() + " " + shell_quote(script.string()) + " " + shell_quote(temp.string()) + " >&2");
        REQUIRE(r.exit_code == 0);
        if (::rename(temp.c_str(), dir.c_str()) != 0) fs::remove_all(temp, ec);
        REQUIRE(fs::exists(dir / "testr-stats.rc"));
        return dir;
    }();
    return made;
}

// --- canonical lines: the format of tests/subunit/canonical.py ------------

inline std::string quote(std::string_view s) {
    std::string out;
    for (unsigned char b : s) {
        if (b >= 0x21 && b <= 0x7e && b != '%' && b != ',' && b != '[' && b != ']') {
            out += static_cast<char>(b);
        } else {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", b);
            out += hex;
        }
    }
    return out;
}

template <class S>
std::string opt(const std::optional<S>& s) {
    return s ? '"' + quote(*s) + '"' : "-";
}

/// The reference keeps microseconds (our v1 times are whole microseconds).
inline std::string canonical(const testr::subunit::event_view& e) {
    std::set<std::string_view> tags(e.tags.begin(), e.tags.end());
    std::string tag_list;
    for (auto t : tags) tag_list += (tag_list.empty() ? "" : ",") + quote(t);
    std::string when = "-";
    if (e.time) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%lld.%06u", static_cast<long long>(e.time->seconds), e.time->nanoseconds / 1000);
        when = buf;
    }
    return "id=" + opt(e.test_id) + " status=" + std::string(testr::subunit::to_string(e.test_status)) +
           " tags=[" + tag_list + "] time=" + when + " mime=" + opt(e.mime_type) + " file=" + opt(e.file_name) +
           " bytes=" + (e.file_name ? '"' + quote(e.file_bytes) + '"' : std::string("-")) +
           " eof=" + (e.eof ? "1" : "0") + " route=" + opt(e.route_code) + " runnable=" + (e.runnable ? "1" : "0");
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
}

/// Compares two dumps, showing the first difference.
inline void check_same_lines(const std::vector<std::string>& got, const std::vector<std::string>& want) {
    const auto diff = std::mismatch(got.begin(), got.end(), want.begin(), want.end());
    if (diff.first != got.end() || diff.second != want.end()) {
        const std::size_t line = static_cast<std::size_t>(diff.first - got.begin());
        FAIL_CHECK("first difference at line " << line << " of " << got.size() << "/" << want.size()
                   << "\n  got:  " << (diff.first != got.end() ? diff.first->substr(0, 600) : "<end>")
                   << "\n  want: " << (diff.second != want.end() ? diff.second->substr(0, 600) : "<end>"));
    }
}

}  // namespace legacy_test
