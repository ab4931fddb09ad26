// test_timesdb.cpp - the duration store and its file helpers, against real
// files, real crashes (SIGKILL mid-write), real concurrent processes, a
// real full file system and a real permission check.
#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <future>
#include <map>
#include <random>
#include <sched.h>
#include <set>
#include <sys/mount.h>
#include <sys/stat.h>

#include "atomic_file.hpp"
#include "file_bytes.hpp"
#include "file_lock.hpp"
#include "timesdb.hpp"
#include "support/child.hpp"
#include "support/files.hpp"
#include "skipped.hpp"
#include "support/temp_dir.hpp"

using namespace testr;
using test_support::read_file;
using test_support::run_in_child;
using test_support::temp_dir;
using test_support::write_file;

namespace {

std::string db_path(const temp_dir& dir) { return dir / std::string(timesdb::file_name); }

/// Records `ids` with distinct durations and returns those samples.
std::vector<timesdb::sample> samples_for(const std::vector<std::string>& ids, double base = 0.5) {
    std::vector<timesdb::sample> run;
    for (std::size_t i = 0; i < ids.size(); ++i) run.push_back({ids[i], base + 0.001 * static_cast<double>(i), i % 3 != 0});
    return run;
}

void record_ok(const std::string& path, const std::vector<timesdb::sample>& run) {
    auto r = timesdb::record(path, run);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
}

timesdb::database open_ok(const std::string& path) {
    auto db = timesdb::open(path);
    REQUIRE_MESSAGE(db.has_value(), (db ? "" : db.error().message()));
    return std::move(db).value();
}

/// A random string of valid UTF-8 code points, biased towards the
/// characters an escaping scheme gets wrong.
std::string random_utf8(std::mt19937& rng) {
    static const char32_t tricky[] = {U'\t', U'\n', U'\r', U'\\', U'%', U' ', U'#', 0, 0x7f, U'x', U'0', U'\x1b'};
    std::string s;
    const int length = std::uniform_int_distribution<int>(0, 24)(rng);
    for (int i = 0; i < length; ++i) {
        char32_t cp;
        switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
            case 0: cp = tricky[std::uniform_int_distribution<std::size_t>(0, std::size(tricky) - 1)(rng)]; break;
            case 1: cp = std::uniform_int_distribution<char32_t>(0, 0x7f)(rng); break;
            case 2: cp = std::uniform_int_distribution<char32_t>(0x80, 0x7ff)(rng); break;
            case 3: cp = std::uniform_int_distribution<char32_t>(0x800, 0xfffd)(rng); break;
            default: cp = std::uniform_int_distribution<char32_t>(0x10000, 0x10ffff)(rng); break;
        }
        if (cp >= 0xd800 && cp <= 0xdfff) cp = U'?';  // surrogates are not UTF-8
        if (cp < 0x80) {
            s += static_cast<char>(cp);
        } else if (cp < 0x800) {
            s += static_cast<char>(0xc0 | (cp >> 6));
            s += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            s += static_cast<char>(0xe0 | (cp >> 12));
            s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            s += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            s += static_cast<char>(0xf0 | (cp >> 18));
            s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            s += static_cast<char>(0x80 | (cp & 0x3f));
        }
    }
    return s;
}

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

/// The ids of a v2 file's sorted section, in file order (lines 4...).
std::vector<std::string> sorted_ids(const std::string& bytes) {
    std::vector<std::string> ids;
    std::size_t pos = 0;
    for (int skip = 0; skip < 3; ++skip) pos = bytes.find('\n', pos) + 1;
    while (pos < bytes.size() && bytes[pos] != '#') {
        const std::size_t end = bytes.find('\n', pos);
        const std::string line = bytes.substr(pos, end - pos);
        ids.push_back(timesdb::unescape_id(line.substr(line.rfind('\t') + 1)).value());
        pos = end + 1;
    }
    return ids;
}

/// A v1 file holding `ids`: what an older testr-mini wrote. record() must
/// rewrite it whole, so tests of the rewrite path start from one.
std::string v1_file(const std::vector<std::string>& ids, double seconds = 0.5) {
    std::string out = "# testr-mini times v1\n# estimate_s\tlast_s\truns\tlast_status\ttest_id\n";
    for (const auto& id : ids) {
        std::string escaped;
        timesdb::escape_id(id, escaped);
        out += std::to_string(seconds) + "\t" + std::to_string(seconds) + "\t1\tpass\t" + escaped + "\n";
    }
    return out;
}

/// Sets the atomic-write fault hook for one scope.
struct fault_hook_guard {
    explicit fault_hook_guard(detail::write_fault_hook hook) { detail::atomic_write_fault_hook = hook; }
    ~fault_hook_guard() { detail::atomic_write_fault_hook = nullptr; }
};

}  // namespace

