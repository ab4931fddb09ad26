// Partitioning: the compat algorithm against testrepository's own code, and
// the balanced default against compat and the lower bound.
#include <testr/partition.hpp>

#include "support/command.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <range/v3/view/transform.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <list>
#include <map>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <unistd.h>

namespace {

// "prefix" + std::to_string(k) trips g++ 12's -Wrestrict false positive
// (GCC PR 105329) wherever it is inlined.
std::string named(std::string_view prefix, long long k) { return std::string(prefix).append(std::to_string(k)); }

struct instance {
    std::vector<std::string> ids;
    std::map<std::string, double, std::less<>> durations;
    std::optional<std::map<std::string, std::string, std::less<>>> groups;
    std::size_t concurrency = 1;
};

auto group_fn(const instance& in) {
    return [&in](std::string_view id) -> std::string_view {
        if (!in.groups) return {};
        auto it = in.groups->find(id);
        return it == in.groups->end() ? std::string_view{} : std::string_view(it->second);
    };
}

testr::partition_plan run(const instance& in, testr::partition_algorithm algo) {
    auto p = testr::partition(in.ids, in.concurrency, testr::durations_from(in.durations), group_fn(in),
                              testr::partition_options{.algorithm = algo});
    REQUIRE(p.has_value());
    return *p;
}

std::vector<std::vector<std::string>> names(const instance& in, const testr::partition_plan& p) {
    std::vector<std::vector<std::string>> out;
    for (auto& w : p.workers) {
        out.emplace_back();
        for (auto i : w) out.back().push_back(in.ids[i]);
    }
    return out;
}

instance random_instance(std::mt19937_64& rng) {
    instance in;
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const int n = pick(0, 9) == 0 ? pick(100, 400) : pick(0, 40);
    in.concurrency = static_cast<std::size_t>(pick(1, 12));
    const double known_fraction = std::array{0.0, 0.3, 0.7, 1.0, 1.0}[pick(0, 4)];
    const bool grouped = pick(0, 1) == 1;
    const bool integer_times = pick(0, 2) == 0;  // many exact ties
    std::uniform_real_distribution<double> unit(0, 1);
    if (grouped) in.groups.emplace();
    const int n_groups = std::max(1, n / pick(1, 6));
    for (int i = 0; i < n; ++i) {
        // Some ids are other tests' group keys, as a regex match can be.
        std::string id = pick(0, 20) == 0 ? named("g", pick(0, n_groups)) : named("pkg.t", i);
        if (std::find(in.ids.begin(), in.ids.end(), id) != in.ids.end()) id = named("pkg.t", i);
        in.ids.push_back(id);
        if (unit(rng) < known_fraction) {
            double d;
            if (integer_times) d = pick(0, 5);
            else if (grouped) d = pick(0, 800) / 8.0;  // dyadic: sums exact in any order
            else d = unit(rng) * 10;
            in.durations[id] = d;
        }
        if (grouped && pick(0, 3) != 0) (*in.groups)[id] = named("g", pick(0, n_groups));
    }
    return in;
}

nlohmann::json to_json(const instance& in) {
    nlohmann::json durations = nlohmann::json::object();
    for (auto& [k, v] : in.durations) durations[k] = v;
    nlohmann::json j{{"ids", in.ids}, {"durations", durations}, {"concurrency", in.concurrency}};
    if (in.groups) {
        nlohmann::json g = nlohmann::json::object();
        for (auto& [k, v] : *in.groups) g[k] = v;
        j["groups"] = g;
    } else {
        j["groups"] = nullptr;
    }
    return j;
}

}  // namespace

