// tools/testr-mini/ui/report_format.cpp - see report_format.hpp.
#include "report_format.hpp"

#include <testr/detail/utf8.hpp>

#include <algorithm>
#include <cstdio>

namespace testr::cli {

std::string count_of(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string seconds_text(double s) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%0.3f", s);
    return buf;
}

std::string milliseconds_text(double s) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2g ms", s * 1e3);
    return buf;
}

namespace {
std::string signed_int(long v) { return (v >= 0 ? "+" : "") + std::to_string(v); }
std::string signed_seconds(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%+0.3fs", v);
    return buf;
}
}  // namespace

std::string format_failure(const test_record& t) {
    std::string out(70, '=');
    out += "\n";
    out += (t.status == subunit::status::uxsuccess ? "UNEXPECTED SUCCESS: " : "FAIL: ") + t.id + "\n";
    if (!t.tags.empty()) {
        out += "tags:";
        for (auto& tag : t.tags) out += " " + tag;
        out += "\n";
    }
    out += std::string(70, '-') + "\n";
    // testtools shows a lone traceback as is, and other attachments as
    // "name: {{{...}}}" blocks before it.
    const attachment* traceback = nullptr;
    for (auto& a : t.attachments) {
        if (a.name == "traceback") { traceback = &a; continue; }
        const std::string bytes = a.shown();
        out += a.name + ": {{{\n" + bytes;
        if (!bytes.empty() && bytes.back() != '\n') out += "\n";
        out += "}}}\n\n";
    }
    if (traceback) {
        const std::string bytes = traceback->shown();
        out += bytes;
        if (!bytes.empty() && bytes.back() != '\n') out += "\n";
    }
    return out;
}

run_counts counts_of(const run_summary& run) { return {run.total(), run.failures(), run.skips(), run.wall_seconds()}; }

summary_values summarize_against(const run_counts& run, const std::optional<run_counts>& previous,
                                 std::optional<unsigned> id) {
    summary_values v;
    v.tests = run.tests;
    v.failures = run.failures;
    v.skips = run.skips;
    v.successful = v.failures == 0;
    v.run_id = id;
    v.seconds = run.seconds;
    if (previous) {
        v.tests_delta = static_cast<long>(v.tests) - static_cast<long>(previous->tests);
        if (v.failures) v.failures_delta = static_cast<long>(v.failures) - static_cast<long>(previous->failures);
        if (v.seconds && *v.seconds != 0 && previous->seconds && *previous->seconds != 0)
            v.seconds_delta = *v.seconds - *previous->seconds;
    }
    return v;
}

summary_values summarize_against(const run_summary& run, const run_summary* previous, std::optional<unsigned> id) {
    return summarize_against(counts_of(run), previous ? std::optional<run_counts>(counts_of(*previous)) : std::nullopt, id);
}

std::string format_summary(const summary_values& v) {
    std::string s;
    if (v.tests) {
        s += "Ran " + std::to_string(v.tests);
        if (v.tests_delta && *v.tests_delta) s += " (" + signed_int(*v.tests_delta) + ")";
        s += " tests";
    }
    if (v.seconds && *v.seconds != 0) {
        if (s.empty()) s += "Ran tests";
        s += " in " + seconds_text(*v.seconds) + "s";
        if (v.seconds_delta && *v.seconds_delta != 0) s += " (" + signed_seconds(*v.seconds_delta) + ")";
    }
    if (!s.empty()) s += "\n";
    s += v.successful ? "PASSED" : "FAILED";
    std::vector<std::string> values;
    if (v.run_id) values.push_back("id=" + std::to_string(*v.run_id));
    if (v.failures) {
        std::string f = "failures=" + std::to_string(v.failures);
        if (v.failures_delta && *v.failures_delta) f += " (" + signed_int(*v.failures_delta) + ")";
        values.push_back(f);
    }
    if (v.skips) values.push_back("skips=" + std::to_string(v.skips));
    if (!values.empty()) {
        s += " (";
        for (std::size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + values[i];
        s += ")";
    }
    return s + "\n";
}

namespace {
/// Characters, as testr's len() counts the decoded id: a valid UTF-8
/// sequence is one, and so is each byte of an invalid one.
std::size_t characters(std::string_view text) {
    std::size_t n = 0;
    for (std::size_t at = 0; at < text.size(); ++n) at += std::max<std::size_t>(1, detail::utf8_char_length(text, at));
    return n;
}
}  // namespace

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
    if (rows.empty()) return {};
    std::vector<std::size_t> width(rows[0].size(), 0);
    for (auto& r : rows)
        for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], characters(r[c]));
    auto line = [&](const std::vector<std::string>& r) {
        std::string s;
        for (std::size_t c = 0; c < r.size(); ++c) {
            s += r[c];
            if (c + 1 < r.size()) s += std::string(width[c] - characters(r[c]) + 2, ' ');
        }
        return s + "\n";
    };
    std::string out = line(rows[0]);
    std::vector<std::string> rule;
    for (auto w : width) rule.emplace_back(w, '-');
    out += line(rule);
    for (std::size_t i = 1; i < rows.size(); ++i) out += line(rows[i]);
    return out;
}

}  // namespace testr::cli
