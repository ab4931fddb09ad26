// testr/detail/balance.hpp - makespan minimisation over weighted items.
//
// Items are groups of tests with a predicted duration; workers are the
// parallel partitions. Every routine here is deterministic: ties are broken
// by item and worker number, and improvement is bounded by a count of
// elementary steps, never by the clock.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <queue>
#include <span>
#include <vector>

namespace testr::detail {

/// Which worker each item goes to, and the resulting loads.
struct assignment {
    std::vector<std::uint32_t> worker_of;  // per item
    std::vector<double> load;              // per worker

    double makespan() const { return load.empty() ? 0.0 : *std::max_element(load.begin(), load.end()); }
};

/// Item numbers sorted by weight, heaviest first, ties by item number.
/// LSD radix sort on a 32-bit key, the weight rounded to a float (weights
/// are finite and >= 0, so their bit patterns order like the values, and
/// rounding keeps that order but for ties): four passes of 8 bits instead
/// of the eight a double's bits would take. Wider digits need fewer passes
/// but scatter to more places at once than the TLB holds: 11-bit digits
/// (three passes) measured slower. Runs of equal keys, rare but for truly
/// equal weights, are then put in exact order by the doubles; the sort is
/// stable, so within a run items are already ascending. A key travels with
/// its item number in one 64-bit word (key above, item below), so every
/// pass reads memory in order and a plain sort of the words is stable.
inline std::vector<std::uint32_t> order_heaviest_first(const std::vector<double>& w) {
    const std::size_t n = w.size();
    // Each pass writes the whole of its output before it is read: no
    // zeroing pass over a million words first.
    auto a = std::make_unique_for_overwrite<std::uint64_t[]>(n);
    std::unique_ptr<std::uint64_t[]> b;
    std::uint32_t all_or = 0, all_and = ~std::uint32_t{0};
    for (std::size_t i = 0; i < n; ++i) {
        const float f = static_cast<float>(w[i] + 0.0);  // + 0.0: -0 becomes +0
        std::uint32_t bits;
        std::memcpy(&bits, &f, sizeof bits);
        a[i] = std::uint64_t{~bits} << 32 | static_cast<std::uint32_t>(i);  // descending
        all_or |= ~bits;
        all_and &= ~bits;
    }
    auto key = [](std::uint64_t e) { return static_cast<std::uint32_t>(e >> 32); };
    if (n < 256) {
        std::sort(a.get(), a.get() + n);
    } else {
        b = std::make_unique_for_overwrite<std::uint64_t[]>(n);
        constexpr int bits_per_pass = 8, passes = 4;
        constexpr std::size_t buckets = std::size_t{1} << bits_per_pass;
        const std::uint32_t varying = all_or ^ all_and;  // digits that never vary need no pass
        // Every pass's histogram from one read of the keys.
        std::vector<std::uint32_t> count(buckets * passes, 0u);
        for (const std::uint64_t e : std::span(a.get(), n))
            for (int p = 0; p < passes; ++p) ++count[p * buckets + ((key(e) >> (p * bits_per_pass)) & (buckets - 1))];
        for (int p = 0; p < passes; ++p) {
            const int shift = p * bits_per_pass;
            if (((varying >> shift) & (buckets - 1)) == 0) continue;
            std::uint32_t* c = &count[p * buckets];
            std::uint32_t sum = 0;
            for (std::size_t d = 0; d < buckets; ++d) { auto t = c[d]; c[d] = sum; sum += t; }
            for (const std::uint64_t e : std::span(a.get(), n)) b[c[(key(e) >> shift) & (buckets - 1)]++] = e;
            a.swap(b);
        }
    }
    std::vector<std::uint32_t> order(n);
    if (n) order[0] = static_cast<std::uint32_t>(a[0]);
    bool equal_keys = false;
    for (std::size_t i = 1; i < n; ++i) {
        order[i] = static_cast<std::uint32_t>(a[i]);
        equal_keys |= key(a[i]) == key(a[i - 1]);
    }
    if (!equal_keys) return order;
    auto heavier = [&](std::uint32_t x, std::uint32_t y) { return w[x] > w[y]; };
    for (std::size_t lo = 0; lo < n;) {
        std::size_t hi = lo + 1;
        while (hi < n && key(a[hi]) == key(a[lo])) ++hi;
        if (hi - lo > 1 && !std::is_sorted(order.begin() + lo, order.begin() + hi, heavier))
            std::stable_sort(order.begin() + lo, order.begin() + hi, heavier);
        lo = hi;
    }
    return order;
}

/// The strongest cheap lower bound on the makespan of any schedule:
/// the average load, the heaviest item, and the pigeonhole bounds (of the
/// k*m+1 heaviest items some worker holds k+1, so it carries at least the
/// k+1 lightest of them).
inline double makespan_lower_bound_sorted(const std::vector<double>& desc, std::size_t m) {
    if (desc.empty() || m == 0) return 0.0;
    // A window's sum is the difference of two prefix sums. Both ends only
    // move forward, so two running sums, each added up from the front in
    // order, give the very prefix sums an array of them would hold,
    // without a million-entry array.
    struct running { double sum = 0; std::size_t at = 0; };
    auto to = [&](running& r, std::size_t end) {
        for (; r.at < end; ++r.at) r.sum += desc[r.at];
        return r.sum;
    };
    running low, high;
    double lb = desc.front();
    for (std::size_t k = 1; k * m + 1 <= desc.size(); ++k) {
        const double lighter = to(low, k * m - k);
        lb = std::max(lb, to(high, k * m + 1) - lighter);
    }
    return std::max(lb, to(high, desc.size()) / static_cast<double>(m));
}

/// Martello and Toth's bin-packing bound L2: a lower bound on the number
/// of bins of capacity `cap` that the items (sorted descending, prefix sums
/// given) need. For each threshold a, items above cap-a need a bin each,
/// items in (cap/2, cap-a] too, and items in [a, cap/2] must fit in what
/// those leave free or open more bins.
inline std::size_t bins_needed_l2(const std::vector<double>& desc, const std::vector<double>& prefix, double cap) {
    const std::size_t n = desc.size();
    // Number of items strictly greater than x, and at least x.
    auto above = [&](double x) {
        return static_cast<std::size_t>(std::upper_bound(desc.begin(), desc.end(), x, std::greater<>()) - desc.begin());
    };
    auto at_least = [&](double x) {
        return static_cast<std::size_t>(std::lower_bound(desc.begin(), desc.end(), x, std::greater<>()) - desc.begin());
    };
    if (n == 0) return 0;
    if (desc.front() > cap) return SIZE_MAX;
    const std::size_t half = above(cap / 2);  // items in (cap/2, cap]
    std::size_t best = half;
    // a = 0 and every item size in [0, cap/2] as thresholds.
    for (std::size_t t = half; t <= n; ++t) {
        const double a = t < n ? desc[t] : 0.0;
        const std::size_t n1 = above(cap - a);
        const std::size_t n2 = half - std::min(half, n1);
        const double s2 = prefix[half] - prefix[n1];
        const std::size_t end3 = at_least(a);  // items in [a, cap/2]
        const double s3 = prefix[end3] - prefix[half];
        const double spill = s3 - (static_cast<double>(n2) * cap - s2);
        std::size_t l = n1 + n2;
        if (spill > 0) l += static_cast<std::size_t>(std::ceil(spill / cap - 1e-12));
        best = std::max(best, l);
        while (t + 1 < n && desc[t + 1] == desc[t]) ++t;  // one threshold per distinct size
    }
    return best;
}

/// A makespan below which the items provably do not fit on m workers:
/// bisection on the capacity, keeping only capacities that bins_needed_l2
/// proves infeasible, so the result is sound whatever the bisection does.
inline double bin_packing_lower_bound(const std::vector<double>& desc, std::size_t m, double lower, double upper,
                                      int rounds = 40) {
    std::vector<double> prefix(desc.size() + 1, 0.0);
    for (std::size_t j = 0; j < desc.size(); ++j) prefix[j + 1] = prefix[j] + desc[j];
    for (int r = 0; r < rounds && upper - lower > upper * 1e-9; ++r) {
        const double mid = (lower + upper) / 2;
        if (bins_needed_l2(desc, prefix, mid) > m) lower = mid;
        else upper = mid;
    }
    return lower;
}

/// The best of the bounds above, for items sorted descending. The
/// bin-packing bound costs O(n log n) per probe, so it is used only where
/// it matters: few items per worker (at most 16), at most 50,000 items.
inline double makespan_lower_bound(const std::vector<double>& desc, std::size_t m) {
    const double simple = makespan_lower_bound_sorted(desc, m);
    if (desc.empty() || m == 0 || desc.size() > 50'000 || desc.size() > 16 * m) return simple;
    double total = 0;
    for (double x : desc) total += x;
    const double upper = total / static_cast<double>(m) + desc.front();  // greedy never needs more
    return std::max(simple, bin_packing_lower_bound(desc, m, simple, upper));
}

inline assignment empty_assignment(std::size_t n, std::size_t m) {
    return {std::vector<std::uint32_t>(n, 0), std::vector<double>(m, 0.0)};
}

/// Replaces the top of a binary min-heap (by `less`) with `value` and sifts
/// it down: one pass instead of a pop and a push, for the greedy loops
/// below and compat's slot list.
template <class T, class Less>
void replace_top(std::vector<T>& heap, T value, Less less) {
    const std::size_t m = heap.size();
    std::size_t at = 0;
    for (;;) {
        std::size_t child = 2 * at + 1;
        if (child >= m) break;
        if (child + 1 < m) child += less(heap[child + 1], heap[child]);
        if (!less(heap[child], value)) break;
        heap[at] = heap[child];
        at = child;
    }
    heap[at] = value;
}

/// LPT for at most 64 workers, without a heap. The loads are kept as an
/// array sorted by `less` (the order `lpt`'s heap uses, so the same worker
/// is picked). With items heaviest first the loads soon lie closer together
/// than an item: then the next m items go one to each worker in the order
/// of their loads (each new load is above every old one, so no worker is
/// picked twice), and only those m new loads need sorting. They are ranked
/// by counting, for each, the ones below it, two comparisons per vector
/// instruction and no branch on their outcome; the heap instead waits at
/// each of its levels for a comparison whose outcome is a coin toss. Equal
/// new loads (ranks that collide) are sorted instead; rounds that do not
/// fit (the heavy items at the start) give one item and the window moves on.
template <class Less>
void lpt_rounds(const std::vector<double>& w, const std::vector<std::uint32_t>& order, std::size_t m, assignment& a,
                Less less) {
    struct slot { double load; std::uint32_t worker; };
    slot sorted[64];
    for (std::uint32_t j = 0; j < m; ++j) sorted[j] = {0.0, j};
    const std::size_t n = order.size();
    // One item to the lightest worker, its new load put back in place.
    auto step = [&](std::size_t t) {
        slot s = sorted[0];
        s.load += w[order[t]];
        a.worker_of[order[t]] = s.worker;
        std::size_t k = 0;
        for (; k + 1 < m && less(sorted[k + 1], s); ++k) sorted[k] = sorted[k + 1];
        sorted[k] = s;
    };
#if defined(__GNUC__)
    typedef double pair __attribute__((vector_size(16)));
    typedef long long lanes __attribute__((vector_size(16)));
    const std::size_t pairs = (m + 1) / 2;
    pair next[32];
    next[pairs - 1][1] = std::numeric_limits<double>::infinity();  // pads an odd m; never below a load
    std::size_t t = 0;
    while (t + m <= n) {
        double lowest = std::numeric_limits<double>::infinity();
        for (std::size_t j = 0; j < m; ++j) {
            const double load = sorted[j].load + w[order[t + j]];
            next[j / 2][j % 2] = load;
            lowest = std::min(lowest, load);
        }
        if (!(lowest > sorted[m - 1].load)) {
            step(t++);  // the next window may fit: the heaviest load is now one step older
            continue;
        }
        slot ranked[64];
        std::uint64_t filled = 0;
        for (std::size_t j = 0; j < m; ++j) {
            const double load = next[j / 2][j % 2];
            const pair against{load, load};
            lanes below0{0, 0}, below1{0, 0};  // a true lane is -1
            std::size_t p = 0;
            for (; p + 1 < pairs; p += 2) {
                below0 -= next[p] < against;
                below1 -= next[p + 1] < against;
            }
            if (p < pairs) below0 -= next[p] < against;
            const lanes below = below0 + below1;
            const auto rank = static_cast<std::size_t>(below[0] + below[1]);
            ranked[rank] = {load, sorted[j].worker};
            filled |= std::uint64_t{1} << rank;
            a.worker_of[order[t + j]] = sorted[j].worker;
        }
        if (filled == (m == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << m) - 1)) {
            std::copy(ranked, ranked + m, sorted);
        } else {
            for (std::size_t j = 0; j < m; ++j) sorted[j].load = next[j / 2][j % 2];
            std::sort(sorted, sorted + m, less);
        }
        t += m;
    }
    for (; t < n; ++t) step(t);
#else
    for (std::size_t t = 0; t < n; ++t) step(t);
#endif
    for (std::size_t j = 0; j < m; ++j) a.load[sorted[j].worker] = sorted[j].load;
}

/// Longest processing time first: each item to the least loaded worker
/// (lowest number on ties, unless `any_tie`). Fastest with items heaviest
/// first, the order every caller gives.
/// Beyond 64 workers a binary min-heap whose top is replaced in place: one
/// sift per item instead of a pop and a push.
/// Which of equally loaded workers takes an item never changes the loads
/// as a multiset, so `any_tie` gives the same makespan, bit for bit, with
/// one comparison per step instead of two.
inline assignment lpt(const std::vector<double>& w, const std::vector<std::uint32_t>& order, std::size_t m,
                      bool any_tie = false) {
    assignment a = empty_assignment(w.size(), m);
    struct slot { double load; std::uint32_t worker; };
    auto by_load = [](const auto& x, const auto& y) { return x.load < y.load; };
    auto by_load_then_worker = [](const auto& x, const auto& y) {
        return x.load != y.load ? x.load < y.load : x.worker < y.worker;
    };
    if (m != 0 && m <= 64) {
        if (any_tie) lpt_rounds(w, order, m, a, by_load);
        else lpt_rounds(w, order, m, a, by_load_then_worker);
        return a;
    }
    std::vector<slot> heap(m);
    for (std::uint32_t j = 0; j < m; ++j) heap[j] = {0.0, j};  // already a heap
    auto run = [&](auto less) {
        for (auto i : order) {
            const slot top{heap[0].load + w[i], heap[0].worker};
            a.worker_of[i] = top.worker;
            replace_top(heap, top, less);
        }
    };
    if (any_tie) run(by_load);
    else run(by_load_then_worker);
    for (const slot& s : heap) a.load[s.worker] = s.load;
    return a;
}

/// Largest differencing method (Karmarkar-Karp for m ways): repeatedly
/// merge the two partial solutions with the largest spread, heaviest side
/// against lightest. Strong where items per worker are few.
inline assignment ldm(const std::vector<double>& w, const std::vector<std::uint32_t>& order, std::size_t m) {
    const std::size_t n = w.size();
    // Subsets are linked lists of items so merging is O(m).
    std::vector<std::uint32_t> next(n, UINT32_MAX);
    struct side { double sum; std::uint32_t head, tail; };
    struct node { std::vector<side> sides; };  // sorted by sum, descending
    std::vector<node> nodes;
    nodes.reserve(2 * n);
    auto spread = [&](std::uint32_t k) { return nodes[k].sides.front().sum - nodes[k].sides.back().sum; };
    auto cmp = [&](std::uint32_t a, std::uint32_t b) {
        double sa = spread(a), sb = spread(b);
        return sa != sb ? sa < sb : a > b;  // max-heap on spread, older node first
    };
    std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, decltype(cmp)> heap(cmp);
    for (auto i : order) {
        node nd;
        nd.sides.assign(m, side{0.0, UINT32_MAX, UINT32_MAX});
        nd.sides[0] = {w[i], i, i};
        nodes.push_back(std::move(nd));
        heap.push(static_cast<std::uint32_t>(nodes.size() - 1));
    }
    while (heap.size() > 1) {
        auto a = heap.top(); heap.pop();
        auto b = heap.top(); heap.pop();
        node merged;
        merged.sides.resize(m);
        for (std::size_t j = 0; j < m; ++j) {
            const side& x = nodes[a].sides[j];
            const side& y = nodes[b].sides[m - 1 - j];
            side s{x.sum + y.sum, x.head, x.tail};
            if (s.head == UINT32_MAX) { s.head = y.head; s.tail = y.tail; }
            else if (y.head != UINT32_MAX) { next[s.tail] = y.head; s.tail = y.tail; }
            merged.sides[j] = s;
        }
        std::stable_sort(merged.sides.begin(), merged.sides.end(),
                         [](const side& p, const side& q) { return p.sum > q.sum; });
        std::vector<side>().swap(nodes[a].sides);
        std::vector<side>().swap(nodes[b].sides);
        nodes.push_back(std::move(merged));
        heap.push(static_cast<std::uint32_t>(nodes.size() - 1));
    }
    assignment out = empty_assignment(n, m);
    if (heap.empty()) return out;
    const node& last = nodes[heap.top()];
    for (std::size_t j = 0; j < m; ++j) {
        for (auto i = last.sides[j].head; i != UINT32_MAX; i = next[i]) {
            out.worker_of[i] = static_cast<std::uint32_t>(j);
            out.load[j] += w[i];
        }
    }
    return out;
}

/// MULTIFIT: binary search for the smallest capacity at which first-fit
/// decreasing packs every item into m bins.
inline assignment multifit(const std::vector<double>& w, const std::vector<std::uint32_t>& order, std::size_t m,
                           double lower, double upper, int rounds = 12) {
    assignment best;
    assignment trial = empty_assignment(w.size(), m);
    auto ffd = [&](double cap) {
        std::fill(trial.load.begin(), trial.load.end(), 0.0);
        const double slack = cap * 1e-12;
        for (auto i : order) {
            std::size_t j = 0;
            while (j < m && trial.load[j] + w[i] > cap + slack) ++j;
            if (j == m) return false;
            trial.worker_of[i] = static_cast<std::uint32_t>(j);
            trial.load[j] += w[i];
        }
        return true;
    };
    for (int r = 0; r < rounds; ++r) {
        double cap = (lower + upper) / 2;
        if (ffd(cap)) { best = trial; upper = cap; }
        else lower = cap;
    }
    if (best.load.empty() && ffd(upper)) best = trial;
    return best;
}

/// Local search on the most loaded worker: move one item to, or swap one
/// item with, another worker whenever that lowers the larger of the two
/// loads. Each accepted step strictly evens out a pair, so it terminates;
/// `budget` caps the elementary steps so huge inputs stay fast.
/// Relative distance from the lower bound below which a schedule is not
/// worth improving: a millionth of the makespan (1 ms in 1000 s) is far
/// below the noise of any test's duration.
inline constexpr double tolerance = 1e-6;

/// Returns whether it changed the assignment.
inline bool improve(assignment& a, const std::vector<double>& w, const std::vector<std::uint32_t>& order,
                    std::size_t m, double floor, std::size_t budget) {
    if (m < 2 || a.makespan() <= floor * (1 + tolerance)) return false;
    // Each worker's items, lightest first (ties: higher item number first,
    // the reverse of `order`), so nearest weights are found by bisection.
    std::vector<std::vector<std::uint32_t>> items(m);
    for (auto it = order.rbegin(); it != order.rend(); ++it) items[a.worker_of[*it]].push_back(*it);
    auto by_weight = [&](std::uint32_t x, std::uint32_t y) { return w[x] != w[y] ? w[x] < w[y] : x > y; };
    std::vector<std::uint32_t> others(m);
    bool changed = false;

    while (budget > 0) {
        const auto top = static_cast<std::uint32_t>(std::max_element(a.load.begin(), a.load.end()) - a.load.begin());
        const double high = a.load[top];
        if (high <= floor * (1 + tolerance)) return changed;  // as good as it matters
        std::iota(others.begin(), others.end(), 0u);
        std::stable_sort(others.begin(), others.end(), [&](auto x, auto y) { return a.load[x] < a.load[y]; });
        bool moved = false;
        for (auto b : others) {
            if (b == top) continue;
            const double gap = high - a.load[b];
            if (gap <= high * 1e-12) break;  // the rest are as loaded as `top`
            auto& from = items[top];
            auto& to = items[b];
            // Best single move: weight closest to gap/2, below gap.
            double best_new_high = high;
            std::size_t best_from = SIZE_MAX, best_to = SIZE_MAX;
            auto consider = [&](std::size_t fi, std::size_t ti, double delta) {
                if (delta <= 0 || delta >= gap) return;
                double nh = std::max(high - delta, a.load[b] + delta);
                if (nh < best_new_high) { best_new_high = nh; best_from = fi; best_to = ti; }
            };
            auto near = [&](const std::vector<std::uint32_t>& v, double target) {
                return static_cast<std::size_t>(
                    std::lower_bound(v.begin(), v.end(), target, [&](std::uint32_t x, double t) { return w[x] < t; }) -
                    v.begin());
            };
            std::size_t k = near(from, gap / 2);
            if (k < from.size()) consider(k, SIZE_MAX, w[from[k]]);
            if (k > 0) consider(k - 1, SIZE_MAX, w[from[k - 1]]);
            // Best swap: for each item x of `top`, the item y of b with
            // w[x] - w[y] closest to gap/2.
            for (std::size_t fi = 0; fi < from.size() && !to.empty(); ++fi) {
                double want = w[from[fi]] - gap / 2;
                std::size_t t = near(to, want);
                if (t < to.size()) consider(fi, t, w[from[fi]] - w[to[t]]);
                if (t > 0) consider(fi, t - 1, w[from[fi]] - w[to[t - 1]]);
            }
            const std::size_t cost = from.size() * 8 + to.size() + 16;
            budget = budget > cost ? budget - cost : 0;
            if (best_from == SIZE_MAX) {
                if (budget == 0) return changed;
                continue;
            }
            const std::uint32_t x = from[best_from];
            from.erase(from.begin() + static_cast<std::ptrdiff_t>(best_from));
            double delta = w[x];
            if (best_to != SIZE_MAX) {
                const std::uint32_t y = to[best_to];
                to.erase(to.begin() + static_cast<std::ptrdiff_t>(best_to));
                delta -= w[y];
                from.insert(std::upper_bound(from.begin(), from.end(), y, by_weight), y);
                a.worker_of[y] = top;
            }
            to.insert(std::upper_bound(to.begin(), to.end(), x, by_weight), x);
            a.worker_of[x] = b;
            a.load[top] -= delta;
            a.load[b] += delta;
            moved = changed = true;
            break;
        }
        if (!moved) return changed;
    }
    return changed;
}

/// Loads recomputed exactly from the assignment (local search accumulates
/// rounding in the running loads).
inline void recompute_loads(assignment& a, const std::vector<double>& w) {
    std::fill(a.load.begin(), a.load.end(), 0.0);
    for (std::size_t i = 0; i < w.size(); ++i) a.load[a.worker_of[i]] += w[i];
}

}  // namespace testr::detail
