// Moving history between duration stores (adapters/timesdb_exchange.cpp,
// database::put): the merge rule, strict reading for import, and merge()
// beside concurrent record() calls on real files.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "timesdb.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace timesdb = testr::timesdb;
using test_support::read_file;
using test_support::temp_dir;
using test_support::write_file;

namespace {

timesdb::test_times times(double estimate, std::uint32_t runs, bool passed = true) {
    return {estimate, estimate, runs, passed};
}

timesdb::database open_ok(const std::string& path) {
    auto db = timesdb::open(path);
    REQUIRE_MESSAGE(db.has_value(), (db ? std::string() : db.error().message()));
    return std::move(*db);
}

}  // namespace

TEST_SUITE("timesdb exchange") {
    TEST_CASE("supersedes: more runs wins, a tie goes to the incoming record") {
        CHECK(timesdb::supersedes(times(1, 3), times(9, 2)));
        CHECK_FALSE(timesdb::supersedes(times(1, 2), times(9, 3)));
        CHECK(timesdb::supersedes(times(1, 2), times(9, 2)));
    }

    TEST_CASE("put sets a record as it is and refuses what no writer writes") {
        timesdb::database db;
        CHECK(db.put("t.a", times(2.5, 7, false)) == timesdb::database::add_result::inserted);
        CHECK(db.put("t.a", times(1.5, 8)) == timesdb::database::add_result::updated);
        const double nan = std::numeric_limits<double>::quiet_NaN();
        CHECK(db.put("t.b", times(1, 0)) == timesdb::database::add_result::rejected);
        CHECK(db.put("t.b", times(nan, 1)) == timesdb::database::add_result::rejected);
        CHECK(db.put("t.b", times(-1, 1)) == timesdb::database::add_result::rejected);
        CHECK(db.put("t.b", times(timesdb::max_seconds * 2, 1)) == timesdb::database::add_result::rejected);
        CHECK(db.size() == 1);
        // Through the file and back, with an id that needs escaping.
        CHECK(db.put("t.\ttab", times(0.25, 1)) == timesdb::database::add_result::inserted);
        auto again = timesdb::parse(db.serialize(), "mem");
        REQUIRE(again.has_value());
        CHECK(again->warnings().empty());
        const auto* a = again->find("t.a");
        REQUIRE(a != nullptr);
        CHECK(a->estimate == 1.5);
        CHECK(a->runs == 8);
        CHECK(a->last_passed);
        REQUIRE(again->find("t.\ttab") != nullptr);
        // put over a record of the sorted section (the loaded file's).
        CHECK(again->put("t.\ttab", times(4, 2)) == timesdb::database::add_result::updated);
        CHECK(again->find("t.\ttab")->estimate == 4);
        CHECK(again->size() == 2);
    }

    TEST_CASE("read_for_import takes v1 and v2 files and refuses anything lossy, naming the line") {
        temp_dir dir;
        write_file(dir / "v1.tsv", "# testr-mini times v1\n# c\n1.5\t1.5\t2\tpass\tt.a\n");
        auto v1 = timesdb::read_for_import(dir / "v1.tsv");
        REQUIRE_MESSAGE(v1.has_value(), (v1 ? std::string() : v1.error().message()));
        CHECK(v1->find("t.a")->runs == 2);
        write_file(dir / "v2.tsv", v1->serialize());
        CHECK(timesdb::read_for_import(dir / "v2.tsv").has_value());

        write_file(dir / "bad.tsv", "# testr-mini times v1\n# c\n1.5\t1.5\t2\tpass\tt.a\n1\t1\t0\tpass\tt.b\nx\n");
        auto bad = timesdb::read_for_import(dir / "bad.tsv");
        REQUIRE_FALSE(bad.has_value());
        CHECK(bad.error().message() == "cannot import times from '" + (dir / "bad.tsv") +
                                           "': line 4: bad run count (field 3) (and 1 more problem)");
        const std::string v2 = read_file(dir / "v2.tsv");
        write_file(dir / "cut.tsv", v2.substr(0, v2.size() - 3));
        auto cut = timesdb::read_for_import(dir / "cut.tsv");
        REQUIRE_FALSE(cut.has_value());
        CHECK(cut.error().reason.starts_with("line 3: the layout line does not match the file (cut short"));
        write_file(dir / "empty.tsv", "");
        CHECK_FALSE(timesdb::read_for_import(dir / "empty.tsv").has_value());
        CHECK(timesdb::read_for_import(dir / "missing.tsv").error().code == ENOENT);
    }

    TEST_CASE("merge creates the store, applies the rule in order, and reports") {
        temp_dir dir;
        const std::string path = dir / "times.tsv";
        timesdb::database a, b;
        a.put("t.old", times(1, 5));
        a.put("t.same", times(2, 1));
        b.put("t.old", times(7, 4));   // fewer runs: kept out
        b.put("t.same", times(3, 1));  // a tie: the later wins
        b.put("t.new", times(4, 1));
        std::vector<timesdb::entry> records;
        for (auto* db : {&a, &b})
            for (const auto& e : db->entries()) records.push_back(e);
        auto r = timesdb::merge(path, records);
        REQUIRE(r.has_value());
        CHECK(r->added == 3);
        CHECK(r->replaced == 1);
        CHECK(r->kept == 1);
        const auto db = open_ok(path);
        CHECK(db.find("t.old")->estimate == 1);
        CHECK(db.find("t.same")->estimate == 3);
        CHECK(db.find("t.new")->estimate == 4);
        CHECK(db.warnings().empty());
        CHECK(test_support::list_dir(dir.path()) == std::vector<std::string>{"times.tsv", "times.tsv.lock"});
    }

    TEST_CASE("merge and record at once: every merged record and every recorded run is there") {
        temp_dir dir;
        const std::string path = dir / "times.tsv";
        constexpr int rounds = 20, per_round = 30;
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            for (int k = 0; k < rounds; ++k) {
                std::vector<std::string> ids;
                for (int i = 0; i < per_round; ++i) ids.push_back("rec." + std::to_string(k) + "." + std::to_string(i));
                std::vector<timesdb::sample> run;
                for (auto& id : ids) run.push_back({id, 0.5, true});
                if (!timesdb::record(path, run)) ::_exit(1);
            }
            ::_exit(0);
        }
        for (int k = 0; k < rounds; ++k) {
            timesdb::database src;
            for (int i = 0; i < per_round; ++i) src.put("imp." + std::to_string(k) + "." + std::to_string(i), times(2, 3));
            const auto all = src.entries();
            REQUIRE(timesdb::merge(path, {all.begin(), all.end()}).has_value());
        }
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
        const auto db = open_ok(path);
        CHECK(db.size() == 2 * rounds * per_round);
        CHECK(db.find("imp.19.29")->runs == 3);
        CHECK(db.find("rec.19.29")->runs == 1);
    }
}
