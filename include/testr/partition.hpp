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
#include <limits>
#include <numeric>
#include <ranges>
#include <span>
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
/// `workers` workers: the simple bounds (average, largest item, pigeonhole)
/// and, with few items per worker, Martello and Toth's bin-packing bound.
inline double makespan_lower_bound(std::vector<double> weights, std::size_t workers) {
    std::sort(weights.begin(), weights.end(), std::greater<>());
    return detail::makespan_lower_bound(weights, workers);
}

namespace detail {

// Durations may be looked up by id, or by (position, id) when the caller
// already has them aligned with the ids.
template <class F>
std::optional<double> lookup_duration(F& f, std::size_t pos, std::string_view id) {
    if constexpr (std::is_invocable_v<F&, std::size_t, std::string_view>) return f(pos, id);
    else return f(id);
}

// Tests gathered into groups. Members are stored flat (CSR): group k's
// tests are member[first[k] .. first[k+1]), in input order. Ungrouped,
// group k is test k alone: then group_of and first stay empty (a million
// entries each saved) and member is 0, 1, 2...
struct grouped_tests {
    std::size_t tests = 0;
    // By position, kept only when the caller's ids cannot be indexed: a
    // million views are 16 MB of fresh memory.
    std::vector<std::string_view> ids;
    std::vector<double> duration;  // by position; NaN: unknown (real durations are finite)
    bool singletons = false;                      // every test its own group
    std::vector<std::uint32_t> group_of;          // by position
    std::vector<std::uint32_t> first;             // by group, plus an end marker
    std::vector<std::uint32_t> member;            // positions, grouped

