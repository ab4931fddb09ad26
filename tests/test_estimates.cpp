// Neighbour estimates: hand cases, and random suites against a brute-force
// reading of the rule (every recorded test compared with every unknown one).
#include <testr/estimates.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <array>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using testr::estimate_source;

using opt = std::optional<double>;

double median_of(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The rule, spelled out the slow way.
testr::estimates brute_force(const std::vector<std::string>& ids, const std::vector<opt>& known,
                             const std::map<std::string, std::string>* groups, bool mean) {
    auto group_of = [&](const std::string& id) -> std::string {
        if (!groups) return "";
        auto it = groups->find(id);
        return it == groups->end() ? "" : it->second;
    };
    auto summary = [&](std::vector<double> v) {
        if (!mean) return median_of(v);
        double s = 0;
        for (double x : v) s += x;
        return s / static_cast<double>(v.size());
    };
    testr::estimates out;
    std::vector<double> all;
    for (auto& k : known)
        if (k) all.push_back(*k);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (known[i]) {
            out.seconds.push_back(*known[i]);
            out.source.push_back(estimate_source::recorded);
            continue;
        }
        if (all.empty()) {
            out.seconds.push_back(1.0);
            out.source.push_back(estimate_source::fallback);
            continue;
        }
        struct level { std::string key; estimate_source source; int kind; };
        std::vector<level> levels;
        if (groups) levels.push_back({group_of(ids[i]), estimate_source::group, 0});
        const std::string cls(testr::class_of(ids[i])), mod(testr::module_of(ids[i]));
        levels.push_back({cls, estimate_source::class_, 1});
        levels.push_back({mod, estimate_source::module, 2});
        std::stable_sort(levels.begin(), levels.end(), [](auto& a, auto& b) { return a.key.size() > b.key.size(); });
        double value = summary(all);
        estimate_source source = estimate_source::suite;
        for (auto& l : levels) {
            if (l.key.empty()) continue;
            std::vector<double> same;
            for (std::size_t j = 0; j < ids.size(); ++j) {
                if (!known[j]) continue;
                std::string other = l.kind == 0 ? group_of(ids[j]) : l.kind == 1 ? std::string(testr::class_of(ids[j]))
                                                                                 : std::string(testr::module_of(ids[j]));
                if (other == l.key) same.push_back(*known[j]);
            }
            if (same.empty()) continue;
            value = summary(same);
            source = l.source;
            break;
        }
        out.seconds.push_back(value);
        out.source.push_back(source);
    }
    return out;
}

}  // namespace

TEST_CASE("class and module of an id, parameters ignored") {
    CHECK(testr::class_of("pkg.mod.Class.test_x") == "pkg.mod.Class");
    CHECK(testr::module_of("pkg.mod.Class.test_x") == "pkg.mod");
    CHECK(testr::class_of("pkg.mod.Class.test_x(with.dots)") == "pkg.mod.Class");
    CHECK(testr::class_of("test_alone") == "");
    CHECK(testr::module_of("Class.test") == "");
    CHECK(testr::class_of("a.b(unbalanced") == "a");  // no closing ')': an ordinary id
}

TEST_CASE("recorded kept; unknown from class, then module, then suite, then the fallback") {
    std::vector<std::string> ids{"p.m.A.t1", "p.m.A.t2", "p.m.A.t3", "p.m.A.new", "p.m.B.t1", "p.m.B.new",
                                 "p.x.C.t1", "q.y.D.new", "lonely"};
    std::vector<opt> known{1.0, 2.0, 9.0, {}, 4.0, {}, 8.0, {}, {}};
    auto e = testr::estimate_all(ids, known);
    CHECK(e.seconds[0] == 1.0);
    CHECK(e.source[0] == estimate_source::recorded);
    CHECK(e.seconds[3] == 2.0);  // median of A's 1, 2, 9
    CHECK(e.source[3] == estimate_source::class_);
    CHECK(e.seconds[5] == 4.0);
    CHECK(e.source[5] == estimate_source::class_);
    CHECK(e.seconds[7] == 4.0);  // no D, no q.y: the suite's median of 1, 2, 9, 4, 8
    CHECK(e.source[7] == estimate_source::suite);
    CHECK(e.source[8] == estimate_source::suite);
    CHECK(e.guessed() == 4);

    // A class with nothing recorded falls back to its module.
    std::vector<std::string> ids2{"p.m.A.t1", "p.m.B.t1", "p.m.C.new"};
    auto e2 = testr::estimate_all(ids2, std::vector<opt>{2.0, 4.0, {}});
    CHECK(e2.seconds[2] == 3.0);
    CHECK(e2.source[2] == estimate_source::module);

    auto mean = testr::estimate_all(ids, known, testr::no_groups{}, {.mean = true});
    CHECK(mean.seconds[3] == doctest::Approx(4.0));

    auto none = testr::estimate_all(ids, std::vector<opt>(ids.size()), testr::no_groups{}, {.fallback = 0.25});
    CHECK(none.count(estimate_source::fallback) == ids.size());
    CHECK(none.seconds[4] == 0.25);
}

