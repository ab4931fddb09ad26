// testr/dynamic_schedule.hpp - hand out tests while a run goes on, so a
// wrong estimate costs a little imbalance instead of a straggler.
//
//   auto e = testr::estimate_all(ids, recorded, groups);
//   auto s = testr::dynamic_scheduler::create(testr::work_items(ids, e, groups), workers,
//                                             {.start_cost = measured});
//   for each slot w: start a runner with s->initial_batches()[w], or, if that
//                    is empty, ask s->next_chunk(w, 0) at once;
//   on each test's outcome:             s->observed(test, seconds);
//   when the runner in slot w exits at t: chunk = s->next_chunk(w, t);
//                    empty: the slot retires; else start a fresh runner with it.
//
// The plan: the longest items making up `planned_fraction` of the predicted
// work are balanced over the workers up front (LPT polished by local
// search, then staggered so the batches do not all end at once); the rest
// wait in a queue, longest first. No queue is kept (why_static() says why)
// with one worker, when a runner's start is dear against the work it would
// save (max_start_share; with no history at all, cold_start_limit), or
// when the queue would give a worker less than min_chunk.
//
// A worker that falls idle gets a chunk from the head of the queue, sized
// against a balanced finish: the scheduler predicts when each busy worker
// will be done (what it has reported plus the estimates of what it has
// not, corrected by what the run has shown so far), finds the common finish
// time T at which the queue would be used up if each worker that takes more
// pays one runner start, and hands out `chunk_factor` of the idle worker's
// share of it. So chunks shrink as
// the queue drains, are measured in predicted seconds rather than tests, and
// never fall below `min_chunk`, where a runner's start would dominate.
//
// What the run shows: the ratio of actual to predicted seconds over the
// completed items scales every remaining estimate (a slower machine, a
// history that has drifted), and a guessed item (a test without history) is
// re-estimated from the tests of its neighbourhood (its class) observed in
// this very run. For that, tied estimates (a cold suite: all guesses) are
// planned rank by rank within each neighbourhood, so most classes have run
// a test by the time their other tests leave the queue.
//
// A pure, deterministic state machine: no clock, no processes; equal inputs
// give equal outputs. Times are seconds since the run started.
#pragma once

#include <testr/detail/balance.hpp>
#include <testr/detail/id_index.hpp>
#include <testr/estimates.hpp>
#include <testr/partition.hpp>
#include <testr/result.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace testr {

struct dynamic_options {
    /// Seconds from spawning a runner process to its first test event.
    double start_cost = 0;
    /// Share of the predicted work dealt out before the run starts, for
    /// recorded estimates; the rest is the queue.
    double planned_fraction = 0.75;
    /// The same for guessed estimates; the planned share is the mix of the
    /// two by the guessed share of the predicted work. When the queue would
    /// give each worker less than `min_chunk`, everything is planned (a
    /// static schedule): extra runners would cost more than they could save.
    double guessed_planned_fraction = 0.5;
    /// With every estimate a guess (no history at all), the queue is kept
    /// only when a runner starts within this many seconds. Nothing then
    /// tells how long the suite is, so nothing bounds what the extra starts
    /// cost against what they save: measured on 3-12 s suites
    /// (bench/adaptive_sim --start, bench/adaptive.py --imports subunit), a
    /// 0.03 s start gains 7-16% over a static plan, a 0.2 s start loses
    /// up to 25%.
    double cold_start_limit = 0.1;
    /// With some history, the queue is kept only when a runner's start is
    /// at most this share of a worker's predicted work. Each worker that
    /// takes a chunk pays a start; in the simulation (bench/adaptive_sim
    /// --start) a queue gains where history misleads and loses where it is
    /// right, and breaks even near a start of 5% of the work (at 6.7%:
    /// warm +6%, new +4%, drift -9% against a static plan).
    double max_start_share = 0.05;
    /// Planned batches end a step apart from worker to worker, a step being
    /// a runner start but at most this share of a worker's planned work
    /// (see create()); 0 plans them to end together.
    double stagger = 0.01;
    /// Smallest chunk in real seconds; 0 means max(2 * start_cost, 0.05),
    /// so a runner's start is at most a third of its time. (Three starts'
    /// worth made the end of a run coarser than the starts it saved: see
    /// bench/adaptive_sim.)
    double min_chunk = 0;
    /// Share of an idle worker's gap to the balanced finish handed out per
    /// chunk. 1 trusts the predictions (one chunk each when they are right);
    /// smaller values hedge against error with more, smaller chunks.
    double chunk_factor = 1;
    /// How strongly chunks shrink as predictions prove wrong (see
    /// dynamic_scheduler::chunk_factor()); 0 never hedges.
    double hedge = 1;
};

