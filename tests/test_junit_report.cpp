// The JUnit writer fed events directly: bytes no decoder lets through
// (ids that are not UTF-8), caps, attempts, and the atomic rewrite.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "junit_report.hpp"
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