TEST_SUITE("timesdb escaping") {
    TEST_CASE("escape_id round-trips arbitrary bytes and leaves no separator") {
        std::mt19937 rng(20240604);
        const unsigned char tricky[] = {'\\', '\t', '\n', '\r', '%', ' ', 0, 0x7f, 0x80, 0xff, 'x', '\\'};
        for (int round = 0; round < 5000; ++round) {
            std::string id;
            const int length = std::uniform_int_distribution<int>(0, 40)(rng);
            for (int i = 0; i < length; ++i) {
                id += static_cast<char>(rng() % 2 ? tricky[rng() % sizeof tricky] : rng() % 256);
            }
            std::string escaped;
            timesdb::escape_id(id, escaped);
            for (unsigned char c : escaped) REQUIRE((c >= 0x20 && c != 0x7f));
            const auto back = timesdb::unescape_id(escaped);
            REQUIRE(back.has_value());
            REQUIRE(*back == id);
        }
    }

    TEST_CASE("escape_id writes the documented forms") {
        std::string out;
        timesdb::escape_id("a b\tc\nd\re\\f%g\x01h\x7fi\xc3\xa9", out);
        CHECK(out == "a b\\tc\\nd\\re\\\\f%g\\x01h\\x7fi\xc3\xa9");
    }

    TEST_CASE("escape_id finds a special byte at every position of a long id") {
        // The scan tests 8 bytes at a time; each lane and the tail must see it.
        for (const unsigned char special : {0x00, 0x01, 0x09, 0x0a, 0x1f, 0x7f, 0x5c}) {
            for (std::size_t at = 0; at < 27; ++at) {
                std::string id(27, 'a');
                id[at] = static_cast<char>(special);
                std::string escaped;
                timesdb::escape_id(id, escaped);
                CAPTURE(at);
                CAPTURE(int(special));
                CHECK(escaped.size() == id.size() + (special == 0x5c || special == 0x09 || special == 0x0a ? 1 : 3));
                CHECK(timesdb::unescape_id(escaped) == id);
            }
        }
        // Bytes next to the special ranges are kept as they are.
        std::string kept;
        for (int i = 0; i < 3; ++i)
            for (const unsigned char c : {0x20, 0x7e, 0x80, 0xff, 0x5b, 0x5d, 0x21, 0x2f}) kept += static_cast<char>(c);
        std::string escaped;
        timesdb::escape_id(kept, escaped);
        CHECK(escaped == kept);
    }

    TEST_CASE("unescape_id rejects malformed escapes") {
        for (const char* bad : {"\\", "ab\\", "\\q", "\\x", "\\x4", "\\xg0", "\\x0g", "a\\ b"}) {
            CAPTURE(bad);
            CHECK_FALSE(timesdb::unescape_id(bad).has_value());
        }
        CHECK(timesdb::unescape_id("\\x41\\X").has_value() == false);
        CHECK(timesdb::unescape_id("\\x41\\x4A").value() == "AJ");
    }

    TEST_CASE("random UTF-8 ids round-trip through the file") {
        temp_dir dir;
        std::mt19937 rng(7);
        std::vector<std::string> ids = {"", " ", "  lead and trail  ", "tab\there", "new\nline", "cr\r", "back\\slash",
                                        "100%", "%41", "#not a comment", "\\x41", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"};
        std::set<std::string> seen(ids.begin(), ids.end());
        while (ids.size() < 400) {
            std::string id = random_utf8(rng);
            if (seen.insert(id).second) ids.push_back(id);
        }
        const auto run = samples_for(ids);
        record_ok(db_path(dir), run);

        const std::string bytes = read_file(db_path(dir));
        CHECK(bytes.starts_with("# testr-mini times v2\n"));
        // signature, columns, layout, a line each, fence comment, 128 + 1 fences, log comment
        CHECK(count_lines(bytes) == 3 + ids.size() + 1 + 129 + 1);
        const auto db = open_ok(db_path(dir));
        CHECK(db.warnings().empty());
        REQUIRE(db.size() == ids.size());
        for (const auto& s : run) {
            CAPTURE(s.id);
            const timesdb::test_times* t = db.find(s.id);
            REQUIRE(t != nullptr);
            CHECK(t->runs == 1);
            CHECK(t->last == doctest::Approx(s.seconds).epsilon(1e-6));
            CHECK(t->estimate == doctest::Approx(s.seconds).epsilon(1e-6));
            CHECK(t->last_passed == s.passed);
        }
        // The entries come back in file order: the sorted section's.
        const auto in_file = sorted_ids(bytes);
        REQUIRE(in_file.size() == ids.size());
        CHECK(std::set<std::string>(in_file.begin(), in_file.end()) == seen);
        for (std::size_t i = 0; i < ids.size(); ++i) CHECK(db.entries()[i].id == in_file[i]);
    }
}

TEST_SUITE("timesdb model") {
    TEST_CASE("the estimate is smoothed and one outlier moves it only so far") {
        timesdb::database db;
        CHECK(db.add({"t", 1.0, true}) == timesdb::database::add_result::inserted);
        CHECK(*db.estimate("t") == 1.0);
        CHECK(db.add({"t", 1.0, true}) == timesdb::database::add_result::updated);
        CHECK(*db.estimate("t") == 1.0);
        db.add({"t", 100.0, false});  // a hang: counts as 4x the estimate
        CHECK(*db.estimate("t") == doctest::Approx(1.75));
        CHECK(db.find("t")->last == 100.0);
        CHECK_FALSE(db.find("t")->last_passed);
        db.add({"t", 0.0, true});  // an instant failure: counts as 1/4
        CHECK(*db.estimate("t") == doctest::Approx(1.75 + 0.25 * (1.75 / 4 - 1.75)));
        CHECK(db.find("t")->runs == 4);
        CHECK(db.find("t")->last_passed);

        CHECK(db.add({"nan", std::nan(""), true}) == timesdb::database::add_result::rejected);
        CHECK(db.add({"inf", HUGE_VAL, true}) == timesdb::database::add_result::rejected);
        CHECK_FALSE(db.estimate("nan").has_value());
        db.add({"skewed clock", -3.0, true});
        CHECK(*db.estimate("skewed clock") == 0.0);
        // From an estimate of 0 a slower run still gets through (floor).
        db.add({"skewed clock", 1.0, true});
        CHECK(*db.estimate("skewed clock") == doctest::Approx(0.25 * 0.004));
    }

    TEST_CASE("bulk lookup splits known from unknown ids") {
        timesdb::database db;
        db.add({"a", 2.0, true});
        db.add({"b", 3.0, true});
        const std::vector<std::string_view> views = {"a", "x", "b", "y", "a"};
        const auto r = db.lookup(views);
        CHECK(r.estimates == std::vector<std::optional<double>>{2.0, std::nullopt, 3.0, std::nullopt, 2.0});
        CHECK(r.unknown == std::vector<std::string_view>{"x", "y"});

        const std::vector<std::string> strings = {"y", "b"};
        const auto s = db.lookup(strings);
        CHECK(s.estimates == std::vector<std::optional<double>>{std::nullopt, 3.0});
        CHECK(s.unknown == std::vector<std::string_view>{"y"});

        // Large enough for the prefetching path, and grown by add() many times.
        timesdb::database big;
        std::vector<std::string> ids;
        for (int i = 0; i < 5000; ++i) ids.push_back("id" + std::to_string(i));
        for (int i = 0; i < 5000; i += 2) big.add({ids[i], double(i), true});
        const auto m = big.lookup(ids);
        REQUIRE(m.unknown.size() == 2500);
        for (int i = 0; i < 5000; ++i) {
            CAPTURE(i);
            CHECK(m.estimates[i] == (i % 2 == 0 ? std::optional<double>(i) : std::nullopt));
            CHECK(big.estimate(ids[i]) == m.estimates[i]);
        }
    }

    TEST_CASE("record counts new, updated and rejected samples and keeps history") {
        temp_dir dir;
        auto first = timesdb::record(db_path(dir), samples_for({"a", "b"}));
        REQUIRE(first.has_value());
        CHECK(first->added == 2);
        CHECK(first->updated == 0);
        const std::vector<timesdb::sample> second = {{"b", 2.0, true}, {"c", 1.0, false}, {"d", std::nan(""), true}};
        auto r = timesdb::record(db_path(dir), second);
        REQUIRE(r.has_value());
        CHECK(r->added == 1);
        CHECK(r->updated == 1);
        CHECK(r->rejected == 1);
        const auto db = open_ok(db_path(dir));
        CHECK(db.size() == 3);
        CHECK(db.find("b")->runs == 2);
        CHECK(db.find("b")->last == 2.0);
        CHECK(db.find("a")->runs == 1);
        CHECK(db.find("d") == nullptr);
    }

    TEST_CASE("an appended batch of several megabytes is read back whole") {
        // Written in chunks: its size and CRC must cover all of them.
        temp_dir dir;
        std::vector<std::string> ids;
        for (int i = 0; i < 30000; ++i)
            ids.push_back("project.tests.pkg" + std::to_string(i % 7) + ".test_module_" + std::to_string(i % 97) +
                          ".TestSomethingLong.test_behaviour_" + std::to_string(i));
        record_ok(db_path(dir), samples_for(ids, 1.0));
        auto r = timesdb::record(db_path(dir), samples_for(ids, 2.0));
        REQUIRE(r.has_value());
        CHECK_FALSE(r->compacted);
        const std::string bytes = read_file(db_path(dir));
        CHECK(bytes.size() > 2 * ids.size() * 60);  // the log: > 1 MiB
        const auto db = open_ok(db_path(dir));
        CHECK(db.warnings().empty());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const auto* t = db.find(ids[i]);
            REQUIRE(t != nullptr);
            CHECK(t->runs == 2);
            CHECK(t->last == doctest::Approx(2.0 + 0.001 * static_cast<double>(i)));
        }
    }

    TEST_CASE("an id seen several times in one big run is folded in run order, into a new and an existing store") {
        // Big enough that record() orders the run in more than one pass.
        temp_dir dir;
        std::vector<std::string> ids;
        for (int i = 0; i < 5000; ++i) ids.push_back("pkg.mod" + std::to_string(i % 41) + ".T.test_" + std::to_string(i));
        for (int round = 0; round < 2; ++round) {
            CAPTURE(round);
            std::vector<timesdb::sample> run;
            for (int k = 0; k < 3; ++k)
                for (std::size_t i = 0; i < ids.size(); ++i)
                    run.push_back({ids[i], static_cast<double>(k + 1) + static_cast<double>(i) / 1e4, k == 2});
            auto r = timesdb::record(db_path(dir), run);
            REQUIRE(r.has_value());
            CHECK(r->added == (round == 0 ? ids.size() : 0));
            const auto db = open_ok(db_path(dir));
            REQUIRE(db.size() == ids.size());
            for (std::size_t i = 0; i < ids.size(); ++i) {
                const auto* t = db.find(ids[i]);
                REQUIRE(t != nullptr);
                CHECK(t->runs == 3 * (round + 1));
                CHECK(t->last == doctest::Approx(3 + static_cast<double>(i) / 1e4));
                CHECK(t->last_passed);
            }
        }
    }
}

