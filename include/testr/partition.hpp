// testr/partition.hpp - time-balanced partitioning of test ids into workers.
//
//   auto plan = testr::partition(ids, 4, durations, groups);
//   for (auto& worker : plan->workers) for (auto i : worker) run(ids[i]);
//
// Two algorithms:
//  * compat   - exactly testrepository's partition_tests (same input, same
//               partitions, same order), for users who need identical plans.
//  * balanced - the default: several schedules (LPT, Karmarkar-Karp
//               differencing, MULTIFIT, each polished by local search, and
//               compat itself) are built and the one with the smallest
//               predicted makespan is kept, so it is never worse than compat.
//               Tests without a recorded duration get an estimate (the median
//               of the known ones) instead of being dealt round-robin.
//
// Ids are never copied: the plan refers to them by position in the input.
#pragma once

#include <testr/detail/balance.hpp>
#include <testr/detail/id_index.hpp>
#include <testr/result.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace testr {

enum class partition_algorithm {
    balanced,  ///< the default; never a worse predicted makespan than compat
    compat,    ///< testrepository's algorithm, bit for bit
};

struct partition_options {
    partition_algorithm algorithm = partition_algorithm::balanced;
    /// Predicted seconds for a test without a recorded duration (balanced
    /// only). Unset: the median of the known durations, or 1 s if none.
    std::optional<double> unknown_estimate{};
    /// Cap on local-search steps (balanced only); 0 means the default,
    /// which keeps a million tests well under 100 ms.
    std::size_t improvement_budget = 0;
};

/// The plan: for each worker, positions into the input range of ids.
struct partition_plan {
    std::vector<std::vector<std::size_t>> workers;
    std::vector<double> predicted_seconds;  ///< per worker, estimates included
    std::size_t unknown_tests = 0;          ///< tests without a recorded duration
    double unknown_estimate = 0;            ///< what each of them was counted as
    std::string method;                     ///< which candidate schedule won

    double makespan() const {
        return predicted_seconds.empty() ? 0.0 : *std::max_element(predicted_seconds.begin(), predicted_seconds.end());
    }
};

struct partition_error {
    enum class kind { duplicate_id, negative_duration, non_finite_duration };
    kind what;
    std::string id;       ///< the offending test id
    std::string message;  ///< ready to show a user
};

/// A group function for ungrouped runs: every test is its own group.
struct no_groups {
    std::string_view operator()(std::string_view) const noexcept { return {}; }
};

/// Lower bound on the makespan of any schedule of these item weights on
/// `workers` workers (see detail::makespan_lower_bound_sorted).
inline double makespan_lower_bound(std::vector<double> weights, std::size_t workers) {
    std::sort(weights.begin(), weights.end(), std::greater<>());
    return detail::makespan_lower_bound_sorted(weights, workers);
}

