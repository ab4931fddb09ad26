// The partitioner benchmark's public API (testr/partition_bench.hpp): a
// partitioner written here is scored and lands where theory says.
#include <testr/partition_bench.hpp>

#include <doctest/doctest.h>

#include <map>

namespace {

// Round robin in input order: what a runner does with no durations at all.
testr::bench::assignment round_robin(std::span<const double> seconds, std::size_t m, std::span<const std::uint32_t>) {
    testr::bench::assignment a(seconds.size());
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::uint32_t>(i % m);
    return a;
}

testr::bench::partitioner builtin(const std::string& name) {
    for (auto& [n, p] : testr::bench::builtin_partitioners())
        if (n == name) return p;
    FAIL("no partitioner " << name);
    return {};
}

}  // namespace

TEST_CASE("LPT is exactly 4/3 - 1/(3m) from the optimum on its worst case") {
    for (std::size_t m : {2u, 3u, 4u, 6u, 8u}) {
        auto in = testr::bench::family("lpt worst case", m, 1);
        auto s = testr::bench::evaluate(builtin("lpt"), in);
        REQUIRE(s.valid);
        REQUIRE(s.optimum);
        CHECK(*s.optimum == doctest::Approx(3.0 * m));
        CHECK(s.makespan == doctest::Approx(4.0 * m - 1));
        CHECK(s.ratio == doctest::Approx(4.0 / 3 - 1.0 / (3.0 * m)));
        // balanced finds the optimum there.
        CHECK(testr::bench::evaluate(builtin("balanced"), in).ratio == doctest::Approx(1.0));
    }
}

TEST_CASE("round robin is far worse than the project's algorithms on lognormal durations") {
    double rr = 0, lpt = 0, balanced = 0;
    const int seeds = 20;
    for (int seed = 0; seed < seeds; ++seed) {
        auto in = testr::bench::family("lognormal", 16, static_cast<std::uint64_t>(seed));
        auto r = testr::bench::evaluate(round_robin, in);
        REQUIRE(r.valid);
        CHECK(r.ratio >= 1.0);
        rr += r.ratio / seeds;
        lpt += testr::bench::evaluate(builtin("lpt"), in).ratio / seeds;
        balanced += testr::bench::evaluate(builtin("balanced"), in).ratio / seeds;
    }
    MESSAGE("mean ratio to the bound: round robin " << rr << ", lpt " << lpt << ", balanced " << balanced);
    CHECK(rr > 1.5);            // ten lognormal tests per worker, dealt blindly
    CHECK(lpt < 1.05);
    CHECK(balanced <= lpt + 1e-12);
    CHECK(balanced < 1.01);
}

TEST_CASE("every built-in is valid on every family, and balanced is never worse than compat") {
    for (const auto& name : testr::bench::family_names()) {
        for (std::size_t m : {3u, 8u, 32u}) {
            auto in = testr::bench::family(name, m, 7);
            REQUIRE(!in.seconds.empty());
            std::map<std::string, testr::bench::score> s;
            for (auto& [n, p] : testr::bench::builtin_partitioners()) {
                s[n] = testr::bench::evaluate(p, in);
                CHECK_MESSAGE(s[n].valid, n << " on " << name << ": " << s[n].problem);
                CHECK(s[n].ratio >= 1.0 - 1e-9);  // nothing beats the bound
                // ...and none is off by more than LPT's worst case allows.
                CHECK_MESSAGE(s[n].ratio < 4.0 / 3, n << " on " << name << ": " << s[n].ratio);
            }
            CHECK(s["balanced"].makespan <= s["compat"].makespan * (1 + 1e-12));
        }
    }
    CHECK(testr::bench::family("no such family", 4, 0).seconds.empty());
}

TEST_CASE("a partitioner that splits a group or leaves the workers is not valid") {
    auto in = testr::bench::family("grouped", 4, 3);
    auto split = testr::bench::evaluate(round_robin, in);  // ignores groups
    CHECK(!split.valid);
    CHECK(split.problem.find("split over workers") != std::string::npos);
    auto beyond = testr::bench::evaluate(
        [](std::span<const double> s, std::size_t m, std::span<const std::uint32_t>) {
            return testr::bench::assignment(s.size(), static_cast<std::uint32_t>(m));
        },
        in);
    CHECK(!beyond.valid);
    CHECK(beyond.problem.find("on worker 4 of 4") != std::string::npos);
}

TEST_CASE("instances are the same for a seed, and the clock is the caller's") {
    auto a = testr::bench::family("lognormal", 8, 42), b = testr::bench::family("lognormal", 8, 42);
    CHECK(a.seconds == b.seconds);
    CHECK(a.seconds != testr::bench::family("lognormal", 8, 43).seconds);
    double fake = 0;
    auto ticking = [&] { return fake += 0.5; };  // each reading half a second on
    auto s = testr::bench::evaluate(round_robin, a, ticking, 3);
    CHECK(s.seconds_per_call == doctest::Approx(0.5));
}

TEST_CASE("the dynamic schedule under noise beats a static plan made from the same wrong estimates") {
    double static_sum = 0, dynamic_sum = 0;
    for (int seed = 0; seed < 10; ++seed) {
        auto in = testr::bench::family("lognormal", 8, static_cast<std::uint64_t>(seed));
        auto plan = builtin("balanced")(in.seconds, in.workers, in.group);
        auto run = testr::bench::simulate_noise(in, plan, 1.0, static_cast<std::uint64_t>(seed));
        CHECK(run.dynamic_runners >= in.workers);
        static_sum += run.static_makespan;
        dynamic_sum += run.dynamic_makespan;
        // Without noise the static plan is what was predicted.
        auto exact = testr::bench::simulate_noise(in, plan, 0.0, 1);
        CHECK(exact.static_makespan == doctest::Approx(testr::bench::check(in, plan).makespan));
    }
    MESSAGE("sigma 1 noise: static " << static_sum << " s, dynamic " << dynamic_sum << " s");
    CHECK(dynamic_sum < static_sum);
}

TEST_CASE("a real-suite shape is the recording at seed 0 and a rerun of it at any other") {
    std::vector<double> recorded;
    for (int i = 0; i < 4000; ++i) recorded.push_back(0.001 * (1 + i % 97));
    auto zero = testr::bench::shaped("suite:x", recorded, 4, 0);
    CHECK(zero.seconds == recorded);
    CHECK(zero.workers == 4);
    CHECK(zero.group.empty());
    auto one = testr::bench::shaped("suite:x", recorded, 4, 1);
    CHECK(one.seconds == testr::bench::shaped("suite:x", recorded, 16, 1).seconds);  // the suite's tests, any m
    CHECK(one.seconds != testr::bench::shaped("suite:x", recorded, 4, 2).seconds);
    // Each test its recorded time x exp(N(0, 0.25)).
    double sum = 0, squares = 0;
    for (std::size_t i = 0; i < recorded.size(); ++i) {
        const double l = std::log(one.seconds[i] / recorded[i]);
        sum += l;
        squares += l * l;
    }
    const double n = static_cast<double>(recorded.size()), mean = sum / n;
    CHECK(std::abs(mean) < 0.02);
    CHECK(std::sqrt(squares / n - mean * mean) == doctest::Approx(0.25).epsilon(0.06));
}
