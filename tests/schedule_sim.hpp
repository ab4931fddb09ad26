// tests/schedule_sim.hpp - generated suites and a fake-clock run of the
// dynamic scheduler: the design tool for its parameters (test_dynamic_schedule
// checks the targets, bench/adaptive_sim prints the table).
//
// A suite: modules of classes of tests, durations lognormal per class times
// lognormal per test, plus a few long tests, scaled so that the ideal wall
// time on `workers` is about 3 s (as bench/adaptive's generated suites).
// Families change what the history says against what the run takes:
//   warm      history = reality
//   cold      no history at all
//   noisy     reality = history x lognormal(sigma 0.3)
//   drift     20% of tests now take 4x their history
//   new       30% of tests have no history (estimated from neighbours)
//   grouped   group_regex = class, with a few large classes
//   expensive warm, each runner takes 0.5 s to start
#pragma once

#include <testr/dynamic_schedule.hpp>
#include <testr/estimates.hpp>
#include <testr/partition.hpp>
#include <testr/partition_bench.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <vector>

namespace sim {

/// The public partitioner benchmark's generator (the same numbers with any
/// standard library), with the two draws the simulation makes.
class rng : public testr::bench::rng {
public:
    using testr::bench::rng::rng;
    double lognormal(double sigma) { return testr::bench::rng::lognormal(0, sigma); }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(uniform() * static_cast<double>(n)); }
};

inline const std::vector<std::string>& families() {
    static const std::vector<std::string> f{"cold", "warm", "noisy", "drift", "new", "grouped", "expensive"};
    return f;
}

struct suite {
    std::vector<std::string> ids;
    std::vector<std::string> group;               // per test: its group key ("" ungrouped)
    std::vector<std::optional<double>> recorded;  // what the history says
    std::vector<double> real;                     // what the run takes
    double start_cost = 0.1;                      // a Python runner's start
    double ideal = 0;                             // start_cost + max(total / workers, largest item)
};

/// A suite of the family for `workers`, seeded deterministically; a
/// `start_cost` below 0 keeps the family's own (0.1 s, expensive 0.5 s).
inline suite make_suite(const std::string& family, std::size_t workers, std::uint64_t seed, double start_cost = -1) {
    rng r(seed * 1000003 + workers);
    suite s;
    const std::size_t n = 60 * workers;
    const bool grouped = family == "grouped";
    std::vector<double> base;
    std::size_t module = 0, klass = 0;
    while (s.ids.size() < n) {
        // A few large classes in the grouped family: they bound the wall time.
        const std::size_t size = grouped && klass < 3 ? n / 12 : 2 + r.below(12);
        const double class_factor = r.lognormal(0.8);
        if (klass % 4 == 0) ++module;
        for (std::size_t t = 0; t < size && s.ids.size() < n; ++t) {
            s.ids.push_back("pkg.mod" + std::to_string(module) + ".Class" + std::to_string(klass) + ".test_" +
                            std::to_string(t));
            s.group.push_back(grouped ? "pkg.mod" + std::to_string(module) + ".Class" + std::to_string(klass) : "");
            base.push_back(class_factor * r.lognormal(0.6));
        }
        ++klass;
    }
    // A few long tests: 5 to 10 times the mean.
    double mean = 0;
    for (double b : base) mean += b / static_cast<double>(n);
    for (int k = 0; k < 3; ++k) base[r.below(n)] = mean * (5 + 5 * r.uniform());
    double total = 0;
    for (double b : base) total += b;
    const double scale = 3.0 * static_cast<double>(workers) / total;
    for (double& b : base) b *= scale;

    s.recorded.assign(n, std::nullopt);
    s.real = base;
    for (std::size_t i = 0; i < n; ++i) {
        if (family == "cold") continue;
        s.recorded[i] = base[i];
        if (family == "noisy") s.real[i] = base[i] * r.lognormal(0.3);
        if (family == "drift" && r.uniform() < 0.2) s.real[i] = base[i] * 4;
        if (family == "new" && r.uniform() < 0.3) s.recorded[i].reset();
    }
    if (family == "expensive") s.start_cost = 0.5;
    else if (start_cost >= 0) s.start_cost = start_cost;
    double real_total = 0, largest = 0;
    for (std::size_t i = 0; i < n; ++i) {
        real_total += s.real[i];
        largest = std::max(largest, s.real[i]);
    }
    if (grouped) {
        // Groups are whole classes, consecutive in the id list.
        double run = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (i > 0 && s.group[i] != s.group[i - 1]) run = 0;
            run += s.real[i];
            largest = std::max(largest, run);
        }
    }
    s.ideal = s.start_cost + std::max(real_total / static_cast<double>(workers), largest);
    return s;
}

