// repo_support.hpp - for the run_summary and repository tests: building
// subunit v2 streams event by event, and running the real testrepository
// (`testr load`, `testr failing --list`) on them for comparison.
#pragma once

#include "subunit_v2.hpp"
#include "support/command.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace repo_test {

using testr::subunit::status;
using test_support::run_result;
using test_support::shell_quote;
using test_support::temp_dir;

/// Appends encoded events; times are seconds after 2023-11-14.
struct stream_builder {
    std::string bytes;

    static testr::subunit::timestamp at(double t) {
        const double whole = std::floor(t);
        return {1700000000 + static_cast<std::int64_t>(whole), static_cast<std::uint32_t>(std::lround((t - whole) * 1e9))};
    }
    stream_builder& add(const testr::subunit::event& e) {
        REQUIRE(testr::subunit::encode(e, bytes).has_value());
        return *this;
    }
    stream_builder& ev(const std::string& id, status s, std::optional<double> t = std::nullopt,
                       std::vector<std::string> tags = {}) {
        testr::subunit::event e;
        e.test_id = id;
        e.test_status = s;
        if (t) e.time = at(*t);
        e.tags = std::move(tags);
        return add(e);
    }
    /// One test's usual life: inprogress at t, outcome at t + seconds.
    stream_builder& run(const std::string& id, status s, double t, double seconds, std::vector<std::string> tags = {}) {
        ev(id, status::inprogress, t, tags);
        return ev(id, s, t + seconds, tags);
    }
    stream_builder& file(std::optional<std::string> id, const std::string& name, const std::string& content,
                         std::string mime = "text/plain", std::optional<double> t = std::nullopt) {
        testr::subunit::event e;
        e.test_id = std::move(id);
        e.file_name = name;
        e.file_bytes = content;
        e.mime_type = std::move(mime);
        if (t) e.time = at(*t);
        return add(e);
    }
};

/// Output and exit status of a shell command, stderr merged.
inline run_result shell(const std::string& command) { return test_support::run(command + " 2>&1"); }

inline const char* testr_program = "/usr/bin/testr";

/// A testrepository project directory: .testr.conf and `testr init` done.
class real_testr {
public:
    explicit real_testr(const std::string& filter_tags = "") {
        std::string conf = "[DEFAULT]\ntest_command=true\n";
        if (!filter_tags.empty()) conf += "filter_tags=" + filter_tags + "\n";
        test_support::write_file(dir_ / ".testr.conf", conf);
        const auto init = run("init");
        REQUIRE_MESSAGE(init.exit_code == 0, init.out);
    }
    const std::string& path() const { return dir_.path(); }

    run_result run(const std::string& args) const {
        return shell("cd " + shell_quote(dir_.path()) + " && " + testr_program + " " + args);
    }

    /// testr load [--partial] < stream.
    run_result load(const std::string& stream, bool partial = false) {
        const std::string file = dir_ / ("stream" + std::to_string(loads_++) + ".bin");
        test_support::write_file(file, stream);
        return run(std::string("load") + (partial ? " --partial" : "") + " < " + shell_quote(file));
    }

    /// `testr failing --list`, sorted.
    std::vector<std::string> failing() const {
        const auto out = run("failing --list");
        std::vector<std::string> ids;
        std::istringstream lines(out.out);
        for (std::string line; std::getline(lines, line);)
            if (!line.empty()) ids.push_back(line);
        std::sort(ids.begin(), ids.end());
        return ids;
    }

private:
    temp_dir dir_;
    int loads_ = 0;
};

/// The summary lines testr prints: "Ran N (+d) tests in X.XXXs (+y)" and
/// "FAILED (id=0, failures=F (+d), skips=S)" / "PASSED (id=0, skips=S)".
struct testr_summary {
    std::size_t ran = 0, failures = 0, skips = 0;
    bool passed = false;
    std::optional<double> seconds;
};

inline testr_summary parse_summary(const std::string& text) {
    testr_summary s;
    std::smatch m;
    if (std::regex_search(text, m, std::regex(R"(\nRan (\d+)(?: \([+-]\d+\))? tests)")) ||
        std::regex_search(text, m, std::regex(R"(^Ran (\d+)(?: \([+-]\d+\))? tests)")))
        s.ran = std::stoul(m[1]);
    if (std::regex_search(text, m, std::regex(R"(tests? in (\d+\.\d+)s)"))) s.seconds = std::stod(m[1]);
    if (std::regex_search(text, m, std::regex(R"((PASSED|FAILED) \(id=\d+(?:, failures=(\d+))?[^,)]*(?:, skips=(\d+))?)"))) {
        s.passed = m[1] == "PASSED";
        if (m[2].matched) s.failures = std::stoul(m[2]);
        if (m[3].matched) s.skips = std::stoul(m[3]);
    } else {
        FAIL_CHECK("no PASSED/FAILED line in testr output:\n" << text);
    }
    return s;
}

}  // namespace repo_test
