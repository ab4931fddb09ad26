// testr/partition_bench.hpp - score any partitioner against the strongest
// lower bound and, where it is computable, the exact optimum.
//
//   auto mine = [](std::span<const double> seconds, std::size_t workers,
//                  std::span<const std::uint32_t> group) { ... return worker_of_each_test; };
//   for (auto& inst : testr::bench::family("lognormal", 16, seed))
//       testr::bench::score s = testr::bench::evaluate(mine, inst);   // s.ratio, s.seconds_per_call
//
// A partitioner takes the tests' durations, the worker count and the tests'
// group numbers (empty: ungrouped; tests of one group must share a worker)
// and returns a worker per test. Named instance families cover the shapes
// that tell algorithms apart; the project's own algorithms (compat, LPT,
// Karmarkar-Karp, MULTIFIT, balanced) come ready to score, and so does the
// dynamic schedule, simulated on a fake clock under noise.
//
// Pure: no I/O. Random instances come from a seeded generator written out
// here (splitmix64, Box-Muller), so a seed gives the same instance with any
// standard library. Only evaluate() reads a clock, to time the call.
#pragma once

#include <testr/detail/balance.hpp>
#include <testr/dynamic_schedule.hpp>
#include <testr/partition.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace testr::bench {

/// One partitioning problem: durations per test, optional group per test.
struct instance {
    std::string family;
    std::size_t workers = 1;
    std::vector<double> seconds;
    std::vector<std::uint32_t> group;  ///< empty: every test its own group
};

/// A worker per test.
using assignment = std::vector<std::uint32_t>;
using partitioner = std::function<assignment(std::span<const double>, std::size_t, std::span<const std::uint32_t>)>;

/// splitmix64 and Box-Muller by hand: the same numbers everywhere.
class rng {
public:
    explicit rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }  // [0, 1)
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    double normal() {
        const double u = 1.0 - uniform(), v = uniform();
        return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
    }
    double lognormal(double mu, double sigma) { return std::exp(mu + sigma * normal()); }

private:
    std::uint64_t state_;
};

/// The named families, in the order tables list them.
inline const std::vector<std::string>& family_names() {
    static const std::vector<std::string> names{"uniform", "lognormal", "few per worker", "lpt worst case",
                                                "one dominant", "grouped"};
    return names;
}

/// An instance of a named family on `workers` workers; empty `seconds` for
/// an unknown name. uniform: 10 tests per worker, U[1,100]; lognormal: the
/// same count, exp(N(-1, 1.2)); few per worker: 2.5 per worker, U[20,100];
/// lpt worst case: Graham's 2m-1, 2m-1, ..., m+1, m+1, m, m, m (optimum 3m,
/// LPT 4m-1); one dominant: 5 per worker, U[1,100], plus one test of 1.5x
/// the average load; grouped: 75 lognormal tests per worker in 3m groups.
inline instance family(std::string_view name, std::size_t workers, std::uint64_t seed) {
    instance in{std::string(name), std::max<std::size_t>(workers, 1), {}, {}};
    const std::size_t m = in.workers;
    rng r(seed ^ (std::hash<std::string_view>{}(name) * 0x9E3779B97F4A7C15ull) ^ (m << 40));
    if (name == "uniform") {
        for (std::size_t i = 0; i < 10 * m; ++i) in.seconds.push_back(r.uniform(1, 100));
    } else if (name == "lognormal") {
        for (std::size_t i = 0; i < 10 * m; ++i) in.seconds.push_back(r.lognormal(-1, 1.2));
    } else if (name == "few per worker") {
        for (std::size_t i = 0; i < (5 * m + 1) / 2; ++i) in.seconds.push_back(r.uniform(20, 100));
    } else if (name == "lpt worst case") {
        for (std::size_t v = 2 * m - 1; v > m; --v) in.seconds.insert(in.seconds.end(), {double(v), double(v)});
        in.seconds.insert(in.seconds.end(), {double(m), double(m), double(m)});
        for (std::size_t i = in.seconds.size(); i > 1; --i) std::swap(in.seconds[i - 1], in.seconds[r.next() % i]);
    } else if (name == "one dominant") {
        double total = 0;
        for (std::size_t i = 0; i < 5 * m; ++i) total += in.seconds.emplace_back(r.uniform(1, 100));
        in.seconds.push_back(1.5 * total / double(m));
    } else if (name == "grouped") {
        for (std::size_t i = 0; i < 75 * m; ++i) {
            in.seconds.push_back(r.lognormal(-1, 1));
            in.group.push_back(static_cast<std::uint32_t>(r.next() % (3 * m)));
        }
    }
    return in;
}

