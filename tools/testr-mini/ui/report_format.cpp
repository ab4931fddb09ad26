// tools/testr-mini/ui/report_format.cpp - see report_format.hpp.
#include "report_format.hpp"

#include <testr/detail/utf8.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <unordered_map>
#include <vector>

#include "subunit_v2.hpp"

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

/// What Python's str.strip() removes at either end (its ASCII whitespace).
bool python_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f'); }

std::string_view stripped(std::string_view s) {
    while (!s.empty() && python_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && python_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

/// A content type as testtools writes it: "type/subtype", then each
/// parameter as '; key="value"', sorted.
std::string content_type_text(std::string_view mime) {
    std::vector<std::string> params;
    std::size_t semi = mime.find(';');
    std::string out = lower(stripped(mime.substr(0, semi)));
    while (semi != std::string_view::npos) {
        mime.remove_prefix(semi + 1);
        semi = mime.find(';');
        const std::string_view param = stripped(mime.substr(0, semi));
        const std::size_t eq = param.find('=');
        if (eq == std::string_view::npos) continue;
        std::string_view value = stripped(param.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        params.push_back(lower(stripped(param.substr(0, eq))) + "=\"" + std::string(value) + "\"");
    }
    std::sort(params.begin(), params.end());
    for (const auto& p : params) out += "; " + p;
    return out;
}

/// Text by its type, as testtools decides; with no type at all, where
/// testtools would call it binary and hide it, text when it reads as such.
bool shown_as_text(const attachment& a) {
    if (a.mime_type.empty()) {
        const std::string_view b = a.bytes;
        return detail::valid_utf8(b) && std::none_of(b.begin(), b.end(), [](char c) {
                   const auto u = static_cast<unsigned char>(c);
                   return (u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f;
               });
    }
    return lower(stripped(a.mime_type.substr(0, a.mime_type.find('/')))) == "text";
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
    // The details as testtools lays them out for testr: by name; binary
    // ones (never written to the terminal) and empty ones listed by name;
    // a one-line text inline, a longer one in a {{{ }}} block; the
    // traceback last, as it is.
    std::vector<const attachment*> by_name;
    for (const auto& a : t.attachments) by_name.push_back(&a);
    std::stable_sort(by_name.begin(), by_name.end(),
                     [](const attachment* a, const attachment* b) { return a->name < b->name; });
    std::string binary, empty;
    std::vector<std::string> text;
    std::optional<std::string> traceback;
    for (const attachment* a : by_name) {
        if (!shown_as_text(*a)) {
            // Both arms a view: a literal against a std::string would make the
            // result a temporary string, gone before the view is read.
            const std::string_view type =
                a->mime_type.empty() ? std::string_view("application/octet-stream") : std::string_view(a->mime_type);
            binary += "  " + a->name + " (" + content_type_text(type) + ")\n";
            continue;
        }
        const std::string all = a->shown();
        const std::string_view body = stripped(all);
        if (body.empty()) {
            empty += "  " + a->name + "\n";
        } else if (a->name == "traceback") {
            traceback = std::string(body) + "\n";
        } else if (body.find('\n') != std::string_view::npos) {
            text.push_back(a->name + ": {{{\n" + std::string(body) + "\n}}}\n");
        } else {
            text.push_back(a->name + ": {{{" + std::string(body) + "}}}");
        }
    }
    if (!text.empty() && !text.back().ends_with('\n')) text.emplace_back();
    if (traceback) text.push_back(*traceback);
    if (!binary.empty()) out += "Binary content:\n" + binary;
    if (!empty.empty()) out += "Empty attachments:\n" + empty;
    if ((!binary.empty() || !empty.empty()) && !text.empty()) out += "\n";
    for (std::size_t i = 0; i < text.size(); ++i) out += (i ? "\n" : "") + text[i];
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

std::string format_failures(std::string_view events, const run_summary& merged) {
    struct test_lives {
        run_summary current;  // the life being read, alone
        std::vector<std::string> blocks;
    };
    std::vector<std::string> order;
    std::unordered_map<std::string, test_lives> lives;
    auto close = [](test_lives& l) {
        for (const test_view t : l.current.tests())
            if (is_failure(t.status) || t.status == subunit::status::uxsuccess)
                l.blocks.push_back(format_failure(t.record()));
        l.current = run_summary{};
    };
    subunit::decoder d([&](const subunit::event_view& e, std::string_view) {
        if (!e.test_id) return;
        auto [it, fresh] = lives.try_emplace(std::string(*e.test_id));
        if (fresh) order.push_back(it->first);
        it->second.current.add(e);
        if (is_outcome(e.test_status)) close(it->second);
    });
    d.feed(events);
    d.finish();
    std::string out;
    for (auto& id : order) {
        auto& l = lives[id];
        close(l);  // a life that never ended did not complete: a failure
        const auto t = merged.find(id);
        if (!t || !is_failure(t->status)) continue;
        for (auto& b : l.blocks) out += b;
    }
    return out;
}

}  // namespace testr::cli
