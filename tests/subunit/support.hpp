// tests/subunit/support.hpp - shared by the codec tests (v2 and v1): the
// general test support (tests/support/) under short names, and the
// canonical event lines of tests/subunit/canonical.py that our events and
// python-subunit's are compared in.
#pragma once

#include "subunit_v2.hpp"
#include "../support/command.hpp"
#include "../support/files.hpp"
#include "../support/temp_dir.hpp"

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

using test_support::build_root;
using test_support::env_or;
using test_support::python;
using test_support::read_file;
using test_support::run;
using test_support::run_result;
using test_support::shell_quote;
using test_support::source_root;
using test_support::temp_dir;
using test_support::write_file;

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
