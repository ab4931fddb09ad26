// The dynamic scheduler as a state machine: every test handed out once,
// groups whole, deterministic, corrections from observations; and runs of
// generated suites on a fake clock (tests/schedule_sim.hpp) against the
// scheduling targets and beside the static partitioning.
#include "schedule_sim.hpp"

#include <testr/dynamic_schedule.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <string>
#include <vector>

namespace {

std::vector<testr::work_item> singles(const std::vector<double>& estimates, bool guessed = false) {
    std::vector<testr::work_item> items;
    for (std::size_t i = 0; i < estimates.size(); ++i) items.push_back({{i}, estimates[i], guessed});
    return items;
}

// Drives a scheduler to the end on a simple clock (a runner's tests are
// all reported when it starts; the idle slot that is free first asks next);
// returns every runner's tests in hand-out order.
std::vector<std::vector<std::size_t>> drain(testr::dynamic_scheduler& s, const std::vector<double>& real) {
    std::vector<std::vector<std::size_t>> runners;
    std::vector<double> busy_until(s.workers(), 0);
    auto start = [&](std::size_t w, const std::vector<std::size_t>& tests, double now) {
        runners.push_back(tests);
        double t = now + s.options().start_cost;
        for (auto test : tests) {
            t += real[test];
            s.observed(test, real[test]);
        }
        busy_until[w] = t;
    };
    for (std::size_t w = 0; w < s.workers(); ++w)
        if (!s.initial_batches()[w].empty()) start(w, s.initial_batches()[w], 0);
    for (;;) {
        const auto w = static_cast<std::size_t>(std::min_element(busy_until.begin(), busy_until.end()) - busy_until.begin());
        if (busy_until[w] == INFINITY) break;
        auto chunk = s.next_chunk(w, busy_until[w]);
        if (chunk.empty()) busy_until[w] = INFINITY;
        else start(w, chunk, busy_until[w]);
    }
    return runners;
}

}  // namespace

TEST_CASE("bad input is an error") {
    CHECK_FALSE(testr::dynamic_scheduler::create(singles({1, 2}), 0).has_value());
    CHECK_FALSE(testr::dynamic_scheduler::create(singles({1, -2}), 2).has_value());
    CHECK_FALSE(testr::dynamic_scheduler::create(singles({1, NAN}), 2).has_value());
    CHECK_FALSE(testr::dynamic_scheduler::create({{{0, 1}, 1}, {{1}, 1}}, 2).has_value());
    CHECK_FALSE(testr::dynamic_scheduler::create(singles({1}), 2, {.start_cost = -1}).has_value());
    CHECK_FALSE(testr::dynamic_scheduler::create(singles({1}), 2, {.chunk_factor = 0}).has_value());
    auto empty = testr::dynamic_scheduler::create({}, 3);
    REQUIRE(empty.has_value());
    CHECK(empty->finished());
    CHECK(empty->next_chunk(0, 0).empty());
}

TEST_CASE("every test is handed out exactly once, groups whole and in order") {
    std::vector<testr::work_item> items;
    std::size_t next = 0;
    for (int k = 0; k < 200; ++k) {
        testr::work_item it;
        const int size = k % 7 == 0 ? 3 : 1;
        for (int t = 0; t < size; ++t) it.tests.push_back(next++);
        it.estimate = 0.01 * (1 + (k * 37) % 50);
        items.push_back(it);
    }
    std::vector<double> real(next);
    for (std::size_t t = 0; t < next; ++t) real[t] = 0.003 * (1 + (t * 13) % 40);
    auto s = testr::dynamic_scheduler::create(items, 4, {.start_cost = 0.01});
    REQUIRE(s.has_value());
    CHECK(s->options().planned_fraction == doctest::Approx(0.75));
    CHECK(s->options().min_chunk == doctest::Approx(0.05));
    auto runners = drain(*s, real);
    CHECK(s->finished());
    CHECK(runners.size() > 4);  // the queue really was handed out in chunks
    std::vector<int> seen(next, 0);
    for (auto& r : runners)
        for (auto t : r) ++seen[t];
    for (std::size_t t = 0; t < next; ++t) CHECK(seen[t] == 1);
    for (auto& it : items) {
        if (it.tests.size() < 2) continue;
        bool whole = false;
        for (auto& r : runners) {
            auto at = std::find(r.begin(), r.end(), it.tests.front());
            if (at == r.end()) continue;
            whole = static_cast<std::size_t>(r.end() - at) >= it.tests.size() &&
                    std::equal(it.tests.begin(), it.tests.end(), at);
        }
        CHECK(whole);
    }
}