TEST_SUITE("timesdb damaged files") {
    TEST_CASE("every truncation of a v1 file loads the complete lines before the cut") {
        const std::vector<std::string> ids = {"pkg.A.test_one", "pkg.A.test two", "tab\tid", "new\nline", "caf\xc3\xa9",
                                              "back\\slash", "x", "pkg.B.test_three_is_longer", "%25", "last"};
        const std::string full = v1_file(ids);

        // Where each record line ends, in file order (lines 3..).
        std::vector<std::size_t> line_ends;
        for (std::size_t i = 0; i < full.size(); ++i)
            if (full[i] == '\n') line_ends.push_back(i + 1);
        REQUIRE(line_ends.size() == ids.size() + 2);

        for (std::size_t cut = 0; cut <= full.size(); ++cut) {
            CAPTURE(cut);
            const auto db = timesdb::parse(std::string_view(full).substr(0, cut), "cut");
            REQUIRE(db.has_value());
            std::size_t complete = 0;
            for (std::size_t k = 2; k < line_ends.size(); ++k)
                if (line_ends[k] <= cut) ++complete;
            REQUIRE(db->size() == complete);
            for (std::size_t k = 0; k < complete; ++k) CHECK(db->entries()[k].id == ids[k]);
            // The v1 note once line 1 is whole, and one for a cut line.
            const bool v1_seen = cut >= line_ends[0];
            const bool at_line_end = cut == 0 || full[cut - 1] == '\n' || cut == line_ends[0] - 1;
            CHECK(db->warnings().size() == (v1_seen ? 1u : 0u) + (at_line_end ? 0u : 1u));
        }
        temp_dir dir;
        write_file(db_path(dir), full.substr(0, full.size() - 3));
        const auto db = open_ok(db_path(dir));
        CHECK(db.size() == ids.size() - 1);
        REQUIRE(db.warnings().size() == 2);
        CHECK(db.warnings()[0].message == db_path(dir) + ":1: format v1 (no index): read in full; the next recorded run rewrites it as v2");
        CHECK(db.warnings()[1].line == ids.size() + 2);
        CHECK(db.warnings()[1].message.find(db_path(dir) + ":12: ") == 0);
    }

    TEST_CASE("every truncation of a v2 file with appended batches loads what was complete before the cut") {
        // Cut at every byte: a crash in the middle of an append leaves such
        // a tail (and a damaged file the same, only shorter). Loading never
        // fails; a batch counts only when its end line is in.
        temp_dir dir;
        const std::vector<std::string> base = {"pkg.A.test_one", "tab\tid", "caf\xc3\xa9", "x", "back\\slash"};
        record_ok(db_path(dir), samples_for(base));
        const std::size_t base_size = read_file(db_path(dir)).size();
        record_ok(db_path(dir), samples_for({"pkg.A.test_one", "second.batch"}, 2.0));
        const std::size_t first_batch_end = read_file(db_path(dir)).size();
        record_ok(db_path(dir), samples_for({"x", "third.batch"}, 3.0));
        const std::string full = read_file(db_path(dir));
        REQUIRE(full.size() > first_batch_end);
        REQUIRE(full.ends_with("\n"));

        for (std::size_t cut = 0; cut <= full.size(); ++cut) {
            CAPTURE(cut);
            const auto db = timesdb::parse(std::string_view(full).substr(0, cut), "cut");
            REQUIRE(db.has_value());
            if (cut < base_size) continue;  // the sorted section damaged: read in full, see below
            CHECK(db->warnings().empty());
            const bool second = cut >= first_batch_end, third = cut == full.size();
            CHECK(db->size() == base.size() + second + third);
            CHECK(db->find("pkg.A.test_one")->runs == (second ? 2u : 1u));
            CHECK(db->find("x")->runs == (third ? 2u : 1u));
            CHECK((db->find("third.batch") != nullptr) == third);
        }
        // A cut inside the sorted section: the records before it, read in
        // full with a warning naming the reason.
        const auto db = timesdb::parse(std::string_view(full).substr(0, base_size - 20), "cut");
        REQUIRE(db.has_value());
        REQUIRE_FALSE(db->warnings().empty());
        CHECK(db->warnings()[0].message.find("cut:3: the layout line does not match the file") == 0);
        CHECK(db->size() == base.size());
    }

    TEST_CASE("corrupt lines are skipped with one warning each; the rest loads and survives a record") {
        temp_dir dir;
        const std::string good1 = "1.500000\t1.000000\t3\tpass\tgood.one\n";
        const std::string good2 = "0.250000\t0.250000\t1\tfail\tgood\\ttwo\n";
        write_file(db_path(dir), "# testr-mini times v1\n"            // 1
                                  + good1 +                            // 2
                                  "abc\t1.0\t1\tpass\tbad.estimate\n"  // 3
                                  "1.0\t-1\t1\tpass\tbad.last\n"       // 4
                                  "1.0\t1.0\t0\tpass\tzero.runs\n"     // 5
                                  "1.0\t1.0\t1\tmaybe\tbad.status\n"   // 6
                                  "1.0\t1.0\t1\tpass\n"                // 7: no id
                                  "\n"                                 // 8: blank, ignored
                                  "# a comment line\n"                 // 9: ignored
                                  "nan\t1.0\t1\tpass\tnan.estimate\n"  // 10
                                  "1.0\tinf\t1\tpass\tinf.last\n"      // 11
                                  "1.0\t1.0\t1\tpass\tbad\\escape\n"   // 12
                                  "\x01\xff garbage \x80\n"            // 13
                                  "1.0 1.0 1 pass spaces.not.tabs\n"   // 14
                                  + good2 +                            // 15
                                  "2\t1e-3\t7\tpass\thand.typed\n"     // 16: other number forms are fine
                                  "1.5\t1.5\t1\tpass\tgood.one\n");     // 17: a later line for an id wins
        const auto db = open_ok(db_path(dir));
        CHECK(db.size() == 3);
        CHECK(db.find("good.one")->runs == 1);
        CHECK(db.entries()[0].id == "good.one");  // keeps its first place
        CHECK(db.find("hand.typed")->estimate == 2.0);
        CHECK(db.find("hand.typed")->last == 0.001);
        CHECK(db.find("hand.typed")->runs == 7);
        CHECK(db.find("good\ttwo")->last_passed == false);
        std::vector<std::size_t> lines;
        for (const auto& w : db.warnings()) {
            lines.push_back(w.line);
            if (w.line == 1) continue;  // the v1 note
            CHECK(w.message.find(db_path(dir) + ":" + std::to_string(w.line) + ": skipped line: ") == 0);
        }
        CHECK(lines == std::vector<std::size_t>{1, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14});

        auto r = timesdb::record(db_path(dir), std::vector<timesdb::sample>{{"new", 1.0, true}});
        REQUIRE(r.has_value());
        CHECK(r->warnings.size() == 11);
        CHECK(r->compacted);
        const auto after = open_ok(db_path(dir));
        CHECK(after.warnings().empty());
        CHECK(after.size() == 4);
        CHECK(after.find("good.one")->estimate == 1.5);
        CHECK(read_file(db_path(dir)).find("2.000000\t0.001000\t7\tpass\thand.typed\n") != std::string::npos);
    }

    TEST_CASE("a v1 file is read in full with a note, and the next record rewrites it as v2") {
        temp_dir dir;
        write_file(db_path(dir), v1_file({"one", "two\tthree"}, 1.5));
        {
            const auto db = open_ok(db_path(dir));
            REQUIRE(db.warnings().size() == 1);
            CHECK(db.warnings()[0].message.find("format v1 (no index): read in full") != std::string::npos);
            CHECK(db.size() == 2);
            CHECK(db.find("two\tthree")->estimate == 1.5);
        }
        auto r = timesdb::record(db_path(dir), samples_for({"one"}));
        REQUIRE(r.has_value());
        CHECK(r->compacted);
        CHECK(read_file(db_path(dir)).starts_with("# testr-mini times v2\n"));
        const auto db = open_ok(db_path(dir));
        CHECK(db.warnings().empty());
        CHECK(db.size() == 2);
        CHECK(db.find("one")->runs == 2);
        CHECK(db.find("two\tthree")->runs == 1);
    }

    TEST_CASE("a v2 file edited by hand is read in full with a warning and rewritten by the next record") {
        temp_dir dir;
        record_ok(db_path(dir), samples_for({"alpha", "beta", "gamma"}));
        std::string bytes = read_file(db_path(dir));
        const std::size_t at = bytes.find("\tbeta\n");
        REQUIRE(at != std::string::npos);
        bytes.replace(at, 6, "\tbeta.renamed\n");  // the sections no longer start where line 3 says
        write_file(db_path(dir), bytes);
        {
            const auto db = open_ok(db_path(dir));
            REQUIRE(db.warnings().size() == 1);
            CHECK(db.warnings()[0].message.find(":3: the layout line does not match the file") != std::string::npos);
            CHECK(db.size() == 3);
            CHECK(db.find("beta.renamed") != nullptr);
            CHECK(db.find("beta") == nullptr);
        }
        auto r = timesdb::record(db_path(dir), samples_for({"delta"}));
        REQUIRE(r.has_value());
        CHECK(r->compacted);
        const auto db = open_ok(db_path(dir));
        CHECK(db.warnings().empty());
        CHECK(db.size() == 4);
        CHECK(db.find("beta.renamed") != nullptr);
    }

    TEST_CASE("an appended batch whose bytes changed is skipped with a warning, then dropped") {
        temp_dir dir;
        record_ok(db_path(dir), samples_for({"kept", "changed"}));
        record_ok(db_path(dir), samples_for({"changed"}, 7.0));
        std::string bytes = read_file(db_path(dir));
        const std::size_t at = bytes.rfind("7.000000\t");
        REQUIRE(at != std::string::npos);
        bytes[at] = '8';  // same length: only the CRC can tell
        write_file(db_path(dir), bytes);
        {
            const auto db = open_ok(db_path(dir));
            REQUIRE(db.warnings().size() == 1);
            CHECK(db.warnings()[0].message.find("skipped a batch of appended records") != std::string::npos);
            CHECK(db.find("changed")->runs == 1);
        }
        auto r = timesdb::record(db_path(dir), samples_for({"kept"}));
        REQUIRE(r.has_value());
        CHECK(r->compacted);
        CHECK(r->warnings.size() == 1);
        const auto db = open_ok(db_path(dir));
        CHECK(db.warnings().empty());
        CHECK(db.find("changed")->runs == 1);
        CHECK(db.find("kept")->runs == 2);
    }

    TEST_CASE("a flood of bad lines yields a bounded list of warnings") {
        std::string content = "# testr-mini times v1\n";
        for (int i = 0; i < 200; ++i) content += "junk\n";
        content += "1.0\t1.0\t1\tpass\tsurvivor\n";
        const auto db = timesdb::parse(content, "flood");
        REQUIRE(db.has_value());
        CHECK(db->size() == 1);
        REQUIRE(db->warnings().size() == 1 + timesdb::max_warnings + 1);  // the v1 note, 50 lines, the summary
        CHECK(db->warnings().back().line == 0);
        CHECK(db->warnings().back().message == "flood: 150 more lines skipped");
    }

    TEST_CASE("empty and missing files are empty stores; a missing directory is an error") {
        temp_dir dir;
        auto missing = open_ok(db_path(dir));
        CHECK(missing.size() == 0);
        CHECK(missing.warnings().empty());

        write_file(db_path(dir), "");
        auto empty = open_ok(db_path(dir));
        CHECK(empty.size() == 0);
        CHECK(empty.warnings().empty());
        record_ok(db_path(dir), samples_for({"a"}));
        CHECK(read_file(db_path(dir)).starts_with("# testr-mini times v2\n"));

        const std::string gone = dir / "no-such-dir";
        auto r = timesdb::open(gone + "/times.tsv");
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == ENOENT);
        CHECK(r.error().path == gone);
        CHECK(r.error().message() == "cannot find repository directory '" + gone + "': No such file or directory");

        auto w = timesdb::record(gone + "/times.tsv", samples_for({"a"}));
        REQUIRE_FALSE(w.has_value());
        CHECK(w.error().code == ENOENT);
        CHECK(w.error().message().find(gone + "/times.tsv.lock") != std::string::npos);
        CHECK(w.error().message().find("No such file or directory") != std::string::npos);

        auto d = timesdb::open(dir.path());
        REQUIRE_FALSE(d.has_value());
        CHECK(d.error().code == EISDIR);
    }

    TEST_CASE("a newer format or a foreign file is refused and left untouched") {
        temp_dir dir;
        for (const std::string content : {"# testr-mini times v3\n1\t2\t3\n", "# testr-mini times v10\n",
                                          "some other file\n1.0\t1.0\t1\tpass\tx\n", "# testr-mini times v1x\n"}) {
            CAPTURE(content);
            write_file(db_path(dir), content);
            auto r = timesdb::open(db_path(dir));
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code == 0);
            CHECK(r.error().path == db_path(dir));
            const bool newer = content.starts_with("# testr-mini times v3") || content.starts_with("# testr-mini times v10");
            CHECK((r.error().message().find("newer testr-mini") != std::string::npos) == newer);
            auto w = timesdb::record(db_path(dir), samples_for({"a"}));
            REQUIRE_FALSE(w.has_value());
            CHECK(w.error().message() == r.error().message());
            CHECK(read_file(db_path(dir)) == content);
        }
        // A signature cut short is a file cut short, not a foreign one.
        const auto cut = timesdb::parse("# testr-mini ti", "p");
        REQUIRE(cut.has_value());
        CHECK(cut->warnings().size() == 1);
    }
}

