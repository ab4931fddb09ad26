// native_xml.cpp - doctest's and Catch2's XML reporters, read as they stream.
//
// Both writers put each element on its own line; what a test prints goes to
// the same stream between those lines (Catch2 puts std::cout's share in a
// <StdOut> element instead). So the reader is line based: the known element
// names are markup, everything else inside a test is the test's output.
#include "native_detail.hpp"

#include <testr/detail/text_scan.hpp>

#include <array>
#include <charconv>

namespace testr::native {

namespace {

constexpr std::string_view known_tags[] = {
    "?xml", "doctest", "Options", "TestSuite", "TestCase", "SubCase", "Expression",
    "Original", "Expanded", "Info", "Exception", "ExpectedException", "ExpectedExceptionString",
    "Message", "Text", "OverallResultsAsserts", "OverallResultsTestCases", "Catch", "Group",
    "Section", "OverallResult", "OverallResults", "OverallResultsCases", "FatalErrorCondition",
    "Failure", "Warning", "StdOut", "StdErr", "BenchmarkResults", "mean", "standardDeviation",
    "outliers", "Catch2TestRun"};

struct token {
    bool is_tag = false;
    bool closing = false;       // </Name>
    bool self_closing = false;  // <Name .../>
    std::string_view name;
    std::string_view text;      // the whole tag, or the text
};

/// Splits a line into known tags and the text between them.
std::vector<token> tokenize(std::string_view line) {
    std::vector<token> out;
    std::size_t text_from = 0, pos = 0;
    while ((pos = line.find('<', pos)) != std::string_view::npos) {
        std::size_t p = pos + 1;
        const bool closing = p < line.size() && line[p] == '/';
        if (closing) ++p;
        std::size_t q = p;
        while (q < line.size() && line[q] != ' ' && line[q] != '>' && line[q] != '/' && line[q] != '\t' &&
               line[q] != '\n')
            ++q;
        const auto name = line.substr(p, q - p);
        bool known = false;
        for (auto k : known_tags) known = known || k == name;
        if (!known || q >= line.size()) {
            ++pos;
            continue;
        }
        // Attribute values may hold a bare '>' (doctest escapes only '<', '&', '"').
        std::size_t gt = q;
        for (bool quoted = false; gt < line.size() && (quoted || line[gt] != '>'); ++gt)
            if (line[gt] == '"') quoted = !quoted;
        if (gt >= line.size()) gt = line.size() - 1;
        if (pos > text_from) out.push_back({false, false, false, {}, line.substr(text_from, pos - text_from)});
        const auto whole = line.substr(pos, gt + 1 - pos);
        out.push_back({true, closing, whole.size() >= 2 && whole[whole.size() - 2] == '/', name, whole});
        pos = text_from = gt + 1;
    }
    if (text_from < line.size()) out.push_back({false, false, false, {}, line.substr(text_from)});
    return out;
}

std::optional<std::chrono::nanoseconds> seconds_attr(std::string_view tag, std::string_view name) {
    auto v = xml_attribute(tag, name);
    if (!v) return std::nullopt;
    double s = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), s);
    if (ec != std::errc{} || s < 0 || s > 1e9) return std::nullopt;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(s * 1e9));
}

bool is_message_tag(std::string_view name) {
    return name == "Expression" || name == "Exception" || name == "FatalErrorCondition" ||
           name == "Failure" || name == "Message" || name == "Warning";
}

struct message {
    std::string kind;     // element name
    std::string file, line, type;
    bool failure = true;
    std::string label;    // child element the text is in
    std::vector<std::pair<std::string, std::string>> parts;
};

struct xml_decoder final : output_decoder::impl {
    xml_decoder(framework fw, output_decoder::handler h, clock_fn clk)
        : impl(std::move(h), std::move(clk)), f(fw) {}

    framework f;
    std::string file, line_no;  // the running test's location
    std::optional<bool> passed;
    std::optional<std::chrono::nanoseconds> duration;
    std::optional<message> msg;
    int capture = 0;  // inside <StdOut>/<StdErr>

    void reset() override {
        msg.reset();
        capture = 0;
        passed.reset();
        duration.reset();
    }

    void render(const message& m) {
        if (!m.failure) return;
        std::string where = (m.file.empty() ? file : m.file) + ":" + (m.line.empty() ? line_no : m.line) + ": ";
        std::string body;
        if (m.kind == "Expression") {
            std::string original, expanded;
            for (auto& [label, text] : m.parts) {
                if (label == "Original") original = text;
                else if (label == "Expanded") expanded = text;
            }
            body = m.type + "( " + original + " ) is NOT correct!\n";
            if (!expanded.empty()) body += "  values: " + m.type + "( " + expanded + " )\n";
            for (auto& [label, text] : m.parts)
                if (label != "Original" && label != "Expanded")
                    body += "  " + (label.empty() ? std::string("message") : label) + ": " + text + "\n";
        } else {
            std::string kind = m.kind == "Exception"             ? "exception"
                               : m.kind == "FatalErrorCondition" ? "fatal error"
                               : m.kind == "Failure"             ? "FAIL"
                               : m.kind == "Message"             ? m.type
                                                                 : m.kind;
            body = kind + ":";
            for (auto& [label, text] : m.parts) {
                if (!label.empty() && label != "Text") body += "\n  " + label + ":";
                body += " " + text;
            }
            body += "\n";
        }
        traceback += where + body;
    }