/// Items outside any neighbourhood.
inline constexpr std::uint32_t no_neighbourhood = UINT32_MAX;

/// What is never split: a group (tests sharing a group_regex key, in input
/// order) or a single test. Tests are caller-chosen numbers, normally
/// positions in the list of ids; `estimate` is predicted seconds for all of
/// them together.
struct work_item {
    std::vector<std::size_t> tests;
    double estimate = 0;
    /// The estimate is not the tests' own history (see estimate_source).
    bool guessed = false;
    /// A number shared by similar items (e.g. of one class): a guessed item
    /// is re-estimated from the observed tests of its neighbourhood.
    std::uint32_t neighbourhood = no_neighbourhood;
};

/// Items for `ids` (any range of things convertible to std::string_view)
/// with the estimates of estimate_all: one item per group of groups(id)
/// (an empty key: the test alone), in order of first appearance, tests
/// numbered by position, neighbourhoods numbered by class_of(id) of the
/// item's first test.
template <class Ids, class Groups = no_groups>
std::vector<work_item> work_items(const Ids& ids, const estimates& e, Groups&& groups = {}) {
    constexpr bool grouped = !std::is_same_v<std::remove_cvref_t<Groups>, no_groups>;
    std::vector<work_item> items;
    detail::id_index keys(grouped ? e.seconds.size() : 0), classes(e.seconds.size() / 4 + 16);
    std::vector<std::size_t> item_of_group;  // a lone test may sit between two members
    std::size_t i = 0;
    for (auto&& id_like : ids) {
        const std::string_view id(id_like);
        const double s = i < e.seconds.size() ? e.seconds[i] : 0.0;
        const bool guessed = i >= e.source.size() || e.source[i] != estimate_source::recorded;
        std::string_view key;
        if constexpr (grouped) key = groups(id);
        work_item* it;
        if (key.empty()) {
            it = &items.emplace_back();
        } else {
            auto [number, fresh] = keys.insert(key);
            if (fresh) {
                item_of_group.push_back(items.size());
                items.emplace_back();
            }
            it = &items[item_of_group[number]];
        }
        if (it->tests.empty()) {
            auto c = class_of(id);
            it->neighbourhood = c.empty() ? no_neighbourhood : classes.insert(c).first;
        }
        it->tests.push_back(i);
        it->estimate += s;
        it->guessed = it->guessed || guessed;
        ++i;
    }
    return items;
}

/// The scheduler. Create with dynamic_scheduler::create.
class dynamic_scheduler {
public:
    /// Errors: no workers, a negative or non-finite estimate, a test in two
    /// items, a bad option. Items with no tests are dropped.
    static result<dynamic_scheduler> create(std::vector<work_item> items, std::size_t workers,
                                            dynamic_options options = {});

    /// Per worker slot: the tests of its first runner, longest items first.
    /// A slot with an empty batch starts no runner; it is idle at time 0.
    const std::vector<std::vector<std::size_t>>& initial_batches() const noexcept { return batches_; }

    /// Worker `worker` fell idle at `now`: its runner exited (or it never had
    /// one). Returns the tests for its next runner, whole items, longest
    /// first; empty when nothing is left, and the worker is retired. Tests
    /// of the worker's previous runner that were never observed are taken as
    /// lost (not requeued: a runner that drops tests is a failed run).
    std::vector<std::size_t> next_chunk(std::size_t worker, double now);

    /// A test finished after `actual_seconds`. Refines the predicted finish
    /// of its worker, the estimates of guessed items in its neighbourhood,
    /// and, once its item is complete, the run's ratio of actual to
    /// predicted seconds. Unknown, queued and repeated tests are ignored.
    void observed(std::size_t test, double actual_seconds);