TEST_CASE("compat partitions exactly as testrepository's partition_tests") {
    std::mt19937_64 rng(20261126);
    std::vector<instance> instances;
    for (int k = 0; k < 300; ++k) instances.push_back(random_instance(rng));
    nlohmann::json all = nlohmann::json::array();
    for (auto& in : instances) all.push_back(to_json(in));

    test_support::temp_dir dir;
    const auto path = dir / "instances.json";
    test_support::write_file(path, all.dump());
    const auto reference = test_support::run(test_support::python() + " " +
                                             test_support::shell_quote(test_support::source_file("tests/partition/reference.py")) +
                                             " " + test_support::shell_quote(path));
    REQUIRE_MESSAGE(reference.exit_code == 0, "reference.py failed; is python3-testrepository installed?");
    const auto& out = reference.out;
    auto expected = nlohmann::json::parse(out);
    REQUIRE(expected.size() == instances.size());

    std::size_t with_unknown = 0, with_groups = 0;
    for (std::size_t k = 0; k < instances.size(); ++k) {
        const auto& in = instances[k];
        with_unknown += in.durations.size() < in.ids.size();
        with_groups += in.groups.has_value();
        auto ours = names(in, run(in, testr::partition_algorithm::compat));
        auto theirs = expected[k].get<std::vector<std::vector<std::string>>>();
        INFO("instance " << k << ": " << to_json(in).dump());
        CHECK(ours == theirs);
    }
    // The sample must exercise what it claims to.
    CHECK(with_unknown > 50);
    CHECK(with_groups > 50);
}

TEST_CASE("balanced is never worse than compat and keeps groups whole") {
    std::mt19937_64 rng(7);
    for (int k = 0; k < 500; ++k) {
        instance in = random_instance(rng);
        auto compat = run(in, testr::partition_algorithm::compat);
        auto best = run(in, testr::partition_algorithm::balanced);
        // Both evaluated with the same estimates for unknown tests.
        CHECK(best.makespan() <= compat.makespan() * (1 + 1e-12));
        std::set<std::size_t> seen;
        std::map<std::string, std::size_t> group_worker;
        for (std::size_t w = 0; w < best.workers.size(); ++w)
            for (auto i : best.workers[w]) {
                CHECK(seen.insert(i).second);
                if (in.groups) {
                    auto it = in.groups->find(in.ids[i]);
                    std::string key = it == in.groups->end() ? in.ids[i] : it->second;
                    auto [pos, fresh] = group_worker.emplace(key, w);
                    CHECK(pos->second == w);
                }
            }
        CHECK(seen.size() == in.ids.size());
    }
}

TEST_CASE("balanced reaches the optimum on Graham's instance, where greedy gets 4/3") {
    for (std::size_t m : {4u, 8u, 16u, 32u, 64u}) {
        // 2m-1, 2m-1, 2m-2, 2m-2, ..., m+1, m+1, m, m, m: optimum 3m.
        std::vector<double> d;
        for (std::size_t v = 2 * m - 1; v > m; --v) { d.push_back(double(v)); d.push_back(double(v)); }
        d.insert(d.end(), {double(m), double(m), double(m)});
        std::vector<std::string> owned;
        for (std::size_t i = 0; i < d.size(); ++i) owned.push_back(std::string("t").append(std::to_string(i)));
        // Any range of string_views works, e.g. a range-v3 view; nothing is copied.
        auto ids = owned | ranges::views::transform([](const std::string& s) { return std::string_view(s); });
        auto by_pos = [&](std::size_t i, std::string_view) { return std::optional<double>(d[i]); };
        auto greedy = testr::partition(owned, m, by_pos, testr::no_groups{},
                                       {.algorithm = testr::partition_algorithm::compat});
        auto best = testr::partition(ids, m, by_pos);
        REQUIRE(best);
        CHECK(greedy->makespan() == doctest::Approx(4.0 * m - 1));
        CHECK(best->makespan() == doctest::Approx(3.0 * m));
        CHECK(testr::makespan_lower_bound(d, m) == doctest::Approx(3.0 * m));
        // The same with one more test of unknown duration, counted as 0 s:
        // compat over groups, then the other candidates.
        owned.push_back("unknown");
        auto with_unknown = [&](std::size_t i, std::string_view) {
            return i < d.size() ? std::optional<double>(d[i]) : std::nullopt;
        };
        auto partly = testr::partition(owned, m, with_unknown, testr::no_groups{}, {.unknown_estimate = 0.0});
        REQUIRE(partly);
        CHECK(partly->unknown_tests == 1);
        CHECK(partly->makespan() == doctest::Approx(3.0 * m));
        // And with a test light enough that LPT is tried first: it is far
        // from the bound here, so the search from compat still runs.
        d.push_back(1e-9);
        auto tiny = testr::partition(owned, m, by_pos);
        REQUIRE(tiny);
        CHECK(tiny->makespan() == doctest::Approx(3.0 * m));
    }
}