namespace detail {

// Durations may be looked up by id, or by (position, id) when the caller
// already has them aligned with the ids.
template <class F>
std::optional<double> lookup_duration(F& f, std::size_t pos, std::string_view id) {
    if constexpr (std::is_invocable_v<F&, std::size_t, std::string_view>) return f(pos, id);
    else return f(id);
}

struct grouped_tests {
    std::vector<std::string_view> ids;                  // by position
    std::vector<std::optional<double>> duration;        // by position
    std::vector<std::uint32_t> group_of;                // by position
    std::vector<std::vector<std::uint32_t>> members;    // by group, first-appearance order
};

inline std::string bad_duration_message(std::string_view id, double d) {
    return "test '" + std::string(id) + "' has an invalid recorded duration " + std::to_string(d) +
           " (durations must be finite and >= 0)";
}

template <class Ids, class Durations, class Groups>
result<grouped_tests, partition_error> gather(const Ids& ids, Durations& durations, Groups& groups) {
    using element = decltype(*std::begin(ids));
    static_assert(std::is_reference_v<element> || std::is_same_v<std::remove_cv_t<element>, std::string_view>,
                  "ids must yield references or string_views that outlive the call, not temporaries");
    grouped_tests g;
    if constexpr (std::ranges::sized_range<const Ids>) g.ids.reserve(std::ranges::size(ids));
    for (auto&& id : ids) g.ids.emplace_back(std::string_view(id));
    const std::size_t n = g.ids.size();
    g.duration.resize(n);
    g.group_of.resize(n);
    id_index seen(n);
    id_index group_index(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::string_view id = g.ids[i];
        if (!seen.insert(id).second)
            return unexpected(partition_error{partition_error::kind::duplicate_id, std::string(id),
                                              "test id '" + std::string(id) + "' is listed more than once"});
        auto d = lookup_duration(durations, i, id);
        if (d && !std::isfinite(*d))
            return unexpected(partition_error{partition_error::kind::non_finite_duration, std::string(id),
                                              bad_duration_message(id, *d)});
        if (d && *d < 0)
            return unexpected(partition_error{partition_error::kind::negative_duration, std::string(id),
                                              bad_duration_message(id, *d)});
        g.duration[i] = d;
        // As the original: a test whose group function gives nothing (or an
        // empty string) is a group of its own, keyed by its id.
        std::string_view key = groups(id);
        if (key.empty()) key = id;
        auto [number, fresh] = group_index.insert(key);
        if (fresh) g.members.emplace_back();
        g.group_of[i] = number;
        g.members[number].push_back(static_cast<std::uint32_t>(i));
    }
    return g;
}

// testrepository's partition_tests, transcribed step for step: timed groups
// longest first (stable), then partial groups, each to the head of a list
// kept stably sorted by (time, number of tests); unknown groups round-robin
// over the partitions in their original order.
inline partition_plan compat_plan(const grouped_tests& g, std::size_t m) {
    partition_plan plan;
    plan.method = "compat";
    plan.workers.resize(m);
    std::vector<double> known_time(g.members.size(), 0.0);
    std::vector<double> timed_w, partial_w;
    std::vector<std::uint32_t> timed, partial, unknown;
    for (std::uint32_t k = 0; k < g.members.size(); ++k) {
        bool any_unknown = false;
        for (auto i : g.members[k]) {
            if (g.duration[i]) known_time[k] += *g.duration[i];
            else any_unknown = true;
        }
        if (!any_unknown) { timed.push_back(k); timed_w.push_back(known_time[k]); }
        else if (known_time[k] != 0.0) { partial.push_back(k); partial_w.push_back(known_time[k]); }
        else unknown.push_back(k);
    }
    struct slot { double time; std::size_t count; std::size_t worker; };
    std::vector<slot> slots(m);
    for (std::size_t j = 0; j < m; ++j) slots[j] = {0.0, 0, j};
    auto before = [](const slot& a, const slot& b) { return a.time != b.time ? a.time < b.time : a.count < b.count; };
    auto consume = [&](const std::vector<std::uint32_t>& queue, const std::vector<double>& weight) {
        for (auto q : order_heaviest_first(weight)) {
            slot head = slots[0];
            head.time = head.time + weight[q];
            head.count += g.members[queue[q]].size();
            for (auto i : g.members[queue[q]]) plan.workers[head.worker].push_back(i);
            // Python's stable sort after changing only the head: the head
            // goes before every slot whose key is not smaller than its own.
            auto pos = std::lower_bound(slots.begin() + 1, slots.end(), head, before);
            std::move(slots.begin() + 1, pos, slots.begin());
            *(pos - 1) = head;
        }
    };
    if (m > 0) {
        consume(timed, timed_w);
        consume(partial, partial_w);
        for (std::size_t u = 0; u < unknown.size(); ++u)
            for (auto i : g.members[unknown[u]]) plan.workers[u % m].push_back(i);
    }
    return plan;
}

inline double median(std::vector<double> v) {
    if (v.empty()) return 1.0;
    auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    if (v.size() % 2) return *mid;
    return (*mid + *std::max_element(v.begin(), mid)) / 2;
}

inline std::vector<double> predicted_loads(const partition_plan& plan, const std::vector<double>& test_weight) {
    std::vector<double> load(plan.workers.size(), 0.0);
    for (std::size_t j = 0; j < plan.workers.size(); ++j)
        for (auto i : plan.workers[j]) load[j] += test_weight[i];
    return load;
}

inline partition_plan plan_from(const assignment& a, const grouped_tests& g, std::size_t m,
                                const std::vector<std::uint32_t>& order, std::string method) {
    partition_plan plan;
    plan.method = std::move(method);
    plan.workers.resize(m);
    for (auto k : order)
        for (auto i : g.members[k]) plan.workers[a.worker_of[k]].push_back(i);
    return plan;
}

}  // namespace detail