TEST_SUITE("timesdb durability") {
    TEST_CASE("a writer killed at any point of the rewrite leaves the old or the new file") {
        using detail::write_stage;
        const struct {
            write_stage stage;
            bool new_content;
        } cases[] = {{write_stage::temp_opened, false},
                     {write_stage::temp_written, false},
                     {write_stage::temp_synced, false},  // the crash between write and rename
                     {write_stage::renamed, true}};
        for (const auto& c : cases) {
            CAPTURE(static_cast<int>(c.stage));
            temp_dir dir;
            write_file(db_path(dir), v1_file({"old.one", "old.two"}));  // so record() rewrites
            const std::string old_bytes = read_file(db_path(dir));

            static write_stage kill_at;
            kill_at = c.stage;
            const auto child = run_in_child([&] {
                detail::atomic_write_fault_hook = [](write_stage stage, int) {
                    if (stage == kill_at) ::raise(SIGKILL);
                };
                auto r = timesdb::record(db_path(dir), samples_for({"new.one"}, 9.0));
                return std::string("record returned instead of dying: ") + (r ? "ok" : r.error().message());
            });
            CHECK_MESSAGE(child.report.empty(), child.report);
            REQUIRE(WIFSIGNALED(child.status));
            CHECK(WTERMSIG(child.status) == SIGKILL);

            const std::string now = read_file(db_path(dir));
            if (c.new_content) {
                CHECK(now != old_bytes);
                CHECK(open_ok(db_path(dir)).find("new.one") != nullptr);
            } else {
                CHECK(now == old_bytes);
                // The dead writer's temporary is litter until the next writer.
                CHECK(test_support::list_dir(dir.path()).size() == 3);
            }
            // The kernel released the dead writer's lock; the next writer
            // proceeds and sweeps the temporary away.
            record_ok(db_path(dir), samples_for({"after"}));
            CHECK(test_support::list_dir(dir.path()) == std::vector<std::string>{"times.tsv", "times.tsv.lock"});
            const auto db = open_ok(db_path(dir));
            CHECK(db.find("old.one") != nullptr);
            CHECK(db.find("after") != nullptr);
        }
    }

    TEST_CASE("a writer that _exits between write and rename leaves the old file") {
        temp_dir dir;
        write_file(db_path(dir), v1_file({"old"}));
        const std::string old_bytes = read_file(db_path(dir));
        const auto child = run_in_child([&] {
            detail::atomic_write_fault_hook = [](detail::write_stage stage, int) {
                if (stage == detail::write_stage::temp_synced) ::_exit(3);
            };
            (void)timesdb::record(db_path(dir), samples_for({"new"}));
            return std::string("record returned");
        });
        REQUIRE(WIFEXITED(child.status));
        CHECK(WEXITSTATUS(child.status) == 3);
        CHECK(read_file(db_path(dir)) == old_bytes);
    }

    TEST_CASE("a writer killed at any point of an append leaves the old records or the new") {
        using timesdb::detail::append_stage;
        const struct {
            append_stage stage;
            bool new_content;
        } cases[] = {{append_stage::opened, false}, {append_stage::half_written, false}, {append_stage::written, true}};
        for (const auto& c : cases) {
            CAPTURE(static_cast<int>(c.stage));
            temp_dir dir;
            record_ok(db_path(dir), samples_for({"old.one", "old.two"}));
            const std::string old_bytes = read_file(db_path(dir));

            static append_stage kill_at;
            kill_at = c.stage;
            const auto child = run_in_child([&] {
                timesdb::detail::append_fault_hook = [](append_stage stage, int) {
                    if (stage == kill_at) ::raise(SIGKILL);
                };
                auto r = timesdb::record(db_path(dir), samples_for({"old.one", "new.one"}, 9.0));
                return std::string("record returned instead of dying: ") + (r ? "ok" : r.error().message());
            });
            CHECK_MESSAGE(child.report.empty(), child.report);
            REQUIRE(WIFSIGNALED(child.status));

            const std::string now = read_file(db_path(dir));
            CHECK(now.starts_with(old_bytes));  // appends never touch what is there
            {
                const auto db = open_ok(db_path(dir));
                CHECK(db.warnings().empty());
                CHECK((db.find("new.one") != nullptr) == c.new_content);
                CHECK(db.find("old.one")->runs == (c.new_content ? 2u : 1u));
                CHECK(db.size() == (c.new_content ? 3u : 2u));
            }
            // The next writer is not blocked; a torn tail makes it compact.
            auto r = timesdb::record(db_path(dir), samples_for({"after"}));
            REQUIRE(r.has_value());
            CHECK(r->compacted == (now.size() > old_bytes.size() && !c.new_content));
            CHECK(test_support::list_dir(dir.path()) == std::vector<std::string>{"times.tsv", "times.tsv.lock"});
            const auto db = open_ok(db_path(dir));
            CHECK(db.warnings().empty());
            CHECK(db.find("old.two") != nullptr);
            CHECK(db.find("after") != nullptr);
            CHECK((db.find("new.one") != nullptr) == c.new_content);
        }
    }

    TEST_CASE("records on disk agree with a model through appends and compactions") {
        temp_dir dir;
        std::mt19937 rng(11);
        std::map<std::string, std::pair<std::uint32_t, double>> model;  // id -> runs, last
        std::vector<std::string> pool;
        for (int i = 0; i < 3000; ++i) pool.push_back("pkg.mod" + std::to_string(i % 37) + ".Test.test_" + std::to_string(i));
        pool.push_back("odd\tone\\here");
        pool.push_back("caf\xc3\xa9");
        std::size_t appends = 0, compactions = 0;
        for (int round = 0; round < 14; ++round) {
            CAPTURE(round);
            std::vector<timesdb::sample> run;
            std::set<std::string> in_run;
            // 2000 first, then enough that the log outgrows the sorted section twice.
            const std::size_t n = round == 0 ? 2000 : round % 4 == 3 ? 1 : 700;
            std::vector<std::string> ids;
            while (ids.size() < n) {
                const std::string& id = pool[std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(rng)];
                if (in_run.insert(id).second) ids.push_back(id);
            }
            for (const auto& id : ids) {
                const double sec = std::uniform_int_distribution<int>(0, 5000)(rng) / 1000.0;
                run.push_back({id, sec, true});
                auto& m = model[id];
                ++m.first;
                m.second = sec;
            }
            auto r = timesdb::record(db_path(dir), run);
            REQUIRE(r.has_value());
            ++(r->compacted ? compactions : appends);

            const auto db = open_ok(db_path(dir));
            CHECK(db.warnings().empty());
            REQUIRE(db.size() == model.size());
            const auto found = db.lookup(pool);
            std::size_t unknown = 0;
            for (std::size_t i = 0; i < pool.size(); ++i) {
                const auto it = model.find(pool[i]);
                CHECK(found.estimates[i].has_value() == (it != model.end()));
                CHECK(db.estimate(pool[i]).has_value() == (it != model.end()));
                unknown += it == model.end();
                if (it == model.end()) continue;
                const auto* t = db.find(pool[i]);
                REQUIRE(t != nullptr);
                CHECK(t->runs == it->second.first);
                CHECK(t->last == doctest::Approx(it->second.second));
            }
            CHECK(found.unknown.size() == unknown);
            std::set<std::string> listed;
            for (const auto& e : db.entries()) listed.insert(std::string(e.id));
            CHECK(listed.size() == model.size());
        }
        CHECK(appends >= 8);
        CHECK(compactions >= 3);
    }

    TEST_CASE("8 processes recording disjoint ids at once lose nothing") {
        temp_dir dir;
        record_ok(db_path(dir), samples_for({"seed"}));
        constexpr int processes = 8, batches = 10, per_batch = 25;
        int gate[2];
        REQUIRE(::pipe(gate) == 0);
        std::vector<pid_t> pids;
        for (int w = 0; w < processes; ++w) {
            const pid_t pid = ::fork();
            REQUIRE(pid >= 0);
            if (pid == 0) {
                ::close(gate[1]);
                char c;
                while (::read(gate[0], &c, 1) < 0 && errno == EINTR) {
                }  // all start when the gate closes
                for (int b = 0; b < batches; ++b) {
                    std::vector<std::string> ids;
                    for (int i = 0; i < per_batch; ++i)
                        ids.push_back("worker" + std::to_string(w) + ".batch" + std::to_string(b) + ".test" + std::to_string(i));
                    ids.push_back("shared");
                    if (!timesdb::record(db_path(dir), samples_for(ids))) ::_exit(1);
                }
                ::_exit(0);
            }
            pids.push_back(pid);
        }
        ::close(gate[0]);
        ::close(gate[1]);
        for (pid_t pid : pids) {
            int status = 0;
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
        }
        const auto db = open_ok(db_path(dir));
        CHECK(db.warnings().empty());
        CHECK(db.size() == 1 + 1 + processes * batches * per_batch);
        for (int w = 0; w < processes; ++w)
            for (int b = 0; b < batches; ++b)
                for (int i = 0; i < per_batch; ++i) {
                    const auto* t = db.find("worker" + std::to_string(w) + ".batch" + std::to_string(b) + ".test" + std::to_string(i));
                    REQUIRE(t != nullptr);
                    CHECK(t->runs == 1);
                }
        // Every read-modify-write saw the previous one's result.
        CHECK(db.find("shared")->runs == processes * batches);
        CHECK(test_support::list_dir(dir.path()) == std::vector<std::string>{"times.tsv", "times.tsv.lock"});
    }
}