/// The "real-suite shapes" family: an instance shaped like a recorded
/// suite. `recorded` is its tests' durations (bench/data/suites/ holds
/// some, from Debian's Python suites: testtools, fixtures, stestr...).
/// Seed 0 is the recording itself; any other seed is another run of the
/// same suite, each test taking its recorded time x exp(N(0, 0.25)), so
/// the seeds vary the instance and keep its shape. Ungrouped; any worker
/// count (the tests stay the suite's).
inline instance shaped(std::string name, std::span<const double> recorded, std::size_t workers, std::uint64_t seed) {
    instance in{std::move(name), std::max<std::size_t>(workers, 1), {recorded.begin(), recorded.end()}, {}};
    if (seed == 0) return in;
    rng r(seed * 0x9E3779B97F4A7C15ull ^ recorded.size());
    for (double& s : in.seconds) s *= std::exp(0.25 * r.normal());
    return in;
}

/// Group weights (the items a schedule places) and, per group, its tests.
/// Ungrouped, item i is test i.
struct items {
    std::vector<double> weight;
    std::vector<std::vector<std::size_t>> tests;
};

inline items items_of(std::span<const double> seconds, std::span<const std::uint32_t> group) {
    items out;
    if (group.empty()) {
        out.weight.assign(seconds.begin(), seconds.end());
        out.tests.resize(seconds.size());
        for (std::size_t i = 0; i < seconds.size(); ++i) out.tests[i] = {i};
        return out;
    }
    std::uint32_t n = 0;
    for (auto g : group) n = std::max(n, g + 1);
    out.weight.assign(n, 0.0);
    out.tests.resize(n);
    for (std::size_t i = 0; i < seconds.size(); ++i) {
        out.weight[group[i]] += seconds[i];
        out.tests[group[i]].push_back(i);
    }
    // Numbers no test uses are not items.
    std::size_t keep = 0;
    for (std::size_t k = 0; k < n; ++k) {
        if (out.tests[k].empty()) continue;
        if (keep != k) {  // a vector moved onto itself would be left empty
            out.weight[keep] = out.weight[k];
            out.tests[keep] = std::move(out.tests[k]);
        }
        ++keep;
    }
    out.weight.resize(keep);
    out.tests.resize(keep);
    return out;
}

/// The exact optimum makespan by depth-first search (items heaviest first,
/// workers with equal loads tried once), or nullopt when `node_budget`
/// nodes do not settle it. `upper` is any schedule's makespan, `lower` any
/// lower bound: the search stops as soon as it meets the bound.
inline std::optional<double> exact_optimum(std::vector<double> w, std::size_t m, double upper, double lower,
                                           long node_budget = 3'000'000) {
    std::sort(w.begin(), w.end(), std::greater<>());
    std::vector<double> load(m, 0.0);
    double best = upper;
    long nodes = 0;
    auto dfs = [&](auto& self, std::size_t i) -> void {
        if (++nodes > node_budget || best <= lower * (1 + 1e-12)) return;
        if (i == w.size()) {
            best = std::min(best, *std::max_element(load.begin(), load.end()));
            return;
        }
        for (std::size_t j = 0; j < m; ++j) {
            if (load[j] + w[i] >= best * (1 - 1e-12)) continue;
            bool seen = false;
            for (std::size_t k = 0; k < j && !seen; ++k) seen = load[k] == load[j];
            if (seen) continue;
            load[j] += w[i];
            self(self, i + 1);
            load[j] -= w[i];
        }
    };
    if (m > 0) dfs(dfs, 0);
    if (nodes > node_budget) return std::nullopt;
    return best;
}

/// How a partitioner did on one instance.
struct score {
    bool valid = false;      ///< one worker per test, below `workers`, groups whole
    std::string problem;     ///< why not valid
    double makespan = 0;     ///< the largest worker's total
    double lower_bound = 0;  ///< makespan_lower_bound of the items
    std::optional<double> optimum;  ///< the exact optimum, when the search settled it
    double ratio = 0;        ///< makespan / optimum, else / lower_bound (1: optimal)
    double seconds_per_call = 0;
};

