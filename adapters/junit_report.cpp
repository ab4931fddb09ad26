// adapters/junit_report.cpp - see junit_report.hpp and docs/reports.md.
#include "junit_report.hpp"

#include <cstdio>
#include <ctime>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.hpp"
#include "xml_text.hpp"

namespace testr {

namespace {

using subunit::status;

bool is_final(status s) {
    return s == status::success || s == status::fail || s == status::skip || s == status::xfail ||
           s == status::uxsuccess;
}
bool is_bad(status s) { return s == status::fail || s == status::uxsuccess || s == status::none; }

// As subunit2junitxml: the class is everything before the last dot that
// comes before any parameters ("pkg.Class.test(scenario)").
std::pair<std::string_view, std::string_view> split_id(std::string_view id) {
    if (id.empty()) return {{}, id};
    const std::size_t paren = id.find('(');
    const std::size_t limit = paren == std::string_view::npos ? id.size() - 1 : paren;
    const std::size_t dot = limit == 0 ? std::string_view::npos : id.rfind('.', limit - 1);
    if (dot == std::string_view::npos) return {{}, id};
    return {id.substr(0, dot), id.substr(dot + 1)};
}

double seconds_between(const std::optional<subunit::timestamp>& a, const std::optional<subunit::timestamp>& b) {
    if (!a || !b) return 0;
    const double s = std::chrono::duration<double>(subunit::elapsed(*a, *b)).count();
    return s > 0 ? s : 0;
}

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", s);
    return buf;
}

// Ant's format, in UTC: what Jenkins and GitLab parse.
std::string iso_time(const subunit::timestamp& t) {
    std::time_t secs = static_cast<std::time_t>(t.seconds);
    std::tm tm{};
    if (!::gmtime_r(&secs, &tm)) return {};
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}

bool earlier(const subunit::timestamp& a, const subunit::timestamp& b) {
    return a.seconds != b.seconds ? a.seconds < b.seconds : a.nanoseconds < b.nanoseconds;
}

// The line a person reads first: the last non-empty one of a traceback
// ("AssertionError: 1 != 2"), at most 1000 bytes.
std::string_view message_of(std::string_view text) {
    std::size_t end = text.size();
    while (end > 0) {
        while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == ' ')) --end;
        if (end == 0) break;
        std::size_t begin = text.rfind('\n', end - 1);
        begin = begin == std::string_view::npos ? 0 : begin + 1;
        while (begin < end && text[begin] == ' ') ++begin;
        std::string_view line = text.substr(begin, end - begin);
        if (line.size() > 1000) line = line.substr(0, 1000);
        if (line.rfind("[", 0) != 0 || line.find("bytes cut]") == std::string_view::npos) return line;
        end = begin;
    }
    return {};
}

// "AssertionError" of "AssertionError: 1 != 2"; dotted names too.
std::string_view type_of(std::string_view message) {
    std::size_t i = 0;
    while (i < message.size()) {
        const char c = message[i];
        const bool word = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '.' ||
                          (i > 0 && c >= '0' && c <= '9');
        if (!word) break;
        ++i;
    }
    if (i == 0 || (i < message.size() && message[i] != ':')) return {};
    return message.substr(0, i);
}

void attr(std::string& out, std::string_view name, std::string_view value) {
    out += ' ';
    out += name;
    out += "=\"";
    append_xml_escaped(out, value, true);
    out += '"';
}

void element_text(std::string& out, std::string_view tag, std::string_view text) {
    if (text.empty()) return;
    out += '<';
    out += tag;
    out += '>';
    append_xml_escaped(out, text);
    out += "</";
    out += tag;
    out += ">\n";
}

std::string cut_note(std::size_t dropped) {
    return dropped ? "\n[" + std::to_string(dropped) + " bytes cut]\n" : std::string();
}

}  // namespace

junit_report::junit_report(junit_options options)
    : options_(std::move(options)) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) hostname_ = host;
}

junit_report::attempt_record& junit_report::open_attempt(testcase& t) {
    if (!t.open) {
        t.attempts.emplace_back();
        t.open = true;
    }
    return t.attempts.back();
}

void junit_report::keep(std::string& into, std::size_t& dropped, std::string_view bytes) const {
    const std::size_t room = options_.output_cap > into.size() ? options_.output_cap - into.size() : 0;
    const std::size_t taken = std::min(room, bytes.size());
    into.append(bytes.substr(0, taken));
    dropped += bytes.size() - taken;
}

