// tools/partition-bench/svg.cpp - see svg.hpp. Written as the run timeline
// is (adapters/timeline_svg.cpp): text, a style sheet, titles as tooltips.
#include "svg.hpp"

#include "xml_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace partition_bench {

namespace {

constexpr double width = 1400, left = 70, right = 20, top = 70;
constexpr double plot_height = 200, header_height = 26, label_height = 34, panel_gap = 16;
constexpr double char_width = 6.2;  // of the 11px font, roughly

// One colour per algorithm, in builtin_partitioners() order, then dynamic.
constexpr const char* colours[] = {"#8c564b", "#ff7f0e", "#2ca02c", "#9467bd", "#1f77b4", "#d62728", "#7f7f7f"};

std::string number(double v, int decimals = 2) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

// A step of 1, 2 or 5 x 10^k giving at most about eight ticks over `span`.
double tick_step(double span) {
    const double raw = span > 0 ? span / 8 : 0.01;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0})
        if (raw <= m * magnitude * (1 + 1e-9)) return m * magnitude;
    return 10 * magnitude;
}

void text(std::string& out, double x, double y, std::string_view words, const char* attrs = "") {
    out += "<text x=\"" + number(x, 1) + "\" y=\"" + number(y, 1) + "\"" + attrs + ">";
    testr::append_xml_escaped(out, words);
    out += "</text>\n";
}

// One panel at `y0`: a group per source, a bar per algorithm of `algorithms`.
double panel(std::string& out, const std::vector<row>& rows, std::size_t workers,
             const std::vector<std::string>& sources, const std::vector<std::string>& algorithms, bool noisy,
             const std::string& heading, double y0) {
    auto value = [&](const row& r) { return noisy ? r.noisy_ratio : r.mean_ratio; };
    auto shown = [&](const row& r) {
        return r.workers == workers && std::isfinite(value(r)) && (noisy || r.algorithm != dynamic_name);
    };
    double lo = 1, hi = 1;
    for (const auto& r : rows)
        if (shown(r)) lo = std::min(lo, value(r)), hi = std::max(hi, value(r));
    const double step = tick_step(hi - lo);
    lo = std::floor(lo / step + 1e-9) * step;
    hi = std::max(lo + step, std::ceil(hi / step - 1e-9) * step);
    const double plot_top = y0 + header_height, plot_bottom = plot_top + plot_height;
    auto y_of = [&](double v) { return plot_bottom - (v - lo) / (hi - lo) * plot_height; };
    text(out, left, y0 + 16, heading, " class=\"heading\"");
    const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
    for (double v = lo; v <= hi + step * 1e-6; v += step) {
        const std::string y = number(y_of(v), 1);
        out += "<line class=\"grid\" x1=\"" + number(left, 1) + "\" x2=\"" + number(width - right, 1) + "\" y1=\"" + y +
               "\" y2=\"" + y + "\"/>\n";
        text(out, left - 6, y_of(v) + 4, number(v, decimals), " class=\"tick\" text-anchor=\"end\"");
    }
    const double group = (width - left - right) / static_cast<double>(std::max<std::size_t>(sources.size(), 1));
    const double bar = group * 0.8 / static_cast<double>(algorithms.size());
    for (std::size_t g = 0; g < sources.size(); ++g) {
        const double gx = left + group * static_cast<double>(g);
        for (std::size_t a = 0; a < algorithms.size(); ++a) {
            auto it = std::find_if(rows.begin(), rows.end(), [&](const row& r) {
                return r.source == sources[g] && r.algorithm == algorithms[a] && shown(r);
            });
            if (it == rows.end()) continue;
            // An optimal bar (1.0 on a panel from 1.0) is drawn as a sliver, not left out.
            const double v = value(*it), y = std::min(y_of(v), plot_bottom - 1.5);
            const double x = gx + group * 0.1 + bar * static_cast<double>(a);
            out += "<rect class=\"bar\" fill=\"" + std::string(colours[std::min<std::size_t>(a, 6)]) + "\" x=\"" +
                   number(x, 2) + "\" y=\"" + number(y, 2) + "\" width=\"" + number(bar * 0.9, 2) + "\" height=\"" +
                   number(plot_bottom - y, 2) + "\" data-workers=\"" + std::to_string(workers) + "\" data-panel=\"" +
                   (noisy ? "noisy" : "exact") + "\" data-source=\"";
            testr::append_xml_escaped(out, sources[g], true);
            out += "\" data-algorithm=\"" + algorithms[a] + "\" data-value=\"" + number(v, 6) + "\"><title>";
            testr::append_xml_escaped(out, sources[g] + ", " + algorithms[a] + ": " + number(v, 4));
            out += "</title></rect>\n";
        }
        // A label wider than its group is cut, the whole name stays in the bars' tooltips.
        std::string label = sources[g];
        const auto fits = static_cast<std::size_t>(group / char_width);
        if (label.size() > fits && fits > 1) label = label.substr(0, fits - 1) + "~";
        text(out, gx + group / 2, plot_bottom + 16, label, " class=\"source\" text-anchor=\"middle\"");
    }
    out += "<line class=\"axis\" x1=\"" + number(left, 1) + "\" x2=\"" + number(left, 1) + "\" y1=\"" +
           number(plot_top, 1) + "\" y2=\"" + number(plot_bottom, 1) + "\"/>\n";
    return plot_bottom + label_height + panel_gap;
}

}  // namespace

