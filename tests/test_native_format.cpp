// C++ test binaries as runners (adapters/native_format.hpp), against real
// GoogleTest, doctest and Catch2 binaries: ours (every kind of outcome, a
// crash) and googletest's own samples and tests built from Debian's sources.
// A run through the adapter must find the tests and outcomes a direct run
// reports (GoogleTest's JSON report).
#include "native_format.hpp"
#include "process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <unistd.h>
#include <utility>

namespace native = testr::native;
namespace subunit = testr::subunit;
using subunit::status;

namespace {

std::vector<std::string> bins(const char* var) {
    std::vector<std::string> out;
    const char* v = std::getenv(var);
    if (!v) return out;
    std::stringstream ss(v);
    std::string item;
    while (std::getline(ss, item, ':'))
        if (!item.empty()) out.push_back(item);
    return out;
}

bool ends_with(const std::string& s, std::string_view tail) { return s.ends_with(tail); }

std::string base(const std::string& path) { return path.substr(path.rfind('/') + 1); }

struct ran {
    std::string output;  // stdout and stderr, in arrival order
    testr::process::exit_status exit;
};

/// Runs argv; every chunk (stdout and stderr alike) goes to on_chunk.
ran run(const std::vector<std::string>& argv, const std::function<void(std::string_view)>& on_chunk = {}) {
    testr::process::loop loop;
    ran r;
    testr::process::callbacks cb;
    cb.on_output = [&](testr::process::child_id, testr::process::stream, std::string_view bytes) {
        r.output.append(bytes);
        if (on_chunk) on_chunk(bytes);
    };
    cb.on_exit = [&](testr::process::child_id, const testr::process::exit_status& s) { r.exit = s; };
    testr::process::options opts;
    opts.deadline = std::chrono::milliseconds(60000);
    auto id = loop.spawn(argv, opts, cb);
    REQUIRE_MESSAGE(id.has_value(), argv[0]);
    auto done = loop.run();
    REQUIRE(done.has_value());
    return r;
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

struct outcome {
    status final = status::none;
    int starts = 0;
    int finals = 0;
    std::string out, traceback, reason;
    subunit::timestamp started, ended;
};

/// Collects what a decoder reports per test; checks each test's events
/// come in order (inprogress, attachments, one final status).
struct collector {
    std::map<std::string, outcome> tests;
    std::string stray;
    std::vector<std::string> order;

    native::output_decoder::handler handler() {
        return [this](const subunit::event_view& e, std::string_view) {
            if (!e.test_id) {
                REQUIRE(e.file_name);
                stray += std::string(e.file_bytes);
                return;
            }
            auto& t = tests[std::string(*e.test_id)];
            if (e.file_name) {
                CHECK(t.starts == 1);
                CHECK(t.finals == 0);
                CHECK(e.eof);
                std::string& to = *e.file_name == "stdout" ? t.out : *e.file_name == "traceback" ? t.traceback : t.reason;
                to += std::string(e.file_bytes);
                return;
            }
            if (e.test_status == status::inprogress) {
                ++t.starts;
                REQUIRE(e.time);
                t.started = *e.time;
                order.push_back(std::string(*e.test_id));
                return;
            }
            ++t.finals;
            t.final = e.test_status;
            REQUIRE(e.time);
            t.ended = *e.time;
            CHECK(subunit::elapsed(t.started, t.ended).count() >= 0);
        };
    }
};

/// Lists `bin` through the adapter.
std::vector<native::listed_test> list(native::framework f, const std::string& bin) {
    auto r = run(std::vector<std::string>{bin} + native::list_args(f));
    auto listed = native::parse_listing(f, r.output);
    REQUIRE_MESSAGE(listed.has_value(), bin, ": ", listed.has_value() ? "" : listed.error().message);
    return listed.value();
}

/// Runs `ids` of `bin` through the adapter, invocation by invocation, as a
/// run path would: disabled tests reported without running them, and after
/// a crash the tests not yet reported run again in a new process.
collector run_through(native::framework f, const std::string& bin, std::vector<std::string> ids,
                      std::size_t max_arg = native::default_max_arg_bytes, std::size_t* invocations = nullptr,
                      const std::set<std::string>& disabled = {}) {
    collector c;
    auto h = c.handler();
    for (auto& d : disabled) native::report_not_run(d, "disabled", h, {1, 0});
    std::erase_if(ids, [&](const std::string& id) { return disabled.count(id) > 0; });
    native::output_decoder dec(f, h);
    if (invocations) *invocations = 0;
    int n = 0;
    while (!ids.empty()) {
        auto sel = native::select(f, ids, max_arg);
        REQUIRE(sel.has_value());
        if (invocations) *invocations += sel.value().size();
        const auto before = c.tests.size();
        for (auto& inv : sel.value()) {
            auto argv = std::vector<std::string>{bin} + native::run_args(f) + inv.args;
            std::string list_path;
            if (!inv.file_contents.empty()) {
                list_path = "/tmp/test_native_format." + std::to_string(getpid()) + "." + std::to_string(n++);
                std::ofstream(list_path) << inv.file_contents;
                argv = argv + native::file_args(f, list_path);
            }
            // stderr joined to stdout, as docs/native.md advises: one pipe
            // keeps what a test prints on either in order.
            argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1"});
            auto r = run(argv, [&](std::string_view bytes) { dec.feed(bytes); });
            dec.finish(testr::process::describe(r.exit));
            if (!list_path.empty()) ::unlink(list_path.c_str());
        }
        if (c.tests.size() == before) break;  // no progress: the rest never runs
        std::erase_if(ids, [&](const std::string& id) { return c.tests.count(id) > 0; });
    }
    return c;
}

std::vector<std::string> ids_of(const std::vector<native::listed_test>& l) {
    std::vector<std::string> out;
    for (auto& t : l) out.push_back(t.id);
    return out;
}

}  // namespace

TEST_CASE("gtest: third-party suites give the tests and outcomes of a direct run") {
    auto all = bins("NATIVE_GTEST_BINS");
    std::size_t checked = 0;
    for (const auto& bin : all) {
        if (base(bin) == "native_gtest_ours") continue;  // crashes: no JSON report
        CAPTURE(bin);
        const std::string json_path = "/tmp/test_native_format." + std::to_string(getpid()) + ".json";
        run({bin, "--gtest_output=json:" + json_path});
        std::ifstream in(json_path);
        REQUIRE(in.good());
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // GoogleTest 1.12 writes the suite of failures outside any test
        // ("NonTestSuiteFailure") without the comma before it.
        for (std::size_t p; (p = text.find("}    {")) != std::string::npos;) text.replace(p, 6, "},{");
        auto report = nlohmann::json::parse(text);
        ::unlink(json_path.c_str());
        std::map<std::string, status> expected;
        std::map<std::string, std::string> first_failure;
        for (auto& suite : report["testsuites"])
            for (auto& t : suite["testsuite"]) {
                std::string id = suite["name"].get<std::string>() + "." + t["name"].get<std::string>();
                auto res = t.value("result", "");
                status s = t.contains("failures") ? status::fail
                           : res == "COMPLETED"   ? status::success
                                                  : status::skip;  // SKIPPED, SUPPRESSED (disabled)
                expected[id] = s;
                if (t.contains("failures")) {
                    auto msg = t["failures"][0]["failure"].get<std::string>();
                    first_failure[id] = msg.substr(0, msg.find('\n'));
                }
            }
        auto listed = list(native::framework::gtest, bin);
        std::set<std::string> listed_ids;
        for (auto& t : listed) {
            listed_ids.insert(t.id);
            CHECK_MESSAGE(t.disabled == (t.id.find("DISABLED_") != std::string::npos), t.id);
        }
        std::set<std::string> expected_ids;
        for (auto& [id, s] : expected) expected_ids.insert(id);
        CHECK(listed_ids == expected_ids);

        // A small argument limit forces several invocations per binary.
        std::size_t invocations = 0;
        std::set<std::string> disabled;
        for (auto& t : listed)
            if (t.disabled) disabled.insert(t.id);
        auto c = run_through(native::framework::gtest, bin, ids_of(listed), 600, &invocations, disabled);
        if (listed.size() > 30) CHECK(invocations > 1);
        for (auto& [id, s] : expected) {
            CAPTURE(id);
            auto it = c.tests.find(id);
            REQUIRE(it != c.tests.end());
            CHECK(it->second.starts == 1);
            CHECK(it->second.finals == 1);
            CHECK(it->second.final == s);
            if (first_failure.count(id)) {
                // The JSON's "file:line" is the start of a traceback block.
                CHECK(it->second.traceback.find(first_failure[id]) != std::string::npos);
            }
        }
        CHECK(c.tests.size() == expected.size());
        ++checked;
    }
    CHECK(checked >= 6);
}

TEST_CASE("gtest: our binary - parameterised, typed, disabled, skipped, death test and a crash") {
    auto all = bins("NATIVE_GTEST_BINS");
    REQUIRE(!all.empty());
    const auto bin = all.front();
    REQUIRE(base(bin) == "native_gtest_ours");
    auto listed = list(native::framework::gtest, bin);
    std::map<std::string, native::listed_test> by_id;
    for (auto& t : listed) by_id[t.id] = t;
    REQUIRE(by_id.size() == 13);
    CHECK(by_id["Basic.DISABLED_Off"].disabled);
    CHECK(!by_id["Basic.Passes"].disabled);
    CHECK(by_id["Nums/P.Even/1"].note == "GetParam() = 3");
    CHECK(by_id["Ty/1.Size"].note == "TypeParam = char");

    auto c = run_through(native::framework::gtest, bin, ids_of(listed));
    auto& t = c.tests;
    CHECK(t["Basic.Passes"].final == status::success);
    // One pipe: the order is the binary's own, stdout's buffer (flushed by
    // GoogleTest at the result line) after unbuffered stderr.
    CHECK(t["Basic.Passes"].out == "on stderr\nhello from test\n");
    CHECK(t["Basic.Throws"].final == status::fail);
    CHECK(t["Basic.Throws"].traceback.find("unknown file: Failure\nC++ exception with description \"boom\"") !=
          std::string::npos);
    CHECK(t["Basic.Throws"].out.empty());
    CHECK(t["Basic.NoNewline"].final == status::success);
    CHECK(t["Basic.NoNewline"].out == "no newline");
    CHECK(t["Basic.Fails"].final == status::fail);
    CHECK(t["Basic.Fails"].traceback.find("gtest_ours.cpp:11: Failure\nExpected equality") != std::string::npos);
    CHECK(t["Basic.Fails"].traceback.find("second") != std::string::npos);
    CHECK(t["Basic.DISABLED_Off"].final == status::skip);
    CHECK(t["Basic.DISABLED_Off"].reason.find("disabled") != std::string::npos);
    CHECK(t["Basic.Skips"].final == status::skip);
    CHECK(t["Nums/P.Even/0"].final == status::success);
    CHECK(t["Nums/P.Even/1"].final == status::fail);
    CHECK(t["Ty/0.Size"].final == status::success);
    CHECK(t["Ty/1.Size"].final == status::success);
    CHECK(t["Death.Dies"].final == status::success);
    // The crash: the running test fails with what it printed and why.
    CHECK(t["Crash.Segv"].final == status::fail);
    CHECK(t["Crash.Segv"].out == "before crash\n");
    CHECK(t["Crash.Segv"].traceback.find("did not finish") != std::string::npos);
    CHECK(t["Crash.Segv"].traceback.find("SIGABRT") != std::string::npos);
    // The crash stopped the binary; the rest ran in a new process.
    CHECK(t["Crash.After"].final == status::success);
    for (auto& [id, o] : t) {
        CAPTURE(id);
        CHECK(o.starts == 1);
        CHECK(o.finals == 1);
    }
    CHECK(c.stray.empty());

    // Only what was selected runs, in as many processes as asked.
    std::vector<std::string> some = {"Ty/1.Size", "Basic.Passes", "Nums/P.Even/1"};
    std::size_t invocations = 0;
    auto c2 = run_through(native::framework::gtest, bin, some, 30, &invocations);
    CHECK(invocations == 3);
    CHECK(c2.tests.size() == 3);
    CHECK(c2.tests["Nums/P.Even/1"].final == status::fail);
}

TEST_CASE("gtest: decoding does not depend on how the output is split") {
    auto all = bins("NATIVE_GTEST_BINS");
    REQUIRE(!all.empty());
    auto r = run(std::vector<std::string>{all.front()} + native::run_args(native::framework::gtest));
    auto decode = [&](std::size_t max_chunk, unsigned seed) {
        std::vector<std::string> events;
        subunit::timestamp fixed{1000, 0};
        native::output_decoder dec(native::framework::gtest,
            [&](const subunit::event_view& e, std::string_view raw) {
                std::string s = std::string(e.test_id.value_or("-")) + " " + std::string(to_string(e.test_status)) +
                                " " + std::string(e.file_name.value_or("")) + " " + std::string(e.file_bytes) +
                                " | " + std::string(raw);
                events.push_back(s);
            },
            [&] { return fixed; });
        std::mt19937 rng(seed);
        std::string_view rest = r.output;
        while (!rest.empty()) {
            std::size_t n = std::min<std::size_t>(rest.size(), 1 + rng() % max_chunk);
            dec.feed(rest.substr(0, n));
            rest.remove_prefix(n);
        }
        dec.finish("signal");
        return events;
    };
    auto whole = decode(r.output.size(), 1);
    CHECK(whole.size() > 20);
    CHECK(decode(1, 2) == whole);
    CHECK(decode(7, 3) == whole);
}

TEST_CASE("gtest: a result line's own duration is the test's, whatever the reader's delays") {
    std::vector<subunit::event> events;
    std::int64_t clock_s = 100;  // arrival times: the reader saw each line 5 s apart
    native::output_decoder dec(
        native::framework::gtest,
        [&](const subunit::event_view& e, std::string_view) { events.push_back(subunit::to_event(e)); },
        [&] { return subunit::timestamp{clock_s += 5, 0}; });
    dec.feed("[ RUN      ] A.Timed\n[       OK ] A.Timed (250 ms)\n");
    dec.feed("[ RUN      ] A.Untimed\n[       OK ] A.Untimed\n");
    dec.finish();
    REQUIRE(events.size() == 4);
    CHECK(subunit::elapsed(*events[0].time, *events[1].time) == std::chrono::milliseconds(250));
    // --gtest_print_time=0: no duration in the line, the arrival time stands.
    CHECK(subunit::elapsed(*events[2].time, *events[3].time) == std::chrono::seconds(5));
}

TEST_CASE("gtest: selection escaping and splitting") {
    using native::framework;
    std::vector<std::string> ids = {"A.b", "Pre/S.t/0", "odd:one-*?"};
    auto one = native::select(framework::gtest, ids).value();
    REQUIRE(one.size() == 1);
    CHECK(one[0].args == std::vector<std::string>{"--gtest_filter=A.b:Pre/S.t/0:odd?one???"});
    auto split = native::select(framework::gtest, ids, 25).value();
    REQUIRE(split.size() == 3);
    for (auto& inv : split) CHECK(inv.args.at(0).size() <= 25);
    CHECK(!native::select(framework::gtest, std::vector<std::string>{"x\ny"}).has_value());
    CHECK(!native::select(framework::gtest, std::vector<std::string>{std::string(100, 'a')}, 50).has_value());
    CHECK(native::select(framework::gtest, std::vector<std::string>{}).value().empty());
    CHECK(native::select(framework::doctest, std::vector<std::string>{"a,b", "c\\d"}).value()[0].args ==
          std::vector<std::string>{"--test-case=a\\,b,c\\\\d"});
}

TEST_CASE("doctest and Catch2: a long selection is split, or goes through Catch2's file") {
    using native::framework;
    std::vector<std::string> ids;
    for (int i = 0; i < 3000; ++i) ids.push_back("case, with\\ escapes " + std::to_string(i));
    // doctest: several --test-case= arguments, each within the limit, that
    // together give every name back once (no escape cut in two).
    auto split = native::select(framework::doctest, ids, 1000).value();
    CHECK(split.size() > 50);
    std::vector<std::string> back;
    for (auto& inv : split) {
        REQUIRE(inv.args.size() == 1);
        CHECK(inv.args[0].size() <= 1000);
        REQUIRE(inv.args[0].starts_with("--test-case="));
        std::string name;
        const std::string& a = inv.args[0];
        for (std::size_t i = std::string_view("--test-case=").size(); i < a.size(); ++i) {
            if (a[i] == '\\' && i + 1 < a.size()) name += a[++i];
            else if (a[i] == ',') back.push_back(std::exchange(name, {}));
            else name += a[i];
        }
        back.push_back(name);
    }
    CHECK(back == ids);
    // Catch2: one process whatever the number, the names in its --input-file.
    auto one = native::select(framework::catch2, ids, 1000).value();
    REQUIRE(one.size() == 1);
    CHECK(one[0].args.empty());
    CHECK(std::count(one[0].file_contents.begin(), one[0].file_contents.end(), '\n') == 3000);

    // The real doctest binary with a 40-byte limit: a process per test or
    // two, each test run once with the outcome of the whole selection.
    auto all = bins("NATIVE_DOCTEST_BINS");
    REQUIRE(all.size() == 1);
    auto listed = ids_of(list(framework::doctest, all[0]));
    std::size_t invocations = 0;
    auto c = run_through(framework::doctest, all[0], listed, 40, &invocations);
    CHECK(invocations >= 4);
    CHECK(c.tests.size() == listed.size());
    for (auto& [id, o] : c.tests) {
        CAPTURE(id);
        CHECK(o.finals == 1);
    }
    CHECK(c.tests["passes, with a comma"].final == status::success);
    CHECK(c.tests["fails"].final == status::fail);
    CHECK(c.tests["after"].final == status::success);
}

TEST_CASE("gtest: a listing that is not one is an error naming its line") {
    auto bad = native::parse_listing(native::framework::gtest, "Suite.\n  Test\nnot a suite line\n");
    REQUIRE(!bad.has_value());
    CHECK(bad.error().message.find("line 3") != std::string::npos);
    CHECK(!native::parse_listing(native::framework::doctest, "Suite.\n  Test\n").has_value());
}

TEST_CASE("doctest: list, select exactly, run - failures with file and line, output, skip, crash") {
    auto all = bins("NATIVE_DOCTEST_BINS");
    REQUIRE(all.size() == 1);
    auto listed = list(native::framework::doctest, all[0]);
    auto ids = ids_of(listed);
    CHECK(ids == std::vector<std::string>{"passes, with a comma", "fails", "in suite *star*", "throws",
                                          "back\\slash <&>", "crash", "after"});
    auto c = run_through(native::framework::doctest, all[0], ids);
    auto& t = c.tests;
    CHECK(t["passes, with a comma"].final == status::success);
    CHECK(t["passes, with a comma"].out == "printed by printf\nby cout\n");
    CHECK(t["fails"].final == status::fail);
    CHECK(ends_with(t["fails"].traceback, "/doctest_ours.cpp:11: CHECK( a == 2 ) is NOT correct!\n  values: CHECK( 1 == 2 )\n"));
    CHECK(t["in suite *star*"].final == status::fail);
    CHECK(t["throws"].final == status::fail);
    CHECK(t["throws"].traceback.find("exception: boom") != std::string::npos);
    CHECK(t["back\\slash <&>"].final == status::success);
    CHECK(t["crash"].final == status::fail);
    CHECK(t["crash"].out == "before crash\n");
    CHECK(t["crash"].traceback.find("SIGSEGV") != std::string::npos);
    CHECK(t["after"].final == status::success);
    CHECK(t.size() == 7);
    // Selecting one name runs that one only (not "in suite *star*" by its wildcard).
    auto one = run_through(native::framework::doctest, all[0], {"passes, with a comma", "back\\slash <&>"});
    CHECK(one.tests.size() == 2);
    CHECK(one.order == std::vector<std::string>{"passes, with a comma", "back\\slash <&>"});
}

TEST_CASE("catch2: list, select through its input file, run") {
    auto all = bins("NATIVE_CATCH2_BINS");
    if (all.empty()) {
        MESSAGE("Catch2 (Debian's catch2) not installed: skipped");
        return;
    }
    auto listed = list(native::framework::catch2, all[0]);
    auto ids = ids_of(listed);
    const std::string odd = "odd? \"quoted\" *star* back\\slash ~";
    CHECK(ids == std::vector<std::string>{"passes, with comma [x]", "fails", "sections", "throws", odd, "crash", "after"});
    auto c = run_through(native::framework::catch2, all[0], ids);
    auto& t = c.tests;
    CHECK(t["passes, with comma [x]"].final == status::success);
    CHECK(t["passes, with comma [x]"].out == "printed\nby cout\n");
    CHECK(t["fails"].final == status::fail);
    CHECK(ends_with(t["fails"].traceback, "/catch2_ours.cpp:11: CHECK( a == 2 ) is NOT correct!\n  values: CHECK( 1 == 2 )\n"));
    CHECK(t["sections"].final == status::fail);
    CHECK(t["throws"].final == status::fail);
    CHECK(t[odd].final == status::success);
    CHECK(t["crash"].final == status::fail);
    CHECK(t["crash"].traceback.find("SIGSEGV") != std::string::npos);
    CHECK(t["after"].final == status::success);
    CHECK(t.size() == 7);
    auto two = run_through(native::framework::catch2, all[0], {odd, "passes, with comma [x]"});
    CHECK(two.tests.size() == 2);
    CHECK(two.tests.count(odd) == 1);
}

TEST_CASE("doctest: the project's own doctest programs, as their direct run counts them") {
    const char* root = std::getenv("TESTR_BUILD_ROOT");
    REQUIRE(root);
    std::size_t checked = 0;
    for (const char* name : {"test_estimates", "test_dynamic_schedule", "test_command_template"}) {
        const std::string bin = std::string(root) + "/tests/" + name;
        CAPTURE(bin);
        REQUIRE(::access(bin.c_str(), X_OK) == 0);
        // The direct run's closing line: "[doctest] test cases: N | P passed | F failed | S skipped".
        auto direct = run({bin});
        auto at = direct.output.find("[doctest] test cases:");
        REQUIRE(at != std::string::npos);
        unsigned total = 0, passed = 0, failed = 0;
        REQUIRE(std::sscanf(direct.output.c_str() + at, "[doctest] test cases: %u | %u passed | %u failed", &total,
                            &passed, &failed) == 3);
        auto listed = list(native::framework::doctest, bin);
        CHECK(listed.size() == total);
        auto c = run_through(native::framework::doctest, bin, ids_of(listed));
        unsigned ok = 0, bad = 0;
        for (auto& [id, o] : c.tests) {
            CHECK(o.finals == 1);
            (o.final == status::success ? ok : bad) += 1;
        }
        CHECK(ok == passed);
        CHECK(bad == failed);
        CHECK(c.stray.empty());
        ++checked;
    }
    CHECK(checked == 3);
}