void junit_report::on(const events::stream_event& ev) {
    const subunit::event_view& e = ev.event;
    if (!e.test_id) return;  // runner output outside any test
    if (e.test_status == status::exists && !e.file_name) return;  // a listing, not a run
    auto [it, added] = index_.try_emplace(std::string(*e.test_id), tests_.size());
    if (added) tests_.push_back(testcase{std::string(*e.test_id), {}, {}, {}, false});
    testcase& t = tests_[it->second];
    for (auto tag : e.tags) {
        if (tag.rfind("worker-", 0) == 0) t.worker = std::string(tag);
        if (tag.rfind("shard-", 0) == 0) t.shard = std::string(tag);
    }
    attempt_record& a = open_attempt(t);
    if (e.time) {
        if (!a.start || e.test_status == status::inprogress) a.start = *e.time;
        a.last = *e.time;
    }
    if (e.file_name && !e.file_bytes.empty()) {
        const std::string_view name = *e.file_name;
        if (name == "traceback" || name == "Parser Error" || name == "Packet data")
            keep(a.traceback, a.dropped_traceback, e.file_bytes);
        else if (name == "reason")
            keep(a.reason, a.dropped_traceback, e.file_bytes);
        else if (name == "stderr")
            keep(a.err, a.dropped_err, e.file_bytes);
        else if (name == "stdout")
            keep(a.out, a.dropped_out, e.file_bytes);
        else {
            // Other attachments (logs, details) read best beside stdout,
            // each under its name; a chunked one is headed once.
            const std::string head = "[" + std::string(name) + "]\n";
            if (a.out.size() < head.size() || a.out.rfind(head) == std::string::npos) keep(a.out, a.dropped_out, head);
            keep(a.out, a.dropped_out, e.file_bytes);
        }
    }
    if (!is_final(e.test_status)) return;
    a.status = e.test_status;
    t.open = false;
    if (options_.rewrite_every > 0 &&
        (!written_ ||
         std::chrono::steady_clock::now() - last_write_ >= std::chrono::duration<double>(options_.rewrite_every)))
        if (auto ok = write(); !ok && !rewrite_error_) rewrite_error_ = ok.error().message();
}

void junit_report::on(const events::interrupted&) {
    if (options_.rewrite_every > 0)
        if (auto ok = write(); !ok && !rewrite_error_) rewrite_error_ = ok.error().message();
}