/// The makespan of `a` on `in`, or a problem: a wrong length, a worker out
/// of range, a group split over workers.
inline score check(const instance& in, const assignment& a) {
    score s;
    if (a.size() != in.seconds.size()) {
        s.problem = "returned " + std::to_string(a.size()) + " workers for " + std::to_string(in.seconds.size()) + " tests";
        return s;
    }
    std::vector<double> load(in.workers, 0.0);
    std::vector<std::uint32_t> worker_of_group;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] >= in.workers) {
            s.problem = "test " + std::to_string(i) + " on worker " + std::to_string(a[i]) + " of " + std::to_string(in.workers);
            return s;
        }
        if (!in.group.empty()) {
            if (worker_of_group.size() <= in.group[i]) worker_of_group.resize(in.group[i] + 1, UINT32_MAX);
            auto& w = worker_of_group[in.group[i]];
            if (w != UINT32_MAX && w != a[i]) {
                s.problem = "group " + std::to_string(in.group[i]) + " split over workers " + std::to_string(w) +
                            " and " + std::to_string(a[i]);
                return s;
            }
            w = a[i];
        }
        load[a[i]] += in.seconds[i];
    }
    s.valid = true;
    s.makespan = load.empty() ? 0 : *std::max_element(load.begin(), load.end());
    return s;
}

/// Scores `p` on `in`: validity, makespan, bound, optimum (searched for
/// instances of at most `exact_items` items on at most 8 workers), and the
/// best of `repeats` timed calls. `clock()` returns seconds.
template <class Partitioner, class Clock>
score evaluate(Partitioner&& p, const instance& in, Clock&& clock, int repeats = 1, std::size_t exact_items = 40) {
    assignment a;
    double best_time = INFINITY;
    for (int r = 0; r < std::max(repeats, 1); ++r) {
        const double t0 = clock();
        a = p(std::span<const double>(in.seconds), in.workers, std::span<const std::uint32_t>(in.group));
        best_time = std::min(best_time, clock() - t0);
    }
    score s = check(in, a);
    s.seconds_per_call = best_time;
    const items it = items_of(in.seconds, in.group);
    s.lower_bound = makespan_lower_bound(it.weight, in.workers);
    if (it.weight.size() <= exact_items && in.workers <= 8) {
        const double upper = s.valid ? s.makespan * (1 + 1e-9) : std::accumulate(it.weight.begin(), it.weight.end(), 0.0);
        s.optimum = exact_optimum(it.weight, in.workers, upper + 1e-12, s.lower_bound);
        if (s.optimum && s.valid) s.optimum = std::min(*s.optimum, s.makespan);
    }
    const double base = s.optimum ? *s.optimum : s.lower_bound;
    s.ratio = !s.valid ? INFINITY : base > 0 ? s.makespan / base : 1.0;
    return s;
}

/// evaluate() without a clock: the core reads none, so seconds_per_call
/// stays 0. Pass a clock (steady, or CPU time on a busy machine) to time it.
template <class Partitioner>
score evaluate(Partitioner&& p, const instance& in, int repeats = 1, std::size_t exact_items = 40) {
    return evaluate(std::forward<Partitioner>(p), in, [] { return 0.0; }, repeats, exact_items);
}

namespace detail {

// Runs one of the project's item algorithms on groups and maps the result
// back to tests.
template <class Algorithm>
assignment over_items(std::span<const double> seconds, std::size_t m, std::span<const std::uint32_t> group,
                      Algorithm&& algorithm) {
    const items it = items_of(seconds, group);
    const auto order = testr::detail::order_heaviest_first(it.weight);
    std::vector<double> ranked(order.size());
    std::vector<std::uint32_t> identity(order.size());
    for (std::size_t r = 0; r < order.size(); ++r) ranked[r] = it.weight[order[r]];
    std::iota(identity.begin(), identity.end(), 0u);
    const testr::detail::assignment a = algorithm(ranked, identity, m);
    assignment out(seconds.size(), 0);
    for (std::size_t r = 0; r < order.size(); ++r)
        for (auto t : it.tests[order[r]]) out[t] = a.worker_of.empty() ? 0 : a.worker_of[r];
    return out;
}

inline assignment via_partition(std::span<const double> seconds, std::size_t m, std::span<const std::uint32_t> group,
                                partition_algorithm algorithm) {
    std::vector<std::string> ids(seconds.size()), keys(group.size());
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = std::string("t").append(std::to_string(i));
    for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = std::string("g").append(std::to_string(group[i]));
    std::unordered_map<std::string_view, std::string_view> key_of;
    for (std::size_t i = 0; i < keys.size(); ++i) key_of.emplace(ids[i], keys[i]);
    auto by_pos = [&](std::size_t i, std::string_view) { return std::optional<double>(seconds[i]); };
    auto by_group = [&](std::string_view id) { return key_of.find(id)->second; };
    const partition_options o{.algorithm = algorithm};
    auto plan = group.empty() ? partition(ids, m, by_pos, no_groups{}, o) : partition(ids, m, by_pos, by_group, o);
    assignment out(seconds.size(), 0);
    if (!plan) return out;
    for (std::size_t w = 0; w < plan->workers.size(); ++w)
        for (auto i : plan->workers[w]) out[i] = static_cast<std::uint32_t>(w);
    return out;
}

}  // namespace detail

