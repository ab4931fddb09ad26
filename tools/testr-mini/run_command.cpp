// tools/testr-mini/run_command.cpp - see run_command.hpp. The pipeline:
//
//   prepare (prepare.cpp)   config, repository, ids, concurrency, limits
//   plan    (schedule.cpp)  estimates, batches, the dynamic queue
//   execute (execute.cpp)   the engine runs it; observers store and show it
//   commit  (commit.cpp)    the run published in the repository
//   report  (ui/run_report.cpp) the summary, and the exit status below
#include "run_command.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "commit.hpp"
#include "events_output.hpp"
#include "execute.hpp"
#include "junit_output.hpp"
#include "prepare.hpp"
#include "prestart.hpp"
#include "stored_counts.hpp"
#include "schedule.hpp"
#include "signals.hpp"
#include "stestr_options.hpp"
#include "timeline_command.hpp"
#include "ui/progress.hpp"
#include "ui/run_report.hpp"

namespace testr::cli {

namespace {

/// The exit status, from what happened (as testr: with --subunit the
/// stream is the result, for its reader to judge).
int verdict(const run_options& o, const summary_values& v, const engine_report& r) {
    if (r.interrupts) return exit_interrupted;
    if (o.subunit) return exit_ok;
    // v is unsuccessful when a test failed, never ran, or its runner never started.
    const bool failed = !v.successful || (o.fail_on_flaky && !r.flaky().empty());
    return failed ? exit_failed : exit_ok;
}

}  // namespace

/// One run; `prestarted`: its runners, already starting (else they are
/// started here when `p` says so, before the plan is made).
int run_once(const app& a, const run_options& o, const prepared& p, const run_reports& reports,
             std::unique_ptr<prestart_backend> prestarted, std::chrono::steady_clock::time_point began) {
    static const ids_t no_ids;
    const ids_t& ids = p.ids ? *p.ids : no_ids;
    if (!prestarted && p.ids) prestarted = prestart_runners(a.here, p);
    // --random shuffles what each worker was given: a dynamic queue would
    // choose the order again.
    schedule s = p.ids ? plan_schedule(p, dynamic_mode(o, p) && !o.random) : whole_suite_schedule();
    if (o.random) shuffle_batches(s);
    const repo::repository& repository = *p.repository;
    // The deltas need the last run's counts: its summary file, not its stream.
    const auto latest = repo::latest_id(repository);
    const std::optional<run_counts> previous = previous_counts(repository, latest ? *latest : std::nullopt);
    auto writer = repo::begin_run(repository);
    if (!writer) throw cli_error(writer.error().message);
    run_summary summary;
    summary.set_filter_tags(p.filter_tags);

    // The run's span starts with the command (or this repetition): the
    // listing and the runners' start are in it, as in `took`.
    const auto started = std::chrono::system_clock::now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                                                 std::chrono::steady_clock::now() - began);
    const engine_report report = execute(a, o, p, s, ids, *writer, summary, reports, prestarted.get());
    const unsigned interrupts_after_tests = process::interrupt_count();
    const auto ended = std::chrono::system_clock::now();
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    std::optional<prestart_report> pre;
    if (prestarted) pre = prestarted->report();
    std::optional<phase_line> storing(std::in_place, shows_progress(a, o) && smart_terminal(), "storing the run");
    prestarted.reset();  // its unused runners are stopped before the run is committed
    const stored_run committed = commit_run(o, repository, *writer, report, ids, pre ? &*pre : nullptr);
    record_run_span(repository, committed.id, started, ended);
    storing.reset();
    if (pre) {
        const bool ran = std::any_of(report.tests.begin(), report.tests.end(), [](const test_outcome& t) { return t.ran(); });
        remember_refusal(p, pre->refused, ran);
    }

    // Without history the per-worker figures are guesses too: the workers'
    // lines then give none, as the header says "unknown".
    const std::vector<double> guessed;
    const run_facts facts{summary,
                          previous,
                          committed.id,
                          report,
                          ids,
                          std::string(to_string(p.concurrency.source)),
                          s.predicted_text(),
                          s.known() ? s.predicted : guessed,
                          took};
    const summary_values values = run_summary_values(facts);
    if (!o.subunit && !a.quiet) {
        write_stored_report(format_summary(values) + run_notes(facts), committed.id);
    }
    if (report.interrupts) {
        std::size_t completed = 0;
        if (p.ids)
            for (auto& t : report.tests) completed += is_outcome(t.final_status());
        else
            for (const test_view t : summary.tests()) completed += is_outcome(t.status) && t.id != "process-returncode";
        std::fprintf(stderr, "testr-mini: interrupted: the %zu %s stored as partial run %u\n", completed,
                     completed == 1 ? "test that completed was" : "tests that completed were", committed.id);
    }
    const int status = stored_exit_status(verdict(o, values, report), committed, interrupts_after_tests);
    if (reports.events) {
        reports.events->stored(committed.id, !committed.durations_lost, status);
        reports.events->say_error();
    }
    return status;
}

int run_tests(const app& a, const run_options& given) {
    run_options o = given;
    o.shard_from_env = true;
    auto began = std::chrono::steady_clock::now();
    // The first runners start while the tests are listed.
    std::unique_ptr<prestart_backend> prestarted;
    std::optional<phase_line> listing;
    prepared p = prepare(a, o, false, [&](const prepared& settled) {
        if (!o.isolated) prestarted = prestart_runners(a.here, settled);
        listing.emplace(shows_progress(a, o) && smart_terminal(),
                        prestarted ? "listing tests; runners starting" : "listing tests");
    });
    listing.reset();
    if (p.repository) clean_leftovers(a.quiet, *p.repository);
    if (p.shard) {
        // On stderr: with --subunit or --events - stdout is the stream.
        if (!a.quiet) std::fprintf(stderr, "testr-mini: %s\n", p.shard_note.c_str());
        touch_status_file(*p.shard);
        // The other shards' tests did not run here, so did not pass here.
        o.partial = o.partial || p.shard->spec.total > 1;
    }
    // Every run of this command writes into one events stream.
    std::optional<events_output> events = open_events(o.events);
    run_reports reports{events ? &*events : nullptr, nullptr};
    if (o.isolated) {
        if (!p.ids) p.ids = list_tests(a, p);
        // One test a run: the JUnit report gathers them all. (Each
        // --until-failure run is the same test again: its own report, as
        // a shared one would show the repeats as retries.)
        const auto junit = o.junit.empty() || o.until_failure ? nullptr : make_junit(a, o.junit, true);
        reports.junit = junit.get();
        int worst = exit_ok;
        const ids_t all = *p.ids;
        for (const auto& id : all) {
            prepared one = p;
            one.ids = ids_t{id};
            one.concurrency = {concurrency_answer::of(1), concurrency_source::option};
            // As testr: with --until-failure each test is run again until it fails.
            int rc = exit_ok;
            do rc = run_once(a, o, one, reports, nullptr, std::chrono::steady_clock::now());
            while (o.until_failure && rc == exit_ok);
            worst = std::max(worst, rc);  // exit_interrupted is the highest
            if (rc == exit_interrupted) break;
        }
        // Rewritten as results came; whole once at the end, so a report that
        // cannot be written is said once.
        if (junit) finish_junit(*junit, o.junit);
        return worst;
    }
    int rc = run_once(a, o, p, reports, std::move(prestarted), began);
    while (o.until_failure && rc == exit_ok) rc = run_once(a, o, p, reports, nullptr, std::chrono::steady_clock::now());
    return rc;
}

}  // namespace testr::cli
