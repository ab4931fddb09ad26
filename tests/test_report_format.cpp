// The text testr users read: summary lines with their deltas, failure
// blocks, tables, and the live progress line (captured from a pipe).
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <regex>
#include <string>
#include <unistd.h>

#include "ui/console.hpp"
#include "ui/json_text.hpp"
#include "ui/progress.hpp"
#include "ui/report_format.hpp"

using namespace testr;
using namespace testr::cli;

TEST_CASE("the summary says the deltas with their signs, as testr does") {
    summary_values v;
    v.tests = 24;
    v.tests_delta = 2;
    v.seconds = 2.507;
    v.seconds_delta = -0.1;
    v.run_id = 3;
    v.failures = 1;
    v.failures_delta = -1;
    v.skips = 1;
    v.successful = false;
    CHECK(format_summary(v) == "Ran 24 (+2) tests in 2.507s (-0.100s)\nFAILED (id=3, failures=1 (-1), skips=1)\n");
    v.seconds_delta = 3.131;
    v.tests_delta = -4;
    v.failures_delta = 2;
    CHECK(format_summary(v) == "Ran 24 (-4) tests in 2.507s (+3.131s)\nFAILED (id=3, failures=1 (+2), skips=1)\n");
}

TEST_CASE("a passing run without deltas") {
    summary_values v;
    v.tests = 1;
    v.seconds = 0.25;
    v.run_id = 0;
    CHECK(format_summary(v) == "Ran 1 tests in 0.250s\nPASSED (id=0)\n");
    v.seconds.reset();
    v.tests = 0;
    CHECK(format_summary(v) == "PASSED (id=0)\n");
}

namespace {
run_summary stream_of(std::vector<subunit::event> events) {
    run_summary s;
    for (auto& e : events) s.add(subunit::to_view(e));
    return s;
}
subunit::event ev(std::string id, subunit::status st, std::int64_t t) {
    subunit::event e;
    e.test_id = std::move(id);
    e.test_status = st;
    e.time = subunit::timestamp{t, 0};
    return e;
}
}  // namespace

TEST_CASE("summarize_against takes the time delta from the previous run, slower is positive") {
    auto now = stream_of({ev("a", subunit::status::inprogress, 100), ev("a", subunit::status::success, 105)});
    auto before = stream_of({ev("a", subunit::status::inprogress, 10), ev("a", subunit::status::success, 12),
                             ev("b", subunit::status::fail, 12)});
    auto v = summarize_against(now, &before, 7);
    REQUIRE(v.seconds_delta);
    CHECK(*v.seconds_delta == doctest::Approx(3.0));
    CHECK(v.tests_delta == -1);
    CHECK(format_summary(v).find("(+3.000s)") != std::string::npos);
    auto back = summarize_against(before, &now, 8);
    CHECK(format_summary(back).find("(-3.000s)") != std::string::npos);
    CHECK_FALSE(back.successful);
}

TEST_CASE("a failure block: header, tags, other attachments as testtools lays them out, then the traceback") {
    test_record t;
    t.id = "pkg.T.test_x";
    t.status = subunit::status::fail;
    t.tags = {"worker-1", "slow"};
    t.attachments = {{"traceback", "text/plain", "Traceback: boom"}, {"stdout", "text/plain", "printed\n"}};
    const std::string rule(70, '=');
    const std::string dash(70, '-');
    // testtools' layout: by name, one-line text inline, the traceback last.
    CHECK(format_failure(t) == rule + "\nFAIL: pkg.T.test_x\ntags: worker-1 slow\n" + dash +
                                   "\nstdout: {{{printed}}}\n\nTraceback: boom\n");
    t.attachments = {{"traceback", "text/plain", "Traceback: boom\n\n"},
                     {"stdout", "text/plain", "\nline 1\nline 2\n"},
                     {"core", "application/octet-stream", std::string("\x7f" "ELF\x1b[2J", 8)},
                     {"log", "", "no type, but text\n"},
                     {"raw", "", std::string("\x00\x01", 2)},
                     {"blank", "text/plain;charset=utf8", " \n"}};
    CHECK(format_failure(t) == rule + "\nFAIL: pkg.T.test_x\ntags: worker-1 slow\n" + dash +
                                   "\nBinary content:\n  core (application/octet-stream)\n  raw (application/octet-stream)\n"
                                   "Empty attachments:\n  blank\n\nlog: {{{no type, but text}}}\n"
                                   "stdout: {{{\nline 1\nline 2\n}}}\n\nTraceback: boom\n");
    t.status = subunit::status::uxsuccess;
    CHECK(format_failure(t).find("UNEXPECTED SUCCESS: pkg.T.test_x") != std::string::npos);
}