TEST_CASE("with every test timed and many per worker, balanced keeps compat's loads through LPT") {
    // Compat and LPT both give each group, heaviest first, to a least-loaded
    // worker and differ only among equally loaded ones, so the loads as a
    // multiset are the same: balanced takes the cheaper LPT once it is
    // within tolerance of the bound. Dyadic durations (sums exact in any
    // order): a head in halves, then tails of 1/2, 1/16, 1/256 and 1/4096
    // that level the loads to within the last; many exact ties on the way,
    // where the two pick different workers.
    std::mt19937_64 rng(5);
    std::uniform_int_distribution<int> halves(2, 12);
    for (bool grouped : {false, true}) {
        for (std::size_t m : {3u, 16u, 64u}) {
            std::vector<std::string> ids;
            std::vector<double> d;
            for (int k = 0; k < 5000; ++k) d.push_back(halves(rng) / 2.0);
            for (auto [tail, per_worker] : {std::pair{0.5, 24u}, {1 / 16.0, 16u}, {1 / 256.0, 32u}, {1 / 4096.0, 32u}})
                d.insert(d.end(), per_worker * m, tail);
            std::shuffle(d.begin(), d.end(), rng);
            for (std::size_t k = 0; k < d.size(); ++k)
                ids.push_back(named(d[k] >= 1 ? "pkg.mod_" : "pkg.tail_", long(k % 1000)) + named(".test_", long(k)));
            double total = 0;
            for (double x : d) total += x;
            auto by_pos = [&](std::size_t i, std::string_view) { return std::optional<double>(d[i]); };
            auto by_module = [&](std::string_view id) {
                return grouped && id.starts_with("pkg.mod_") ? id.substr(0, id.find(".test_")) : std::string_view{};
            };
            auto compat = testr::partition(ids, m, by_pos, by_module, {.algorithm = testr::partition_algorithm::compat});
            auto best = testr::partition(ids, m, by_pos, by_module);
            REQUIRE(compat);
            REQUIRE(best);
            INFO("grouped " << grouped << ", m = " << m);
            CHECK(best->method == "lpt");
            auto sorted = [](std::vector<double> v) { std::sort(v.begin(), v.end()); return v; };
            CHECK(sorted(best->predicted_seconds) == sorted(compat->predicted_seconds));
            CHECK(best->makespan() <= total / double(m) * (1 + 1e-6));
            CHECK(best->workers != compat->workers);  // the ties were broken differently
        }
    }
}