/// Partition `ids` (any input range of things convertible to
/// std::string_view; they must outlive the call) into `workers` partitions.
///
/// `durations(id)` (or `durations(position, id)`) returns the recorded
/// seconds of a test or std::nullopt when unknown. `groups(id)` returns the
/// group key of a test (for instance the part of the id that group_regex
/// matches); an empty key puts the test in a group of its own. Keys must
/// stay valid until the call returns. Tests of one group always share a
/// worker and keep their input order.
///
/// `workers == 0` means one partition per group. With more workers than
/// groups the extra partitions are empty. Errors: a duplicate id, or a
/// negative or non-finite duration.
template <class Ids, class Durations, class Groups = no_groups>
result<partition_plan, partition_error> partition(const Ids& ids, std::size_t workers, Durations&& durations,
                                                  Groups&& groups = {}, const partition_options& options = {}) {
    auto gathered = detail::gather(ids, durations, groups);
    if (!gathered) return unexpected(std::move(gathered).error());
    const detail::grouped_tests& g = *gathered;
    const std::size_t n_groups = g.members.size();
    const std::size_t m = workers == 0 ? n_groups : workers;

    // Predicted seconds per test: recorded, else the estimate.
    std::vector<double> known;
    std::size_t unknown_tests = 0;
    for (auto& d : g.duration) {
        if (d) known.push_back(*d);
        else ++unknown_tests;
    }
    const double estimate = options.unknown_estimate.value_or(
        unknown_tests ? detail::median(std::move(known)) : 0.0);
    std::vector<double> test_weight(g.ids.size());
    for (std::size_t i = 0; i < g.ids.size(); ++i) test_weight[i] = g.duration[i].value_or(estimate);

    auto finish = [&](partition_plan plan) {
        plan.predicted_seconds = detail::predicted_loads(plan, test_weight);
        plan.unknown_tests = unknown_tests;
        plan.unknown_estimate = unknown_tests ? estimate : 0.0;
        return plan;
    };

    partition_plan compat = detail::compat_plan(g, m);
    if (options.algorithm == partition_algorithm::compat || workers == 0 || m <= 1)
        return finish(std::move(compat));

    std::vector<double> group_weight(n_groups, 0.0);
    for (std::size_t i = 0; i < g.ids.size(); ++i) group_weight[g.group_of[i]] += test_weight[i];
    const auto order = detail::order_heaviest_first(group_weight);
    std::vector<double> sorted_w(n_groups);
    for (std::size_t k = 0; k < n_groups; ++k) sorted_w[k] = group_weight[order[k]];
    const double floor = detail::makespan_lower_bound_sorted(sorted_w, m);
    const std::size_t budget = options.improvement_budget ? options.improvement_budget : 2'000'000;

    // Candidates in order of preference on equal makespans.
    std::vector<std::pair<detail::assignment, const char*>> candidates;
    candidates.emplace_back(detail::lpt(group_weight, order, m), "lpt");
    const bool small = n_groups <= 20'000 && n_groups * m <= 2'000'000;
    if (small && n_groups > m) {
        candidates.emplace_back(detail::ldm(group_weight, order, m), "ldm");
        auto mf = detail::multifit(group_weight, order, m, floor, std::max(candidates[0].first.makespan(), floor));
        if (!mf.load.empty()) candidates.emplace_back(std::move(mf), "multifit");
    }
    std::size_t best = 0;
    double best_span = 0;
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        auto& a = candidates[c].first;
        detail::improve(a, group_weight, m, floor, budget / candidates.size());
        detail::recompute_loads(a, group_weight);
        if (c == 0 || a.makespan() < best_span) { best = c; best_span = a.makespan(); }
    }
    partition_plan chosen = finish(detail::plan_from(candidates[best].first, g, m, order, candidates[best].second));
    compat = finish(std::move(compat));
    if (compat.makespan() < chosen.makespan()) return compat;
    return chosen;
}

/// Convenience: durations from any map keyed by string-like ids whose
/// `find` accepts a std::string_view (e.g. a map with a transparent
/// comparator, or std::map<std::string, double, std::less<>>).
template <class Map>
auto durations_from(const Map& map) {
    return [&map](std::string_view id) -> std::optional<double> {
        auto it = map.find(id);
        if (it == map.end()) return std::nullopt;
        return static_cast<double>(it->second);
    };
}

}  // namespace testr