const std::string& junit_report::file_for(std::string_view classname) const {
    auto [it, added] = files_.try_emplace(std::string(classname));
    if (!added || options_.source_root.empty() || classname.empty()) return it->second;
    // The longest dotted prefix that names a module file: pkg/mod.py for
    // pkg.mod.Class.
    std::string path(classname);
    for (char& c : path)
        if (c == '.') c = '/';
    for (;;) {
        struct stat st{};
        const std::string candidate = path + ".py";
        if (::stat((options_.source_root + "/" + candidate).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            it->second = candidate;
            break;
        }
        const std::size_t slash = path.rfind('/');
        if (slash == std::string::npos) break;
        path.resize(slash);
    }
    return it->second;
}

std::string junit_report::render() const {
    struct suite {
        std::string_view name;
        std::vector<std::size_t> tests;
        std::size_t failures = 0, errors = 0, skipped = 0;
        double time = 0;
        std::optional<subunit::timestamp> start;
    };
    std::vector<suite> suites;
    std::unordered_map<std::string_view, std::size_t> by_name;
    suite total;
    std::optional<subunit::timestamp> end;
    for (std::size_t i = 0; i < tests_.size(); ++i) {
        const testcase& t = tests_[i];
        if (t.attempts.empty()) continue;
        const std::string_view classname = split_id(t.id).first;
        auto [it, added] = by_name.try_emplace(classname, suites.size());
        if (added) suites.push_back(suite{classname, {}, 0, 0, 0, 0, {}});
        suite& s = suites[it->second];
        s.tests.push_back(i);
        const attempt_record& a = t.attempts.back();
        const status st = t.open ? status::none : a.status;
        s.failures += st == status::fail || st == status::uxsuccess;
        s.errors += st == status::none;
        s.skipped += st == status::skip || st == status::xfail;
        s.time += seconds_between(a.start, a.last);
        for (auto& each : t.attempts) {
            if (each.start && (!s.start || earlier(*each.start, *s.start))) s.start = each.start;
            if (each.last && (!end || earlier(*end, *each.last))) end = each.last;
        }
    }
    std::size_t tests = 0;
    for (auto& s : suites) {
        tests += s.tests.size();
        total.failures += s.failures;
        total.errors += s.errors;
        total.skipped += s.skipped;
        if (s.start && (!total.start || earlier(*s.start, *total.start))) total.start = s.start;
    }

    std::string out;
    out.reserve(256 + tests * 160);
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites";
    attr(out, "name", "testr-mini");
    attr(out, "tests", std::to_string(tests));
    attr(out, "failures", std::to_string(total.failures));
    attr(out, "errors", std::to_string(total.errors));
    attr(out, "skipped", std::to_string(total.skipped));
    attr(out, "time", seconds_text(seconds_between(total.start, end)));
    out += ">\n";
    for (auto& s : suites) {
        out += "<testsuite";
        attr(out, "name", s.name);
        attr(out, "tests", std::to_string(s.tests.size()));
        attr(out, "failures", std::to_string(s.failures));
        attr(out, "errors", std::to_string(s.errors));
        attr(out, "skipped", std::to_string(s.skipped));
        attr(out, "time", seconds_text(s.time));
        if (s.start) attr(out, "timestamp", iso_time(*s.start));
        attr(out, "hostname", hostname_);
        out += ">\n";
        for (std::size_t i : s.tests) {
            const testcase& t = tests_[i];
            const auto [classname, name] = split_id(t.id);
            const attempt_record& a = t.attempts.back();
            const status st = t.open ? status::none : a.status;
            out += "<testcase";
            attr(out, "classname", classname);
            attr(out, "name", name);
            attr(out, "time", seconds_text(seconds_between(a.start, a.last)));
            if (const std::string& file = file_for(classname); !file.empty()) attr(out, "file", file);
            out += ">\n";
            const std::string& shard = t.shard.empty() ? shard_ : t.shard;
            if (!t.worker.empty() || !shard.empty() || t.attempts.size() > 1) {
                out += "<properties>";
                if (!t.worker.empty()) {
                    out += "<property name=\"worker\"";
                    attr(out, "value", t.worker);
                    out += "/>";
                }
                if (!shard.empty()) {
                    out += "<property name=\"shard\"";
                    attr(out, "value", shard);
                    out += "/>";
                }
                if (t.attempts.size() > 1)
                    out += "<property name=\"attempts\" value=\"" + std::to_string(t.attempts.size()) + "\"/>";
                out += "</properties>\n";
            }
            const std::string traceback = a.traceback + cut_note(a.dropped_traceback);
            auto verdict = [&](std::string_view tag, std::string_view message, std::string_view type,
                               std::string_view text) {
                out += '<';
                out += tag;
                if (!message.empty()) attr(out, "message", message);
                if (!type.empty()) attr(out, "type", type);
                if (text.empty()) {
                    out += "/>\n";
                    return;
                }
                out += '>';
                append_xml_escaped(out, text);
                out += "</";
                out += tag;
                out += ">\n";
            };
            switch (st) {
            case status::fail: {
                const std::string_view message = message_of(a.traceback);
                verdict("failure", message.empty() ? "failed" : message, type_of(message), traceback);
                break;
            }
            case status::uxsuccess: verdict("failure", "unexpected success", "uxsuccess", traceback); break;
            case status::xfail: {
                const std::string message = "expected failure: " + std::string(message_of(a.traceback));
                verdict("skipped", message, "xfail", traceback);
                break;
            }
            case status::skip: {
                const std::string reason = a.reason + cut_note(a.dropped_traceback);
                verdict("skipped", message_of(a.reason), {}, reason);
                break;
            }
            case status::none:
                verdict("error", "no end event: the test started and never finished", "incomplete", traceback);
                break;
            default: break;
            }
            // Earlier attempts, Surefire's way: flaky when the test passed
            // in the end, reruns of a failure when it did not.
            const bool passed = !is_bad(st);
            for (std::size_t k = 0; k + 1 < t.attempts.size(); ++k) {
                const attempt_record& r = t.attempts[k];
                if (!is_bad(r.status)) continue;
                const std::string_view tag = passed ? "flakyFailure" : "rerunFailure";
                const std::string_view message = r.status == status::uxsuccess ? "unexpected success"
                                                                               : message_of(r.traceback);
                out += '<';
                out += tag;
                attr(out, "message", message.empty() ? "failed" : message);
                const std::string_view type = type_of(message);
                attr(out, "type", type.empty() ? std::string_view(subunit::to_string(r.status)) : type);
                out += ">\n";
                element_text(out, "stackTrace", r.traceback + cut_note(r.dropped_traceback));
                element_text(out, "system-out", r.out + cut_note(r.dropped_out));
                element_text(out, "system-err", r.err + cut_note(r.dropped_err));
                out += "</";
                out += tag;
                out += ">\n";
            }
            element_text(out, "system-out", a.out + cut_note(a.dropped_out));
            element_text(out, "system-err", a.err + cut_note(a.dropped_err));
            out += "</testcase>\n";
        }
        out += "</testsuite>\n";
    }
    out += "</testsuites>\n";
    return out;
}

result<void, io_error> junit_report::write() {
    last_write_ = std::chrono::steady_clock::now();
    written_ = true;
    return write_file_atomically(options_.path, render());
}

}  // namespace testr