    /// Nothing left to hand out.
    bool finished() const noexcept { return queue_.empty(); }
    /// When the run is predicted to end: the busy workers' predicted
    /// finishes, with the queue spread over them as next_chunk would.
    double predicted_makespan() const;
    /// Actual / predicted seconds over the items completed so far (1 before any).
    double correction() const noexcept { return estimated_done_ > 0 ? actual_done_ / estimated_done_ : 1.0; }
    /// Predicted seconds of the queue, as corrected so far.
    double queued_seconds() const;
    std::size_t queued_items() const noexcept { return queue_.size(); }
    /// Mean relative error of the predictions of completed items, recorded
    /// or guessed ones (each predicted with the correction known when it
    /// completed); for guessed ones 1 until one completes.
    double prediction_error(bool guessed) const noexcept {
        return expected_[guessed] > 0 ? error_[guessed] / expected_[guessed] : guessed ? 1.0 : 0.0;
    }
    /// The share of its gap to the balanced finish an idle worker is given
    /// now: chunk_factor / (1 + hedge * e), at least half of chunk_factor,
    /// where e is the prediction error of the kind of item at the head of
    /// the queue. Trusting predictions that have been right saves runner
    /// starts; hedging ones that have been wrong keeps a late surprise small.
    double chunk_factor() const noexcept {
        const bool guessed = !queue_.empty() && items_[queue_.front()].guessed;
        return options_.chunk_factor * std::max(0.5, 1 / (1 + options_.hedge * prediction_error(guessed)));
    }
    std::size_t workers() const noexcept { return slots_.size(); }
    /// The options in force: min_chunk resolved, planned_fraction the share
    /// actually planned (1 when the plan turned out static).
    const dynamic_options& options() const noexcept { return options_; }
    /// Why everything was planned (a static schedule), "" when a queue was kept.
    std::string_view why_static() const noexcept { return why_static_; }

private:
    struct slot {
        double runner_start = 0;           // when its current runner was spawned
        double actual = 0;                 // observed seconds in the current runner
        std::vector<std::uint32_t> items;  // of the current runner
        std::uint32_t runner = 0;          // generation: late reports of an old runner only count for the ratio
        bool retired = false;
    };
    struct item_state {
        double estimate = 0;
        double actual = 0;
        std::uint32_t worker = UINT32_MAX;  // UINT32_MAX: still queued
        std::uint32_t runner = 0;
        std::uint32_t remaining = 0;        // tests not yet observed
        std::uint32_t first = 0, count = 0; // its tests: tests_[first .. first + count)
        std::uint32_t neighbourhood = no_neighbourhood;
        bool guessed = false;
    };
    struct neighbourhood_state {
        double actual = 0, estimated = 0;  // over its observed tests
        std::uint32_t tests = 0;
    };
    static constexpr double neighbourhood_prior_tests = 2;

    dynamic_scheduler() = default;
    void assign(std::uint32_t item, std::size_t worker, std::vector<std::size_t>& out);
    double predicted(std::uint32_t item) const;  // real seconds for the item's unobserved tests
    double finish_of(std::size_t worker, double now) const;
    void sort_queue(const std::vector<double>& predicted_by_item);
    double balanced_finish(std::size_t idle, double now, double queued_real) const;

    dynamic_options options_;
    std::string_view why_static_;  // a literal
    std::vector<item_state> items_;
    std::vector<std::size_t> tests_;              // every item's tests, flat
    std::vector<std::uint32_t> item_of_test_;     // by test number; UINT32_MAX: none
    std::vector<bool> seen_;                      // by test number
    std::vector<neighbourhood_state> neighbourhoods_;
    std::vector<std::uint32_t> queue_;            // items still queued, longest first
    bool queue_guessed_ = false;                  // some queued item is guessed: re-sort as we learn
    std::vector<slot> slots_;
    std::vector<std::vector<std::size_t>> batches_;
    double actual_done_ = 0, estimated_done_ = 0;
    // sum |actual - predicted| and sum predicted over completed items, by [guessed]
    double error_[2] = {0, 0}, expected_[2] = {0, 0};
    double clock_ = 0;
};

// ---------------------------------------------------------------------------