    std::size_t groups() const { return singletons ? tests : first.size() - 1; }
    std::uint32_t group(std::size_t i) const { return singletons ? static_cast<std::uint32_t>(i) : group_of[i]; }
    std::span<const std::uint32_t> members(std::size_t k) const {
        if (singletons) return {member.data() + k, 1};
        return {member.data() + first[k], member.data() + first[k + 1]};
    }
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
    constexpr bool ungrouped = std::is_same_v<std::remove_cvref_t<Groups>, no_groups>;
    constexpr bool indexable = std::ranges::random_access_range<const Ids> && std::ranges::sized_range<const Ids>;
    grouped_tests g;
    std::size_t expected = 0;
    if constexpr (std::ranges::sized_range<const Ids>) expected = std::ranges::size(ids);
    if constexpr (!indexable) g.ids.reserve(expected);
    g.duration.reserve(expected);
    if constexpr (!ungrouped) g.group_of.reserve(expected);
    // One pass over the caller's ids reads each id's bytes once: view,
    // hash, duration, group. Errors are still reported as a check in input
    // order would meet them (a repeated id before the durations of the
    // tests after it): the first bad duration is remembered, and it wins
    // only if it comes before the first repeat.
    std::vector<std::uint64_t> hashes;
    hashes.reserve(expected);
    std::size_t bad = SIZE_MAX;
    double bad_value = 0;
    g.singletons = ungrouped;
    id_index group_index(ungrouped ? 0 : expected);
    std::vector<std::uint32_t> count;
    for (auto&& element : ids) {
        const std::string_view id(element);
        const std::size_t i = g.tests++;
        if constexpr (!indexable) g.ids.push_back(id);
        hashes.push_back(id_index::hash(id));
        auto d = lookup_duration(durations, i, id);
        if (d && !(*d >= 0 && *d <= std::numeric_limits<double>::max()) && bad == SIZE_MAX) {
            bad = i;
            bad_value = *d;
        }
        g.duration.push_back(d ? *d : std::numeric_limits<double>::quiet_NaN());
        if constexpr (!ungrouped) {
            // As the original: a test whose group function gives nothing (or
            // an empty string) is a group of its own, keyed by its id.
            std::string_view key = groups(id);
            if (key.empty()) key = id;
            auto [number, fresh] = group_index.insert(key);
            if (fresh) count.push_back(0);
            ++count[number];
            g.group_of.push_back(number);
        }
    }
    const std::size_t n = g.tests;
    auto id_at = [&](std::size_t i) {
        if constexpr (indexable) return std::string_view(std::ranges::begin(ids)[static_cast<std::ptrdiff_t>(i)]);
        else return g.ids[i];
    };
    const std::size_t repeat = first_repeat(id_at, hashes);
    if (bad < repeat) {
        const std::string_view id = id_at(bad);
        return unexpected(partition_error{std::isfinite(bad_value) ? partition_error::kind::negative_duration
                                                                   : partition_error::kind::non_finite_duration,
                                          std::string(id), bad_duration_message(id, bad_value)});
    }
    if (repeat != SIZE_MAX) {
        const std::string_view id = id_at(repeat);
        return unexpected(partition_error{partition_error::kind::duplicate_id, std::string(id),
                                          "test id '" + std::string(id) + "' is listed more than once"});
    }
    if constexpr (ungrouped) {
        g.member.resize(n);
        std::iota(g.member.begin(), g.member.end(), 0u);
    } else {
        g.first.assign(count.size() + 1, 0);
        for (std::size_t k = 0; k < count.size(); ++k) g.first[k + 1] = g.first[k] + count[k];
        g.member.resize(n);
        std::vector<std::uint32_t> fill(g.first.begin(), g.first.end() - 1);
        for (std::size_t i = 0; i < n; ++i) g.member[fill[g.group_of[i]]++] = static_cast<std::uint32_t>(i);
    }
    return g;
}

// A candidate schedule over "items": groups, or groups ranked heaviest
// first. Which worker each item goes to, and the order in which items were
// dealt (that order is the order of tests in a worker; empty = 0, 1, 2...).
struct schedule {
    assignment items;
    std::vector<std::uint32_t> sequence;
    const char* method;
};

// The original's "each to the head of a list kept stably sorted by (time,
// number of tests)". Python re-sorts after changing only the head, so the
// head goes before every slot whose key is not smaller than its own: the
// list is ordered by (time, count), and among equal keys the most recently
// re-inserted slot comes first (untouched ones in worker order). That
// order is kept as a binary min-heap with a stamp for recency, so a step
// costs O(log m) instead of shifting the list.
class compat_slots {
public:
    explicit compat_slots(std::size_t m) : heap_(m) {
        // Worker 0 heads the list: the highest stamp. Already a heap.
        for (std::uint32_t j = 0; j < m; ++j) heap_[j] = {0.0, 0, -static_cast<std::int64_t>(j), j};
    }
    std::uint32_t add(double time, std::size_t count) {
        slot head = heap_[0];
        head.time = head.time + time;
        head.count += count;
        head.stamp = ++stamp_;
        replace_top(heap_, head, before);
        return head.worker;
    }
    /// Each worker's time: the sum of what it was given, in that order.
    void loads(std::vector<double>& out) const {
        for (const slot& s : heap_) out[s.worker] = s.time;
    }

private:
    struct slot { double time; std::size_t count; std::int64_t stamp; std::uint32_t worker; };
    // Without branches: which of two children is smaller is a coin toss,
    // and a mispredicted branch per heap level was most of compat's time.
    static bool before(const slot& a, const slot& b) {
        return (a.time < b.time) |
               ((a.time == b.time) & ((a.count < b.count) | ((a.count == b.count) & (a.stamp > b.stamp))));
    }
    std::vector<slot> heap_;
    std::int64_t stamp_ = 0;
};

// testrepository's partition_tests, transcribed step for step: timed groups
// longest first (stable), then partial groups, each via compat_slots;
// unknown groups round-robin over the partitions in their original order.
// Items are groups, in first-appearance order.
inline schedule compat_schedule(const grouped_tests& g, std::size_t m) {
    const std::size_t n_groups = g.groups();
    schedule out{empty_assignment(n_groups, m), {}, "compat"};
    out.sequence.reserve(n_groups);
    std::vector<double> timed_w, partial_w;
    std::vector<std::uint32_t> timed, partial, unknown;
    for (std::uint32_t k = 0; k < n_groups; ++k) {
        double known_time = 0.0;
        bool any_unknown = false;
        for (auto i : g.members(k)) {
            if (!std::isnan(g.duration[i])) known_time += g.duration[i];
            else any_unknown = true;
        }
        if (!any_unknown) { timed.push_back(k); timed_w.push_back(known_time); }
        else if (known_time != 0.0) { partial.push_back(k); partial_w.push_back(known_time); }
        else unknown.push_back(k);
    }
    if (m == 0) return out;
    compat_slots slots(m);
    auto consume = [&](const std::vector<std::uint32_t>& queue, const std::vector<double>& weight) {
        for (auto q : order_heaviest_first(weight)) {
            const std::uint32_t k = queue[q];
            out.items.worker_of[k] = slots.add(weight[q], g.members(k).size());
            out.sequence.push_back(k);
        }
    };
    consume(timed, timed_w);
    consume(partial, partial_w);
    for (std::size_t u = 0; u < unknown.size(); ++u) {
        out.items.worker_of[unknown[u]] = static_cast<std::uint32_t>(u % m);
        out.sequence.push_back(unknown[u]);
    }
    return out;
}

// The same when every group is fully timed, over groups already ranked
// heaviest first (stably): then the original's order is simply the rank.
// An empty ranked_count means one test per group.
inline schedule compat_schedule_ranked(const std::vector<double>& ranked_weight,
                                       const std::vector<std::uint32_t>& ranked_count, std::size_t m) {
    schedule out{empty_assignment(ranked_weight.size(), m), {}, "compat"};
    compat_slots slots(m);
    for (std::size_t r = 0; r < ranked_weight.size(); ++r)
        out.items.worker_of[r] = slots.add(ranked_weight[r], ranked_count.empty() ? 1 : ranked_count[r]);
    slots.loads(out.items.load);  // what recompute_loads would give: the same sums in the same order
    return out;
}

/// The median of `v`, which it reorders: the middle value, or the mean of
/// the two middle ones for an even count (Python's statistics.median). `v`
/// must not be empty.
inline double median_in_place(std::span<double> v) {
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    if (v.size() % 2) return *mid;
    return (*mid + *std::max_element(v.begin(), mid)) / 2;
}

inline double median(std::vector<double> v) { return v.empty() ? 1.0 : median_in_place(v); }

// The plan for a schedule whose item r is group group_of_item[r] (or group
// r when that is empty). `exact`: the schedule's loads are already the sums
// of its items' weights in item order, so they are taken as they are.
inline partition_plan plan_from(const schedule& s, const grouped_tests& g, const std::vector<double>& item_weight,
                                const std::vector<std::uint32_t>& group_of_item, std::size_t m, bool exact) {
    partition_plan plan;
    plan.method = s.method;
    plan.workers.resize(m);
    if (exact) {
        plan.predicted_seconds = s.items.load;
    } else {
        plan.predicted_seconds.assign(m, 0.0);
        for (std::size_t r = 0; r < item_weight.size(); ++r)
            plan.predicted_seconds[s.items.worker_of[r]] += item_weight[r];
    }
    auto group = [&](std::size_t r) { return group_of_item.empty() ? r : group_of_item[r]; };
    std::vector<std::size_t> size(m, 0);
    for (std::size_t r = 0; r < item_weight.size(); ++r)
        size[s.items.worker_of[r]] += g.singletons ? 1 : g.members(group(r)).size();
    for (std::size_t j = 0; j < m; ++j) plan.workers[j].reserve(size[j]);
    auto emit = [&](std::uint32_t r) {
        auto& worker = plan.workers[s.items.worker_of[r]];
        if (g.singletons) worker.push_back(group(r));
        else for (auto i : g.members(group(r))) worker.push_back(i);
    };
    if (s.sequence.empty())
        for (std::uint32_t r = 0; r < item_weight.size(); ++r) emit(r);
    else
        for (auto r : s.sequence) emit(r);
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
    const std::size_t n_groups = g.groups();
    const std::size_t m = workers == 0 ? n_groups : workers;

    // Predicted seconds per test: recorded, else the estimate.
    const auto unknown_tests = static_cast<std::size_t>(
        std::count_if(g.duration.begin(), g.duration.end(), [](double d) { return std::isnan(d); }));
    double estimate = 0.0;
    if (unknown_tests) {
        std::vector<double> known;
        for (double d : g.duration)
            if (!std::isnan(d)) known.push_back(d);
        estimate = options.unknown_estimate.value_or(detail::median(std::move(known)));
    }

    // Ungrouped and all timed, a group's weight is its test's duration.
    std::vector<double> own_weight;
    if (!g.singletons || unknown_tests) {
        own_weight.assign(n_groups, 0.0);
        for (std::size_t i = 0; i < g.tests; ++i) own_weight[g.group(i)] += std::isnan(g.duration[i]) ? estimate : g.duration[i];
    }
    const std::vector<double>& group_weight = own_weight.empty() ? g.duration : own_weight;
    auto finish = [&](const detail::schedule& s, const std::vector<double>& item_weight,
                      const std::vector<std::uint32_t>& group_of_item, bool exact) {
        partition_plan plan = detail::plan_from(s, g, item_weight, group_of_item, m, exact);
        plan.unknown_tests = unknown_tests;
        plan.unknown_estimate = unknown_tests ? estimate : 0.0;
        return plan;
    };

    if (options.algorithm == partition_algorithm::compat || workers == 0 || m <= 1)
        return finish(detail::compat_schedule(g, m), group_weight, {}, false);

    // From here on items are groups ranked heaviest first, so the
    // algorithms below walk memory in order even for a million tests.
    const auto order = detail::order_heaviest_first(group_weight);
    std::vector<double> ranked(n_groups);
    for (std::size_t r = 0; r < n_groups; ++r) ranked[r] = group_weight[order[r]];
    // Items in rank order; ungrouped that is g.member already.
    std::vector<std::uint32_t> own_identity;
    if (!g.singletons) {
        own_identity.resize(n_groups);
        std::iota(own_identity.begin(), own_identity.end(), 0u);
    }
    const std::vector<std::uint32_t>& identity = g.singletons ? g.member : own_identity;
    const double floor = detail::makespan_lower_bound(ranked, m);
    const std::size_t budget = options.improvement_budget ? options.improvement_budget : 2'000'000;

    // Candidates in order of preference on equal makespans, each polished
    // by local search as soon as it is built. Local search never raises a
    // makespan, so a polished compat is never worse than compat itself;
    // with every test timed compat is a greedy schedule already, and the
    // greedy (LPT) candidate is only needed otherwise. Once a candidate is
    // within tolerance of the lower bound no later one can beat it by more
    // than noise, and the rest are not built.
    std::vector<detail::schedule> candidates;
    const bool small = n_groups <= 20'000 && n_groups * m <= 2'000'000;
    const std::size_t planned = 1 + (unknown_tests != 0) + 2 * (small && n_groups > m);
    // `exact`: the loads are already the sums recompute_loads would give.
    auto polish = [&](detail::schedule c, bool exact = false) {
        if (!exact) detail::recompute_loads(c.items, ranked);
        const double before = c.items.makespan();
        if (detail::improve(c.items, ranked, identity, m, floor, budget / planned)) detail::recompute_loads(c.items, ranked);
        if (c.items.makespan() < before && c.method == std::string_view("compat")) c.method = "compat+search";
        candidates.push_back(std::move(c));
        return candidates.back().items.makespan() <= floor * (1 + detail::tolerance);
    };
    auto compat = [&] {
        if (unknown_tests == 0) {
            std::vector<std::uint32_t> count;  // empty: one test per group
            if (n_groups != g.tests) {
                count.resize(n_groups);
                for (std::size_t r = 0; r < n_groups; ++r) count[r] = static_cast<std::uint32_t>(g.members(order[r]).size());
            }
            return detail::compat_schedule_ranked(ranked, count, m);
        }
        // Computed over groups, then renumbered by rank.
        auto c = detail::compat_schedule(g, m);
        std::vector<std::uint32_t> rank_of(n_groups);
        for (std::uint32_t r = 0; r < n_groups; ++r) rank_of[order[r]] = r;
        detail::schedule ranked_compat{detail::empty_assignment(n_groups, m), {}, "compat"};
        for (std::size_t r = 0; r < n_groups; ++r) ranked_compat.items.worker_of[r] = c.items.worker_of[order[r]];
        ranked_compat.sequence.reserve(c.sequence.size());
        for (auto k : c.sequence) ranked_compat.sequence.push_back(rank_of[k]);
        return ranked_compat;
    };
    [&] {
        // With every test timed, compat gives each group (heaviest first) to
        // a least-loaded worker, as LPT does; they differ only in which of
        // equally loaded workers, so their loads are the same numbers. An
        // LPT schedule (ties broken anyhow: the cheapest heap) within
        // tolerance of the bound is then what compat would have been kept
        // as, unpolished, at the same makespan, for two thirds of the cost
        // of compat's exact tie rule. Farther from the bound, local search
        // starts from compat itself, as it always has. LPT ends within about
        // its lightest item of even, so where even that is above tolerance
        // the stand-in is not worth its cost.
        if (unknown_tests == 0 && !ranked.empty() && ranked.back() <= floor * detail::tolerance) {
            auto stand_in = detail::lpt(ranked, identity, m, true);
            if (stand_in.makespan() <= floor * (1 + detail::tolerance)) {
                candidates.push_back({std::move(stand_in), {}, "lpt"});
                return;
            }
        }
        // The unpolished compat makespan is MULTIFIT's upper bound.
        auto first = compat();
        const bool exact = unknown_tests == 0;  // compat_schedule_ranked's loads
        if (!exact) detail::recompute_loads(first.items, ranked);
        const double compat_makespan = first.items.makespan();
        if (polish(std::move(first), true)) return;
        if (unknown_tests != 0 && polish({detail::lpt(ranked, identity, m), {}, "lpt"})) return;
        if (!small || n_groups <= m) return;
        if (polish({detail::ldm(ranked, identity, m), {}, "ldm"})) return;
        auto mf = detail::multifit(ranked, identity, m, floor, std::max(compat_makespan, floor));
        if (!mf.load.empty()) polish({std::move(mf), {}, "multifit"});
    }();
    std::size_t best = 0;
    for (std::size_t c = 1; c < candidates.size(); ++c)
        if (candidates[c].items.makespan() < candidates[best].items.makespan()) best = c;
    // Every candidate's loads are exact: built as running sums in rank
    // order, or recomputed so after local search.
    return finish(candidates[best], ranked, order, true);
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