inline auto group_fn(const suite& s) {
    return [&s](std::string_view id) -> std::string_view {
        // ids are "pkg.modM.ClassK.test_T": the group, when there is one, is the class.
        return s.group.empty() || s.group.front().empty() ? std::string_view{} : testr::class_of(id);
    };
}

struct outcome {
    double makespan = 0;
    double ratio = 0;  // makespan / ideal
    std::size_t runners = 0;
};

/// Runs `batches` (one runner per non-empty batch, from time 0) and, when
/// `sched` is given, the chunks it hands out, on a fake clock: each runner
/// takes start_cost, then its tests back to back in the real durations.
inline outcome run(const suite& s, std::size_t workers, const std::vector<std::vector<std::size_t>>& batches,
                   testr::dynamic_scheduler* sched) {
    struct runner { std::vector<std::size_t> tests; std::size_t next = 0; double t = 0; };
    std::vector<runner> slot(workers);
    using event = std::pair<double, std::size_t>;  // when the slot's next test (or its exit) happens
    std::priority_queue<event, std::vector<event>, std::greater<>> events;
    outcome o;
    auto start = [&](std::size_t w, std::vector<std::size_t> tests, double now) {
        if (tests.empty()) return false;
        slot[w] = {std::move(tests), 0, now + s.start_cost};
        ++o.runners;
        events.push({slot[w].t + s.real[slot[w].tests[0]], w});
        return true;
    };
    auto idle = [&](std::size_t w, double now) {
        o.makespan = std::max(o.makespan, now);
        while (sched && !sched->finished()) {
            if (start(w, sched->next_chunk(w, now), now)) return;
        }
        if (sched) (void)sched->next_chunk(w, now);  // retire
    };
    for (std::size_t w = 0; w < workers; ++w)
        if (!start(w, w < batches.size() ? batches[w] : std::vector<std::size_t>{}, 0.0)) idle(w, 0.0);
    while (!events.empty()) {
        auto [t, w] = events.top();
        events.pop();
        runner& r = slot[w];
        const std::size_t test = r.tests[r.next++];
        if (sched) sched->observed(test, s.real[test]);
        r.t = t;
        if (r.next < r.tests.size()) events.push({t + s.real[r.tests[r.next]], w});
        else idle(w, t);
    }
    o.ratio = o.makespan / s.ideal;
    return o;
}

inline testr::estimates estimates_of(const suite& s) {
    return testr::estimate_all(s.ids, s.recorded, group_fn(s), {.mean = true});
}

inline outcome run_dynamic(const suite& s, std::size_t workers, testr::dynamic_options opt = {}) {
    opt.start_cost = s.start_cost;
    auto items = testr::work_items(s.ids, estimates_of(s), group_fn(s));
    auto sched = testr::dynamic_scheduler::create(std::move(items), workers, opt);
    if (!sched) return {};
    return run(s, workers, sched->initial_batches(), &*sched);
}

/// The core's static partitioning over the same estimates.
inline outcome run_static(const suite& s, std::size_t workers) {
    auto e = estimates_of(s);
    auto plan = testr::partition(s.ids, workers, [&](std::size_t i, std::string_view) -> std::optional<double> {
        return e.seconds[i];
    }, group_fn(s));
    return plan ? run(s, workers, plan->workers, nullptr) : outcome{};
}

/// testrepository's partitioning: recorded durations only, unknown tests round-robin.
inline outcome run_original(const suite& s, std::size_t workers) {
    auto plan = testr::partition(s.ids, workers, [&](std::size_t i, std::string_view) { return s.recorded[i]; },
                                 group_fn(s), {.algorithm = testr::partition_algorithm::compat});
    return plan ? run(s, workers, plan->workers, nullptr) : outcome{};
}

}  // namespace sim
