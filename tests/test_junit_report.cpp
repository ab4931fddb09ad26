// The JUnit writer fed events directly: bytes no decoder lets through
// (ids that are not UTF-8), caps, attempts, and the atomic rewrite.
#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>

#include "junit_report.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

using namespace testr;
using subunit::status;

namespace {

void feed(junit_report& r, std::string_view id, status s, std::optional<std::pair<std::string_view, std::string_view>> file = {},
          std::int64_t at = 0) {
    subunit::event_view e;
    e.test_id = id;
    e.test_status = s;
    e.time = subunit::timestamp{1767225600 + at, 0};
    if (file) {
        e.file_name = file->first;
        e.file_bytes = file->second;
    }
    r.on(events::stream_event{0, e, {}});
}

}  // namespace

TEST_CASE("an id that is not UTF-8 and control bytes become U+FFFD, markup is escaped") {
    junit_report r({});
    feed(r, "a.B.\xff\xfe<x>&\"\x01", status::success);
    const std::string xml = r.render();
    CHECK(xml.find("name=\"\xEF\xBF\xBD\xEF\xBF\xBD&lt;x&gt;&amp;&quot;\xEF\xBF\xBD\"") != std::string::npos);
    CHECK(xml.find('\xff') == std::string::npos);
    CHECK(xml.find('\x01') == std::string::npos);
}

TEST_CASE("attachments are capped per test with a note of what was cut") {
    junit_options o;
    o.output_cap = 10;
    junit_report r(o);
    feed(r, "a.B.c", status::inprogress);
    feed(r, "a.B.c", status::none, std::pair{"stdout", "0123456789abcdef"});
    feed(r, "a.B.c", status::success, {}, 1);
    const std::string xml = r.render();
    CHECK(xml.find("<system-out>0123456789\n[6 bytes cut]\n</system-out>") != std::string::npos);
    CHECK(xml.find("time=\"1.000\"") != std::string::npos);
}

TEST_CASE("a second final status is a rerun: failure then pass is flaky, failures twice a rerun failure") {
    junit_report r({});
    feed(r, "a.B.flaky", status::fail, std::pair{"traceback", "AssertionError: no"});
    feed(r, "a.B.flaky", status::success);
    feed(r, "a.B.bad", status::fail);
    feed(r, "a.B.bad", status::fail);
    const std::string xml = r.render();
    CHECK(xml.find("tests=\"2\" failures=\"1\"") != std::string::npos);
    CHECK(xml.find("<flakyFailure message=\"AssertionError: no\" type=\"AssertionError\">") != std::string::npos);
    CHECK(xml.find("<rerunFailure message=\"failed\" type=\"fail\">") != std::string::npos);
}

TEST_CASE("the file is written at the first result, then not again within the interval") {
    test_support::temp_dir dir;
    junit_options o;
    o.path = dir / "j.xml";
    o.rewrite_every = 3600;
    junit_report r(o);
    feed(r, "a.B.one", status::success);
    feed(r, "a.B.two", status::success);
    std::ifstream in(o.path);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str().find("name=\"one\"") != std::string::npos);
    CHECK(text.str().find("name=\"two\"") == std::string::npos);
    REQUIRE(r.write());
    std::ifstream again(o.path);
    std::stringstream all;
    all << again.rdbuf();
    CHECK(all.str().find("name=\"two\"") != std::string::npos);
}

namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("the document is handed out in pieces, never whole; an emit error stops it") {
    junit_report r({});
    for (int i = 0; i < 3000; ++i) feed(r, "pkg.mod.C" + std::to_string(i % 7) + ".test_" + std::to_string(i), status::success);
    const std::string whole = r.render();
    std::string joined;
    std::size_t pieces = 0, largest = 0;
    CHECK(r.render_to([&](std::string_view piece) {
        joined += piece;
        ++pieces;
        largest = std::max(largest, piece.size());
        return 0;
    }) == 0);
    CHECK(joined == whole);
    CHECK(pieces > 3);
    CHECK(largest < 80 * 1024);
    std::size_t calls = 0;
    CHECK(r.render_to([&](std::string_view) { return ++calls == 2 ? ENOSPC : 0; }) == ENOSPC);
    CHECK(calls == 2);
}

