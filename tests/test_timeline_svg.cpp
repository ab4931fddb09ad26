// The run timeline SVG: parsed by Python's xml.etree (a real XML parser, so
// escaping mistakes fail), bars checked one by one, and 10,000 bars.
#include "timeline_svg.hpp"
#include "process.hpp"
#include "support/command.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <set>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using testr::subunit::status;

// What Python's XML parser sees: every bar's class, geometry and tooltip,
// the lane labels, how many labels sit inside bars, the ticks, the legend,
// the marks. With probes (argv[2], JSON [[seconds, lane], ...]) the picture
// is also rendered to pixels by rsvg-convert and the colour at each probe
// read back: x from the tick labels' positions and values, y from the lane
// label, so a probe finds what a person looking at the axis would.
constexpr const char* reader = R"(
import json, struct, subprocess, sys, zlib, xml.etree.ElementTree as ET
ns = {'s': 'http://www.w3.org/2000/svg'}
root = ET.parse(sys.argv[1]).getroot()
bars = [{'class': r.get('class'), 'x': float(r.get('x')), 'width': float(r.get('width')),
         'y': float(r.get('y')), 'title': r.find('s:title', ns).text}
        for r in root.iterfind('.//s:g[@class="bars"]/s:rect', ns)]
labels = [t.text for t in root.iterfind('.//s:g[@class="bars"]/s:text', ns)]
lane_labels = list(root.iterfind('.//s:g[@class="lanes"]/s:text', ns))
lanes = [t.text for t in lane_labels]
tick_texts = list(root.iterfind('.//s:g[@class="axis"]/s:text', ns))
ticks = [t.text for t in tick_texts]
legend = [t.text for t in root.iterfind('.//s:g[@class="legend"]/s:g/s:text', ns)]
marks = [m.get('class') for m in root.iterfind('.//s:g[@class="marks"]/*', ns)]
shading = [{'class': r.get('class'), 'x': float(r.get('x')), 'width': float(r.get('width')),
            'y': float(r.get('y'))} for r in root.iterfind('.//s:g[@class="shading"]/s:rect', ns)]
out = {'bars': bars, 'labels': labels, 'lanes': lanes, 'ticks': ticks, 'legend': legend,
       'marks': marks, 'shading': shading, 'title': root.find('s:title', ns).text}

def png_pixels(data):
    # RGB(A) 8-bit PNG, non-interlaced: what rsvg-convert writes.
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, idat = 8, b''
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    bpp = 4 if ctype == 6 else 3
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows

if len(sys.argv) > 2:
    png = subprocess.run(['rsvg-convert', '--format=png', sys.argv[1]], check=True, capture_output=True).stdout
    w, h, bpp, rows = png_pixels(png)
    numeric = [(float(t.text), float(t.get('x'))) for t in tick_texts if t.text != 'seconds']
    (v0, x0), (v1, x1) = numeric[0], numeric[-1]
    colours = []
    for seconds, lane in json.loads(sys.argv[2]):
        x = round(x0 + (seconds - v0) * (x1 - x0) / (v1 - v0))
        y = round(float(lane_labels[lane].get('y')) - 4)
        px = rows[y][x * bpp:x * bpp + 3]
        colours.append('#%02x%02x%02x' % tuple(px))
    out['pixels'] = colours
print(json.dumps(out))
)";

nlohmann::json parse_with_python(const std::string& svg, const std::string& probes = "") {
    test_support::temp_dir dir;
    const std::string path = dir / "timeline.svg";
    test_support::write_file(path, svg);
    std::vector<std::string> argv{test_support::python(), "-c", reader, path};
    if (!probes.empty()) argv.push_back(probes);
    auto got = testr::process::run_capture(argv);
    REQUIRE(got.has_value());
    INFO(got->err);
    REQUIRE(got->status.success());
    return nlohmann::json::parse(got->out);
}

