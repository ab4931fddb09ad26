// tools/testr-mini/isolation.cpp - see isolation.hpp. The steps, the
// probes' order and the table are testrepository's (commands/run.py), so
// the same suite gives the same answer.
#include "isolation.hpp"

#include <optional>
#include <string>
#include <vector>

#include "events_output.hpp"
#include "execute.hpp"
#include "prepare.hpp"
#include "run_command.hpp"
#include "ui/report_format.hpp"

namespace testr::cli {

namespace {

/// The tests that ran before `failing` in its worker, in the order they ran.
ids_t prior_tests(const run_summary& run, const std::string& failing) {
    const auto f = run.find(failing);
    if (!f) return {};
    ids_t prior;
    for (const test_view t : run.tests()) {
        if (t.id == failing) break;
        if (t.worker == f->worker && t.status != subunit::status::exists && t.id != "process-returncode")
            prior.emplace_back(t.id);
    }
    return prior;
}

bool still_failing(const repo::repository& r, const std::string& id) {
    auto bytes = repo::read_failing(r);
    if (!bytes) throw cli_error(bytes.error().message);
    auto failing = summarize(*bytes);
    if (!failing) throw cli_error("failing: " + failing.error());
    const auto t = failing->find(id);
    return t && is_failure(t->status);
}

struct prober {
    const app& a;
    const run_options& o;
    const prepared& base;
    const run_reports& reports;

    /// Runs `ids` in one runner as a partial run; its exit status.
    int operator()(ids_t ids) const {
        prepared one = base;
        one.ids = std::move(ids);
        one.concurrency = {concurrency_answer::of(1), concurrency_source::option};
        const int rc = run_once(a, o, one, reports);
        if (rc == exit_interrupted) throw cli_error("interrupted during --analyze-isolation", exit_interrupted);
        return rc;
    }
};

/// Whether `failure` fails when `before` runs ahead of it in one runner.
bool fails_after(const prober& probe, const repo::repository& r, ids_t before, const std::string& failure) {
    before.push_back(failure);
    probe(std::move(before));
    return still_failing(r, failure);
}

/// `prior` less what `keep` leaves out, in the order they ran.
ids_t in_order(const ids_t& prior, const std::vector<bool>& keep) {
    ids_t ids;
    for (std::size_t i = 0; i < prior.size(); ++i)
        if (keep[i]) ids.push_back(prior[i]);
    return ids;
}

/// The fewest of `prior` that, run before `failure` in one runner in the
/// order they ran, make it fail, none of which can be left out; nullopt
/// when even all of them do not. testr's bisection finds one test or
/// none: two that are needed together sit in different halves, and
/// neither half alone makes it fail. Here, the shortest head of what is
/// left that still makes it fail (bisected) ends with a test that is
/// needed; it is kept, the search goes on in the tests before it, and
/// stops when those kept are enough. Tests that leave state a later test
/// repairs make "a longer head fails" untrue, so the kept set is checked
/// at the end, one test left out at a time.
std::optional<ids_t> smallest_cause(const prober& probe, const repo::repository& r, const ids_t& prior,
                                    const std::string& failure) {
    std::vector<bool> kept(prior.size(), false);
    auto with_head = [&](std::size_t head) {
        std::vector<bool> k = kept;
        for (std::size_t i = 0; i < head; ++i) k[i] = true;
        return in_order(prior, k);
    };
    std::size_t limit = prior.size();  // a head of prior[0, limit) with the kept ones fails
    if (!fails_after(probe, r, prior, failure)) return std::nullopt;
    bool any = false;  // nothing kept: it passes alone, as stage one found
    while (limit > 0) {
        if (any && fails_after(probe, r, with_head(0), failure)) break;  // the kept ones are enough
        std::size_t passes = 0, fails = limit;
        while (fails - passes > 1) {
            const std::size_t mid = passes + (fails - passes) / 2;
            (fails_after(probe, r, with_head(mid), failure) ? fails : passes) = mid;
        }
        kept[fails - 1] = any = true;
        limit = fails - 1;
    }
    std::size_t count = 0;
    for (bool k : kept) count += k;
    for (std::size_t i = 0; i < prior.size() && count > 1; ++i) {
        if (!kept[i]) continue;
        kept[i] = false;
        if (fails_after(probe, r, in_order(prior, kept), failure)) --count;
        else kept[i] = true;
    }
    return in_order(prior, kept);
}

}  // namespace

int analyze_isolation(const app& a, const run_options& given) {
    run_options o = given;
    o.failing = true;   // the candidates: what is failing now
    o.partial = true;   // every probe is partial: the failing list keeps the rest
    o.parallel = false; // a probe is one runner, the tests in the order given
    o.random = o.until_failure = o.isolated = o.analyze_isolation = false;
    const prepared p = prepare(a, o);
    const repo::repository& r = *p.repository;
    // Where the causes are looked for: the run before any probe.
    const run_summary latest = stored_summary(r, latest_run(r));
    // Every probe writes into one events stream.
    std::optional<events_output> events = open_events(o.events);
    const run_reports reports{events ? &*events : nullptr, nullptr};
    const prober probe{a, o, p, reports};

    // Stage one: tests that fail on their own are not isolation problems.
    ids_t spurious;
    for (const auto& id : *p.ids) {
        if (probe({id}) != exit_ok) continue;
        // A test the filters kept out did not run, and proves nothing.
        const run_summary alone = stored_summary(r, latest_run(r));
        if (const auto t = alone.find(id); t && is_outcome(t->status)) spurious.push_back(id);
    }
    if (spurious.empty()) return exit_ok;

    std::vector<std::vector<std::string>> table{{"failing test", "caused by test"}};
    struct found {
        std::string failure;
        ids_t prior;
        std::optional<std::string> cause;
    };
    std::vector<found> searched;
    for (const auto& failure : spurious) {
        const ids_t causes = prior_tests(latest, failure);
        std::optional<std::string> cause;
        std::size_t bottom = 0, top = causes.size(), width = top - bottom;
        while (width) {
            const std::size_t check = (width + 1) / 2;
            ids_t ids(causes.begin() + static_cast<std::ptrdiff_t>(bottom),
                      causes.begin() + static_cast<std::ptrdiff_t>(bottom + check));
            if (fails_after(probe, r, std::move(ids), failure)) {
                top = bottom + check;  // the cause is in what ran
                if (width == 1) cause = causes[bottom];
            } else {
                bottom += check;  // in what did not
            }
            width = width == 1 ? 0 : top - bottom;
        }
        table.push_back({failure, cause.value_or("unknown - no conflicts")});
        searched.push_back({failure, causes, cause});
    }
    std::string out = format_table(table);
    // Beyond testr: the smallest set, also when it takes more than one test.
    // A cause testr's search found is one already: its last probe was that
    // test and the failing one, and the failing one passes alone.
    std::vector<std::vector<std::string>> sets{{"failing test", "fails after, in one runner, in this order"}};
    for (const auto& f : searched) {
        std::optional<ids_t> set = f.cause ? std::optional<ids_t>(ids_t{*f.cause}) : smallest_cause(probe, r, f.prior, f.failure);
        if (!set) {
            sets.push_back({f.failure, "not reproduced: it passed after all " + std::to_string(f.prior.size()) +
                                           " tests that ran before it"});
            continue;
        }
        for (std::size_t i = 0; i < set->size(); ++i) sets.push_back({i ? "" : f.failure, (*set)[i]});
    }
    out += "\nThe smallest set of tests that makes each fail:\n" + format_table(sets);
    write_stdout(out);
    return exit_error;
}

}  // namespace testr::cli