TEST_CASE("a rewrite that fails midway leaves the previous report whole and no temporary") {
    test_support::temp_dir dir;
    junit_options o;
    o.path = dir / "j.xml";
    o.rewrite_every = 0;
    junit_report r(o);
    feed(r, "a.B.first", status::success);
    REQUIRE(r.write());
    const std::string before = read_all(o.path);
    for (int i = 0; i < 3000; ++i) feed(r, "a.B.test_" + std::to_string(i), status::success);
    // The file-size limit lets the first pieces through and fails a later one.
    struct rlimit old{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    struct rlimit small = old;
    small.rlim_cur = 100 * 1024;
    auto* previous = std::signal(SIGXFSZ, SIG_IGN);
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    auto failed = r.write();
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == EFBIG);
    CHECK(read_all(o.path) == before);
    CHECK(test_support::list_dir(dir.path()) == std::vector<std::string>{"j.xml"});
    REQUIRE(r.write());
    CHECK(has(read_all(o.path), "name=\"test_2999\""));
}

TEST_CASE("the jenkins schema: no file, testcase properties or skipped attributes; tags on the suite, retries as text") {
    test_support::temp_dir dir;
    {
        std::ofstream(dir / "pkg.py") << "";
    }
    junit_options o;
    o.source_root = dir.path();
    o.schema = junit_schema::jenkins;
    junit_report strict(o);
    o.schema = junit_schema::full;
    junit_report full(o);
    for (junit_report* r : {&strict, &full}) {
        r->set_shard("shard-3");
        subunit::event_view e;
        e.test_id = "pkg.T.tagged";
        e.test_status = status::success;
        e.tags = {"worker-1"};
        r->on(events::stream_event{0, e, {}});
        feed(*r, "pkg.T.skip", status::skip, std::pair{"reason", "no disk"});
        feed(*r, "pkg.T.xf", status::xfail, std::pair{"traceback", "AssertionError: known"});
        feed(*r, "pkg.T.flaky", status::fail, std::pair{"traceback", "AssertionError: once"});
        feed(*r, "pkg.T.flaky", status::success, std::pair{"stdout", "second"});
    }
    const std::string s = strict.render(), f = full.render();
    CHECK(has(f, "file=\"pkg.py\""));
    CHECK_FALSE(has(s, "file="));
    CHECK(has(f, "<testsuites name=\"testr-mini\" tests=\"4\" failures=\"0\" errors=\"0\" skipped=\"2\""));
    CHECK(has(s, "<testsuites name=\"testr-mini\" tests=\"4\" failures=\"0\" errors=\"0\" time="));
    CHECK(has(f, "<properties><property name=\"worker\" value=\"worker-1\"/><property name=\"shard\" value=\"shard-3\"/></properties>\n<"));
    CHECK(has(s, ">\n<properties><property name=\"worker\" value=\"worker-1\"/><property name=\"shard\" value=\"shard-3\"/></properties>\n<testcase"));
    CHECK(s.find("<properties>") == s.rfind("<properties>"));  // the suite's only
    CHECK(has(f, "<skipped message=\"no disk\">no disk</skipped>"));
    CHECK(has(s, "<skipped>no disk</skipped>"));
    CHECK(has(s, "<skipped>expected failure: AssertionError: known\nAssertionError: known</skipped>"));
    CHECK(has(f, "<flakyFailure message=\"AssertionError: once\""));
    CHECK_FALSE(has(s, "flakyFailure"));
    CHECK(has(s, "<system-out>[attempt 1 of 2: fail] AssertionError: once\nAssertionError: once\n[attempt 2]\nsecond</system-out>"));
}

TEST_CASE("file: a module found under module_dir is named with it; others take the template, or have none") {
    test_support::temp_dir dir;
    std::filesystem::create_directories(dir.path() + "/src/pkg");
    {
        std::ofstream(dir.path() + "/src/pkg/mod.py") << "";
        std::ofstream(dir / "top.py") << "";
    }
    junit_options o;
    o.source_root = dir.path();
    o.module_dir = "src";
    junit_report plain(o);
    o.file_template = "tests/{path}_test.cpp ({classname})";
    junit_report templated(o);
    for (junit_report* r : {&plain, &templated}) {
        feed(*r, "pkg.mod.Case.test_a", status::success);
        feed(*r, "top.Case.test_b", status::success);  // top.py is not under src/
        feed(*r, "suite::Fixture.Test", status::success);
    }
    const std::string p = plain.render(), t = templated.render();
    CHECK(has(p, "classname=\"pkg.mod.Case\" name=\"test_a\" time=\"0.000\" file=\"src/pkg/mod.py\""));
    CHECK_FALSE(has(p, "file=\"top.py\""));
    CHECK(p.find("file=") == p.rfind("file="));  // only the module under src/
    CHECK(has(t, "file=\"src/pkg/mod.py\""));
    CHECK(has(t, "file=\"tests/top/Case_test.cpp (top.Case)\""));
}
