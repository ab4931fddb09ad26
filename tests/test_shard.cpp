// CI shards (testr/shard.hpp): one split from the same ids and history,
// whatever their order; tests without history by a fixed hash; groups whole;
// balance against the partitioner's lower bound.
#include <testr/shard.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

std::string named(std::string_view prefix, long long k) { return std::string(prefix).append(std::to_string(k)); }

using history = std::map<std::string, double, std::less<>>;

/// Shards as sets of ids, so splits of differently ordered inputs compare.
std::vector<std::set<std::string>> split(const std::vector<std::string>& ids, std::size_t total, const history& h,
                                         bool grouped = false) {
    // Group key: the id up to its last '.', as a group_regex for classes.
    auto groups = [grouped](std::string_view id) -> std::string_view {
        if (!grouped) return {};
        auto dot = id.rfind('.');
        return dot == std::string_view::npos ? std::string_view{} : id.substr(0, dot);
    };
    auto plan = testr::plan_shards(ids, total, testr::durations_from(h), groups);
    REQUIRE(plan);
    REQUIRE(plan->shards.size() == total);
    std::vector<std::set<std::string>> out;
    for (auto& s : plan->shards) {
        std::set<std::string> ids_of;
        for (auto i : s) ids_of.insert(ids[i]);
        out.push_back(ids_of);
    }
    return out;
}

std::size_t shard_of(const std::vector<std::set<std::string>>& shards, const std::string& id) {
    for (std::size_t s = 0; s < shards.size(); ++s)
        if (shards[s].count(id)) return s;
    return SIZE_MAX;
}

/// A suite: `timed` tests with lognormal history (a few long ones), then
/// `untimed` without, in classes of 5.
struct suite {
    std::vector<std::string> ids;
    history durations;
};

suite make_suite(std::size_t timed, std::size_t untimed, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> seconds(0.0, 1.2);
    suite s;
    for (std::size_t i = 0; i < timed + untimed; ++i) {
        std::string id = named("pkg.mod", static_cast<long long>(i / 5)) + named(".test_", static_cast<long long>(i));
        if (i < timed) s.durations[id] = seconds(rng) * (i % 97 == 0 ? 30 : 1);
        s.ids.push_back(std::move(id));
    }
    return s;
}

}  // namespace

TEST_CASE("shard_hash is 64-bit FNV-1a: the published test vectors") {
    CHECK(testr::shard_hash("") == 0xcbf29ce484222325ull);
    CHECK(testr::shard_hash("a") == 0xaf63dc4c8601ec8cull);
    CHECK(testr::shard_hash("foobar") == 0x85944171f73967e8ull);
    // Bytes, not chars: a byte above 0x7f is not sign-extended.
    CHECK(testr::shard_hash("\xff") != testr::shard_hash("\x7f"));
}

TEST_CASE("parse_shard_spec takes INDEX/TOTAL counted from 1, and says what is wrong") {
    CHECK(testr::parse_shard_spec("1/1").value() == testr::shard_spec{1, 1});
    CHECK(testr::parse_shard_spec("3/8").value() == testr::shard_spec{3, 8});
    CHECK(testr::parse_shard_spec("08/08").value() == testr::shard_spec{8, 8});
    for (const char* bad : {"", "3", "/3", "3/", "0/3", "4/3", "1/0", "-1/3", "+1/3", "1.0/3", " 1/3", "1/3 ", "a/b",
                            "1/2/3", "99999999999/3"}) {
        CAPTURE(bad);
        auto got = testr::parse_shard_spec(bad);
        REQUIRE_FALSE(got);
        CHECK(got.error().find("'" + std::string(bad) + "'") != std::string::npos);
    }
    CHECK(testr::parse_shard_spec("0/3").error().find("counts from 1") != std::string::npos);
}

TEST_CASE("every test is in exactly one shard") {
    const suite s = make_suite(300, 100, 1);
    for (std::size_t total : {1u, 2u, 3u, 8u, 1000u}) {
        CAPTURE(total);
        auto shards = split(s.ids, total, s.durations);
        std::multiset<std::string> seen;
        for (auto& sh : shards) seen.insert(sh.begin(), sh.end());
        CHECK(seen.size() == s.ids.size());
        CHECK(std::set<std::string>(seen.begin(), seen.end()) == std::set<std::string>(s.ids.begin(), s.ids.end()));
    }
}