    void open_message(const token& t) {
        message m;
        m.kind = std::string(t.name);
        m.file = xml_attribute(t.text, "filename").value_or("");
        m.line = xml_attribute(t.text, "line").value_or("");
        m.type = xml_attribute(t.text, "type").value_or("");
        if (t.name == "Expression") m.failure = xml_attribute(t.text, "success").value_or("false") == "false";
        if (t.name == "Warning") m.failure = false;
        if (t.name == "Message") m.failure = m.type.find("WARN") == std::string::npos;
        if (t.name == "Exception" && xml_attribute(t.text, "crash").value_or("") == "true") m.kind = "crash";
        if (t.self_closing) render(m);
        else msg = std::move(m);
    }

    void tag(const token& t, std::string_view raw) {
        if (t.name == "TestCase") {
            if (t.closing) {
                if (!in_test) return;
                if (!passed) traceback += file + ":" + line_no + ": the reporter gave no result\n";
                const bool ok = passed.value_or(false);
                auto d = duration;
                msg.reset();
                capture = 0;
                passed.reset();
                duration.reset();
                end(ok ? subunit::status::success : subunit::status::fail, raw, d);
                return;
            }
            auto name = xml_attribute(t.text, "name").value_or("");
            // doctest reports every test its filters leave out as
            // <TestCase ... skipped="true"/>: not a test of this run.
            if (t.self_closing) return;
            if (in_test) {
                traceback += "test did not finish: a new test started without its result\n";
                end(subunit::status::fail, {});
            }
            file = xml_attribute(t.text, "filename").value_or("");
            line_no = xml_attribute(t.text, "line").value_or("");
            passed.reset();
            duration.reset();
            begin(name, raw);
            return;
        }
        if (!in_test) return;
        if (t.name == "StdOut" || t.name == "StdErr") {
            if (t.self_closing) return;
            capture += t.closing ? -1 : 1;
            if (capture < 0) capture = 0;
            return;
        }
        if ((f == framework::doctest && t.name == "OverallResultsAsserts") ||
            (f == framework::catch2 && t.name == "OverallResult")) {
            if (t.closing) return;
            passed = xml_attribute(t.text, f == framework::doctest ? "test_case_success" : "success")
                         .value_or("false") == "true";
            duration = seconds_attr(t.text, f == framework::doctest ? "duration" : "durationInSeconds");
            return;
        }
        if (msg) {
            if (t.closing && t.name == msg->kind) {
                render(*msg);
                msg.reset();
            } else if (t.closing && (t.name == "Exception" && msg->kind == "crash")) {
                render(*msg);
                msg.reset();
            } else if (!t.closing && !t.self_closing) {
                msg->label = std::string(t.name);
            } else if (t.closing) {
                msg->label.clear();
            }
            return;
        }
        if (!t.closing && is_message_tag(t.name)) open_message(t);
    }

    void text(std::string_view s, bool whole_line) {
        if (!in_test) {
            if (!detail::trim(s).empty()) stray(s);
            return;
        }
        if (capture > 0) {
            // The writer's own line breaks and indentation around the tags.
            if (whole_line || !detail::trim(s).empty()) out += xml_unescape(s);
            return;
        }
        if (msg) {
            auto t = detail::trim(s);
            if (t.empty()) return;
            auto& parts = msg->parts;
            if (parts.empty() || parts.back().first != msg->label) parts.emplace_back(msg->label, std::string());
            else parts.back().second += '\n';
            parts.back().second += xml_unescape(t);
            return;
        }
        if (whole_line) {
            out += s;
            return;
        }
        // Printed without a newline, then the writer's indentation.
        auto t = s.substr(0, s.find_last_not_of(" \t\r\n") + 1);
        if (!detail::trim(t).empty()) out += t;
    }

    void line(std::string_view l) override {
        auto tokens = tokenize(l);
        bool any_tag = false;
        for (auto& t : tokens) any_tag = any_tag || t.is_tag;
        for (auto& t : tokens) {
            if (t.is_tag) tag(t, l);
            else text(t.text, !any_tag);
        }
    }
};

}  // namespace

std::unique_ptr<output_decoder::impl> make_xml_decoder(framework f, output_decoder::handler h, clock_fn now) {
    return std::make_unique<xml_decoder>(f, std::move(h), std::move(now));
}

result<std::vector<listed_test>> parse_doctest_listing(std::string_view output) {
    std::vector<listed_test> tests;
    bool root = false;
    std::optional<error> bad;
    for_each_line(output, [&](std::string_view line, std::size_t number) {
        if (bad) return;
        for (auto& t : tokenize(line)) {
            if (!t.is_tag) continue;
            if (t.name == "doctest") root = true;
            if (t.name != "TestCase" || t.closing) continue;
            auto name = xml_attribute(t.text, "name");
            if (!name) {
                bad = error{"doctest listing line " + std::to_string(number) + ": a TestCase without a name"};
                return;
            }
            listed_test lt;
            lt.id = std::move(*name);
            lt.note = xml_attribute(t.text, "filename").value_or("") + ":" +
                      xml_attribute(t.text, "line").value_or("");
            tests.push_back(std::move(lt));
        }
    });
    if (bad) return unexpected{*bad};
    if (!root)
        return fail("doctest listing: no <doctest> element in the output (not a doctest binary, or one "
                    "built without the XML reporter): '" + detail::excerpt(detail::trim(output)) + "'");
    return tests;
}

result<std::vector<listed_test>> parse_catch2_listing(std::string_view output) {
    std::vector<listed_test> tests;
    for_each_line(output, [&](std::string_view line, std::size_t) {
        auto at = line.find("\t@");
        auto name = detail::trim(line.substr(0, at));
        if (name.empty()) return;
        // Catch2 quotes the names that start with '#' (its comment mark).
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"' && name[1] == '#')
            name = name.substr(1, name.size() - 2);
        tests.push_back({std::string(name), false, {}});
    });
    return tests;
}

}  // namespace testr::native
