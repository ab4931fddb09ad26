// bench/core_scale: how long the steps that must stay linear take at 10^5 items.
// The tests check what these steps compute; how fast they are is measured
// here (docs/benchmarks.md, "Scale of the core steps").
//
//   build/bench/core_scale
//
// * estimate_all over 100,000 ids, a third without a recorded duration
//   (every one estimated from its neighbours); bound 0.2 s.
// * the dynamic scheduler over 100,000 single tests on 8 workers: created,
//   then driven to the end on a simple clock (each runner's tests reported
//   as it starts); bound 2 s.
// * run_summary over one test with 160,000 distinct tags, then with 160,000
//   distinct attachment names (a linear search per name made this 50-140 s);
//   bound 2 s each.
// Best of 3 each.
#include <testr/dynamic_schedule.hpp>
#include <testr/estimates.hpp>

#include "run_summary.hpp"
#include "subunit_v2.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

template <class F>
double best_of_3(F&& f) {
    double best = 1e30;
    for (int round = 0; round < 3; ++round) {
        const auto t0 = clock_type::now();
        f();
        best = std::min(best, std::chrono::duration<double>(clock_type::now() - t0).count());
    }
    return best;
}

double estimates_seconds() {
    std::vector<std::string> ids;
    std::vector<std::optional<double>> known;
    for (int i = 0; i < 100'000; ++i) {
        const int c = i % 2003;
        ids.push_back("project.tests.pkg" + std::to_string(c % 7) + ".test_module_" + std::to_string(c % 311) +
                      ".TestFeature" + std::to_string(c) + ".test_behaviour_" + std::to_string(i));
        known.push_back(i % 3 ? std::optional(0.001 * (i % 97)) : std::nullopt);
    }
    std::size_t from_class = 0;
    const double s = best_of_3([&] {
        from_class = testr::estimate_all(ids, known).count(testr::estimate_source::class_);
    });
    std::printf("estimate_all, 10^5 ids:              %8.4f s  (bound 0.2 s; %zu from their class)\n", s, from_class);
    return s;
}

double scheduler_seconds() {
    std::vector<double> est(100'000);
    for (std::size_t i = 0; i < est.size(); ++i) est[i] = 0.001 * (1 + (i * 7919) % 997);
    std::vector<testr::work_item> items;
    for (std::size_t i = 0; i < est.size(); ++i) items.push_back({{i}, est[i], false});
    std::size_t runners = 0;
    const double s = best_of_3([&] {
        auto sched = testr::dynamic_scheduler::create(items, 8, {.start_cost = 0.1});
        if (!sched) std::abort();
        runners = 0;
        std::vector<double> busy_until(sched->workers(), 0);
        auto start = [&](std::size_t w, const std::vector<std::size_t>& tests, double now) {
            ++runners;
            double t = now + sched->options().start_cost;
            for (auto test : tests) {
                t += est[test];
                sched->observed(test, est[test]);
            }
            busy_until[w] = t;
        };
        for (std::size_t w = 0; w < sched->workers(); ++w)
            if (!sched->initial_batches()[w].empty()) start(w, sched->initial_batches()[w], 0);
        for (;;) {
            const auto w = static_cast<std::size_t>(std::min_element(busy_until.begin(), busy_until.end()) -
                                                    busy_until.begin());
            if (busy_until[w] == INFINITY) break;
            auto chunk = sched->next_chunk(w, busy_until[w]);
            if (chunk.empty()) busy_until[w] = INFINITY;
            else start(w, chunk, busy_until[w]);
        }
    });
    std::printf("dynamic scheduler, 10^5 tests, 8 w:  %8.4f s  (bound 2 s; %zu runners)\n", s, runners);
    return s;
}

double summary_seconds(bool tags) {
    namespace su = testr::subunit;
    std::string bytes;
    su::event_view e;
    e.test_id = "t";
    e.test_status = su::status::inprogress;
    e.time = su::timestamp{1'700'000'000, 0};
    if (!su::encode(e, bytes)) std::abort();
    e.test_status = su::status::none;
    e.time.reset();
    std::vector<std::string> names(160'000);
    for (std::size_t i = 0; i < names.size(); ++i) {
        names[i] = (tags ? "tag-" : "file-") + std::to_string(i);
        if (tags) {
            e.tags = {names[i]};
        } else {
            e.file_name = names[i];
            e.file_bytes = "x";
        }
        if (!su::encode(e, bytes)) std::abort();
    }
    e.tags.clear();
    e.file_name.reset();
    e.file_bytes = {};
    e.test_status = su::status::fail;
    e.time = su::timestamp{1'700'000'002, 0};
    if (!su::encode(e, bytes)) std::abort();
    std::size_t kept = 0;
    const double s = best_of_3([&] {
        auto summary = testr::summarize(bytes);
        if (!summary) std::abort();
        const auto r = summary->find("t");
        kept = tags ? r->tags().size() : r->attachments().size();
    });
    std::printf("run_summary, 1 test, 160,000 %-6s %8.4f s  (bound 2 s; %zu kept)\n", tags ? "tags:" : "files:", s, kept);
    return s;
}

}  // namespace

int main() {
    const double estimates = estimates_seconds(), scheduler = scheduler_seconds();
    const double tags = summary_seconds(true), files = summary_seconds(false);
    const bool ok = estimates < 0.2 && scheduler < 2.0 && tags < 2.0 && files < 2.0;
    std::printf("%s\n", ok ? "all within their bounds" : "OVER A BOUND");
    return ok ? 0 : 1;
}