TEST_CASE("deterministic: the same inputs give the same runners") {
    auto s = sim::make_suite("drift", 4, 3);
    auto items = testr::work_items(s.ids, sim::estimates_of(s), sim::group_fn(s));
    auto a = testr::dynamic_scheduler::create(items, 4, {.start_cost = 0.1});
    auto b = testr::dynamic_scheduler::create(items, 4, {.start_cost = 0.1});
    REQUIRE((a && b));
    CHECK(drain(*a, s.real) == drain(*b, s.real));
}

TEST_CASE("a queue too small for a chunk each means a static plan") {
    auto s = testr::dynamic_scheduler::create(singles(std::vector<double>(40, 0.1)), 4,
                                              {.start_cost = 0.01, .min_chunk = 0.3});
    REQUIRE(s.has_value());
    CHECK(s->options().planned_fraction == 1);
    CHECK(s->why_static().find("min_chunk") != std::string_view::npos);
    CHECK(s->finished());
    std::size_t planned = 0;
    for (auto& b : s->initial_batches()) {
        CHECK(b.size() == 10);
        planned += b.size();
    }
    CHECK(planned == 40);
    CHECK(s->next_chunk(2, 1.0).empty());
    // A start dear against each worker's work (0.06 s on 1 s): no queue.
    auto dear = testr::dynamic_scheduler::create(singles(std::vector<double>(40, 0.1)), 4, {.start_cost = 0.06});
    CHECK(dear->options().planned_fraction == 1);
    CHECK(dear->why_static().find("max_start_share") != std::string_view::npos);
    auto cheap = testr::dynamic_scheduler::create(singles(std::vector<double>(40, 0.1)), 4, {.start_cost = 0.04});
    CHECK(cheap->options().planned_fraction < 1);
    CHECK(cheap->why_static().empty());
    // One worker: nothing to balance, so no queue either.
    auto one = testr::dynamic_scheduler::create(singles({1, 2, 3}), 1);
    CHECK(one->initial_batches()[0].size() == 3);
}

TEST_CASE("planned batches end a runner start apart, so fresh runners do not all start at once") {
    // 400 tests of 10 ms on 4 workers: 0.75 s planned each; a step is
    // min(start, 1% of that) = 7.5 ms, so worker w gives back w * 7.5 ms.
    const std::vector<double> tests(400, 0.01);
    auto staggered = testr::dynamic_scheduler::create(singles(tests), 4, {.start_cost = 0.02});
    auto level = testr::dynamic_scheduler::create(singles(tests), 4, {.start_cost = 0.02, .stagger = 0});
    REQUIRE((staggered && level));
    std::vector<std::size_t> sizes, level_sizes;
    for (auto& b : staggered->initial_batches()) sizes.push_back(b.size());
    for (auto& b : level->initial_batches()) level_sizes.push_back(b.size());
    CHECK(level_sizes == std::vector<std::size_t>{75, 75, 75, 75});
    CHECK(sizes == std::vector<std::size_t>{75, 75, 74, 73});
    // What was given back waits at the head of the queue, nothing is lost.
    CHECK(staggered->queued_items() == level->queued_items() + 3);
    std::vector<double> real = tests;
    std::size_t handed = 0;
    for (auto& r : drain(*staggered, real)) handed += r.size();
    CHECK(handed == 400);
}

