// adapters/junit_report.cpp - see junit_report.hpp and docs/reports.md.
#include "junit_report.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.hpp"
#include "fd_io.hpp"
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

// Text that the next heading starts a line after.
void as_lines(std::string& out, std::string_view text) {
    out += text;
    if (!text.empty() && text.back() != '\n') out += '\n';
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
        if (t.attempts > 0) {
            t.earlier.push_back(std::move(t.current));
            t.current = attempt_record{};
        }
        ++t.attempts;
        t.open = true;
    }
    return t.current;
}

std::uint16_t junit_report::intern(std::string_view tag) {
    if (tag.empty()) return 0;
    for (std::size_t i = 0; i < tags_.size(); ++i)
        if (tags_[i] == tag) return static_cast<std::uint16_t>(i + 1);
    if (tags_.size() >= 0xFFFF) return 0;  // past 65,535 distinct tags: not shown
    tags_.emplace_back(tag);
    return static_cast<std::uint16_t>(tags_.size());
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
    auto it = index_.find(*e.test_id);
    if (it == index_.end()) {
        tests_.emplace_back().id = std::string(*e.test_id);
        it = index_.emplace(tests_.back().id, tests_.size() - 1).first;
    }
    testcase& t = tests_[it->second];
    for (auto tag : e.tags) {
        if (tag.rfind("worker-", 0) == 0) t.worker = intern(tag);
        if (tag.rfind("shard-", 0) == 0) t.shard = intern(tag);
    }
    attempt_record& a = open_attempt(t);
    if (e.time) {
        if (!a.start || e.test_status == status::inprogress) a.start = *e.time;
        a.last = *e.time;
    }
    if (e.file_name && !e.file_bytes.empty()) {
        if (!a.text) a.text = std::make_unique<attempt_text>();
        attempt_text& x = *a.text;
        const std::string_view name = *e.file_name;
        if (name == "traceback" || name == "Parser Error" || name == "Packet data")
            keep(x.traceback, x.dropped_traceback, e.file_bytes);
        else if (name == "reason")
            keep(x.reason, x.dropped_reason, e.file_bytes);
        else if (name == "stderr")
            keep(x.err, x.dropped_err, e.file_bytes);
        else if (name == "stdout")
            keep(x.out, x.dropped_out, e.file_bytes);
        else {
            // Other attachments (logs, details) read best beside stdout,
            // each under its name; a chunked one is headed once.
            const std::string head = "[" + std::string(name) + "]\n";
            if (x.out.size() < head.size() || x.out.rfind(head) == std::string::npos) keep(x.out, x.dropped_out, head);
            keep(x.out, x.dropped_out, e.file_bytes);
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
    std::string whole(classname);
    for (char& c : whole)
        if (c == '.') c = '/';
    const std::string dir = options_.module_dir.empty() ? "" : options_.module_dir + "/";
    for (std::string path = whole;;) {
        struct stat st{};
        const std::string candidate = dir + path + ".py";
        if (::stat((options_.source_root + "/" + candidate).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            it->second = candidate;
            return it->second;
        }
        const std::size_t slash = path.rfind('/');
        if (slash == std::string::npos) break;
        path.resize(slash);
    }
    const std::string_view t = options_.file_template;
    for (std::size_t i = 0; i < t.size();) {
        if (t.substr(i, 11) == "{classname}") {
            it->second += classname;
            i += 11;
        } else if (t.substr(i, 6) == "{path}") {
            it->second += whole;
            i += 6;
        } else {
            it->second += t[i++];
        }
    }
    return it->second;
}

std::string junit_report::render() const {
    std::string all;
    render_to([&all](std::string_view piece) {
        all += piece;
        return 0;
    });
    return all;
}

int junit_report::render_to(const std::function<int(std::string_view)>& emit) const {
    const bool strict = options_.schema == junit_schema::jenkins;
    struct suite {
        std::string_view name;
        std::vector<std::size_t> tests;
        std::size_t failures = 0, errors = 0, skipped = 0;
        double time = 0;
        std::optional<subunit::timestamp> start;
        std::vector<std::uint16_t> tags;  // its tests' distinct workers and shards (strict: on the suite)
    };
    auto shard_of = [&](const testcase& t) { return t.shard ? t.shard : default_shard_; };
    std::vector<suite> suites;
    std::unordered_map<std::string_view, std::size_t> by_name;
    suite total;
    std::optional<subunit::timestamp> end;
    for (std::size_t i = 0; i < tests_.size(); ++i) {
        const testcase& t = tests_[i];
        if (t.attempts == 0) continue;
        const std::string_view classname = split_id(t.id).first;
        auto [it, added] = by_name.try_emplace(classname, suites.size());
        if (added) suites.push_back(suite{classname, {}, 0, 0, 0, 0, {}, {}});
        suite& s = suites[it->second];
        s.tests.push_back(i);
        const attempt_record& a = t.current;
        const status st = t.open ? status::none : a.status;
        s.failures += st == status::fail || st == status::uxsuccess;
        s.errors += st == status::none;
        s.skipped += st == status::skip || st == status::xfail;
        s.time += seconds_between(a.start, a.last);
        auto span = [&](const attempt_record& each) {
            if (each.start && (!s.start || earlier(*each.start, *s.start))) s.start = each.start;
            if (each.last && (!end || earlier(*end, *each.last))) end = each.last;
        };
        for (auto& each : t.earlier) span(each);
        span(a);
        if (strict)
            for (std::uint16_t tag : {t.worker, shard_of(t)})
                if (tag && std::find(s.tags.begin(), s.tags.end(), tag) == s.tags.end()) s.tags.push_back(tag);
    }
    std::size_t tests = 0;
    for (auto& s : suites) {
        tests += s.tests.size();
        total.failures += s.failures;
        total.errors += s.errors;
        total.skipped += s.skipped;
        if (s.start && (!total.start || earlier(*s.start, *total.start))) total.start = s.start;
    }

    // Written out whenever it passes this size: the document never whole.
    constexpr std::size_t piece = 64 * 1024;
    std::string out;
    out.reserve(2 * piece);
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites";
    attr(out, "name", "testr-mini");
    attr(out, "tests", std::to_string(tests));
    attr(out, "failures", std::to_string(total.failures));
    attr(out, "errors", std::to_string(total.errors));
    if (!strict) attr(out, "skipped", std::to_string(total.skipped));
    attr(out, "time", seconds_text(seconds_between(total.start, end)));
    out += ">\n";
    auto property = [&](std::string_view name, std::string_view value) {
        out += "<property";
        attr(out, "name", name);
        attr(out, "value", value);
        out += "/>";
    };
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
        if (!s.tags.empty()) {
            // The schema has no testcase properties: the suite names the
            // workers and shards its tests ran on.
            out += "<properties>";
            for (std::uint16_t tag : s.tags) {
                const std::string& text = tags_[tag - 1];
                property(text.rfind("shard-", 0) == 0 ? "shard" : "worker", text);
            }
            out += "</properties>\n";
        }
        for (std::size_t i : s.tests) {
            const testcase& t = tests_[i];
            const auto [classname, name] = split_id(t.id);
            const attempt_record& a = t.current;
            static const attempt_text no_text;
            const attempt_text& x = a.text ? *a.text : no_text;
            const status st = t.open ? status::none : a.status;
            out += "<testcase";
            attr(out, "classname", classname);
            attr(out, "name", name);
            attr(out, "time", seconds_text(seconds_between(a.start, a.last)));
            if (!strict)
                if (const std::string& file = file_for(classname); !file.empty()) attr(out, "file", file);
            out += ">\n";
            const std::uint16_t shard = shard_of(t);
            if (!strict && (t.worker || shard || t.attempts > 1)) {
                out += "<properties>";
                if (t.worker) property("worker", tags_[t.worker - 1]);
                if (shard) property("shard", tags_[shard - 1]);
                if (t.attempts > 1) property("attempts", std::to_string(t.attempts));
                out += "</properties>\n";
            }
            const std::string traceback = x.traceback + cut_note(x.dropped_traceback);
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
                const std::string_view message = message_of(x.traceback);
                verdict("failure", message.empty() ? "failed" : message, type_of(message), traceback);
                break;
            }
            case status::uxsuccess: verdict("failure", "unexpected success", "uxsuccess", traceback); break;
            case status::xfail: {
                const std::string message = "expected failure: " + std::string(message_of(x.traceback));
                // Jenkins' `skipped` is text only: the message heads it.
                if (strict) verdict("skipped", {}, {}, message + "\n" + traceback);
                else verdict("skipped", message, "xfail", traceback);
                break;
            }
            case status::skip: {
                const std::string reason = x.reason + cut_note(x.dropped_reason);
                verdict("skipped", strict ? std::string_view() : message_of(x.reason), {}, reason);
                break;
            }
            case status::none:
                verdict("error", "no end event: the test started and never finished", "incomplete", traceback);
                break;
            default: break;
            }
            // Earlier attempts, Surefire's way: flaky when the test passed
            // in the end, reruns of a failure when it did not. Jenkins'
            // schema has neither: there they head system-out / system-err.
            const bool passed = !is_bad(st);
            std::string strict_out, strict_err;
            for (std::size_t k = 0; k < t.earlier.size(); ++k) {
                const attempt_record& r = t.earlier[k];
                if (!is_bad(r.status)) continue;
                const attempt_text& rx = r.text ? *r.text : no_text;
                const std::string_view tag = passed ? "flakyFailure" : "rerunFailure";
                const std::string_view message = r.status == status::uxsuccess ? "unexpected success"
                                                                               : message_of(rx.traceback);
                const std::string_view type = type_of(message);
                if (strict) {
                    const std::string head = "[attempt " + std::to_string(k + 1) + " of " +
                                             std::to_string(t.attempts) + ": " + std::string(subunit::to_string(r.status)) +
                                             "] " + std::string(message.empty() ? "failed" : message) + "\n";
                    strict_out += head;
                    as_lines(strict_out, rx.traceback + cut_note(rx.dropped_traceback));
                    as_lines(strict_out, rx.out + cut_note(rx.dropped_out));
                    if (!rx.err.empty()) {
                        strict_err += head;
                        as_lines(strict_err, rx.err + cut_note(rx.dropped_err));
                    }
                    continue;
                }
                out += '<';
                out += tag;
                attr(out, "message", message.empty() ? "failed" : message);
                attr(out, "type", type.empty() ? std::string_view(subunit::to_string(r.status)) : type);
                out += ">\n";
                element_text(out, "stackTrace", rx.traceback + cut_note(rx.dropped_traceback));
                element_text(out, "system-out", rx.out + cut_note(rx.dropped_out));
                element_text(out, "system-err", rx.err + cut_note(rx.dropped_err));
                out += "</";
                out += tag;
                out += ">\n";
            }
            if (strict && !strict_out.empty()) strict_out += "[attempt " + std::to_string(t.attempts) + "]\n";
            if (strict && !strict_err.empty()) strict_err += "[attempt " + std::to_string(t.attempts) + "]\n";
            element_text(out, "system-out", strict_out + x.out + cut_note(x.dropped_out));
            element_text(out, "system-err", strict_err + x.err + cut_note(x.dropped_err));
            out += "</testcase>\n";
            if (out.size() >= piece) {
                if (int err = emit(out)) return err;
                out.clear();
            }
        }
        out += "</testsuite>\n";
    }
    out += "</testsuites>\n";
    return emit(out);
}

result<void, io_error> junit_report::write() {
    last_write_ = std::chrono::steady_clock::now();
    written_ = true;
    return write_file_atomically(options_.path, [this](int fd) {
        return render_to([fd](std::string_view piece) { return fd_io::write_all(fd, piece); });
    });
}

}  // namespace testr