TEST_CASE("the split does not depend on the order of the ids") {
    const suite s = make_suite(200, 60, 2);
    for (bool grouped : {false, true}) {
        CAPTURE(grouped);
        const auto reference = split(s.ids, 5, s.durations, grouped);
        std::vector<std::string> shuffled = s.ids;
        std::mt19937 rng(7);
        for (int round = 0; round < 5; ++round) {
            std::shuffle(shuffled.begin(), shuffled.end(), rng);
            CHECK(split(shuffled, 5, s.durations, grouped) == reference);
        }
        std::reverse(shuffled.begin(), shuffled.end());
        CHECK(split(shuffled, 5, s.durations, grouped) == reference);
    }
}

TEST_CASE("tests without history go to shard_hash(id) % total") {
    const suite s = make_suite(0, 50, 3);
    auto plan = testr::plan_shards(s.ids, 7, testr::durations_from(s.durations));
    REQUIRE(plan);
    CHECK(plan->method == "hash");
    CHECK(plan->unknown_tests == 50);
    for (std::size_t k = 0; k < 7; ++k)
        for (auto i : plan->shards[k]) {
            CHECK(testr::shard_hash(s.ids[i]) % 7 == k);
            CHECK(plan->hashed[i] == 1);
        }
}

TEST_CASE("adding a test without history moves no other test") {
    const suite s = make_suite(120, 40, 4);
    for (bool grouped : {false, true}) {
        CAPTURE(grouped);
        const auto before = split(s.ids, 4, s.durations, grouped);
        for (const char* added : {"pkg.mod0.test_new", "pkg.brand_new.test_x", "zzz"}) {
            CAPTURE(added);
            std::vector<std::string> more = s.ids;
            more.insert(more.begin() + 17, added);
            auto after = split(more, 4, s.durations, grouped);
            const std::size_t home = shard_of(after, added);
            REQUIRE(home != SIZE_MAX);
            after[home].erase(added);
            CHECK(after == before);
        }
    }
}

TEST_CASE("removing a test without history moves no other test") {
    const suite s = make_suite(50, 50, 5);
    const auto before = split(s.ids, 3, s.durations);
    std::vector<std::string> fewer = s.ids;
    const std::string gone = fewer.back();  // untimed: the last 50 have no history
    fewer.pop_back();
    auto after = split(fewer, 3, s.durations);
    after[shard_of(before, gone)].insert(gone);
    CHECK(after == before);
}

TEST_CASE("groups stay whole, timed or not") {
    const suite s = make_suite(100, 100, 6);
    const auto shards = split(s.ids, 6, s.durations, true);
    std::map<std::string, std::size_t> home;
    for (auto& id : s.ids) {
        const std::string cls = id.substr(0, id.rfind('.'));
        const std::size_t k = shard_of(shards, id);
        auto [it, fresh] = home.emplace(cls, k);
        CAPTURE(id);
        CHECK(it->second == k);
    }
    // A group with one timed member is timed as a whole: partitioned, not hashed.
    history one{{"a.slow.t1", 5.0}};
    std::vector<std::string> ids{"a.slow.t1", "a.slow.t2", "a.slow.t3", "b.fresh.t1"};
    auto groups = [](std::string_view id) { return id.substr(0, id.rfind('.')); };
    auto plan = testr::plan_shards(ids, 2, testr::durations_from(one), groups);
    REQUIRE(plan);
    CHECK(plan->hashed == std::vector<char>{0, 0, 0, 1});
    CHECK(plan->unknown_tests == 3);
}

TEST_CASE("with history the shards are balanced near the lower bound") {
    const suite s = make_suite(2000, 0, 8);
    std::vector<double> weights;
    for (auto& [id, d] : s.durations) weights.push_back(d);
    for (std::size_t total : {3u, 8u}) {
        CAPTURE(total);
        auto plan = testr::plan_shards(s.ids, total, testr::durations_from(s.durations));
        REQUIRE(plan);
        double sum = 0;
        for (double p : plan->predicted_seconds) sum += p;
        const double mean = sum / static_cast<double>(total);
        CHECK(plan->makespan() / mean <= 1.01);
        CHECK(plan->makespan() <= testr::makespan_lower_bound(weights, total) * 1.01);
        CHECK(plan->unknown_tests == 0);
    }
}