// A stored run's bytes, written with the project's encoder.
struct stream_writer {
    std::string bytes;
    testr::subunit::timestamp t0{1'700'000'000, 0};

    void add(const char* id, status s, double at, std::vector<std::string> tags = {}, std::string traceback = "") {
        testr::subunit::event e;
        if (id) e.test_id = id;
        e.test_status = s;
        e.tags = std::move(tags);
        const auto ns = static_cast<std::int64_t>(at * 1e9 + 0.5);
        e.time = testr::subunit::timestamp{t0.seconds + ns / 1'000'000'000,
                                           static_cast<std::uint32_t>(ns % 1'000'000'000)};
        if (!traceback.empty()) {
            e.file_name = "traceback";
            e.mime_type = "text/plain;charset=utf8";
            e.file_bytes = std::move(traceback);
            e.eof = true;
        }
        REQUIRE(testr::subunit::encode(e, bytes));
    }
    // One test on worker-N from `from` to `to`.
    void test(const char* id, unsigned worker, double from, double to, status s, std::string traceback = "",
              std::vector<std::string> extra_tags = {}) {
        std::vector<std::string> tags{"worker-" + std::to_string(worker)};
        tags.insert(tags.end(), extra_tags.begin(), extra_tags.end());
        add(id, status::inprogress, from, tags);
        add(id, s, to, tags, std::move(traceback));
    }
};

std::size_t decimals(const std::string& tick) {
    const auto dot = tick.find('.');
    return dot == std::string::npos ? 0 : tick.size() - dot - 1;
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
        CHECK(j["bars"][i]["width"].get<double>() >= 2);  // no test thinner than 2 px
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
    CHECK(j["ticks"].front() == "0.0");
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

TEST_CASE("a slow run as a person sees it: start-up, idle, an instant failure, a crash, a timeout, re-runs") {
    stream_writer s;
    s.test("w0.a", 0, 0.0, 0.8, status::success);
    s.test("w0.instant", 0, 0.8, 0.8, status::fail, "boom\n");  // zero length, between two passes
    s.test("w0.b", 0, 0.8, 1.5, status::success);
    s.test("w1.c", 1, 0.6, 1.0, status::success);
    s.test("w1.crash", 1, 1.0, 1.2, status::fail,
           "testr-mini: the runner process on worker-1 ended (killed by signal 9) while this test was running, after "
           "0.200 s.\n");
    s.test("w1.twice", 1, 1.3, 1.4, status::fail, "flaky\n");
    s.test("w1.twice", 1, 1.5, 1.7, status::success);
    s.test("w2.flaky", 2, 0.2, 0.3, status::success, "", {"flaky"});
    s.test("w2.slow", 2, 0.3, 2.0, status::fail,
           "testr-mini: timed out after 1.700 s on worker-2 (limit 1.700 s); its runner was stopped (killed by "
           "signal 15).\n");
    s.add("w2.hung", status::inprogress, 2.1, {"worker-2"});  // still running when the run was stopped
    s.add(nullptr, status::none, 3.57, {"worker-0"});  // the run's last event: a runner's late output

    const testr::timeline t = testr::timeline_from_stream(s.bytes);
    CHECK(t.seconds == doctest::Approx(3.57));
    CHECK(t.workers == 3);
    REQUIRE(t.bars.size() == 10);
    CHECK(t.bars.back().id == "w2.hung");
    CHECK(t.bars.back().status == status::inprogress);
    CHECK(t.bars.back().stop == doctest::Approx(3.57));
    std::set<std::string> reruns, died, timed_out;
    for (const auto& b : t.bars) {
        if (b.rerun) reruns.insert(b.id);
        if (b.end == testr::timeline_end::runner_died) died.insert(b.id);
        if (b.end == testr::timeline_end::timed_out) timed_out.insert(b.id);
    }
    CHECK(reruns == std::set<std::string>{"w1.twice", "w2.flaky"});
    CHECK(died == std::set<std::string>{"w1.crash"});
    CHECK(timed_out == std::set<std::string>{"w2.slow"});
    CHECK(t.bars[1].start == doctest::Approx(0.8));
    CHECK(t.bars[1].stop == t.bars[1].start);
    CHECK(t.bars[3].worker == 1);

    const std::string svg = testr::render_timeline_svg(t.bars, t.workers, "run 3", t.seconds);
    // Probes: the instant failure, start-up of worker-1, worker-0 idle after
    // its last test, and a pass for comparison.
    auto j = parse_with_python(svg, "[[0.8, 0], [0.3, 1], [2.7, 0], [0.4, 0], [0.1, 2]]");
    CHECK(j["legend"] ==
          nlohmann::json::array({"passed", "failed", "did not complete", "runner start-up", "idle", "runner died", "timed out", "re-run"}));
    // The axis covers the whole run, in distinct increasing ticks.
    std::vector<std::string> ticks(j["ticks"].begin(), j["ticks"].end() - 1);
    CHECK(ticks == std::vector<std::string>{"0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0"});
    CHECK(std::stod(ticks.back()) >= 3.57);
    std::multiset<std::string> marks(j["marks"].begin(), j["marks"].end());
    CHECK(marks.count("mark mark-runner-died") == 1);
    CHECK(marks.count("mark mark-timed-out") == 1);
    CHECK(marks.count("mark mark-rerun") == 3);  // both lives of w1.twice, and the flaky one
    REQUIRE(j["pixels"].size() == 5);
    CHECK(j["pixels"][0] == "#e53935");  // the zero-length failure shows, red, over its neighbour
    CHECK(j["pixels"][1] == "#bbdefb");  // worker-1 starting up
    CHECK(j["pixels"][2] == "#eceff1");  // worker-0 idle after its last test
    CHECK(j["pixels"][3] == "#43a047");
    CHECK(j["pixels"][4] == "#bbdefb");  // worker-2 starting up
}

TEST_CASE("ticks: steps of 1, 2 or 5 x 10^k, as many decimals as the step needs, never repeating") {
    for (double span : {0.0037, 0.037, 0.09, 0.25, 1.0, 3.57, 7.0, 123.0, 4000.0}) {
        INFO("span " << span);
        const std::vector<testr::timeline_bar> bars{{0, 0, span, "t", status::success}};
        auto j = parse_with_python(testr::render_timeline_svg(bars, 1, "t", span));
        std::vector<std::string> ticks(j["ticks"].begin(), j["ticks"].end() - 1);
        REQUIRE(ticks.size() >= 3);
        CHECK(ticks.size() <= 12);
        CHECK(std::stod(ticks.front()) == 0);
        CHECK(std::stod(ticks.back()) >= span);
        CHECK(std::set<std::string>(ticks.begin(), ticks.end()).size() == ticks.size());
        const double step = std::stod(ticks[1]);
        REQUIRE(step > 0);
        CHECK(decimals(ticks[1]) == static_cast<std::size_t>(std::max(0.0, -std::floor(std::log10(step) + 1e-9))));
        double mantissa = step;
        while (mantissa >= 10) mantissa /= 10;
        while (mantissa < 1) mantissa *= 10;
        CHECK((mantissa == doctest::Approx(1) || mantissa == doctest::Approx(2) || mantissa == doctest::Approx(5)));
        for (std::size_t k = 1; k < ticks.size(); ++k) {
            CHECK(std::stod(ticks[k]) == doctest::Approx(k * step));
            // Every tick with the step's decimals: "0.5", "1.0", not "0.50" or "1".
            CHECK(decimals(ticks[k]) == decimals(ticks[1]));
        }
    }
    // The axis runs to the run's end, past the last test (a runner's late
    // output or exit), and that time is drawn as idle.
    const std::vector<testr::timeline_bar> early{{0, 0, 2.8, "t", status::success}};
    auto late = parse_with_python(testr::render_timeline_svg(early, 1, "t", 3.57));
    CHECK(std::stod(late["ticks"][late["ticks"].size() - 2].get<std::string>()) >= 3.57);
    CHECK(late["legend"] == nlohmann::json::array({"passed", "idle"}));
    // A legend of what is there and nothing else.
    const std::vector<testr::timeline_bar> one{{0, 0, 1, "t", status::skip}};
    CHECK(parse_with_python(testr::render_timeline_svg(one, 1, "t"))["legend"] == nlohmann::json::array({"skipped"}));
}
