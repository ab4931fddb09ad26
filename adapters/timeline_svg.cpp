// adapters/timeline_svg.cpp - see timeline_svg.hpp.
#include "timeline_svg.hpp"

#include "run_summary.hpp"
#include "xml_text.hpp"

#include <testr/detail/utf8.hpp>

#include <algorithm>
#include <cmath>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <optional>
#include <unordered_map>
#include <utility>

namespace testr {

namespace {

// Layout, in SVG user units (pixels at 100%).
constexpr double width = 1400, label_width = 90, right_margin = 20;
constexpr double top = 64, lane_height = 22, lane_gap = 4, axis_height = 34;
constexpr double char_width = 6.2;  // of the 11px label font, roughly
// Narrowest bar, and the width a test too short for it is drawn at on top.
constexpr double min_bar = 2, instant_width = 4;

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
}

// A step of 1, 2 or 5 x 10^k giving at most about ten ticks over `span`.
double tick_step(double span) {
    if (!(span > 0)) return 1;
    const double raw = span / 10;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0})
        if (raw <= m * magnitude * (1 + 1e-9)) return m * magnitude;
    return 10 * magnitude;
}

// Decimals that tell ticks `step` apart: none for 1, 2, 5 or more, one for
// 0.1 to 0.5, two for 0.01 to 0.05...
int tick_decimals(double step) {
    const int k = static_cast<int>(std::floor(std::log10(step) + 1e-9));
    return std::max(0, -k);
}

double clean(double t) { return std::isfinite(t) ? std::max(0.0, t) : 0.0; }

const char* css_class(subunit::status s) {
    switch (s) {
    case subunit::status::success: return "status-success";
    case subunit::status::fail: return "status-fail";
    case subunit::status::skip: return "status-skip";
    case subunit::status::xfail: return "status-xfail";
    case subunit::status::uxsuccess: return "status-uxsuccess";
    default: return "status-incomplete";
    }
}

// Legend order and words; "incomplete" stands for every status that is not
// an outcome, as css_class() draws them.
struct status_word {
    const char* css;
    const char* words;
};
constexpr status_word status_words[] = {
    {"status-success", "passed"},           {"status-fail", "failed"},
    {"status-skip", "skipped"},             {"status-xfail", "expected failure"},
    {"status-uxsuccess", "unexpected success"}, {"status-incomplete", "did not complete"},
};

enum class mark { runner_died, timed_out, rerun };

// A mark centred on (x, y): a cross for a runner death, a triangle for a
// timeout, a ring for a re-run; each readable over any bar colour.
std::string mark_shape(mark m, double x, double y) {
    switch (m) {
    case mark::runner_died:
        return "<path class=\"mark mark-runner-died\" d=\"M" + number(x - 4) + " " + number(y - 4) + "L" +
               number(x + 4) + " " + number(y + 4) + "M" + number(x + 4) + " " + number(y - 4) + "L" +
               number(x - 4) + " " + number(y + 4) + "\"/>";
    case mark::timed_out:
        return "<path class=\"mark mark-timed-out\" d=\"M" + number(x - 5) + " " + number(y - 4) + "L" +
               number(x + 5) + " " + number(y - 4) + "L" + number(x) + " " + number(y + 4) + "Z\"/>";
    case mark::rerun:
        return "<circle class=\"mark mark-rerun\" cx=\"" + number(x) + "\" cy=\"" + number(y) + "\" r=\"3.5\"/>";
    }
    return {};
}

}  // namespace

