// test_run_summary.cpp - per-test records and testr's counts, checked
// against the real testrepository (`testr load`) on the same streams.
#include "run_summary.hpp"

#include "repo_support.hpp"

#include <doctest/doctest.h>

#include <random>
#include <set>

using namespace testr;
using repo_test::real_testr;
using repo_test::stream_builder;
using subunit::status;

namespace {

run_summary summary_of(const std::string& bytes, std::vector<std::string> filter = {}) {
    auto s = summarize(bytes);
    REQUIRE(s.has_value());
    s->set_filter_tags(std::move(filter));
    return std::move(s).value();
}

test_record record(const run_summary& s, std::string_view id) {
    const auto r = s.find(id);
    REQUIRE_MESSAGE(r.has_value(), "no record for " << id);
    return r->record();
}

std::vector<std::string> failing_ids(const run_summary& s) {
    std::vector<std::string> ids;
    for (const auto& r : s.tests())
        if (is_failure(r.status)) ids.emplace_back(r.id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

/// Loads `bytes` into a fresh testrepository and checks that our counts,
/// verdict, wall time and failing set are what testr reports.
void check_against_testr(const std::string& bytes, const std::string& filter_tag, bool all_timed) {
    real_testr testr(filter_tag);
    const auto out = testr.load(bytes);
    const auto theirs = repo_test::parse_summary(out.out);
    const auto ours = summary_of(bytes, filter_tag.empty() ? std::vector<std::string>{} : std::vector{filter_tag});
    INFO("testr said:\n" << out.out);
    CHECK(ours.total() == theirs.ran);
    CHECK(ours.failures() == theirs.failures);
    CHECK(ours.skips() == theirs.skips);
    CHECK(ours.passed() == theirs.passed);
    CHECK(out.exit_code == (ours.passed() ? 0 : 1));
    if (all_timed) {
        // testr stamps events that carry no time with the current time, so
        // only fully timestamped streams have a comparable wall time.
        REQUIRE(theirs.seconds.has_value());
        REQUIRE(ours.wall_seconds().has_value());
        CHECK(std::abs(*ours.wall_seconds() - *theirs.seconds) < 0.0006);
    }
    CHECK(failing_ids(ours) == testr.failing());
}

/// A stream of `count` tests, each with a life drawn from every shape the
/// counting rules distinguish.
std::string random_stream(std::uint32_t seed, int count, bool all_timed) {
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    const std::vector<std::string> tag_pool = {"worker-0", "worker-1", "filtered", "slow"};
    stream_builder b;
    double t = 0;
    auto time = [&]() -> std::optional<double> {
        t += 0.125 * (1 + pick(8));
        if (!all_timed && pick(5) == 0) return std::nullopt;
        return t;
    };
    const status outcomes[] = {status::success, status::fail, status::uxsuccess, status::xfail, status::skip};
    for (int i = 0; i < count; ++i) {
        const std::string id = "pkg.mod.Test.test_" + std::to_string(i);
        std::vector<std::string> tags;
        for (const auto& tag : tag_pool)
            if (pick(3) == 0) tags.push_back(tag);
        const status outcome = outcomes[pick(5)];
        switch (pick(9)) {
            case 0: b.ev(id, status::exists, time()); break;                                // listed only
            case 1: b.ev(id, status::inprogress, time(), tags); break;                      // hung
            case 2: b.file(id, "log", "only a file", "text/plain", time()); break;         // never reported
            case 3: b.ev(id, outcome, time(), tags); break;                                 // outcome alone
            case 4: b.ev(id, status::exists, time()).ev(id, status::inprogress, time(), tags).ev(id, outcome, time(), tags); break;
            case 5: b.ev(id, status::success, time(), tags).ev(id, outcome, time(), tags); break;  // reported twice
            case 6:  // a file after the outcome starts a life that never ends
                b.ev(id, status::inprogress, time(), tags).ev(id, outcome, time(), tags);
                b.file(id, "late", "x", "text/plain", time());
                break;
            default:
                b.ev(id, status::inprogress, time(), tags);
                b.file(id, "traceback", "line 1\n", "text/x-traceback", time());
                b.ev(id, outcome, time(), tags);
        }
        if (pick(6) == 0) b.file(std::nullopt, "stdout", "noise " + std::to_string(i) + "\n", "text/plain", time());
    }
    return b.bytes;
}

}  // namespace

TEST_SUITE("run_summary records") {
    TEST_CASE("a test's life: status, times, tags in first-seen order, worker, merged attachments") {
        stream_builder b;
        b.ev("a", status::inprogress, 1.0, {"worker-3", "slow"});
        b.file("a", "traceback", "part 1\n", "text/x-traceback");
        b.file("a", "stderr", "err", "text/plain");
        b.file("a", "traceback", "", "ignored/empty");
        b.file("a", "traceback", "part 2\n", "other/mime");
        b.ev("a", status::fail, 3.5, {"slow", "extra", "worker-3"});
        const auto s = summary_of(b.bytes);
        REQUIRE(s.tests().size() == 1);
        const test_record a = record(s, "a");
        CHECK(a.status == status::fail);
        REQUIRE(a.started.has_value());
        CHECK(*a.started == stream_builder::at(1.0));
        CHECK(*a.stopped == stream_builder::at(3.5));
        CHECK(a.seconds() == doctest::Approx(2.5));
        CHECK(a.tags == std::vector<std::string>{"worker-3", "slow", "extra"});
        CHECK(a.worker == 3);
        REQUIRE(a.attachments.size() == 2);
        CHECK(a.attachments[0].name == "traceback");
        CHECK(a.attachments[0].mime_type == "text/x-traceback");
        CHECK(a.attachments[0].bytes == "part 1\npart 2\n");
        CHECK(a.attachments[1].bytes == "err");
        CHECK(s.total() == 1);
        CHECK(s.failures() == 1);
        CHECK_FALSE(s.passed());
    }

    TEST_CASE("listed, hung, file-only, reported twice, file after the outcome") {
        stream_builder b;
        b.ev("listed", status::exists);
        b.ev("listed.then.run", status::exists).run("listed.then.run", status::success, 1, 1);
        b.ev("hung", status::inprogress, 2.0);
        b.file("files.only", "log", "x");
        b.ev("twice", status::success, 3.0).ev("twice", status::fail, 4.0);
        b.run("late.file", status::success, 5, 0.5).file("late.file", "log", "after the end");
        b.run("passed.then.listed", status::success, 6, 1).ev("passed.then.listed", status::exists);
        b.ev("no.times", status::inprogress).ev("no.times", status::skip);
        const auto s = summary_of(b.bytes);
        CHECK(s.tests().size() == 8);
        CHECK(s.tests()[0].id == "listed");  // first-appearance order
        CHECK(record(s, "listed").status == status::exists);
        CHECK(record(s, "listed.then.run").status == status::success);
        CHECK(record(s, "hung").status == status::inprogress);
        CHECK_FALSE(record(s, "hung").seconds().has_value());
        CHECK(record(s, "files.only").status == status::none);
        CHECK(record(s, "twice").status == status::fail);
        CHECK(record(s, "late.file").status == status::none);  // testr: "did not complete"
        CHECK(record(s, "passed.then.listed").status == status::success);
        CHECK(record(s, "passed.then.listed").seconds() == doctest::Approx(1.0));
        CHECK(record(s, "no.times").status == status::skip);
        CHECK_FALSE(record(s, "no.times").seconds().has_value());
        // Runs: listed.then.run, twice x2, late.file's success, passed.then.listed,
        // no.times, plus hung, files.only and late.file's second life.
        CHECK(s.total() == 9);
        CHECK(s.failures() == 4);  // twice's fail + three that did not complete
        CHECK(s.skips() == 1);
        CHECK(is_failure(status::fail));
        CHECK(is_failure(status::inprogress));
        CHECK(is_failure(status::none));
        CHECK_FALSE(is_failure(status::uxsuccess));
        CHECK_FALSE(is_failure(status::exists));
    }

    TEST_CASE("times span testless events; stray files merge by name") {
        stream_builder b;
        b.file(std::nullopt, "stdout", "one ", "text/plain", 10.0);
        b.run("t", status::success, 2.0, 1.0);
        b.file(std::nullopt, "stderr", "e", "text/plain");
        b.file(std::nullopt, "stdout", "two", "text/plain", 1.5);
        const auto s = summary_of(b.bytes);
        CHECK(*s.first_time() == stream_builder::at(1.5));
        CHECK(s.wall_seconds() == doctest::Approx(8.5));
        REQUIRE(s.stray().size() == 2);
        CHECK(s.stray()[0].bytes == "one two");
        CHECK(s.stray()[1].name == "stderr");
        CHECK_FALSE(summary_of("").wall_seconds().has_value());
    }

    TEST_CASE("garbage becomes stdout and a subunit.parser failure, never an error") {
        stream_builder good;
        good.run("ok", status::success, 1, 1);
        std::string bytes = "runner noise\n" + good.bytes;
        stream_builder bad;
        bad.ev("corrupt", status::success, 3.0);
        bad.bytes.back() ^= 0x5A;  // bad CRC
        bytes += bad.bytes;
        const auto s = summary_of(bytes);
        CHECK(record(s, "ok").status == status::success);
        CHECK_FALSE(s.find("corrupt"));
        CHECK(record(s, "subunit.parser").status == status::fail);
        REQUIRE(s.stray().size() == 1);
        CHECK(s.stray()[0].name == "stdout");
        CHECK(s.stray()[0].bytes == "runner noise\n");
        CHECK(s.failures() == 1);
    }

    TEST_CASE("filter tags: set before or after the events; failures and skips still count") {
        stream_builder b;
        b.run("a", status::success, 1, 1, {"filtered"});
        b.run("b", status::skip, 1, 1, {"filtered"});
        b.run("c", status::fail, 1, 1, {"filtered"});
        b.run("d", status::success, 1, 1, {"kept"});
        // Only the final event's tags decide, as in testr's CLITestResult.
        b.ev("e", status::inprogress, 1.0, {"filtered"}).ev("e", status::success, 2.0);
        auto s = summary_of(b.bytes);
        CHECK(s.total() == 5);
        s.set_filter_tags({"filtered"});
        CHECK(s.total() == 3);
        CHECK(s.failures() == 1);
        CHECK(s.skips() == 1);

        run_summary early;
        early.set_filter_tags({"filtered"});
        subunit::decoder dec([&](const subunit::event_view& e, std::string_view) { early.add(e); });
        dec.feed(b.bytes);
        dec.finish();
        CHECK(early.total() == 3);
    }

    TEST_CASE("add returns the event's record; copies and moves find their own records") {
        stream_builder b;
        // Short ids live inside their records, so records moving on growth
        // move them too.
        for (int i = 0; i < 3000; ++i) b.run(std::string("t").append(std::to_string(i)), status::success, i, 0.5);
        b.file(std::nullopt, "stdout", "noise");
        run_summary s;
        std::size_t mismatched = 0, without_record = 0;
        subunit::decoder dec([&](const subunit::event_view& e, std::string_view) {
            const std::uint32_t n = s.add(e);
            if (n == run_summary::npos) ++without_record;
            else if (!s.find(*e.test_id) || s.find(*e.test_id)->number != n || s.tests()[n].id != *e.test_id) ++mismatched;
        });
        dec.feed(b.bytes);
        dec.finish();
        CHECK(mismatched == 0);
        CHECK(without_record == 1);
        const run_summary copy = s;
        const run_summary moved = std::move(s);
        s = run_summary();
        for (const run_summary* each : {&copy, &moved}) {
            REQUIRE(each->tests().size() == 3000);
            std::size_t found = 0;
            for (int i = 0; i < 3000; ++i) {
                const std::string id = std::string("t").append(std::to_string(i));
                const auto r = each->find(id);
                found += r && r->number == static_cast<std::uint32_t>(i) && r->id == id && r->owner == each;
            }
            CHECK(found == 3000);
            CHECK_FALSE(each->find("t3000"));
            CHECK(each->total() == 3000);
        }
        CHECK_FALSE(s.find("t0"));
    }

    TEST_CASE("a digest's durations are every test's seconds() as summarize gives them, in the same order") {
        // The same ids twice: each shape of life followed by another, and
        // a truncated packet at the end.
        const std::string bytes = random_stream(4, 400, false) + random_stream(5, 400, false) + "\xb3\x29";
        std::vector<std::pair<std::string, double>> expected, got;
        const run_summary summary = summary_of(bytes);
        for (const auto& r : summary.tests())
            if (auto seconds = r.seconds()) expected.emplace_back(r.id, *seconds);
        const run_digest d = digest_of(bytes);
        for (const auto& t : d.durations) {
            REQUIRE((t.id_at & run_digest::extra_bit) == 0);
            got.emplace_back(bytes.substr(t.id_at, t.id_size), t.seconds);
        }
        CHECK(expected.size() > 150);  // 183: the check has something to compare
        CHECK(got == expected);
        CHECK(digest_of("").durations.empty());
    }

    TEST_CASE("keep_attachments(false) keeps everything but file bytes") {
        stream_builder b;
        b.ev("a", status::inprogress, 1.0).file("a", "big", std::string(100000, 'x')).ev("a", status::fail, 2.0);
        b.file(std::nullopt, "stdout", "noise");
        run_summary s;
        s.keep_attachments(false);
        subunit::decoder dec([&](const subunit::event_view& e, std::string_view) { s.add(e); });
        dec.feed(b.bytes);
        dec.finish();
        CHECK(record(s, "a").attachments.empty());
        CHECK(s.stray().empty());
        CHECK(record(s, "a").seconds() == doctest::Approx(1.0));
        CHECK(s.failures() == 1);
    }

    TEST_CASE("clear() forgets every record, tag and attachment: a reused summary is a fresh one") {
        // The console reuses one summary per life; what a cleared summary
        // kept would show in the next test's failure block.
        stream_builder first, second;
        first.ev("a", status::inprogress, 1.0, {"worker-1", "slow"}).file("a", "traceback", "boom a");
        first.ev("a", status::fail, 2.0, {"worker-1", "slow"}).file(std::nullopt, "stdout", "noise");
        second.ev("b", status::inprogress, 5.0).ev("b", status::success, 7.0, {"worker-2"});
        run_summary s;
        s.set_filter_tags({"worker-2"});
        auto feed = [&](const std::string& bytes) {
            subunit::decoder dec([&](const subunit::event_view& e, std::string_view) { s.add(e); });
            dec.feed(bytes);
            dec.finish();
        };
        feed(first.bytes);
        REQUIRE(record(s, "a").attachments.size() == 1);
        s.clear();
        feed(second.bytes);
        CHECK_FALSE(s.find("a"));
        REQUIRE(s.tests().size() == 1);
        const test_record b = record(s, "b");
        CHECK(b.attachments.empty());
        CHECK(b.tags == std::vector<std::string>{"worker-2"});
        CHECK(b.worker == 2);
        CHECK(b.seconds() == doctest::Approx(2.0));
        CHECK(s.stray().empty());
        CHECK(s.first_time() == stream_builder::at(5.0));
        CHECK(s.failures() == 0);
        CHECK(s.total() == 0);  // the filter tags outlive clear()
        const run_summary fresh = summary_of(second.bytes, {"worker-2"});
        CHECK(s.wall_seconds() == fresh.wall_seconds());
    }
}

TEST_SUITE("run_summary against testr") {
    TEST_CASE("every shape of test life, without filter tags") {
        stream_builder b;
        const status outcomes[] = {status::success, status::fail, status::uxsuccess, status::xfail, status::skip};
        double t = 0;
        for (status s : outcomes) b.run("plain." + std::string(subunit::to_string(s)), s, t += 1, 0.25);
        b.ev("listed", status::exists);
        b.ev("listed.then.run", status::exists).run("listed.then.run", status::xfail, t += 1, 1);
        b.ev("hung", status::inprogress, t += 1);
        b.ev("no.times", status::inprogress).ev("no.times", status::success);
        b.file("files.only", "log", "x");
        b.ev("twice", status::fail, t + 1).ev("twice", status::success, t + 2);
        t += 2;
        b.run("late.file", status::success, t += 1, 1).file("late.file", "log", "after");
        b.file(std::nullopt, "stdout", "noise", "text/plain", t += 1);
        check_against_testr(b.bytes, "", false);
    }

    TEST_CASE("fully timestamped: wall time, uxsuccess alone passes") {
        stream_builder b;
        b.run("a", status::uxsuccess, 1.0, 2.125);
        b.run("b", status::skip, 0.5, 0.25);
        b.file(std::nullopt, "stdout", "late noise", "text/plain", 7.75);
        check_against_testr(b.bytes, "", true);
        CHECK(summary_of(b.bytes).passed());
    }

    TEST_CASE("random streams, with and without a filter tag") {
        check_against_testr(random_stream(1, 40, false), "filtered", false);
        check_against_testr(random_stream(2, 40, true), "filtered", true);
        check_against_testr(random_stream(3, 40, false), "", false);
    }
}

TEST_SUITE("run digests") {
    TEST_CASE("a digest counts as run_summary does, with any filter tag, and lists the same failing tests and durations") {
        for (std::uint32_t seed = 10; seed < 16; ++seed) {
            CAPTURE(seed);
            const std::string bytes = random_stream(seed, 300, seed % 2 == 0) + (seed == 13 ? "\xb3\x29" : "");
            const run_digest d = digest_of(bytes);
            CHECK(d.run_length == bytes.size());
            CHECK(d.run_checksum == content_checksum(bytes));
            for (const std::string filter : {"", "filtered", "worker-0", "slow"}) {
                const auto s = summary_of(bytes, filter.empty() ? std::vector<std::string>{} : std::vector{filter});
                CHECK(d.total(filter.empty() ? std::vector<std::string>{} : std::vector{filter}) == s.total());
                CHECK(d.failures() == s.failures());
                CHECK(d.skips() == s.skips());
                CHECK(d.wall_seconds() == s.wall_seconds());
            }
            const auto s = summary_of(bytes);
            std::vector<std::string> failing;
            std::vector<std::pair<std::string, double>> expected, got;
            for (const auto& r : s.tests()) {
                if (is_failure(r.status)) failing.emplace_back(r.id);
                if (auto t = r.seconds()) expected.emplace_back(r.id, *t);
            }
            CHECK(d.failing_ids == failing);
            for (const auto& t : d.durations) {
                const std::string_view ids = (t.id_at & run_digest::extra_bit) ? std::string_view(d.extra_ids) : std::string_view(bytes);
                got.emplace_back(std::string(ids.substr(t.id_at & ~run_digest::extra_bit, t.id_size)), t.seconds);
            }
            CHECK(got == expected);
            // The failing tests' events alone give those tests the same records.
            std::string events;
            for (const auto& span : d.failing_events) events.append(bytes, span.offset, span.size);
            const auto cut = summary_of(events);
            for (const auto& id : failing) {
                CAPTURE(id);
                REQUIRE(cut.find(id));
                CHECK(cut.find(id)->status == s.find(id)->status);
                CHECK(cut.find(id)->tags() == s.find(id)->tags());
            }
            CHECK(parse_digest(serialize(d)).value() == d);
        }
    }

    TEST_CASE("a serialised digest: its head alone is enough for reports; any cut or flipped byte is refused") {
        stream_builder b;
        for (int i = 0; i < 30; ++i) b.run(std::string("t").append(std::to_string(i)), i % 7 ? status::success : status::fail, i, 0.01 * i, {"worker-1"});
        run_digest d = digest_of(b.bytes);
        d.failing_file = {{12, 34}};
        d.shortfall = {5, 2, 1};  // kept through the round trip: only_head == d below
        d.retried = attempt_counts{25, 3, 1};
        CHECK(d.total({}) == 25);
        CHECK(d.failures() == 3);
        CHECK(d.skips() == 1);
        const std::string bytes = serialize(d);
        REQUIRE(d.slowest.size() == run_digest::slowest_kept);
        CHECK(d.slowest.front().seconds == doctest::Approx(0.29));
        const auto head = digest_head_size(bytes);
        REQUIRE(head.has_value());
        CHECK(*head < bytes.size() - 30 * 20);  // the durations are past it
        run_digest only_head = parse_digest(bytes.substr(0, *head), false).value();
        CHECK(only_head.durations.empty());
        only_head.durations = d.durations;
        CHECK(only_head == d);
        std::size_t refused = 0;
        for (std::size_t cut = 0; cut < bytes.size(); ++cut) refused += !parse_digest(bytes.substr(0, cut)).has_value();
        CHECK(refused == bytes.size());
        std::size_t flipped = 0;
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            std::string bad = bytes;
            bad[i] ^= 0x01;
            flipped += !parse_digest(bad).has_value();
        }
        CHECK(flipped == bytes.size());
        std::string other = bytes;
        other[23] = 1;  // the version
        CHECK(parse_digest(other).error() == "version 1, this build reads " + std::to_string(run_digest::version));
    }

    TEST_CASE("one test with 160,000 distinct tags or attachment names: every one kept once") {
        // A linear search per name made this 50-140 s (tried): this test's
        // timeout would end it. How long it takes is bench/core_scale's.
        for (bool tags : {true, false}) {
            CAPTURE(tags);
            const int names = 160000;
            stream_builder b;
            b.ev("t", status::inprogress, 1.0);
            for (int i = 0; i < names; ++i) {
                if (tags) b.ev("t", status::none, std::nullopt, {"tag-" + std::to_string(i)});
                else b.file("t", "file-" + std::to_string(i), "x");
            }
            b.ev("t", status::fail, 2.0);
            const run_summary s = summary_of(b.bytes);
            const test_record r = record(s, "t");
            CHECK((tags ? r.tags.size() : r.attachments.size()) == static_cast<std::size_t>(names));
            CHECK((tags ? r.tags.back() : r.attachments.back().name) == (tags ? "tag-" : "file-") + std::to_string(names - 1));
            CHECK(digest_of(b.bytes).failures() == 1);
        }
    }

    TEST_CASE("content_hasher: the same checksum as content_checksum however the bytes are split") {
        std::mt19937 rng(7);
        std::string bytes(1000, '\0');
        for (char& c : bytes) c = static_cast<char>(rng());
        for (std::size_t size : {0, 1, 31, 32, 33, 64, 100, 1000}) {
            const std::string_view whole = std::string_view(bytes).substr(0, size);
            for (std::size_t piece : {1, 3, 8, 31, 32, 33, 500}) {
                CAPTURE(size);
                CAPTURE(piece);
                content_hasher h;
                for (std::size_t at = 0; at < whole.size(); at += piece) h.update(whole.substr(at, piece));
                CHECK(h.size() == size);
                CHECK(h.finish() == content_checksum(whole));
            }
        }
        CHECK(content_checksum("a") != content_checksum("b"));
        CHECK(content_checksum(std::string(64, 'x')) != content_checksum(std::string(65, 'x')));
    }
}