TEST_CASE("predicted seconds count each unknown test as the median of the recorded ones") {
    history h{{"a", 1.0}, {"b", 2.0}, {"c", 9.0}};
    std::vector<std::string> ids{"a", "b", "c", "d", "e"};
    auto plan = testr::plan_shards(ids, 2, testr::durations_from(h));
    REQUIRE(plan);
    CHECK(plan->unknown_estimate == 2.0);
    double sum = 0;
    for (double p : plan->predicted_seconds) sum += p;
    CHECK(sum == doctest::Approx(16.0));
    CHECK(plan->method.ends_with("+hash"));
    testr::shard_options fixed;
    fixed.unknown_estimate = 0.5;
    auto guessed = testr::plan_shards(ids, 2, testr::durations_from(h), testr::no_groups{}, fixed);
    REQUIRE(guessed);
    CHECK(guessed->unknown_estimate == 0.5);
}

TEST_CASE("more shards than tests leaves shards empty; within a shard ids are in byte order") {
    history h{{"b", 1.0}, {"a", 1.0}};
    std::vector<std::string> ids{"b", "a", "\xc3\xa9", "Z"};
    auto plan = testr::plan_shards(ids, 10, testr::durations_from(h));
    REQUIRE(plan);
    std::size_t placed = 0;
    for (auto& sh : plan->shards) {
        placed += sh.size();
        for (std::size_t i = 1; i < sh.size(); ++i) CHECK(ids[sh[i - 1]] < ids[sh[i]]);
    }
    CHECK(placed == 4);
    auto one = testr::plan_shards(ids, 1, testr::durations_from(h));
    REQUIRE(one);
    CHECK(one->shards[0] == std::vector<std::size_t>{3, 1, 0, 2});  // "Z" < "a" < "b" < "\xc3\xa9"
}

TEST_CASE("errors: no shards, a repeated id, a bad duration") {
    std::vector<std::string> ids{"a", "b", "a"};
    history none;
    auto zero = testr::plan_shards(std::vector<std::string>{"a"}, 0, testr::durations_from(none));
    REQUIRE_FALSE(zero);
    CHECK(zero.error().what == testr::shard_error::kind::no_shards);
    auto twice = testr::plan_shards(ids, 2, testr::durations_from(none));
    REQUIRE_FALSE(twice);
    CHECK(twice.error().what == testr::shard_error::kind::duplicate_id);
    CHECK(twice.error().id == "a");
    history negative{{"b", -1.0}};
    auto bad = testr::plan_shards(std::vector<std::string>{"a", "b"}, 2, testr::durations_from(negative));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().what == testr::shard_error::kind::negative_duration);
    CHECK(bad.error().message.find("'b'") != std::string::npos);
}

TEST_CASE("the marker a shard's stream starts with reads back, and nothing else reads as one") {
    const testr::shard_marker m{{2, 20}, 0};
    CHECK(testr::shard_marker_tag(m) == "testr-mini.shard=2/20,tests=0");
    CHECK(testr::parse_shard_marker(testr::shard_marker_tag(m)) == m);
    const testr::shard_marker big{{7, 4294967295u}, 123456};
    CHECK(testr::parse_shard_marker(testr::shard_marker_tag(big)) == big);
    for (std::string_view bad : {"", "testr-mini.shard", "testr-mini.shard=", "testr-mini.shard=0/3,tests=1",
                                 "testr-mini.shard=4/3,tests=1", "testr-mini.shard=2/3,tests=", "testr-mini.shard=2/3,tests=-1",
                                 "testr-mini.shard=2/3, tests=1", "testr-mini.shard=2/3,tests=1 ", "testr-mini.shardx2/3,tests=1",
                                 "testr-mini.shard=2,tests=1", "shard-2", "worker-0"})
        CHECK_MESSAGE(!testr::parse_shard_marker(bad), bad);
}