std::string render_timeline_svg(const std::vector<timeline_bar>& bars, std::size_t workers, std::string_view title,
                                double run_seconds) {
    std::size_t lanes = std::max<std::size_t>(workers, 1);
    double end = clean(run_seconds);
    for (const auto& b : bars) {
        lanes = std::max<std::size_t>(lanes, std::size_t{b.worker} + 1);
        end = std::max(end, std::max(clean(b.start), clean(b.stop)));
    }
    const double step = tick_step(end);
    const int decimals = tick_decimals(step);
    const double axis_end = std::max(step, std::ceil(end / step - 1e-9) * step);
    const double plot_width = width - label_width - right_margin;
    const double scale = plot_width / axis_end;
    const double plot_height = static_cast<double>(lanes) * (lane_height + lane_gap);
    const double height = top + plot_height + axis_height;
    const auto lane_y = [&](std::size_t w) { return top + static_cast<double>(w) * (lane_height + lane_gap); };

    std::string out;
    out.reserve(1024 + bars.size() * 200);
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(width) + "\" height=\"" + number(height) +
           "\" viewBox=\"0 0 " + number(width) + " " + number(height) + "\" font-family=\"sans-serif\">\n";
    out += "<style>"
           ".status-success{fill:#43a047}.status-fail{fill:#e53935}.status-skip{fill:#9e9e9e}"
           ".status-xfail{fill:#8e24aa}.status-uxsuccess{fill:#fb8c00}.status-incomplete{fill:#37474f}"
           ".startup{fill:#bbdefb}.idle{fill:#eceff1}"
           "rect.bar{stroke:#fff;stroke-width:0.3}rect.bar:hover{stroke:#000;stroke-width:1}"
           ".mark-runner-died{stroke:#000;stroke-width:2.2;fill:none}"
           ".mark-timed-out{fill:#000;stroke:#fff;stroke-width:1}"
           ".mark-rerun{fill:#fff;stroke:#000;stroke-width:1.5}"
           "text.label{font-size:11px;fill:#fff;pointer-events:none}"
           ".legend text{font-size:11px;fill:#333}"
           ".lane{font-size:12px;fill:#333}.tick{font-size:11px;fill:#555}.grid{stroke:#ddd;stroke-width:1}"
           "</style>\n";
    out += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n<title>";
    append_xml_escaped(out, title);
    out += "</title>\n<text x=\"" + number(label_width) + "\" y=\"24\" font-size=\"16\">";
    append_xml_escaped(out, title);
    out += "</text>\n";

    // Which statuses, shadings and marks the picture holds, for the legend.
    bool status_seen[std::size(status_words)] = {};
    bool died = false, timed_out = false, rerun = false;
    for (const auto& b : bars) {
        const std::string_view css = css_class(b.status);
        for (std::size_t i = 0; i < std::size(status_words); ++i) status_seen[i] |= css == status_words[i].css;
        died |= b.end == timeline_end::runner_died;
        timed_out |= b.end == timeline_end::timed_out;
        rerun |= b.rerun;
    }

    // Per lane, start-up before the first test, idle between tests and after
    // the last: the time the lane's worker was not running a test.
    std::vector<std::vector<std::pair<double, double>>> spans(lanes);
    for (const auto& b : bars) {
        const double start = clean(b.start);
        spans[b.worker].emplace_back(start, std::max(start, clean(b.stop)));
    }
    std::string shading;
    bool startup_seen = false, idle_seen = false;
    const auto shade = [&](const char* css, std::size_t w, double from, double to) {
        // A gap under half a pixel does not show; leaving it out keeps a
        // big run's file small.
        if ((to - from) * scale < 0.5) return false;
        shading += "<rect class=\"" + std::string(css) + "\" x=\"" + number(label_width + from * scale) + "\" y=\"" +
                   number(lane_y(w)) + "\" width=\"" + number((to - from) * scale) + "\" height=\"" +
                   number(lane_height) + "\"/>\n";
        return true;
    };
    for (std::size_t w = 0; w < lanes; ++w) {
        auto& lane = spans[w];
        std::sort(lane.begin(), lane.end());
        double busy_until = 0;
        for (std::size_t i = 0; i < lane.size(); ++i) {
            if (i == 0) startup_seen |= shade("startup", w, 0, lane[i].first);
            else idle_seen |= shade("idle", w, busy_until, lane[i].first);
            busy_until = std::max(busy_until, lane[i].second);
        }
        idle_seen |= shade("idle", w, busy_until, end);
    }

    // Legend: one swatch per status, shading and mark present.
    out += "<g class=\"legend\">\n";
    double lx = label_width;
    const double ly = 34;
    const auto item = [&](const std::string& swatch, std::string_view words) {
        out += "<g class=\"item\">" + swatch + "<text x=\"" + number(lx + 16) + "\" y=\"" + number(ly + 10) + "\">";
        append_xml_escaped(out, words);
        out += "</text></g>\n";
        lx += 16 + static_cast<double>(words.size()) * char_width + 16;
    };
    const auto swatch = [&](const char* css) {
        return "<rect class=\"swatch " + std::string(css) + "\" x=\"" + number(lx) + "\" y=\"" + number(ly) +
               "\" width=\"12\" height=\"12\"/>";
    };
    for (std::size_t i = 0; i < std::size(status_words); ++i)
        if (status_seen[i]) item(swatch(status_words[i].css), status_words[i].words);
    if (startup_seen) item(swatch("startup"), "runner start-up");
    if (idle_seen) item(swatch("idle"), "idle");
    if (died) item(mark_shape(mark::runner_died, lx + 6, ly + 6), "runner died");
    if (timed_out) item(mark_shape(mark::timed_out, lx + 6, ly + 6), "timed out");
    if (rerun) item(mark_shape(mark::rerun, lx + 6, ly + 6), "re-run");
    out += "</g>\n";

    // Grid and seconds axis under the bars.
    out += "<g class=\"axis\">\n";
    const double axis_y = top + plot_height;
    for (int k = 0;; ++k) {
        const double t = k * step;
        if (t > axis_end + step / 2) break;
        const double x = label_width + t * scale;
        char tick[32];
        std::snprintf(tick, sizeof tick, "%.*f", decimals, t);
        out += "<line class=\"grid\" x1=\"" + number(x) + "\" y1=\"" + number(top - 4) + "\" x2=\"" + number(x) +
               "\" y2=\"" + number(axis_y) + "\"/>";
        out += "<text class=\"tick\" x=\"" + number(x) + "\" y=\"" + number(axis_y + 16) +
               "\" text-anchor=\"middle\">" + tick + "</text>\n";
    }
    out += "<text class=\"tick\" x=\"" + number(label_width + plot_width) + "\" y=\"" + number(axis_y + 30) +
           "\" text-anchor=\"end\">seconds</text>\n</g>\n";

    out += "<g class=\"shading\">\n" + shading + "</g>\n";
    out += "<g class=\"lanes\">\n";
    for (std::size_t w = 0; w < lanes; ++w)
        out += "<text class=\"lane\" x=\"8\" y=\"" + number(lane_y(w) + lane_height * 0.7) + "\">worker-" +
               std::to_string(w) + "</text>\n";
    out += "</g>\n<g class=\"bars\">\n";
    std::string instants, marks;
    for (const auto& b : bars) {
        const double start = clean(b.start), stop = std::max(start, clean(b.stop));
        const double x = label_width + start * scale;
        const double exact = (stop - start) * scale;
        const double w = std::max(min_bar, exact);
        const double y = lane_y(b.worker);
        std::string tooltip;
        append_xml_escaped(tooltip, b.id);
        char tail[64];
        std::snprintf(tail, sizeof tail, " \xE2\x80\x94 %.3f s (", stop - start);
        tooltip += tail;
        tooltip += subunit::to_string(b.status);
        tooltip += ")";
        if (b.end == timeline_end::runner_died) tooltip += ", its runner died";
        if (b.end == timeline_end::timed_out) tooltip += ", timed out";
        if (b.rerun) tooltip += ", re-run";
        out += "<rect class=\"bar ";
        out += css_class(b.status);
        out += "\" x=\"" + number(x) + "\" y=\"" + number(y) + "\" width=\"" + number(w) + "\" height=\"" +
               number(lane_height) + "\"><title>" + tooltip + "</title></rect>\n";
        // A test too short to see is drawn again over every bar, centred on
        // its time, so the next test's bar cannot hide it. Short passes are
        // left alone unless they took no time at all: green among green
        // says nothing, and 10,000 of them would double the file.
        if (exact < min_bar && (b.status != subunit::status::success || stop == start))
            instants += "<rect class=\"instant " + std::string(css_class(b.status)) + "\" x=\"" +
                        number(x + exact / 2 - instant_width / 2) + "\" y=\"" + number(y) + "\" width=\"" +
                        number(instant_width) + "\" height=\"" + number(lane_height) + "\"><title>" + tooltip +
                        "</title></rect>\n";
        // A death or timeout is marked where the test ended, a re-run where
        // it began.
        if (b.end != timeline_end::normal)
            marks += mark_shape(b.end == timeline_end::runner_died ? mark::runner_died : mark::timed_out,
                                x + std::max(w, instant_width / 2), y + 6) + "\n";
        if (b.rerun) marks += mark_shape(mark::rerun, x, y + lane_height - 6) + "\n";
        // The id's tail (the test's own name) where at least a few
        // characters fit; clipped to the bar by its length.
        const auto fit = static_cast<std::size_t>((w - 6) / char_width);
        if (fit >= 6) {
            const std::string_view shown =
                b.id.size() > fit ? testr::detail::utf8_tail(b.id, fit - 1) : std::string_view(b.id);
            out += "<text class=\"label\" x=\"" + number(x + 3) + "\" y=\"" + number(y + lane_height * 0.7) + "\">";
            if (shown.size() < b.id.size()) out += "\xE2\x80\xA6";
            append_xml_escaped(out, shown);
            out += "</text>\n";
        }
    }
    out += "</g>\n<g class=\"instants\">\n" + instants + "</g>\n<g class=\"marks\">\n" + marks + "</g>\n</svg>\n";
    return out;
}