TEST_CASE("LPT assigns exactly as a plain heap would, ties included") {
    // The reference: a priority queue of (load, worker), least first, so
    // the lowest-numbered of equally loaded workers takes the item.
    auto heap_lpt = [](const std::vector<double>& w, const std::vector<std::uint32_t>& order, std::size_t m) {
        using slot = std::pair<double, std::uint32_t>;
        std::priority_queue<slot, std::vector<slot>, std::greater<>> heap;
        for (std::uint32_t j = 0; j < m; ++j) heap.push({0.0, j});
        testr::detail::assignment a{std::vector<std::uint32_t>(w.size()), std::vector<double>(m)};
        for (auto i : order) {
            auto [load, worker] = heap.top();
            heap.pop();
            a.worker_of[i] = worker;
            heap.push({load + w[i], worker});
        }
        for (; !heap.empty(); heap.pop()) a.load[heap.top().second] = heap.top().first;
        return a;
    };
    auto sorted = [](std::vector<double> v) { std::sort(v.begin(), v.end()); return v; };
    std::mt19937_64 rng(11);
    for (std::size_t m : {1u, 2u, 3u, 17u, 64u, 65u}) {
        for (std::size_t n : {0u, 1u, 5u, 40u, 100u, 3000u}) {
            for (int kind = 0; kind < 4; ++kind) {
                // Ties of every sort: few distinct weights, zeros, equal
                // loads from dyadic sums, and plain doubles.
                std::uniform_int_distribution<int> few(0, 3), many(1, 64);
                std::lognormal_distribution<double> spread(-1.0, 1.2);
                std::vector<double> w(n);
                for (auto& x : w) {
                    if (kind == 0) x = few(rng);
                    else if (kind == 1) x = many(rng) / 8.0;
                    else if (kind == 2) x = few(rng) == 0 ? 0.0 : spread(rng);
                    else x = spread(rng);
                }
                const auto order = testr::detail::order_heaviest_first(w);
                INFO("m = " << m << ", n = " << n << ", kind " << kind);
                const auto want = heap_lpt(w, order, m);
                const auto got = testr::detail::lpt(w, order, m);
                CHECK(got.worker_of == want.worker_of);
                CHECK(got.load == want.load);
                const auto any = testr::detail::lpt(w, order, m, true);
                CHECK(sorted(any.load) == sorted(want.load));
                std::vector<double> sums(m, 0.0);  // its loads are its assignment's
                for (auto i : order) sums[any.worker_of[i]] += w[i];
                CHECK(sums == any.load);
            }
        }
    }
}

