// tests/subunit/support.hpp - shared by the codec tests (v2 and v1): the
// environment, shell commands, temporary directories, whole files, and the
// canonical event lines of tests/subunit/canonical.py that our events and
// python-subunit's are compared in.
#pragma once

#include "subunit_v2.hpp"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace subunit_test {

namespace fs = std::filesystem;

inline std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}
inline fs::path source_root() { return env_or("TESTR_SOURCE_ROOT", "."); }
inline fs::path build_root() { return env_or("TESTR_BUILD_ROOT", "."); }
inline std::string python() { return env_or("PYTHON", "/usr/bin/python3"); }

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

/// A fresh directory under $TMPDIR, removed with everything in it.
struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string tmpl = (fs::temp_directory_path() / "testr-subunit-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
};

inline std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

inline void write_file(const fs::path& p, std::string_view bytes) {
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
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

/// One event as a line. The reference reader keeps microseconds (rounding
/// half to even, as datetime.timedelta does) and a set of tags.
template <class String>
std::string canonical(const testr::subunit::basic_event<String>& e) {
    std::set<std::string> tags;
    for (const auto& t : e.tags) tags.emplace(t);
    std::string tag_list;
    for (const auto& t : tags) tag_list += (&t == &*tags.begin() ? "" : ",") + quote(t);
    std::string when = "-";
    if (e.time) {
        std::int64_t us = e.time->nanoseconds / 1000;
        const auto rest = e.time->nanoseconds % 1000;
        if (rest > 500 || (rest == 500 && us % 2 == 1)) ++us;
        char buf[64];
        std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(e.time->seconds + us / 1'000'000),
                      static_cast<long long>(us % 1'000'000));
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

/// Compares two dumps line by line, showing the first difference.
inline void check_same_lines(const std::vector<std::string>& got, const std::vector<std::string>& want) {
    const auto diff = std::mismatch(got.begin(), got.end(), want.begin(), want.end());
    if (diff.first != got.end() || diff.second != want.end()) {
        const std::size_t line = static_cast<std::size_t>(diff.first - got.begin());
        FAIL_CHECK("first difference at line " << line << " of " << got.size() << "/" << want.size()
                   << "\n  got:  " << (diff.first != got.end() ? diff.first->substr(0, 600) : "<end>")
                   << "\n  want: " << (diff.second != want.end() ? diff.second->substr(0, 600) : "<end>"));
    }
}

}  // namespace subunit_test