inline result<dynamic_scheduler> dynamic_scheduler::create(std::vector<work_item> items, std::size_t workers,
                                                           dynamic_options options) {
    if (workers == 0) return fail("dynamic schedule: no workers");
    auto bad = [](double x) { return !std::isfinite(x) || x < 0; };
    if (bad(options.start_cost) || bad(options.min_chunk) || bad(options.planned_fraction) ||
        bad(options.cold_start_limit) || bad(options.max_start_share) || bad(options.stagger) ||
        bad(options.guessed_planned_fraction) || bad(options.chunk_factor) || bad(options.hedge) || options.chunk_factor == 0)
        return fail("dynamic schedule: options must be finite and non-negative, chunk_factor positive");
    std::erase_if(items, [](const work_item& it) { return it.tests.empty(); });
    if (options.min_chunk == 0) options.min_chunk = std::max(2 * options.start_cost, 0.05);
    options.chunk_factor = std::min(options.chunk_factor, 1.0);

    dynamic_scheduler s;
    const std::size_t n_items = items.size();
    std::size_t max_test = 0, n_tests = 0;
    std::uint32_t max_hood = 0;
    double total = 0, guessed = 0;
    for (const auto& it : items) {
        if (bad(it.estimate))
            return fail("dynamic schedule: the item of test " + std::to_string(it.tests.front()) +
                        " has an invalid estimate " + std::to_string(it.estimate));
        for (auto t : it.tests) max_test = std::max(max_test, t);
        if (it.neighbourhood != no_neighbourhood) max_hood = std::max(max_hood, it.neighbourhood + 1);
        n_tests += it.tests.size();
        total += it.estimate;
        if (it.guessed) guessed += it.estimate;
    }
    s.item_of_test_.assign(n_items ? max_test + 1 : 0, UINT32_MAX);
    s.seen_.assign(s.item_of_test_.size(), false);
    s.neighbourhoods_.resize(max_hood);
    s.items_.resize(n_items);
    s.tests_.reserve(n_tests);
    // Rank of each item within its neighbourhood: the tie-break that spreads
    // the planned share of equal guesses over every neighbourhood.
    std::vector<std::uint32_t> rank(n_items, 0), seen_in(max_hood, 0);
    for (std::uint32_t k = 0; k < n_items; ++k) {
        auto& st = s.items_[k];
        st.estimate = items[k].estimate;
        st.guessed = items[k].guessed;
        st.neighbourhood = items[k].neighbourhood;
        if (st.neighbourhood != no_neighbourhood) rank[k] = seen_in[st.neighbourhood]++;
        st.first = static_cast<std::uint32_t>(s.tests_.size());
        st.count = st.remaining = static_cast<std::uint32_t>(items[k].tests.size());
        for (auto t : items[k].tests) {
            if (s.item_of_test_[t] != UINT32_MAX)
                return fail("dynamic schedule: test " + std::to_string(t) + " is in more than one item");
            s.item_of_test_[t] = k;
            s.tests_.push_back(t);
        }
    }
    s.slots_.resize(workers);
    s.batches_.resize(workers);

    std::vector<double> weight(n_items);
    for (std::size_t k = 0; k < n_items; ++k) weight[k] = items[k].estimate;
    std::vector<std::uint32_t> order(n_items);
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        if (items[a].estimate != items[b].estimate) return items[a].estimate > items[b].estimate;
        return rank[a] != rank[b] ? rank[a] < rank[b] : a < b;
    });
    const double g = total > 0 ? guessed / total : 0.0;
    double planned_fraction =
        std::min(1.0, options.planned_fraction * (1 - g) + options.guessed_planned_fraction * g);
    if (workers == 1)
        s.why_static_ = "one worker";
    else if (guessed == total && options.start_cost > options.cold_start_limit)
        s.why_static_ = "no history and a runner start above cold_start_limit";
    else if (guessed < total && options.start_cost > options.max_start_share * total / static_cast<double>(workers))
        s.why_static_ = "a runner start above max_start_share of a worker's predicted work";
    else if ((1 - planned_fraction) * total / static_cast<double>(workers) < options.min_chunk)
        s.why_static_ = "the queue would give a worker less than min_chunk";
    if (!s.why_static_.empty()) planned_fraction = 1;
    options.planned_fraction = planned_fraction;
    // The planned share is a prefix of the longest-first order, so the short
    // items stay in the queue, where they even out the end of the run.
    std::size_t planned = 0;
    for (double sum = 0; planned < n_items && (planned_fraction == 1 || sum < planned_fraction * total); ++planned)
        sum += items[order[planned]].estimate;
    std::vector<double> ranked(planned);
    for (std::size_t r = 0; r < planned; ++r) ranked[r] = items[order[r]].estimate;
    std::vector<std::uint32_t> identity(planned);
    std::iota(identity.begin(), identity.end(), 0u);
    detail::assignment a = detail::lpt(ranked, identity, workers);
    detail::improve(a, ranked, identity, workers, detail::makespan_lower_bound(ranked, workers), 200'000);
    // Stagger the planned batches by a runner start per worker: balanced
    // batches end together, and the fresh runners that then all start at
    // once compete for the CPUs (8 workers on 2 CPUs: a start took 0.05 s
    // instead of 0.02; warm, 8 workers: 1.053 -> 1.042 x ideal). Worker w
    // gives back its shortest items worth up to w steps; they go to the
    // head of the queue, which evens the finish out. A step is at most
    // `stagger` of a worker's planned work: larger steps left noisy runs
    // worse in the simulation (8 workers, 0.1 s starts: 1.066 without,
    // 1.078 at 1%, 1.089 at 2%).
    std::vector<char> back(planned, 0);
    if (planned < n_items && options.start_cost > 0) {
        const double planned_total = std::accumulate(ranked.begin(), ranked.end(), 0.0);
        const double step = std::min(options.start_cost, options.stagger * planned_total / static_cast<double>(workers));
        std::vector<double> give(workers);
        for (std::size_t w = 0; w < workers; ++w) give[w] = static_cast<double>(w) * step;
        for (std::size_t r = planned; r-- > 0;) {
            double& g = give[a.worker_of[r]];
            if (ranked[r] <= g) {
                g -= ranked[r];
                back[r] = 1;
            }
        }
    }
    for (std::uint32_t r = 0; r < planned; ++r)
        if (!back[r]) s.assign(order[r], a.worker_of[r], s.batches_[a.worker_of[r]]);
    for (std::uint32_t r = 0; r < planned; ++r)
        if (back[r]) s.queue_.push_back(order[r]);
    s.queue_.insert(s.queue_.end(), order.begin() + static_cast<std::ptrdiff_t>(planned), order.end());
    for (auto k : s.queue_) s.queue_guessed_ = s.queue_guessed_ || s.items_[k].guessed;
    if (s.queue_guessed_) s.sort_queue(weight);
    s.options_ = options;
    return s;
}

