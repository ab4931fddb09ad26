// tools/testr-mini/commit.hpp - publishes a finished run in the repository.
#pragma once

#include <string>

#include "prestart_backend.hpp"
#include "repository.hpp"
#include "run_engine.hpp"
#include "app.hpp"
#include "run_options.hpp"

namespace testr::cli {

/// Before a run or load: cleans what a killed testr-mini left in the
/// repository and says so on stderr (one "note:" line each, unless
/// quiet), and finds an unusable lock or next-stream before any test runs.
/// Throws cli_error (exit 130 when interrupted waiting for the lock).
void clean_leftovers(bool quiet, const repo::repository& r);

/// What a commit stored.
struct stored_run {
    unsigned id = 0;
    /// The run is stored, but updating times.tsv failed after the commit
    /// point (a warning was printed): the exit status says so
    /// (exit_durations_lost), and storing the run again would keep it twice.
    bool durations_lost = false;
};

/// The error of a run or stream (`what`) of which nothing was stored: the
/// repository is as it was before it, and the message says so.
cli_error not_stored(const char* what, const std::string& why, int code = exit_error);

/// What the storing command knows of a run that its stream does not say.
struct run_extras {
    run_shortfall missed;  ///< for the run's summary
    bool retried = false;  ///< tests were retried: each counts once, by its last attempt
    std::string unrun;     ///< failures for the failing list (unrun_failures)
};

/// Failures, one per id, saying why the test never ran (`why`, a clause):
/// in the failing list they make `run --failing` run these tests, where
/// left out a `run || run --failing` would go green over them.
std::string unrun_failures(const std::vector<std::string_view>& ids, const std::string& why);

/// Commits `writer` (`what`: "run" or "stream", for messages), with
/// `extras`. Throws cli_error only when nothing was stored; a durations
/// failure after the commit point is a warning naming the run and what was
/// not saved.
stored_run store_run(repo::run_writer& writer, bool partial, const char* what, const run_extras& extras);

/// Commits the run. It is partial (the failing list keeps what this run did
/// not try) when asked for, for --failing/--isolated, when interrupted, and
/// when some planned tests never ran: a runner that could not start must
/// not empty the failing list. Then remembers the runners' start cost, and
/// with `prestarted` runners their hand-out cost. Throws cli_error when
/// nothing was stored.
/// Tests that never ran (but not for an interrupt) join the failing list.
stored_run commit_run(const run_options& o, const repo::repository& r, repo::run_writer& writer,
                      const engine_report& report, const std::vector<std::string>& ids,
                      const prestart_report* prestarted);

/// The exit status of a command that stored a run, from its `verdict`:
/// 130 when an interrupt came since `interrupts_before`
/// (process::interrupt_count() before the store), held or not, saying the
/// run is stored whole all the same (a commit is never undone, but the
/// user asked to stop: `run || run --failing` must not go on); else the
/// verdict, lowered to exit_durations_lost when nothing worse happened but
/// the durations were not saved. Called after the run's report.
int stored_exit_status(int verdict, const stored_run& stored, unsigned interrupts_before);

}  // namespace testr::cli
