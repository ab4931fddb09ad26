// native_gtest.cpp - GoogleTest's --gtest_list_tests and its line output.
//
// GoogleTest writes its JSON/XML report only at exit, so the live source is
// the console printer's lines, which it flushes one by one:
//   [ RUN      ] Suite.Test
//   ...what the test printed, and failures "file:line: Failure" + message...
//   [       OK ] Suite.Test (3 ms)
//   [  FAILED  ] Suite.Test, where GetParam() = 4 (0 ms)
//   [  SKIPPED ] Suite.Test (0 ms)
//   [ DISABLED ] Suite.DISABLED_Test        (selected but disabled)
#include "native_detail.hpp"

#include <testr/detail/text_scan.hpp>

namespace testr::native {

namespace {

bool is_disabled_name(std::string_view name) {
    if (name.starts_with("DISABLED_")) return true;
    return name.find("/DISABLED_") != std::string_view::npos;
}

/// "[ TAG      ] rest": the tag, trimmed, and the rest; nullopt otherwise.
struct bracket_line {
    std::string_view tag;
    std::string_view rest;
};
std::optional<bracket_line> bracket(std::string_view line) {
    if (line.size() < 12 || line[0] != '[' || line[11] != ']') return std::nullopt;
    auto rest = line.substr(12);
    if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    return bracket_line{detail::trim(line.substr(1, 10)), rest};
}

/// The test id at the start of a result line's rest: names hold no blanks
/// or commas; ", where GetParam() = ..." and " (N ms)" follow.
std::string_view leading_id(std::string_view rest) {
    auto stop = rest.find_first_of(" ,\r\n");
    return rest.substr(0, stop);
}

/// GoogleTest's own duration at the end of a result line, " (N ms)"; absent
/// with --gtest_print_time=0.
std::optional<std::chrono::nanoseconds> reported_duration(std::string_view line) {
    if (!line.ends_with(" ms)")) return std::nullopt;
    line.remove_suffix(4);
    auto open = line.rfind(" (");
    if (open == std::string_view::npos) return std::nullopt;
    auto n = detail::parse_u64(line.substr(open + 2));
    if (n.status != detail::number_status::ok) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(n.value));
}

/// "path/file.cc:123: Failure" or "...: Skipped"; "unknown file: Failure" for
/// an exception thrown outside any assertion.
bool is_message_header(std::string_view line) {
    for (std::string_view tail : {": Failure", ": Skipped"}) {
        if (!line.ends_with(tail)) continue;
        auto head = line.substr(0, line.size() - tail.size());
        auto colon = head.rfind(':');
        if (colon == std::string_view::npos || colon + 1 == head.size()) continue;
        auto digits = head.substr(colon + 1);
        if (detail::parse_u64(digits).status == detail::number_status::ok) return true;
    }
    return line.starts_with("unknown file: Failure");
}

bool is_chatter(std::string_view line) {
    auto t = detail::trim(line);
    if (t.empty()) return true;
    if (line.starts_with("Running main() from ")) return true;
    if (line.starts_with("Note: Google Test filter = ")) return true;
    if (line.starts_with("Note: This is test shard ")) return true;
    if (line.starts_with("Note: Randomizing tests' orders with a seed of ")) return true;
    if (t.ends_with(" FAILED TEST") || t.ends_with(" FAILED TESTS")) return true;
    if (t.starts_with("YOU HAVE ") && (t.ends_with(" DISABLED TEST") || t.ends_with(" DISABLED TESTS")))
        return true;
    return bracket(line).has_value();
}

struct gtest_decoder final : output_decoder::impl {
    using impl::impl;
    bool in_message = false;