inline void dynamic_scheduler::assign(std::uint32_t item, std::size_t worker, std::vector<std::size_t>& out) {
    item_state& it = items_[item];
    it.worker = static_cast<std::uint32_t>(worker);
    it.runner = slots_[worker].runner;
    slots_[worker].items.push_back(item);
    out.insert(out.end(), tests_.begin() + it.first, tests_.begin() + it.first + it.count);
}

inline double dynamic_scheduler::predicted(std::uint32_t item) const {
    const item_state& it = items_[item];
    if (it.remaining == 0) return 0;
    double ratio = correction();
    if (it.guessed && it.neighbourhood != no_neighbourhood) {
        // The neighbourhood's own ratio, shrunk towards the run's by a
        // couple of tests' worth, so one odd test does not set a class.
        const neighbourhood_state& h = neighbourhoods_[it.neighbourhood];
        if (h.tests && h.estimated > 0) {
            const double prior = neighbourhood_prior_tests * h.estimated / h.tests;
            ratio = (h.actual + prior * ratio) / (h.estimated + prior);
        }
    }
    return it.estimate * ratio * it.remaining / it.count;
}

inline void dynamic_scheduler::observed(std::size_t test, double actual_seconds) {
    if (test >= item_of_test_.size() || item_of_test_[test] == UINT32_MAX || seen_[test]) return;
    item_state& it = items_[item_of_test_[test]];
    if (it.worker == UINT32_MAX) return;  // reported before it was handed out: not ours to judge
    if (!std::isfinite(actual_seconds) || actual_seconds < 0) actual_seconds = 0;
    seen_[test] = true;
    it.actual += actual_seconds;
    --it.remaining;
    if (slots_[it.worker].runner == it.runner) slots_[it.worker].actual += actual_seconds;
    if (it.neighbourhood != no_neighbourhood) {
        neighbourhood_state& h = neighbourhoods_[it.neighbourhood];
        h.actual += actual_seconds;
        h.estimated += it.estimate / it.count;
        ++h.tests;
    }
    if (it.remaining == 0) {
        const double expected = it.estimate * correction();
        error_[it.guessed] += std::abs(it.actual - expected);
        expected_[it.guessed] += expected;
        actual_done_ += it.actual;
        estimated_done_ += it.estimate;
    }
}