timeline timeline_from_stream(std::string_view stream_bytes, const std::optional<run_span>& run) {
    struct life {
        std::optional<subunit::timestamp> start, last;
        int worker = -1;
        timeline_end end = timeline_end::normal;
        bool flaky = false, open = false;
    };
    struct pending {
        subunit::timestamp start, stop;
        timeline_bar bar;
    };
    std::unordered_map<std::string, life> lives;
    std::unordered_map<std::string, std::size_t> runs;
    std::vector<pending> done;
    std::optional<subunit::timestamp> first, last;
    const auto finish = [&](const std::string& id, life& l, subunit::status s) {
        l.open = false;
        if (!l.start || !l.last) return;  // no time: nowhere to draw it
        timeline_bar b;
        b.worker = l.worker < 0 ? 0u : static_cast<unsigned>(l.worker);
        b.id = id;
        b.status = s;
        b.end = l.end;
        b.rerun = l.flaky;
        ++runs[id];
        done.push_back({*l.start, *l.last, std::move(b)});
    };
    subunit::decoder dec([&](const subunit::event_view& e, std::string_view) {
        if (e.time) {
            if (!first || subunit::elapsed(*first, *e.time).count() < 0) first = e.time;
            if (!last || subunit::elapsed(*last, *e.time).count() > 0) last = e.time;
        }
        if (!e.test_id || e.test_status == subunit::status::exists) return;
        const std::string id(*e.test_id);
        life& l = lives[id];
        if (!l.open) {
            l = life{};
            l.open = true;
        }
        if (e.time) {
            if (!l.start) l.start = e.time;
            l.last = e.time;
        }
        for (auto tag : e.tags) {
            if (l.worker < 0) l.worker = worker_number(tag);
            l.flaky |= tag == "flaky";
        }
        if (e.file_name) {
            if (e.file_bytes.starts_with("testr-mini: the runner process on ")) l.end = timeline_end::runner_died;
            if (e.file_bytes.starts_with("testr-mini: timed out after ")) l.end = timeline_end::timed_out;
        }
        if (is_outcome(e.test_status)) finish(id, l, e.test_status);
    });
    dec.feed(stream_bytes);
    dec.finish();
    // Tests still running when the stream ended (an interrupted run), in id
    // order so the same run always draws the same file; each ran until the
    // stream stopped.
    std::vector<std::pair<const std::string*, life*>> open;
    for (auto& [id, l] : lives)
        if (l.open) open.emplace_back(&id, &l);
    std::sort(open.begin(), open.end(), [](const auto& x, const auto& y) { return *x.first < *y.first; });
    for (auto& [id, l] : open) {
        if (l->start) l->last = last;
        finish(*id, *l, subunit::status::inprogress);
    }

    // The run began before its runners wrote anything and ended after the
    // last of them exited: the picture spans that, not the events alone.
    if (run) {
        if (!first || subunit::elapsed(run->start, *first).count() > 0) first = run->start;
        if (!last || subunit::elapsed(*last, run->end).count() > 0) last = run->end;
    }
    timeline t;
    const auto seconds = [&](const subunit::timestamp& at) {
        return std::chrono::duration<double>(subunit::elapsed(*first, at)).count();
    };
    for (auto& p : done) {
        p.bar.start = seconds(p.start);
        p.bar.stop = seconds(p.stop);
        p.bar.rerun |= runs[p.bar.id] > 1;
        t.workers = std::max<std::size_t>(t.workers, std::size_t{p.bar.worker} + 1);
        t.bars.push_back(std::move(p.bar));
    }
    if (first && last) t.seconds = seconds(*last);
    return t;
}

}  // namespace testr
