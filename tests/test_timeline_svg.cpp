// The run timeline SVG: parsed by Python's xml.etree (a real XML parser, so
// escaping mistakes fail), bars checked one by one, and 10,000 bars.
#include "timeline_svg.hpp"
#include "process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using testr::subunit::status;

// What Python's XML parser sees: every bar's class, geometry and tooltip,
// the lane labels, how many labels sit inside bars.
constexpr const char* reader = R"(
import json, sys, xml.etree.ElementTree as ET
ns = {'s': 'http://www.w3.org/2000/svg'}
root = ET.parse(sys.argv[1]).getroot()
bars = [{'class': r.get('class'), 'x': float(r.get('x')), 'width': float(r.get('width')),
         'y': float(r.get('y')), 'title': r.find('s:title', ns).text}
        for r in root.iterfind('.//s:g[@class="bars"]/s:rect', ns)]
labels = [t.text for t in root.iterfind('.//s:g[@class="bars"]/s:text', ns)]
lanes = [t.text for t in root.iterfind('.//s:g[@class="lanes"]/s:text', ns)]
ticks = [t.text for t in root.iterfind('.//s:g[@class="axis"]/s:text', ns)]
print(json.dumps({'bars': bars, 'labels': labels, 'lanes': lanes, 'ticks': ticks,
                  'title': root.find('s:title', ns).text}))
)";

nlohmann::json parse_with_python(const std::string& svg) {
    char path[] = "/tmp/testr-timeline-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    std::ofstream(path, std::ios::binary) << svg;
    const char* py = std::getenv("PYTHON");
    auto got = testr::process::run_capture({py ? py : "/usr/bin/python3", "-c", reader, path});
    ::unlink(path);
    REQUIRE(got.has_value());
    INFO(got->err);
    REQUIRE(got->status.success());
    return nlohmann::json::parse(got->out);
}

}  // namespace

TEST_CASE("bars, lanes, tooltips and colours as Python's XML parser reads them") {
    std::vector<testr::timeline_bar> bars{
        {0, 0.0, 1.5, "pkg.mod.Test.test_ok", status::success},
        {1, 0.2, 0.7, "pkg.mod.Test.test_<&>\"'", status::fail},
        {1, 0.7, 0.7, "skipped", status::skip},
        {2, 1.0, 2.25, "xf", status::xfail},
        {3, 2.0, 3.0, "ux", status::uxsuccess},
        {3, 3.0, 3.4, "hung", status::inprogress},
        {5, 0.5, 0.6, std::string("bad\xff utf8 \x01 ctl \xE2\x82\xAC"), status::success},
    };
    const std::string svg = testr::render_timeline_svg(bars, 4, "Run 7 <parallel> & more");
    auto j = parse_with_python(svg);
    CHECK(j["title"] == "Run 7 <parallel> & more");
    REQUIRE(j["bars"].size() == bars.size());
    CHECK(j["lanes"].size() == 6);  // worker 5 adds lanes beyond the 4 asked for
    CHECK(j["lanes"][5] == "worker-5");
    const char* classes[] = {"bar status-success", "bar status-fail", "bar status-skip", "bar status-xfail",
                             "bar status-uxsuccess", "bar status-incomplete", "bar status-success"};
    const char* titles[] = {"pkg.mod.Test.test_ok \u2014 1.500 s (success)",
                            "pkg.mod.Test.test_<&>\"' \u2014 0.500 s (fail)", "skipped \u2014 0.000 s (skip)",
                            "xf \u2014 1.250 s (xfail)", "ux \u2014 1.000 s (uxsuccess)",
                            "hung \u2014 0.400 s (inprogress)",
                            "bad\ufffd utf8 \ufffd ctl \u20ac \u2014 0.100 s (success)"};
    for (std::size_t i = 0; i < bars.size(); ++i) {
        INFO("bar " << i);
        CHECK(j["bars"][i]["class"] == classes[i]);
        CHECK(j["bars"][i]["title"] == titles[i]);
        CHECK(j["bars"][i]["width"].get<double>() >= 0.5);  // zero-length tests stay visible
    }
    // Geometry: bars of one lane share a row; x grows with the start time,
    // width with the duration.
    CHECK(j["bars"][1]["y"] == j["bars"][2]["y"]);
    CHECK(j["bars"][1]["y"].get<double>() > j["bars"][0]["y"].get<double>());
    CHECK(j["bars"][3]["x"].get<double>() > j["bars"][1]["x"].get<double>());
    const double per_second = j["bars"][0]["width"].get<double>() / 1.5;
    CHECK(j["bars"][4]["width"].get<double>() == doctest::Approx(per_second).epsilon(0.01));
    CHECK(j["bars"][5]["x"].get<double>() - j["bars"][4]["x"].get<double>() == doctest::Approx(per_second).epsilon(0.01));
    // The axis counts seconds past the last stop (3.4 s).
    CHECK(j["ticks"].front() == "0");
    CHECK(j["ticks"].back() == "seconds");
    CHECK(std::stod(j["ticks"][j["ticks"].size() - 2].get<std::string>()) >= 3.4);
    // The long bar has room for its name.
    CHECK(std::find(j["labels"].begin(), j["labels"].end(), "pkg.mod.Test.test_ok") != j["labels"].end());
}

TEST_CASE("hostile times: non-finite and reversed") {
    std::vector<testr::timeline_bar> bars{{0, NAN, 1, "a", status::success},
                                          {0, 2, 1, "b", status::success},
                                          {0, 1, INFINITY, "c", status::success}};
    auto j = parse_with_python(testr::render_timeline_svg(bars, 1, "t"));
    REQUIRE(j["bars"].size() == 3);
    CHECK(j["bars"][0]["title"] == "a \u2014 1.000 s (success)");
    CHECK(j["bars"][1]["title"] == "b \u2014 0.000 s (success)");
    CHECK(j["bars"][2]["title"] == "c \u2014 0.000 s (success)");
    auto empty = parse_with_python(testr::render_timeline_svg({}, 0, ""));
    CHECK(empty["bars"].empty());
    CHECK(empty["lanes"].size() == 1);
}

TEST_CASE("10,000 bars: every one there, labels only where they fit") {
    std::vector<testr::timeline_bar> bars;
    std::vector<double> clock(8, 0);
    for (int i = 0; i < 10'000; ++i) {
        const unsigned w = static_cast<unsigned>(i % 8);
        // Mostly short tests, a few long ones.
        const double d = i % 997 == 0 ? 5.0 : 0.001 * (1 + i % 37);
        bars.push_back({w, clock[w], clock[w] + d, "project.tests.module_" + std::to_string(i % 50) + ".Test.test_" +
                                                       std::to_string(i),
                        i % 13 == 0 ? status::fail : status::success});
        clock[w] += d;
    }
    const std::string svg = testr::render_timeline_svg(bars, 8, "10,000 tests");
    MESSAGE("10,000 bars: " << svg.size() / 1024 << " KiB of SVG");
    CHECK(svg.size() < 4 * 1024 * 1024);
    auto j = parse_with_python(svg);
    REQUIRE(j["bars"].size() == 10'000);
    std::size_t failed = 0;
    for (auto& b : j["bars"]) failed += b["class"] == "bar status-fail";
    CHECK(failed == (10'000 + 12) / 13);
    // Only the long tests are wide enough to be labelled.
    CHECK(j["labels"].size() > 0);
    CHECK(j["labels"].size() <= 20);
}
