// adapters/timeline_svg.cpp - see timeline_svg.hpp.
#include "timeline_svg.hpp"

#include "xml_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace testr {

namespace {

// Layout, in SVG user units (pixels at 100%).
constexpr double width = 1400, label_width = 90, right_margin = 20;
constexpr double top = 48, lane_height = 22, lane_gap = 4, axis_height = 34;
constexpr double char_width = 6.2;  // of the 11px label font, roughly

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
}

// A round tick step giving at most about ten ticks over `span` seconds.
double tick_step(double span) {
    if (!(span > 0)) return 1;
    const double raw = span / 10;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0})
        if (raw <= m * magnitude) return m * magnitude;
    return 10 * magnitude;
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

}  // namespace

std::string render_timeline_svg(const std::vector<timeline_bar>& bars, std::size_t workers, std::string_view title) {
    std::size_t lanes = std::max<std::size_t>(workers, 1);
    double end = 0;
    for (const auto& b : bars) {
        lanes = std::max<std::size_t>(lanes, std::size_t{b.worker} + 1);
        end = std::max(end, std::max(clean(b.start), clean(b.stop)));
    }
    const double step = tick_step(end);
    const double axis_end = std::max(step, std::ceil(end / step) * step);
    const double plot_width = width - label_width - right_margin;
    const double scale = plot_width / axis_end;
    const double plot_height = static_cast<double>(lanes) * (lane_height + lane_gap);
    const double height = top + plot_height + axis_height;

    std::string out;
    out.reserve(1024 + bars.size() * 200);
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(width) + "\" height=\"" + number(height) +
           "\" viewBox=\"0 0 " + number(width) + " " + number(height) + "\" font-family=\"sans-serif\">\n";
    out += "<style>"
           ".status-success{fill:#43a047}.status-fail{fill:#e53935}.status-skip{fill:#9e9e9e}"
           ".status-xfail{fill:#8e24aa}.status-uxsuccess{fill:#fb8c00}.status-incomplete{fill:#37474f}"
           "rect.bar{stroke:#fff;stroke-width:0.3}rect.bar:hover{stroke:#000;stroke-width:1}"
           "text.label{font-size:11px;fill:#fff;pointer-events:none}"
           ".lane{font-size:12px;fill:#333}.tick{font-size:11px;fill:#555}.grid{stroke:#ddd;stroke-width:1}"
           "</style>\n";
    out += "<title>";
    append_xml_escaped(out, title);
    out += "</title>\n<text x=\"" + number(label_width) + "\" y=\"24\" font-size=\"16\">";
    append_xml_escaped(out, title);
    out += "</text>\n";

    // Grid and seconds axis under the bars.
    out += "<g class=\"axis\">\n";
    const double axis_y = top + plot_height;
    for (int k = 0;; ++k) {
        const double t = k * step;
        if (t > axis_end + step / 2) break;
        const double x = label_width + t * scale;
        out += "<line class=\"grid\" x1=\"" + number(x) + "\" y1=\"" + number(top - 4) + "\" x2=\"" + number(x) +
               "\" y2=\"" + number(axis_y) + "\"/>";
        out += "<text class=\"tick\" x=\"" + number(x) + "\" y=\"" + number(axis_y + 16) + "\" text-anchor=\"middle\">" +
               number(t) + "</text>\n";
    }
    out += "<text class=\"tick\" x=\"" + number(label_width + plot_width) + "\" y=\"" + number(axis_y + 30) +
           "\" text-anchor=\"end\">seconds</text>\n</g>\n";

    out += "<g class=\"lanes\">\n";
    for (std::size_t w = 0; w < lanes; ++w) {
        const double y = top + static_cast<double>(w) * (lane_height + lane_gap);
        out += "<text class=\"lane\" x=\"8\" y=\"" + number(y + lane_height * 0.7) + "\">worker-" + std::to_string(w) +
               "</text>\n";
    }
    out += "</g>\n<g class=\"bars\">\n";
    for (const auto& b : bars) {
        const double start = clean(b.start), stop = std::max(start, clean(b.stop));
        const double x = label_width + start * scale;
        // Every test stays visible, however short.
        const double w = std::max(0.5, (stop - start) * scale);
        const double y = top + static_cast<double>(b.worker) * (lane_height + lane_gap);
        out += "<rect class=\"bar ";
        out += css_class(b.status);
        out += "\" x=\"" + number(x) + "\" y=\"" + number(y) + "\" width=\"" + number(w) + "\" height=\"" +
               number(lane_height) + "\"><title>";
        append_xml_escaped(out, b.id);
        char tail[64];
        std::snprintf(tail, sizeof tail, " \xE2\x80\x94 %.3f s (", stop - start);
        out += tail;
        out += subunit::to_string(b.status);
        out += ")</title></rect>\n";
        // The id's tail (the test's own name) where at least a few
        // characters fit; clipped to the bar by its length.
        const auto fit = static_cast<std::size_t>((w - 6) / char_width);
        if (fit >= 6) {
            std::string_view shown = b.id;
            if (shown.size() > fit) shown = shown.substr(shown.size() - (fit - 1));
            // Do not start in the middle of a UTF-8 sequence.
            while (!shown.empty() && (static_cast<unsigned char>(shown.front()) & 0xC0) == 0x80) shown.remove_prefix(1);
            out += "<text class=\"label\" x=\"" + number(x + 3) + "\" y=\"" + number(y + lane_height * 0.7) + "\">";
            if (shown.size() < b.id.size()) out += "\xE2\x80\xA6";
            append_xml_escaped(out, shown);
            out += "</text>\n";
        }
    }
    out += "</g>\n</svg>\n";
    return out;
}

}  // namespace testr