TEST_CASE("test_lives: each life of each test on its own slot, forgotten once taken") {
    using subunit::status;
    auto ev = [](std::string_view id, status st, std::int64_t at, std::string_view file = {}) {
        subunit::event_view e;
        e.test_id = id;
        e.test_status = st;
        e.time = subunit::timestamp{at, 0};
        if (!file.empty()) e.file_name = "log", e.file_bytes = file;
        return e;
    };
    test_lives lives;
    lives.add(0, ev("a", status::inprogress, 1));
    lives.add(0, ev("a", status::none, 2, "first"));
    lives.add(0, ev("a", status::fail, 3));
    auto a = lives.take(0, "a");
    REQUIRE(a);
    CHECK(a->status == status::fail);
    REQUIRE(a->attachments.size() == 1);
    CHECK(a->attachments[0].bytes == "first");
    CHECK_FALSE(lives.take(0, "a"));  // taken: nothing is left of it
    // Two lives open at once on one slot, one more on another, and a second
    // life of "a": each gets its own events, none of the ended one's.
    lives.add(0, ev("a", status::inprogress, 11));
    lives.add(0, ev("b", status::inprogress, 10));
    lives.add(1, ev("a", status::inprogress, 12));
    lives.add(0, ev("b", status::none, 13, "of b"));
    lives.add(0, ev("a", status::none, 14, "second"));
    lives.add(1, ev("a", status::none, 15, "other slot"));
    lives.add(0, ev("b", status::fail, 16));
    lives.add(0, ev("a", status::fail, 17));
    lives.add(1, ev("a", status::success, 18));
    CHECK_FALSE(lives.take(1, "a", false));  // not wanted: forgotten without a copy
    const auto b = lives.take(0, "b");
    a = lives.take(0, "a");
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(a->attachments.size() == 1);
    CHECK(a->attachments[0].bytes == "second");
    REQUIRE(a->started);
    CHECK(a->started->seconds == 11);
    REQUIRE(b->attachments.size() == 1);
    CHECK(b->attachments[0].bytes == "of b");
    REQUIRE(b->started);
    CHECK(b->started->seconds == 10);
    CHECK(b->stopped->seconds == 16);
    CHECK_FALSE(lives.take(1, "a"));
}

TEST_CASE("tables pad every column to its widest cell") {
    CHECK(format_table({{"Test id", "Runtime (s)"}, {"a.long.id", "1.000"}}) ==
          "Test id    Runtime (s)\n---------  -----------\na.long.id  1.000\n");
    // Padded by characters, as testr's len() of the decoded id: "é" is two
    // bytes and one column; an invalid byte counts as one.
    CHECK(format_table({{"Test id", "Runtime (s)"}, {"t.caf\xc3\xa9", "1.000"}, {"t.plain", "2.000"}}) ==
          "Test id  Runtime (s)\n-------  -----------\nt.caf\xc3\xa9   1.000\nt.plain  2.000\n");
    CHECK(format_table({{"Test id", "Runtime (s)"}, {"t.\xff\xfe", "1.000"}}) ==
          "Test id  Runtime (s)\n-------  -----------\nt.\xff\xfe     1.000\n");
}

