// tools/testr-mini/ui/run_report.cpp - see run_report.hpp.
#include "ui/run_report.hpp"

#include <algorithm>
#include <cstdio>

namespace testr::cli {

namespace {

/// name_at(0..n-1), one a line, the first `most` of them.
template <class NameAt>
std::string listed(std::size_t n, NameAt&& name_at, std::size_t most = 10) {
    std::string s;
    for (std::size_t k = 0; k < n && k < most; ++k) s += "\n  " + std::string(name_at(k));
    if (n > most) s += "\n  ... and " + std::to_string(n - most) + " more";
    return s;
}

std::string id_list(const std::vector<std::string>& ids, const std::vector<std::size_t>& positions, std::size_t most = 10) {
    return listed(positions.size(), [&](std::size_t k) -> const std::string& { return ids[positions[k]]; }, most);
}

std::string worker_line(std::size_t j, const slot_report& st, double wall, const std::vector<double>& predicted) {
    char line[256];
    std::snprintf(line, sizeof line, ", %.3fs in tests, %.3fs idle, ", st.busy, std::max(0.0, wall - st.busy));
    std::string s = "  worker-" + std::to_string(j) + ": " + count_of(st.tests, "test", "tests") + line +
                    count_of(st.runners, "runner", "runners");
    if (j < predicted.size()) s += ", predicted " + seconds_text(predicted[j]) + "s";
    for (auto& pr : st.problems) s += "; " + pr;
    return s + "\n";
}

}  // namespace

summary_values run_summary_values(const run_facts& f) {
    summary_values v = summarize_against(counts_of(f.summary), f.previous, f.id);
    if (f.engine.retried() != 0) {
        // A retried test is one test, judged by its last attempt.
        const attempt_counts c = f.summary.by_last_attempt();
        v.tests = c.tests;
        v.failures = c.failures;
        v.skips = c.skips;
        v.successful = c.failures == 0;
        v.failures_delta.reset();
        if (f.previous) v.tests_delta = static_cast<long>(c.tests) - static_cast<long>(f.previous->tests);
    }
    // A test that never ran, or a runner that never started, fails the run
    // as a failing test does: the word must not say PASSED above the notes
    // that say what was missed.
    if (!f.engine.never_run().empty() || !f.engine.start_errors.empty()) v.successful = false;
    return v;
}

std::string run_notes(const run_facts& f) {
    const engine_report& r = f.engine;
    std::string notes;
    if (r.requeued)
        notes += "Re-ran " +
                 count_of(r.requeued, "test whose runner died before reaching it",
                          "tests whose runner died before reaching them") +
                 ".\n";
    if (auto t = r.ended(attempt_end::timed_out); !t.empty())
        notes += count_of(t.size(), "test", "tests") + " timed out:" + id_list(f.ids, t) + "\n";
    if (auto c = r.ended(attempt_end::crashed); !c.empty())
        notes += count_of(c.size(), "test was running when its runner died", "tests were running when their runner died") + ":" +
                 id_list(f.ids, c) + "\n";
    // The same reason once, with how often it stopped a runner.
    std::vector<std::pair<std::string, std::size_t>> why;
    for (auto& e : r.start_errors) {
        auto it = std::find_if(why.begin(), why.end(), [&](auto& w) { return w.first == e; });
        if (it == why.end()) why.emplace_back(e, 1);
        else ++it->second;
    }
    for (auto& [e, n] : why) notes += count_of(n, "runner", "runners") + " could not be started: " + e + "\n";
    if (const auto& running = r.interrupted_ids; !running.empty())
        notes += count_of(running.size(), "test was", "tests were") + " running when the run was interrupted:" +
                 listed(running.size(), [&](std::size_t k) -> const std::string& { return running[k]; }) + "\n";
    if (auto n = r.never_run(); !n.empty())
        notes += count_of(n.size(), "test", "tests") + " never ran" + (r.interrupts ? std::string(" (interrupted)") : "") +
                 ":" + id_list(f.ids, n) + "\n";
    const auto flaky = r.flaky();
    if (!flaky.empty())
        notes += count_of(flaky.size(), "flaky test", "flaky tests") + " (failed, then passed on retry; tagged 'flaky'):" +
                 id_list(f.ids, flaky, flaky.size()) + "\n";
    if (r.retried() && flaky.empty())
        notes += "Retried " + count_of(r.retried(), "failing test", "failing tests") + "; none passed.\n";
    std::size_t used = 0;
    for (auto& st : r.slots) used += st.runners > 0;
    if (used > 1) {
        notes += "Workers: " + std::to_string(used) + " (" + f.concurrency_source + "); predicted " +
                 f.predicted + ", took " + seconds_text(std::max(f.took, r.wall)) + "s\n";
        for (std::size_t j = 0; j < r.slots.size(); ++j)
            if (r.slots[j].runners) notes += worker_line(j, r.slots[j], r.wall, f.predicted_slots);
    }
    return notes;
}

}  // namespace testr::cli
