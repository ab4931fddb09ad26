// config/re_support.hpp - the differential test of Python re patterns
// (test_group_regex, test_test_filter): patterns real projects use and
// Python-vs-PCRE2 spelling traps, hand-picked and random test ids (some not
// UTF-8), and Python's verdict on them from tests/config/re_oracle.py.
#pragma once

#include "../support/command.hpp"
#include "../support/files.hpp"
#include "../support/hex.hpp"
#include "../support/temp_dir.hpp"

#include <testr/command_template.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace re_test {

inline const std::vector<std::string>& patterns() {
    static const std::vector<std::string> list{
        // from real .testr.conf files
        R"(([^\.]+\.)+)", R"((?:[^.]+\.)+)", R"(^(.*)\.test_)", R"(([^\.]*\.)*)", R"((^[^\.]+\.[^\.]+)\.)",
        R"(tempest\.(api|scenario)\.([^\.]+)\.)", R"(([^\.]+\.)+?)", R"(.*\.)", R"((\w+\.)+)",
        R"(^(?:[^.]+\.){2})",
        // filters as people type them
        "one", "test_x", R"(^pkg\.)", R"(Class\.test_)", "(?i)TEST", R"(x$)", R"(\.test_[a-z]+$)", R"(\Atests)",
        "a|b", "", R"(\bone\b)", R"(mod\.mod)",
        // spellings that differ between Python and PCRE2
        R"(.*\Z)", R"([a-z.]+$)", R"(\w{,3})", R"([^.]{,})", R"(x{,}y)", R"([\]a.]+)", R"([[:alpha:]]+)",
        R"([]a]+)", R"([^]a]+)", R"(caf\u00e9)", R"([^\u0041]+)", R"(\x61\.)", R"(\U0001F600|a)", R"(\v|a)",
        R"(\d+)", R"(\s*\S+)", R"(\btest)", R"((?i)A\.B)", R"((?s).*)", R"((?x) [a-z]+ \. # a comment)",
        R"((?P<mod>[^.]+)\.(?P=mod))", R"(^$)", R"([^.]*)", R"(a{2}|\.)", R"({)", R"(a{,)", R"(\.|\[)",
        R"([\w.]+\[)", R"((?<=a)b|a)", R"((?=a)\w+)", R"(.)", R"(\(|[(])", R"(\t|\n|a\n)",
        // bytes that are not UTF-8 (surrogateescape on both sides)
        "\xff", "[\xfe\xff]+", "\\\xff", R"(\udcff)", R"([\udc80-\udcff]+)", R"(\W+)", R"(\w+\.one)", R"(^.*one)",
        R"(bad\.)", R"(\S+$)", R"(\ud800|x)", R"([^a-z]+)", "\xc3", R"(\xff)",
        // errors in Python, so here too
        R"(()", R"([a-)", R"(\p{L})", R"(\K)", R"(a**)", R"(\Q)", R"(\x4)", R"(\h)", R"(\R)",
        R"(\u12)", R"(*)", R"(\)", R"([\A])"};
    return list;
}

inline std::vector<std::string> hand_ids() {
    return {"", "a", "a.b", "pkg.mod.Class.test_x", "tempest.api.compute.test_servers.ServersTest.test_list",
            "tempest.scenario.x.y", "no_dots_here", "trailing.", ".leading", "a..b", "caf\xc3\xa9.test",
            "\xc3\xa9t\xc3\xa9.x", "\xe6\x97\xa5\xe6\x9c\xac.test", "emoji\xf0\x9f\x98\x80.x",
            "\xf0\x9f\x98\x80", "with space.test", "param[1-2].test", "x.test_y.test_z", "A.B.c",
            "line\n", "a\nb.c", "tab\tx.y", "abc", "aab", "(x)", "[y", "{", "x{y", "xy", "mod.mod.x", "\x0b",
            "123.test", "\xd9\xa3.x", "tests.one", "pkg.one.two",
            // not UTF-8
            "\xff" "bad.one", "a\xff.b", "\xc3", "x\xc3.one", "\xed\xa0\x80x.y", "caf\xc3\xa9\xfe\xff",
            "\xf4\x90\x80\x80.z", "\xc0\xaf.one", "\xe6\x97.test_x", "\x80\x80\x80"};
}

inline std::vector<std::string> random_ids(std::uint32_t seed, std::size_t count) {
    std::mt19937 rng(seed);
    static const std::vector<std::string> parts{
        "pkg", "tests", "unit", "test_api", "TestCase", "test_", "x", "a", "mod", "_", "\xc3\xa9", "\xe6\x97\xa5",
        "\xf0\x9f\x98\x80", "[1]", "(p)", " ", "\t", "-", "::", "/", "9", "A", "one", "\xff", "\xc3", "\x80"};
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < count; ++i) {
        std::string id;
        const int n = std::uniform_int_distribution<int>(0, 8)(rng);
        for (int k = 0; k < n; ++k) {
            id += parts[std::uniform_int_distribution<std::size_t>(0, parts.size() - 1)(rng)];
            if (std::bernoulli_distribution(0.6)(rng)) id += '.';
        }
        if (std::bernoulli_distribution(0.03)(rng)) id += '\n';
        ids.push_back(std::move(id));
    }
    return ids;
}

using test_support::hex;

using span = std::optional<std::pair<std::size_t, std::size_t>>;

/// Python's verdict per pattern: an error message, or the match's byte span
/// per id (nullopt = no match).
struct verdict {
    std::optional<std::string> error;
    std::vector<span> spans;
};

/// `mode`: "match" (group_regex) or "search" (filters).
inline std::vector<verdict> python_verdicts(const char* mode, const std::vector<std::string>& pats,
                                            const std::vector<std::string>& ids) {
    using nlohmann::json;
    json request{{"mode", mode}, {"patterns_hex", json::array()}, {"ids_hex", json::array()}};
    for (const auto& p : pats) request["patterns_hex"].push_back(hex(p));
    for (const auto& id : ids) request["ids_hex"].push_back(hex(id));
    test_support::temp_dir dir;
    test_support::write_file(dir / "case.json", request.dump());
    const auto out = test_support::run(test_support::python() + " " + test_support::source_file("tests/config/re_oracle.py") + " < " +
                                      testr::shell_quote(dir / "case.json"));
    REQUIRE(out.exit_code == 0);
    std::vector<verdict> verdicts;
    std::istringstream lines(out.out);
    for (std::string line; std::getline(lines, line);) {
        const auto j = json::parse(line);
        verdict v;
        if (j.contains("error")) {
            v.error = j.at("error").get<std::string>();
        } else {
            for (const auto& s : j.at("spans")) {
                v.spans.push_back(s.is_null() ? span{}
                                              : span{{s.at(0).get<std::size_t>(), s.at(1).get<std::size_t>()}});
            }
        }
        verdicts.push_back(std::move(v));
    }
    REQUIRE(verdicts.size() == pats.size());
    return verdicts;
}

}  // namespace re_test