    void line(std::string_view text) override {
        // A test that printed without a final newline leaves its text in
        // front of GoogleTest's next line: split it off as the test's output.
        if (in_test && !text.starts_with('[')) {
            for (std::string_view mark : {"[       OK ] ", "[  FAILED  ] ", "[  SKIPPED ] ", "[ RUN      ] "}) {
                auto at = text.find(mark);
                if (at == std::string_view::npos || at == 0) continue;
                (in_message ? traceback : out).append(text.substr(0, at));
                text.remove_prefix(at);
                break;
            }
        }
        std::string_view l = text;
        if (l.ends_with('\n')) l.remove_suffix(1);
        if (l.ends_with('\r')) l.remove_suffix(1);
        if (auto b = bracket(l)) {
            auto test = leading_id(b->rest);
            if (b->tag == "RUN") {
                if (in_test) {
                    // A RUN without the previous test's result: the runner
                    // lost it (a test that exited the process was restarted
                    // by a wrapper, say); report it as unfinished.
                    traceback += "test did not finish: a new test started without its result\n";
                    end(subunit::status::fail, {});
                }
                in_message = false;
                begin(test, text);
                return;
            }
            if (in_test && test == id) {
                subunit::status s = b->tag == "OK"        ? subunit::status::success
                                    : b->tag == "FAILED"  ? subunit::status::fail
                                    : b->tag == "SKIPPED" ? subunit::status::skip
                                                          : subunit::status::none;
                if (s != subunit::status::none) {
                    in_message = false;
                    // In-process timing: arrival times carry the reader's
                    // own delays on a loaded machine.
                    end(s, text, reported_duration(l));
                    return;
                }
            }
            if (!in_test && b->tag == "DISABLED") {
                not_run(test, "disabled (DISABLED_ prefix): GoogleTest runs it only with "
                              "--gtest_also_run_disabled_tests", text);
                return;
            }
            if (!in_test) return;  // suite banners, the closing summary
        }
        if (!in_test) {
            if (!is_chatter(l)) stray(text);
            return;
        }
        if (is_message_header(l)) in_message = true;
        (in_message ? traceback : out).append(text);
        if (!text.ends_with('\n')) (in_message ? traceback : out) += '\n';
    }

    void reset() override { in_message = false; }
};

}  // namespace

std::unique_ptr<output_decoder::impl> make_gtest_decoder(output_decoder::handler h, clock_fn now) {
    return std::make_unique<gtest_decoder>(std::move(h), std::move(now));
}

result<std::vector<listed_test>> parse_gtest_listing(std::string_view output) {
    std::vector<listed_test> tests;
    std::string suite;
    std::string suite_note;
    bool have_suite = false;
    std::optional<error> bad;
    for_each_line(output, [&](std::string_view line, std::size_t number) {
        if (bad || detail::trim(line).empty()) return;
        if (line.starts_with("Running main() from ")) return;
        auto hash = line.find("  # ");
        auto body = line.substr(0, hash);
        std::string note;
        if (hash != std::string_view::npos) note = std::string(detail::trim(line.substr(hash + 4)));
        const bool suite_line = body.size() >= 2 && body.ends_with('.') && body.find(' ') == std::string_view::npos;
        // What a main() prints before the listing (a banner, failures of
        // its own) is not part of it.
        if (!have_suite && !suite_line) return;
        if (line.starts_with("  ")) {
            auto name = detail::trim(body);
            if (name.empty() || name.find(' ') != std::string_view::npos) {
                bad = error{"gtest listing line " + std::to_string(number) +
                            ": not a test under a suite: '" + detail::excerpt(line) + "'"};
                return;
            }
            listed_test t;
            t.id = suite + std::string(name);
            t.disabled = is_disabled_name(suite) || is_disabled_name(name);
            t.note = note.empty() ? suite_note : std::move(note);
            tests.push_back(std::move(t));
            return;
        }
        if (!suite_line) {
            bad = error{"gtest listing line " + std::to_string(number) +
                        ": neither a suite (\"Suite.\") nor a test: '" + detail::excerpt(line) + "'"};
            return;
        }
        suite = std::string(body);
        have_suite = true;
        // A typed suite's TypeParam note applies to each of its tests.
        suite_note = std::move(note);
    });
    if (bad) return unexpected{*bad};
    return tests;
}

}  // namespace testr::native