TEST_CASE("with no history, a queue only when runners start cheaply") {
    // Every estimate a guess: nothing bounds what extra starts cost, so the
    // queue needs a start at most cold_start_limit.
    const std::vector<double> guesses(40, 1.0);
    auto dear = testr::dynamic_scheduler::create(singles(guesses, true), 4, {.start_cost = 0.2});
    REQUIRE(dear.has_value());
    CHECK(dear->options().planned_fraction == 1);
    CHECK(dear->why_static().find("cold_start_limit") != std::string_view::npos);
    CHECK(dear->finished());
    auto cheap = testr::dynamic_scheduler::create(singles(guesses, true), 4, {.start_cost = 0.03});
    REQUIRE(cheap.has_value());
    CHECK(cheap->options().planned_fraction == doctest::Approx(0.5));
    CHECK(cheap->queued_items() == 20);
    // The same start with some history keeps its queue.
    auto mixed = singles(guesses, true);
    mixed[0].guessed = false;
    auto known = testr::dynamic_scheduler::create(std::move(mixed), 4, {.start_cost = 0.2});
    CHECK(known->options().planned_fraction < 1);
    CHECK(known->why_static().empty());
    // And on the generated cold suites a cheap start pays: below the static
    // plan on average, at both widths.
    for (std::size_t workers : {4u, 8u}) {
        double dynamic = 0, fixed = 0;
        for (std::uint64_t seed = 1; seed <= 12; ++seed) {
            auto s = sim::make_suite("cold", workers, seed, 0.03);
            dynamic += sim::run_dynamic(s, workers).ratio / 12;
            fixed += sim::run_static(s, workers).ratio / 12;
        }
        INFO("cold on " << workers << ": dynamic " << dynamic << ", static " << fixed);
        CHECK(dynamic < 1.10);
        CHECK(dynamic < fixed - 0.05);
    }
}

TEST_CASE("longest items are planned; the queue drains longest first, in shrinking chunks") {
    std::vector<double> est;
    for (int i = 0; i < 400; ++i) est.push_back(0.01 + 0.0001 * ((i * 7919) % 400));
    auto s = testr::dynamic_scheduler::create(singles(est), 4, {.chunk_factor = 0.5, .hedge = 0});
    REQUIRE(s.has_value());
    double shortest_planned = INFINITY;
    for (auto& b : s->initial_batches())
        for (auto t : b) shortest_planned = std::min(shortest_planned, est[t]);
    auto runners = drain(*s, est);
    REQUIRE(runners.size() > 8);
    std::vector<double> sizes;
    double previous_item = INFINITY;
    for (std::size_t r = 4; r < runners.size(); ++r) {
        double size = 0;
        for (auto t : runners[r]) {
            CHECK(est[t] <= shortest_planned);
            CHECK(est[t] <= previous_item + 1e-12);  // first fit may take a shorter one, never a longer one later
            size += est[t];
        }
        previous_item = est[runners[r].front()];
        sizes.push_back(size);
    }
    const std::size_t half = sizes.size() / 2;
    const double early = std::accumulate(sizes.begin(), sizes.begin() + half, 0.0) / half;
    const double late = std::accumulate(sizes.begin() + half, sizes.end(), 0.0) / (sizes.size() - half);
    CHECK(late < early * 0.75);
    // Never below min_chunk by more than first fit leaves over (items here are >= 0.01 s).
    for (std::size_t c = 0; c + 1 < sizes.size(); ++c) CHECK(sizes[c] >= s->options().min_chunk - 0.01);
}

