// Tests of adapters/test_filter.hpp and the python_regex.hpp search under
// it: a differential test against testrepository's rule (a test is
// selected when any filter's re.search finds it; tests/config/re_support.hpp)
// over hand-picked and random ids, some not UTF-8, checking the match spans
// too; the OR of several filters; error messages.
#include "python_regex.hpp"
#include "test_filter.hpp"

#include "config/re_support.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

namespace {

struct tally {
    int compiled = 0, rejected = 0, selected = 0, dropped = 0;
};

tally compare_with_python(const std::vector<std::string>& ids) {
    const auto& patterns = re_test::patterns();
    const auto python = re_test::python_verdicts("search", patterns, ids);
    tally t;
    for (std::size_t p = 0; p < patterns.size(); ++p) {
        CAPTURE(re_test::hex(patterns[p]));
        const auto filter = testr::compile_test_filter({patterns[p]});
        const auto regex = testr::compile_python_regex(patterns[p], testr::regex_anchor::anywhere);
        if (python[p].error) {
            CAPTURE(*python[p].error);
            CHECK_FALSE(filter.has_value());
            CHECK_FALSE(regex.has_value());
            ++t.rejected;
            continue;
        }
        REQUIRE_MESSAGE(filter.has_value(), filter.error().message);
        REQUIRE(regex.has_value());
        ++t.compiled;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            CAPTURE(re_test::hex(ids[i]));
            const auto& expected = python[p].spans[i];
            CHECK((*filter)(ids[i]) == expected.has_value());
            const auto found = regex->find(ids[i]);
            REQUIRE(found.has_value() == expected.has_value());
            if (found) CHECK(std::pair(found->begin, found->end) == *expected);
            ++(expected ? t.selected : t.dropped);
        }
    }
    return t;
}

}  // namespace

TEST_CASE("filters select as testrepository's re.search, on hand-picked ids") {
    const auto t = compare_with_python(re_test::hand_ids());
    CHECK(t.compiled >= 60);
    CHECK(t.rejected >= 12);
    CHECK(t.selected >= 1000);
    CHECK(t.dropped >= 1000);
}

TEST_CASE("filters select as testrepository's re.search, on random ids") {
    const std::uint32_t seed = std::random_device{}();
    CAPTURE(seed);
    const auto t = compare_with_python(re_test::random_ids(seed, 400));
    CHECK(t.selected >= 8000);
    CHECK(t.dropped >= 4000);
}

TEST_CASE("an id that is not UTF-8 is listed by a filter that finds it, and only then") {
    const std::string id = "\xff" "bad.one";
    const auto one = testr::compile_test_filter({"one"});
    REQUIRE(one.has_value());
    CHECK((*one)(id));
    const auto anchored = testr::compile_test_filter({"^bad"});
    REQUIRE(anchored.has_value());
    CHECK_FALSE((*anchored)(id));
    const auto byte = testr::compile_test_filter({"^\xff"});
    REQUIRE(byte.has_value());
    CHECK((*byte)(id));
    CHECK_FALSE((*byte)("\xfe" "bad.one"));
}

TEST_CASE("no filter selects everything; several select their union") {
    const auto none = testr::compile_test_filter({});
    REQUIRE(none.has_value());
    CHECK(none->empty());
    CHECK((*none)(""));
    CHECK((*none)("\xff"));
    const auto two = testr::compile_test_filter({R"(\.alpha$)", "^beta"});
    REQUIRE(two.has_value());
    CHECK_FALSE(two->empty());
    CHECK((*two)("x.alpha"));
    CHECK((*two)("beta.x"));
    CHECK_FALSE((*two)("x.alpha.beta"));
    const testr::python_regex unset;
    CHECK_FALSE(unset.find("anything").has_value());
}

TEST_CASE("errors name the filter, the offset in it as written and the reason") {
    const auto unclosed = testr::compile_test_filter({"ok", R"(\u00e9(abc)"});
    REQUIRE_FALSE(unclosed.has_value());
    CHECK(unclosed.error().message == R"(invalid test filter '\u00e9(abc' at offset 10: missing closing parenthesis)");
    const auto escape = testr::compile_test_filter({R"(ab\h)"});
    REQUIRE_FALSE(escape.has_value());
    CHECK(escape.error().message == R"(invalid test filter 'ab\h' at offset 2: bad escape \h)");
}
