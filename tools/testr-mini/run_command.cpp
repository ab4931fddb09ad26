// tools/testr-mini/run_command.cpp - see run_command.hpp. The pipeline:
//
//   prepare (prepare.cpp)   config, repository, ids, concurrency, limits
//   plan    (schedule.cpp)  estimates, batches, the dynamic queue
//   execute (execute.cpp)   the engine runs it; observers store and show it
//   commit  (commit.cpp)    the run published in the repository
//   report  (ui/run_report.cpp) the summary, and the exit status below
#include "run_command.hpp"

#include <cstdio>

#include "commit.hpp"
#include "execute.hpp"
#include "prepare.hpp"
#include "schedule.hpp"
#include "ui/run_report.hpp"

namespace testr::cli {

namespace {

/// The exit status, from what happened (as testr: with --subunit the
/// stream is the result, for its reader to judge).
int verdict(const run_options& o, const summary_values& v, const engine_report& r) {
    if (r.interrupts) return exit_interrupted;
    if (o.subunit) return exit_ok;
    const bool failed = !v.successful || !r.never_run().empty() || !r.start_errors.empty() ||
                        (o.fail_on_flaky && !r.flaky().empty());
    return failed ? exit_failed : exit_ok;
}

int run_once(const app& a, const run_options& o, const prepared& p) {
    static const ids_t no_ids;
    const ids_t& ids = p.ids ? *p.ids : no_ids;
    const schedule s = p.ids ? plan_schedule(p, dynamic_mode(o, p)) : whole_suite_schedule();
    const repo::repository& repository = *p.repository;
    const std::optional<run_summary> previous = comparison_run(repository);
    auto writer = repo::begin_run(repository);
    if (!writer) throw cli_error(writer.error().message);
    run_summary summary;
    summary.set_filter_tags(p.filter_tags);

    const engine_report report = execute(a, o, p, s, ids, *writer, summary);
    const stored_run committed = commit_run(o, repository, *writer, report);

    const run_facts facts{summary,   previous ? &*previous : nullptr, committed.id, report, ids,
                          std::string(to_string(p.concurrency.source)), s.predicted_text(), s.predicted};
    const summary_values values = run_summary_values(facts);
    if (!o.subunit && !a.quiet) {
        write_stdout(format_summary(values));
        write_stdout(run_notes(facts));
    }
    if (report.interrupts) {
        std::size_t completed = 0;
        if (p.ids)
            for (auto& t : report.tests) completed += is_outcome(t.final_status());
        else
            for (auto& t : summary.tests()) completed += is_outcome(t.status) && t.id != "process-returncode";
        std::fprintf(stderr, "testr-mini: interrupted: the %zu tests that completed were stored as partial run %u\n",
                     completed, committed.id);
    }
    return with_storage_warning(verdict(o, values, report), committed);
}

}  // namespace

int run_tests(const app& a, const run_options& o) {
    prepared p = prepare(a, o);
    if (p.repository) clean_leftovers(a.quiet, *p.repository);
    if (o.isolated) {
        if (!p.ids) p.ids = list_tests(a, p);
        int worst = exit_ok;
        const ids_t all = *p.ids;
        for (const auto& id : all) {
            prepared one = p;
            one.ids = ids_t{id};
            one.concurrency = {concurrency_answer::of(1), concurrency_source::option};
            const int rc = run_once(a, o, one);
            if (rc == exit_interrupted) return rc;
            worst = std::max(worst, rc);
        }
        return worst;
    }
    int rc = run_once(a, o, p);
    while (o.until_failure && rc == exit_ok) rc = run_once(a, o, p);
    return rc;
}

}  // namespace testr::cli