TEST_CASE("a dominating test sets the makespan exactly") {
    std::vector<std::string> ids{"big", "a", "b", "c", "d", "e"};
    std::map<std::string, double, std::less<>> d{{"big", 100}, {"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 5}};
    auto p = testr::partition(ids, 3, testr::durations_from(d));
    REQUIRE(p);
    CHECK(p->makespan() == 100);
    REQUIRE(p->workers.size() == 3);
}

TEST_CASE("concurrency 0 gives one partition per group; spare workers stay empty") {
    std::vector<std::string> ids{"a.x", "a.y", "b.x", "c.x"};
    std::map<std::string, double, std::less<>> none;
    auto by_prefix = [](std::string_view id) { return id.substr(0, 1); };
    auto per_group = testr::partition(ids, 0, testr::durations_from(none), by_prefix);
    REQUIRE(per_group);
    REQUIRE(per_group->workers.size() == 3);
    CHECK(per_group->workers[0] == std::vector<std::size_t>{0, 1});
    auto per_test = testr::partition(ids, 0, testr::durations_from(none));
    CHECK(per_test->workers.size() == 4);
    for (auto algo : {testr::partition_algorithm::compat, testr::partition_algorithm::balanced}) {
        auto spare = testr::partition(ids, 8, testr::durations_from(none), by_prefix, {.algorithm = algo});
        REQUIRE(spare);
        CHECK(spare->workers.size() == 8);
        std::size_t nonempty = 0;
        for (auto& w : spare->workers) nonempty += !w.empty();
        CHECK(nonempty == 3);
    }
}

TEST_CASE("unknown tests are estimated at the median of the known ones") {
    std::vector<std::string> ids{"k1", "k2", "k3", "u1", "u2"};
    std::map<std::string, double, std::less<>> d{{"k1", 1}, {"k2", 7}, {"k3", 3}};
    auto p = testr::partition(ids, 2, testr::durations_from(d));
    REQUIRE(p);
    CHECK(p->unknown_tests == 2);
    CHECK(p->unknown_estimate == 3);
    double total = 0;
    for (double s : p->predicted_seconds) total += s;
    CHECK(total == doctest::Approx(1 + 7 + 3 + 3 + 3));
    auto fixed = testr::partition(ids, 2, testr::durations_from(d), testr::no_groups{}, {.unknown_estimate = 0.5});
    CHECK(fixed->unknown_estimate == 0.5);
}

TEST_CASE("the median of an even count is the mean of the two middle values, as Python's") {
    std::vector<std::string> ids{"k1", "k2", "k3", "k4", "u1"};
    std::map<std::string, double, std::less<>> d{{"k1", 1}, {"k2", 7}, {"k3", 3}, {"k4", 4}};
    auto p = testr::partition(ids, 2, testr::durations_from(d));
    REQUIRE(p);
    CHECK(p->unknown_estimate == 3.5);  // statistics.median([1, 7, 3, 4])
    std::vector<double> v{9, 2, 2, 5, 1, 8};
    CHECK(testr::detail::median_in_place(v) == 3.5);
    std::vector<double> one{4};
    CHECK(testr::detail::median_in_place(one) == 4);
    std::vector<double> odd{5, 1, 9, 3, 7};
    CHECK(testr::detail::median_in_place(odd) == 5);
}

TEST_CASE("bad input is rejected with the id named") {
    std::vector<std::string> dup{"a", "b", "a"};
    std::map<std::string, double, std::less<>> none;
    auto r = testr::partition(dup, 2, testr::durations_from(none));
    REQUIRE(!r);
    CHECK(r.error().what == testr::partition_error::kind::duplicate_id);
    CHECK(r.error().message.find("'a'") != std::string::npos);

    std::vector<std::string> ids{"a", "b"};
    std::map<std::string, double, std::less<>> neg{{"b", -1}};
    auto n = testr::partition(ids, 2, testr::durations_from(neg));
    REQUIRE(!n);
    CHECK(n.error().what == testr::partition_error::kind::negative_duration);
    CHECK(n.error().id == "b");
    std::map<std::string, double, std::less<>> nan{{"a", std::nan("")}};
    auto f = testr::partition(ids, 2, testr::durations_from(nan));
    REQUIRE(!f);
    CHECK(f.error().what == testr::partition_error::kind::non_finite_duration);
}

TEST_CASE("the same input always gives the same plan") {
    std::mt19937_64 rng(99);
    for (int k = 0; k < 50; ++k) {
        instance in = random_instance(rng);
        auto a = run(in, testr::partition_algorithm::balanced);
        auto b = run(in, testr::partition_algorithm::balanced);
        CHECK(a.workers == b.workers);
    }
}

TEST_CASE("ids that differ only in the middle are told apart (and quickly)") {
    std::vector<std::string> ids;
    for (int k = 0; k < 20000; ++k) ids.push_back(named("tests.test_mod_", 100000 + k) + ".TestCase.test_a");
    std::map<std::string, double, std::less<>> none;
    auto p = testr::partition(ids, 4, testr::durations_from(none));
    REQUIRE(p);
    std::size_t total = 0;
    for (auto& w : p->workers) total += w.size();
    CHECK(total == ids.size());
    ids.push_back(ids[12345]);
    auto dup = testr::partition(ids, 4, testr::durations_from(none));
    REQUIRE(!dup);
    CHECK(dup.error().what == testr::partition_error::kind::duplicate_id);
}

TEST_CASE("the radix ranking equals a stable sort, near-ties included") {
    // Weights that differ only beyond a float's precision share a radix key
    // and must still come out in exact (weight, item) order.
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int> pick(0, 50);
    std::vector<double> w(50000);
    for (auto& x : w) x = pick(rng) == 0 ? 0.0 : 1.0 + pick(rng) * 1e-12 + pick(rng);
    std::vector<std::uint32_t> want(w.size());
    std::iota(want.begin(), want.end(), 0u);
    std::stable_sort(want.begin(), want.end(), [&](auto a, auto b) { return w[a] > w[b]; });
    CHECK(testr::detail::order_heaviest_first(w) == want);
}

TEST_CASE("a repeated id is found whether the ids can be indexed or only walked") {
    // A vector and a view are read in place; a list's ids are gathered
    // into views first. Each way the same repeat is reported.
    std::vector<std::string> owned;
    for (int k = 0; k < 50000; ++k) owned.push_back(named("pkg.mod_", k) + ".Case.test");
    owned[40000] = owned[123];
    const std::list<std::string> listed(owned.begin(), owned.end());
    auto viewed = owned | ranges::views::transform([](const std::string& s) { return std::string_view(s); });
    auto none = [](std::size_t, std::string_view) { return std::optional<double>(1.0); };
    auto by_vector = testr::partition(owned, 4, none);
    auto by_list = testr::partition(listed, 4, none);
    auto by_view = testr::partition(viewed, 4, none);
    for (const auto* r : {&by_vector, &by_list, &by_view}) {
        REQUIRE(!*r);
        CHECK(r->error().what == testr::partition_error::kind::duplicate_id);
        CHECK(r->error().id == owned[123]);
    }
    owned[40000] = "pkg.unique";
    const std::list<std::string> distinct(owned.begin(), owned.end());
    auto fine = testr::partition(distinct, 4, none);
    REQUIRE(fine);
    CHECK(fine->makespan() == 12500.0);
}

TEST_CASE("among many ids the first repeat in input order is reported, after earlier bad durations") {
    std::vector<std::string> ids;
    for (int k = 0; k < 200000; ++k) ids.push_back(named("pkg.mod_", k) + ".Case.test");
    ids[150000] = ids[10];
    ids[120000] = ids[5000];
    auto none = [](std::size_t, std::string_view) { return std::optional<double>(1.0); };
    auto r = testr::partition(ids, 8, none);
    REQUIRE(!r);
    CHECK(r.error().what == testr::partition_error::kind::duplicate_id);
    CHECK(r.error().id == ids[5000]);
    auto negative_before = [](std::size_t i, std::string_view) { return std::optional<double>(i == 110000 ? -1.0 : 1.0); };
    auto n = testr::partition(ids, 8, negative_before);
    REQUIRE(!n);
    CHECK(n.error().what == testr::partition_error::kind::negative_duration);
    CHECK(n.error().id == ids[110000]);
    // A bad duration after the first repeat is never reached by such a check.
    auto negative_after = [](std::size_t i, std::string_view) { return std::optional<double>(i == 130000 ? -1.0 : 1.0); };
    auto a = testr::partition(ids, 8, negative_after);
    REQUIRE(!a);
    CHECK(a.error().what == testr::partition_error::kind::duplicate_id);
    CHECK(a.error().id == ids[5000]);
    auto infinite_first = [](std::size_t i, std::string_view) {
        return std::optional<double>(i == 7 ? -std::numeric_limits<double>::infinity() : i == 9 ? std::nan("") : 1.0);
    };
    auto f = testr::partition(ids, 8, infinite_first);
    REQUIRE(!f);
    CHECK(f.error().what == testr::partition_error::kind::non_finite_duration);
    CHECK(f.error().id == ids[7]);
}

TEST_CASE("the id hash reads every byte, whatever the length") {
    // Flipping any one byte of an id of any length 0..80 changes its hash:
    // the tail words overlap, nothing is left unread.
    std::set<std::uint64_t> seen;
    std::string base(80, 'a');
    for (std::size_t len = 0; len <= 80; ++len) {
        const std::string id = base.substr(0, len);
        CHECK(seen.insert(testr::detail::id_index::hash(id)).second);
        for (std::size_t at = 0; at < len; ++at) {
            std::string flipped = id;
            flipped[at] = 'b';
            CHECK(seen.insert(testr::detail::id_index::hash(flipped)).second);
        }
    }
}