TEST_SUITE("timesdb errors") {
    constexpr const char* tmpfs_record_case = "disk full on a 64 KiB tmpfs: error names the file, old content stays";
    TEST_CASE(tmpfs_record_case) {
        temp_dir dir;
        const auto child = run_in_child([&]() -> std::string {
            // A private mount namespace: the tmpfs vanishes with the child.
            if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
                ::mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=64k") != 0)
                return "SKIP: cannot mount a tmpfs here: " + std::string(std::strerror(errno));
            if (!timesdb::record(db_path(dir), samples_for({"small.one", "small.two"}))) return "first record failed";
            const auto before = test_support::try_read(db_path(dir));
            std::vector<std::string> ids;
            for (int i = 0; i < 2000; ++i) ids.push_back("a.rather.long.test.module.name.TestCase.test_" + std::to_string(i));
            auto r = timesdb::record(db_path(dir), samples_for(ids));
            if (r) return "record into a full file system succeeded";
            if (r.error().code != ENOSPC) return "wrong error: " + r.error().message();
            if (r.error().message().find("No space left on device") == std::string::npos) return "bad message: " + r.error().message();
            if (r.error().path.find(db_path(dir)) != 0) return "error does not name the file: " + r.error().message();
            if (!before || test_support::try_read(db_path(dir)) != before) return "old content changed";
            if (test_support::list_dir(dir.path()) != std::vector<std::string>{"times.tsv", "times.tsv.lock"})
                return "temporary left behind";
            if (!timesdb::open(db_path(dir))) return "reopen failed";
            return "";
        });
        if (child.report.starts_with("SKIP: ")) {
            test_support::skip_test(tmpfs_record_case, child.report.substr(6));
        } else {
            CHECK(test_support::exited_cleanly(child));
            CHECK_MESSAGE(child.report.empty(), child.report);
        }
    }

    TEST_CASE("disk full injected with /dev/full: error names the temporary, nothing changes") {
        temp_dir dir;
        write_file(db_path(dir), v1_file({"old"}));  // so record() rewrites
        const std::string before = read_file(db_path(dir));
        fault_hook_guard guard([](detail::write_stage stage, int fd) {
            if (stage != detail::write_stage::temp_opened) return;
            const int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
            ::dup2(full, fd);
            ::close(full);
        });
        auto r = timesdb::record(db_path(dir), samples_for({"new"}));
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == ENOSPC);
        CHECK(r.error().message().starts_with("cannot write temporary file '" + db_path(dir) + ".tmp."));
        CHECK(r.error().message().ends_with("': No space left on device"));
        CHECK(read_file(db_path(dir)) == before);
        CHECK(test_support::list_dir(dir.path()) == std::vector<std::string>{"times.tsv", "times.tsv.lock"});
    }

    TEST_CASE("disk full during an append: error names the store, the records stay, the next record compacts") {
        temp_dir dir;
        record_ok(db_path(dir), samples_for({"old.one", "old.two"}));
        const std::string before = read_file(db_path(dir));
        timesdb::detail::append_fault_hook = [](timesdb::detail::append_stage stage, int fd) {
            if (stage != timesdb::detail::append_stage::half_written) return;
            const int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
            ::dup2(full, fd);
            ::close(full);
        };
        auto r = timesdb::record(db_path(dir), samples_for({"old.one", "new"}));
        timesdb::detail::append_fault_hook = nullptr;
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == ENOSPC);
        CHECK(r.error().message() == "cannot append to times database '" + db_path(dir) + "': No space left on device");
        const std::string after = read_file(db_path(dir));
        REQUIRE(after.size() > before.size());  // half a batch went in before the disk "filled"
        CHECK(after.starts_with(before));
        {
            const auto db = open_ok(db_path(dir));
            CHECK(db.warnings().empty());
            CHECK(db.size() == 2);
            CHECK(db.find("old.one")->runs == 1);
        }
        auto next = timesdb::record(db_path(dir), samples_for({"new"}));
        REQUIRE(next.has_value());
        CHECK(next->compacted);
        const auto db = open_ok(db_path(dir));
        CHECK(db.size() == 3);
        CHECK(read_file(db_path(dir)).find("\n# end ") == std::string::npos);
    }

    constexpr const char* tmpfs_append_case = "disk full on a 64 KiB tmpfs during an append: the records stay";
    TEST_CASE(tmpfs_append_case) {
        temp_dir dir;
        const auto child = run_in_child([&]() -> std::string {
            if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
                ::mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=64k") != 0)
                return "SKIP: cannot mount a tmpfs here: " + std::string(std::strerror(errno));
            std::vector<std::string> ids;
            for (int i = 0; i < 300; ++i) ids.push_back("a.test.module.TestCase.test_" + std::to_string(i));
            if (!timesdb::record(db_path(dir), samples_for(ids))) return "first record failed";
            // Fill what is left but a little.
            const std::string filler = dir / "filler";
            const int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT, 0644);
            const std::string block(1024, 'f');
            while (::write(fd, block.data(), block.size()) == static_cast<ssize_t>(block.size())) {
            }
            ::close(fd);
            ::truncate(filler.c_str(), std::max<off_t>(0, static_cast<off_t>(std::filesystem::file_size(filler)) - 8192));
            auto r = timesdb::record(db_path(dir), samples_for(ids, 2.0));
            if (r) return "append into a full file system succeeded";
            if (r.error().code != ENOSPC) return "wrong error: " + r.error().message();
            if (r.error().message() != "cannot append to times database '" + db_path(dir) + "': No space left on device")
                return "bad message: " + r.error().message();
            auto db = timesdb::open(db_path(dir));
            if (!db) return "reopen failed: " + db.error().message();
            if (db->size() != ids.size() || db->find(ids[0])->runs != 1 || !db->warnings().empty())
                return "the records changed";
            ::unlink(filler.c_str());
            auto again = timesdb::record(db_path(dir), samples_for(ids, 2.0));
            if (!again || !again->compacted) return "the record after it did not compact";
            db = timesdb::open(db_path(dir));
            if (!db || db->find(ids[299])->runs != 2) return "the record after it was lost";
            return "";
        });
        if (child.report.starts_with("SKIP: ")) {
            test_support::skip_test(tmpfs_append_case, child.report.substr(6));
        } else {
            CHECK(test_support::exited_cleanly(child));
            CHECK_MESSAGE(child.report.empty(), child.report);
        }
    }

    TEST_CASE("read-only directory: reading works, recording fails with permission denied") {
        temp_dir dir;
        const std::string repo = dir / "repo";
        REQUIRE(::mkdir(repo.c_str(), 0755) == 0);
        const std::string path = repo + "/times.tsv";
        record_ok(path, samples_for({"kept"}));
        const std::string before = read_file(path);
        REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
        REQUIRE(::chmod(repo.c_str(), 0555) == 0);

        // Root ignores permission bits, so drop to nobody in a child first.
        const auto child = run_in_child([&]() -> std::string {
            if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0))
                return std::string("cannot drop privileges: ") + std::strerror(errno);
            auto db = timesdb::open(path);
            if (!db) return "reading failed: " + db.error().message();
            if (db->find("kept") == nullptr) return "content missing";
            auto r = timesdb::record(path, samples_for({"new"}));
            if (r) return "record succeeded in a read-only directory";
            if (r.error().code != EACCES) return "wrong error: " + r.error().message();
            if (r.error().message().find(repo + "/times.tsv") == std::string::npos ||
                r.error().message().find("Permission denied") == std::string::npos)
                return "bad message: " + r.error().message();
            // Without an existing lock file, creating it is what fails.
            const std::string fresh = repo + "/fresh.tsv";
            auto f = timesdb::record(fresh, samples_for({"x"}));
            if (f || f.error().message() != "cannot open lock file '" + fresh + ".lock': Permission denied")
                return "bad fresh-file error: " + (f ? std::string("none") : f.error().message());
            return "";
        });
        CHECK(test_support::exited_cleanly(child));
        CHECK_MESSAGE(child.report.empty(), child.report);
        CHECK(read_file(path) == before);
        ::chmod(repo.c_str(), 0755);  // so a non-root run can clean up
    }
}