std::string render_svg(const std::vector<row>& rows, double noise, int seeds) {
    std::vector<std::string> sources, algorithms;
    std::vector<std::size_t> worker_counts;
    for (const auto& r : rows) {
        if (std::find(sources.begin(), sources.end(), r.source) == sources.end()) sources.push_back(r.source);
        if (std::find(algorithms.begin(), algorithms.end(), r.algorithm) == algorithms.end())
            algorithms.push_back(r.algorithm);
        if (std::find(worker_counts.begin(), worker_counts.end(), r.workers) == worker_counts.end())
            worker_counts.push_back(r.workers);
    }
    std::vector<std::string> exact_algorithms;
    for (const auto& a : algorithms)
        if (a != dynamic_name) exact_algorithms.push_back(a);
    std::string body;
    double y = top;
    for (std::size_t m : worker_counts) {
        const std::string on = std::to_string(m) + " workers";
        y = panel(body, rows, m, sources, exact_algorithms, false,
                  on + ", durations as estimated: makespan / optimum (else lower bound), mean of up to " +
                      std::to_string(seeds) + " instances",
                  y);
        y = panel(body, rows, m, sources, algorithms, true,
                  on + ", each test taking its estimate x exp(N(0, " + number(noise, 2) +
                      ")): makespan / lower bound of the estimates",
                  y);
    }
    const std::string title = "partition-bench: partitioners and the dynamic schedule";
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(width, 0) + "\" height=\"" + number(y, 0) +
           "\" viewBox=\"0 0 " + number(width, 0) + " " + number(y, 0) + "\" font-family=\"sans-serif\">\n";
    out += "<style>.heading{font-size:13px;fill:#222}.tick,.source{font-size:11px;fill:#555}"
           ".legend text{font-size:11px;fill:#333}.grid{stroke:#ddd;stroke-width:1}.axis{stroke:#555;stroke-width:1}"
           "</style>\n<title>" + title + "</title>\n";
    out += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";
    text(out, left, 24, title, " font-size=\"16\"");
    out += "<g class=\"legend\">\n";
    double lx = left;
    for (std::size_t a = 0; a < algorithms.size(); ++a) {
        out += "<rect x=\"" + number(lx, 1) + "\" y=\"38\" width=\"12\" height=\"12\" fill=\"" +
               colours[std::min<std::size_t>(a, 6)] + "\"/>\n";
        text(out, lx + 16, 48, algorithms[a]);
        lx += 16 + char_width * static_cast<double>(algorithms[a].size()) + 20;
    }
    out += "</g>\n" + body + "</svg>\n";
    return out;
}

}  // namespace partition_bench