inline double dynamic_scheduler::finish_of(std::size_t worker, double now) const {
    const slot& w = slots_[worker];
    if (w.items.empty()) return now;
    double pending = 0;
    for (auto k : w.items) pending += predicted(k);
    return std::max(now, w.runner_start + options_.start_cost + w.actual + pending);
}

// The common finish time T at which the queue (queued_real seconds) is used
// up when each worker j, free from b_j on (`idle` from now), takes work up to
// T and pays one runner start if it takes any: sum max(0, T - b_j - s) =
// queued_real. Water-filling over the free times in ascending order.
inline double dynamic_scheduler::balanced_finish(std::size_t idle, double now, double queued_real) const {
    std::vector<double> free;
    for (std::size_t j = 0; j < slots_.size(); ++j) {
        if (slots_[j].retired) continue;
        free.push_back((j == idle ? now : finish_of(j, now)) + options_.start_cost);
    }
    std::sort(free.begin(), free.end());
    double sum = 0;
    for (std::size_t k = 0; k < free.size(); ++k) {
        sum += free[k];
        const double level = (queued_real + sum) / static_cast<double>(k + 1);
        if (k + 1 == free.size() || level <= free[k + 1]) return level;
    }
    return now + options_.start_cost + queued_real;
}

// Guessed items first, then the rest, longest first within each: the
// least certain work goes early, so the chunks that end the run are the
// ones whose size is known.
inline void dynamic_scheduler::sort_queue(const std::vector<double>& predicted_by_item) {
    std::stable_sort(queue_.begin(), queue_.end(), [&](std::uint32_t a, std::uint32_t b) {
        if (items_[a].guessed != items_[b].guessed) return items_[a].guessed;
        return predicted_by_item[a] > predicted_by_item[b];
    });
}

inline double dynamic_scheduler::queued_seconds() const {
    double sum = 0;
    for (auto k : queue_) sum += predicted(k);
    return sum;
}

inline std::vector<std::size_t> dynamic_scheduler::next_chunk(std::size_t worker, double now) {
    std::vector<std::size_t> out;
    if (worker >= slots_.size() || slots_[worker].retired) return out;
    clock_ = std::max(clock_, now);
    slot& w = slots_[worker];
    ++w.runner;
    w.actual = 0;
    w.items.clear();
    w.runner_start = now;
    if (finished()) {
        w.retired = true;
        return out;
    }
    // Guesses change as their neighbourhoods are observed; keep the queue
    // longest first by what is predicted now. (A common correction factor
    // alone never changes the order.)
    std::vector<double> real(items_.size(), 0.0);
    double queued = 0;
    for (auto k : queue_) queued += real[k] = predicted(k);
    if (queue_guessed_) sort_queue(real);

    const double share = balanced_finish(worker, now, queued) - now - options_.start_cost;
    double want = chunk_factor() * share;
    if (share - want < options_.min_chunk) want = share;  // what is left of the share would be a crumb
    want = std::max(want, options_.min_chunk);
    if (queued - want < options_.min_chunk) want = queued;  // so would the rest of the queue
    // First fit, longest first: the head item always, then whatever still
    // fits, so a chunk comes close to its size even when items are coarse.
    double taken = 0;
    std::size_t keep = 0;
    for (std::size_t q = 0; q < queue_.size(); ++q) {
        const std::uint32_t k = queue_[q];
        if (out.empty() || taken + real[k] <= want) {
            taken += real[k];
            assign(k, worker, out);
        } else {
            queue_[keep++] = k;
        }
    }
    queue_.resize(keep);
    return out;
}

inline double dynamic_scheduler::predicted_makespan() const {
    double latest = clock_;
    bool any = false;
    for (std::size_t j = 0; j < slots_.size(); ++j) {
        if (slots_[j].retired) continue;
        any = true;
        latest = std::max(latest, finish_of(j, clock_));
    }
    if (!any || finished()) return latest;
    return std::max(latest, balanced_finish(slots_.size(), clock_, queued_seconds()));
}

}  // namespace testr