TEST_SUITE("file helpers") {
    TEST_CASE("lock_file excludes another process until released") {
        temp_dir dir;
        const std::string lock_path = dir / "lock";
        auto held = lock_file(lock_path);
        REQUIRE(held.has_value());
        auto other = std::async(std::launch::async, [&] {
            return run_in_child([&]() -> std::string {
                // The inherited descriptor shares our lock: drop it, as a
                // separate process would not have it.
                held->release();
                auto mine = lock_file(lock_path);
                return mine ? "" : mine.error().message();
            });
        });
        CHECK(other.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);  // blocked
        held->release();
        REQUIRE(other.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        const auto outcome = other.get();
        CHECK(test_support::exited_cleanly(outcome));
        CHECK_MESSAGE(outcome.report.empty(), outcome.report);
    }

    TEST_CASE("write_file_atomically replaces content, keeps no temporary, reports missing directories") {
        temp_dir dir;
        const std::string path = dir / "f";
        REQUIRE(write_file_atomically(path, "one").has_value());
        REQUIRE(write_file_atomically(path, "two").has_value());
        CHECK(read_file(path) == "two");
        CHECK(test_support::list_dir(dir.path()) == std::vector<std::string>{"f"});

        const std::string gone = dir / "missing/f";
        auto r = write_file_atomically(gone, "x");
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == ENOENT);
        CHECK(r.error().message().starts_with("cannot create temporary file '" + gone + ".tmp."));
    }

    TEST_CASE("replace_file_unsynced replaces by rename, skipping only the syncs") {
        temp_dir dir;
        const std::string path = dir / "cost";
        static std::vector<detail::write_stage> stages;
        stages.clear();
        {
            fault_hook_guard guard([](detail::write_stage stage, int) { stages.push_back(stage); });
            REQUIRE(replace_file_unsynced(path, "0.5\n").has_value());
            REQUIRE(replace_file_unsynced(path, "0.25\n").has_value());
        }
        CHECK(read_file(path) == "0.25\n");
        CHECK(test_support::list_dir(dir.path()) == std::vector<std::string>{"cost"});
        using detail::write_stage;
        CHECK(stages == std::vector<write_stage>{write_stage::temp_opened, write_stage::temp_written, write_stage::renamed,
                                                 write_stage::temp_opened, write_stage::temp_written, write_stage::renamed});
        // The durable one passes the sync point.
        stages.clear();
        {
            fault_hook_guard guard([](detail::write_stage stage, int) { stages.push_back(stage); });
            REQUIRE(write_file_atomically(path, "1\n").has_value());
        }
        CHECK(std::count(stages.begin(), stages.end(), write_stage::temp_synced) == 1);
        auto r = replace_file_unsynced(dir / "missing/f", "x");
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == ENOENT);
    }

    TEST_CASE("read_file_bytes maps files, falls back to read, and names the path on errors") {
        temp_dir dir;
        const std::string path = dir / "f";
        write_file(path, "first\tversion\n");
        auto bytes = read_file_bytes(path);
        REQUIRE(bytes.has_value());
        CHECK(bytes->view() == "first\tversion\n");
        // A replacement by rename leaves the bytes already read alone.
        REQUIRE(write_file_atomically(path, "second").has_value());
        CHECK(bytes->view() == "first\tversion\n");
        testr::file_bytes moved = std::move(bytes).value();
        CHECK(moved.view() == "first\tversion\n");

        write_file(path, "");
        auto empty = read_file_bytes(path);
        REQUIRE(empty.has_value());
        CHECK(empty->view().empty());

        // /proc files report size 0 but have content: only read() sees it.
        auto proc = read_file_bytes("/proc/self/status");
        REQUIRE(proc.has_value());
        CHECK(proc->view().starts_with("Name:"));

        auto missing = read_file_bytes(dir / "nope");
        REQUIRE_FALSE(missing.has_value());
        CHECK(missing.error().message() == "cannot open '" + dir / "nope" + "': No such file or directory");
        auto directory = read_file_bytes(dir.path());
        REQUIRE_FALSE(directory.has_value());
        CHECK(directory.error().code == EISDIR);
    }

    TEST_CASE("remove_stale_temporaries removes only this file's temporaries") {
        temp_dir dir;
        for (const char* name : {"f", "f.tmp.1.0", "f.tmp.99.3", "g.tmp.1.0", "f.tmpx", "ff.tmp.1.0"}) write_file(dir / name, "x");
        remove_stale_temporaries(dir / "f");
        CHECK(test_support::list_dir(dir.path()) == std::vector<std::string>{"f", "f.tmpx", "ff.tmp.1.0", "g.tmp.1.0"});
    }

    TEST_CASE("a run handed over in the store's read order gives the same file, and a large one its layout line") {
        // 40,000 ids: the compacted file is ~3 MB, so save() writes it in
        // several chunks and puts line 3 in place last.
        std::vector<std::string> ids;
        for (int i = 0; i < 40000; ++i) ids.push_back("pkg.mod.Test" + std::to_string(i % 97) + ".test_" + std::to_string(i));
        auto run = samples_for(ids);
        temp_dir as_given, grouped;
        record_ok(db_path(as_given), run);
        std::stable_sort(run.begin(), run.end(), [](const timesdb::sample& a, const timesdb::sample& b) {
            return timesdb::group_of(a.id) < timesdb::group_of(b.id);
        });
        record_ok(db_path(grouped), run);
        const std::string bytes = read_file(db_path(as_given));
        CHECK(bytes == read_file(db_path(grouped)));
        CHECK(bytes.size() > 2 * (std::size_t{1} << 20));
        auto db = timesdb::open(db_path(as_given));
        REQUIRE(db.has_value());
        CHECK(db->warnings().empty());
        CHECK(db->size() == ids.size());
        CHECK(bytes == db->serialize());
    }
}