TEST_CASE("a group key longer than the class wins; a shorter one loses to the class") {
    std::vector<std::string> ids{"p.m.A.test_fast_1", "p.m.A.test_fast_2", "p.m.A.test_slow_1", "p.m.A.test_slow_new"};
    std::vector<opt> known{1.0, 1.0, 10.0, {}};
    // Group = the id up to "test_slow"/"test_fast": longer than the class.
    auto by_kind = [](std::string_view id) { return id.substr(0, id.rfind('_')); };
    auto e = testr::estimate_all(ids, known, by_kind);
    CHECK(e.seconds[3] == 10.0);
    CHECK(e.source[3] == estimate_source::group);
    // Group = the first component only: the class is more specific.
    auto by_top = [](std::string_view id) { return id.substr(0, id.find('.')); };
    auto e2 = testr::estimate_all(ids, known, by_top);
    CHECK(e2.seconds[3] == 1.0);
    CHECK(e2.source[3] == estimate_source::class_);
}

TEST_CASE("negative, non-finite and missing recorded values count as unknown") {
    std::vector<std::string> ids{"m.A.a", "m.A.b", "m.A.c", "m.A.d", "m.A.e"};
    auto e = testr::estimate_all(ids, std::vector<opt>{3.0, -1.0, NAN, INFINITY});
    CHECK(e.source[0] == estimate_source::recorded);
    for (int i = 1; i < 5; ++i) {
        CHECK(e.source[i] == estimate_source::class_);
        CHECK(e.seconds[i] == 3.0);
    }
}

TEST_CASE("random suites agree with the brute-force rule") {
    std::mt19937_64 rng(7);
    for (int round = 0; round < 300; ++round) {
        auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
        std::vector<std::string> ids;
        std::vector<opt> known;
        std::map<std::string, std::string> groups;
        const int n = pick(0, 60);
        const double known_share = std::array{0.0, 0.2, 0.6, 1.0}[pick(0, 3)];
        for (int i = 0; i < n; ++i) {
            std::string id;
            const int depth = pick(0, 3);
            for (int d = 0; d < depth; ++d) id.append("m").append(std::to_string(pick(0, 2))).append(".");
            id.append("t").append(std::to_string(i));
            if (pick(0, 5) == 0) id += "(a.b)";
            ids.push_back(id);
            if (std::uniform_real_distribution<double>(0, 1)(rng) < known_share) known.push_back(pick(0, 20) / 4.0);
            else known.push_back(std::nullopt);
            if (pick(0, 2)) groups[id] = id.substr(0, static_cast<std::size_t>(pick(0, static_cast<int>(id.size()))));
        }
        const bool grouped = pick(0, 1) == 1, mean = pick(0, 1) == 1;
        auto group_fn = [&](std::string_view id) -> std::string_view {
            auto it = groups.find(std::string(id));
            return it == groups.end() ? std::string_view{} : std::string_view(it->second);
        };
        auto got = grouped ? testr::estimate_all(ids, known, group_fn, {.mean = mean})
                           : testr::estimate_all(ids, known, testr::no_groups{}, {.mean = mean});
        auto want = brute_force(ids, known, grouped ? &groups : nullptr, mean);
        REQUIRE(got.seconds.size() == ids.size());
        for (int i = 0; i < n; ++i) {
            INFO("round " << round << " id " << ids[i]);
            CHECK(got.source[i] == want.source[i]);
            CHECK(got.seconds[i] == doctest::Approx(want.seconds[i]));
        }
    }
}

// How long this takes is bench/core_scale's.
TEST_CASE("10^5 ids, a third unknown: each from its class") {
    std::vector<std::string> ids;
    std::vector<opt> known;
    for (int i = 0; i < 100'000; ++i) {
        const int c = i % 2003;  // ~50 tests per class, classes spread over modules
        ids.push_back("project.tests.pkg" + std::to_string(c % 7) + ".test_module_" + std::to_string(c % 311) +
                      ".TestFeature" + std::to_string(c) + ".test_behaviour_" + std::to_string(i));
        known.push_back(i % 3 ? opt(0.001 * (i % 97)) : std::nullopt);
    }
    auto e = testr::estimate_all(ids, known);
    CHECK(e.count(estimate_source::class_) == 33'334);
}