TEST_CASE("observations correct the remaining estimates") {
    // Everything takes twice its estimate: the correction says so.
    std::vector<double> est(100, 0.1), real(100, 0.2);
    auto s = testr::dynamic_scheduler::create(singles(est), 4);
    REQUIRE(s.has_value());
    const double queued = s->queued_seconds();
    CHECK(queued > 0);
    for (auto& b : s->initial_batches())
        for (auto t : b) s->observed(t, real[t]);
    CHECK(s->correction() == doctest::Approx(2.0));
    CHECK(s->queued_seconds() == doctest::Approx(2 * queued));
    // Only the first item was predicted at 1x; from then on the correction knew.
    CHECK(s->prediction_error(false) < 0.02);
    CHECK(s->prediction_error(true) == 1.0);  // no guessed item completed: assume the worst

    // A guessed item is re-estimated from its neighbourhood's observed tests.
    std::vector<testr::work_item> items;
    for (std::size_t i = 0; i < 40; ++i)
        items.push_back({{i}, 1.0, /*guessed=*/true, static_cast<std::uint32_t>(i % 2)});
    auto g = testr::dynamic_scheduler::create(items, 2, {.guessed_planned_fraction = 0.5});
    REQUIRE(g.has_value());
    // Half planned, rank by rank within each class: both classes have tests running.
    std::set<std::uint32_t> planned_classes;
    for (auto& b : g->initial_batches())
        for (auto t : b) planned_classes.insert(static_cast<std::uint32_t>(t % 2));
    CHECK(planned_classes.size() == 2);
    for (auto& b : g->initial_batches())
        for (auto t : b) g->observed(t, t % 2 ? 0.5 : 0.01);  // class 1 slow, class 0 quick
    auto chunk = g->next_chunk(0, 5.0);
    REQUIRE_FALSE(chunk.empty());
    CHECK(chunk.front() % 2 == 1);  // the slow class's tests now lead the queue
}

TEST_CASE("a slot with an empty first batch asks at time 0 and gets work") {
    auto s = testr::dynamic_scheduler::create(singles({5, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2}), 8);
    REQUIRE(s.has_value());
    std::size_t empty_slot = 8;
    for (std::size_t w = 0; w < 8; ++w)
        if (s->initial_batches()[w].empty()) empty_slot = w;
    REQUIRE(empty_slot < 8);
    CHECK(s->predicted_makespan() >= 5.0);
}

TEST_CASE("generated suites on a fake clock: makespan / ideal per family") {
    // Means over seeds; ideal = one runner start + max(total / workers,
    // largest item). Margins above the figures bench/adaptive_sim prints.
    struct target { const char* family; double dynamic_mean; };
    const target targets[] = {{"warm", 1.05},  {"noisy", 1.08},   {"drift", 1.11},   {"new", 1.13},
                              {"grouped", 1.06}, {"expensive", 1.01}, {"cold", 1.20}};
    for (auto [family, limit] : targets) {
        for (std::size_t workers : {4u, 8u}) {
            double dynamic = 0, fixed = 0, original = 0;
            const int seeds = 12;
            for (int seed = 1; seed <= seeds; ++seed) {
                auto s = sim::make_suite(family, workers, static_cast<std::uint64_t>(seed));
                dynamic += sim::run_dynamic(s, workers).ratio / seeds;
                fixed += sim::run_static(s, workers).ratio / seeds;
                original += sim::run_original(s, workers).ratio / seeds;
            }
            INFO(family << " on " << workers << ": dynamic " << dynamic << ", static " << fixed << ", original "
                        << original);
            CHECK(dynamic <= limit);
            CHECK(dynamic >= 0.999);  // nothing beats the ideal: the simulation is sound
            // Where history misleads, handing out work late must pay off.
            if (std::string(family) == "drift") CHECK(dynamic < std::min(fixed, original) - 0.05);
            if (std::string(family) == "noisy" || std::string(family) == "new")
                CHECK(dynamic < original + 0.01);
        }
    }
}

// How long this takes is bench/core_scale's.
TEST_CASE("10^5 single tests: each handed out exactly once") {
    std::vector<double> est(100'000);
    for (std::size_t i = 0; i < est.size(); ++i) est[i] = 0.001 * (1 + (i * 7919) % 997);
    auto s = testr::dynamic_scheduler::create(singles(est), 8, {.start_cost = 0.1});
    REQUIRE(s.has_value());
    const auto runners = drain(*s, est);
    std::vector<int> handed(est.size(), 0);
    for (const auto& r : runners)
        for (auto t : r) ++handed[t];
    CHECK(std::all_of(handed.begin(), handed.end(), [](int n) { return n == 1; }));
    CHECK(runners.size() > 8);  // a queue was kept: more runners than workers
}