namespace {
/// Everything the progress line writes to stdout while `f` runs.
template <class F>
std::string captured_stdout(F&& f) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const int saved = ::dup(STDOUT_FILENO);
    ::dup2(fds[1], STDOUT_FILENO);
    f();
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    ::close(fds[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    return out;
}
}  // namespace

TEST_CASE("the live line: counts, failures, an ETA from the remaining estimates over the workers") {
    const std::string out = captured_stdout([] {
        progress_line p(true, 3, 40.0, 2);
        p.finished("a.one", false, 10.0);
        p.finished("a.two", true, 10.0);
        p.clear();
    });
    CHECK(out.find("\r[1/3] 0 failed, 0s elapsed, ETA 15s  a.one\x1b[K") != std::string::npos);
    CHECK(out.find("\r[2/3] 1 failed, 0s elapsed, ETA 10s  a.two\x1b[K") != std::string::npos);
    CHECK(out.size() >= 4);
    CHECK(out.substr(out.size() - 4) == "\r\x1b[K");
}

TEST_CASE("a long id is elided in the middle, keeping the counts and the end of the id") {
    const std::string id = "pkg." + std::string(200, 'x') + ".test_end";
    const std::string out = captured_stdout([&] {
        progress_line p(true, 1, 1.0, 1);
        p.finished(id, false, 1.0);
    });
    const std::string line = out.substr(1, out.find("\x1b[K") - 1);
    CHECK(line.size() < 80);
    CHECK(line.rfind("[1/1] ", 0) == 0);
    CHECK(line.find("...") != std::string::npos);
    CHECK(line.substr(line.size() - 9) == ".test_end");
}

TEST_CASE("a disabled live line writes nothing") {
    CHECK(captured_stdout([] {
              progress_line p(false, 2, 1.0, 1);
              p.finished("a", true, 1.0);
              p.clear();
          }).empty());
}

TEST_CASE("JSON floats print in their shortest form; strings, integers and literals as they were") {
    // 0.307671 is one of the values nlohmann's Grisu2 writes with 17 digits.
    const nlohmann::json j = {{"a", 0.307671}, {"neg", -0.307671}, {"one", 1.0}, {"tiny", 8.7e-05}, {"big", 1e+20},
                              {"n", 12345678901234567LL}, {"t", true}, {"f", false}, {"z", nullptr},
                              {"s", "0.30767099999999997 \"1.0\" \\ e"}, {"list", {0.307671, 2.5}}};
    CHECK(json_text(j, -1) ==
          R"({"a":0.307671,"big":1e+20,"f":false,"list":[0.307671,2.5],"n":12345678901234567,"neg":-0.307671,)"
          R"("one":1.0,"s":"0.30767099999999997 \"1.0\" \\ e","t":true,"tiny":8.7e-05,"z":null})"
          "\n");
    CHECK(nlohmann::json::parse(json_text(j)) == j);
    // Not UTF-8: replaced for a report, nlohmann's error for plan to name.
    const nlohmann::json bad = {{"id", "a\xff"}};
    CHECK(json_text(bad, -1) == "{\"id\":\"a\xef\xbf\xbd\"}\n");
    CHECK_THROWS_AS(json_text(bad, -1, false), nlohmann::json::exception);

    // Any duration rounded to the microsecond reads as a person writes it,
    // and back as the same double.
    std::mt19937_64 random(7);
    std::uniform_real_distribution<double> seconds(0, 1000);
    const std::regex noise(R"(\d\.\d{7,})");
    for (int i = 0; i < 20000; ++i) {
        const double s = json_microseconds(seconds(random));
        const std::string text = json_text({{"s", s}}, -1);
        REQUIRE_FALSE(std::regex_search(text, noise));
        REQUIRE(nlohmann::json::parse(text)["s"].get<double>() == s);
    }
}