/// The project's algorithms as partitioners: "compat" (testrepository's),
/// "lpt", "karmarkar-karp" (largest differencing), "multifit", "balanced"
/// (the default of testr::partition).
inline std::vector<std::pair<std::string, partitioner>> builtin_partitioners() {
    using span_d = std::span<const double>;
    using span_g = std::span<const std::uint32_t>;
    return {
        {"compat", [](span_d s, std::size_t m, span_g g) { return detail::via_partition(s, m, g, partition_algorithm::compat); }},
        {"lpt", [](span_d s, std::size_t m, span_g g) {
             return detail::over_items(s, m, g, [](auto& w, auto& o, std::size_t k) { return testr::detail::lpt(w, o, k); });
         }},
        {"karmarkar-karp", [](span_d s, std::size_t m, span_g g) {
             return detail::over_items(s, m, g, [](auto& w, auto& o, std::size_t k) { return testr::detail::ldm(w, o, k); });
         }},
        {"multifit", [](span_d s, std::size_t m, span_g g) {
             return detail::over_items(s, m, g, [](auto& w, auto& o, std::size_t k) {
                 const double lower = testr::detail::makespan_lower_bound(w, k);
                 const double upper = testr::detail::lpt(w, o, k).makespan();
                 auto a = testr::detail::multifit(w, o, k, lower, std::max(upper, lower));
                 return a.load.empty() ? testr::detail::lpt(w, o, k) : a;  // MULTIFIT found no capacity: LPT's
             });
         }},
        {"balanced", [](span_d s, std::size_t m, span_g g) { return detail::via_partition(s, m, g, partition_algorithm::balanced); }},
    };
}

/// The makespan of running `in` when each test really takes its duration
/// times exp(N(0, noise)) (seeded): statically, as `a` assigns it, and
/// under the dynamic schedule (the durations as estimates, each runner
/// paying `start_cost`), both on a fake clock.
struct noisy_run {
    double static_makespan = 0;
    double dynamic_makespan = 0;
    std::size_t dynamic_runners = 0;
};

inline noisy_run simulate_noise(const instance& in, const assignment& a, double noise, std::uint64_t seed,
                                double start_cost = 0) {
    rng r(seed);
    std::vector<double> real(in.seconds.size());
    for (std::size_t i = 0; i < real.size(); ++i) real[i] = in.seconds[i] * std::exp(noise * r.normal());
    noisy_run out;
    std::vector<double> load(in.workers, start_cost);
    for (std::size_t i = 0; i < a.size() && a[i] < in.workers; ++i) load[a[i]] += real[i];
    out.static_makespan = *std::max_element(load.begin(), load.end());

    const items it = items_of(in.seconds, in.group);
    std::vector<work_item> work;
    for (std::size_t k = 0; k < it.weight.size(); ++k) work.push_back({it.tests[k], it.weight[k], false, no_neighbourhood});
    auto sched = dynamic_scheduler::create(std::move(work), in.workers, {.start_cost = start_cost});
    if (!sched) return out;
    struct runner { std::vector<std::size_t> tests; std::size_t next = 0; };
    std::vector<runner> slot(in.workers);
    using event = std::pair<double, std::size_t>;
    std::priority_queue<event, std::vector<event>, std::greater<>> events;
    auto start = [&](std::size_t w, std::vector<std::size_t> tests, double now) {
        if (tests.empty()) return false;
        slot[w] = {std::move(tests), 0};
        ++out.dynamic_runners;
        events.push({now + start_cost + real[slot[w].tests[0]], w});
        return true;
    };
    auto idle = [&](std::size_t w, double now) {
        out.dynamic_makespan = std::max(out.dynamic_makespan, now);
        while (!sched->finished())
            if (start(w, sched->next_chunk(w, now), now)) return;
        (void)sched->next_chunk(w, now);  // retires the slot
    };
    for (std::size_t w = 0; w < in.workers; ++w)
        if (!start(w, sched->initial_batches()[w], 0.0)) idle(w, 0.0);
    while (!events.empty()) {
        auto [t, w] = events.top();
        events.pop();
        runner& rn = slot[w];
        const std::size_t test = rn.tests[rn.next++];
        sched->observed(test, real[test]);
        if (rn.next < rn.tests.size()) events.push({t + real[rn.tests[rn.next]], w});
        else idle(w, t);
    }
    return out;
}

}  // namespace testr::bench
