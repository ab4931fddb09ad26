// tools/testr-mini/execute.hpp - runs a planned schedule: runners started
// by the engine, their stream stored as it arrives, the console kept live.
#pragma once

#include "prepare.hpp"
#include "prestart_backend.hpp"
#include "repository.hpp"
#include "run_engine.hpp"
#include "run_summary.hpp"
#include "schedule.hpp"

namespace testr {
class junit_report;
}

namespace testr::cli {

class events_output;

/// Reports that outlive one run: made once by the command and fed by every
/// run it makes. `events`: the JSON Lines stream (--events), all runs in
/// it; `junit`: one JUnit report for several runs of different tests
/// (--isolated), which its owner writes at the end. Null: none, or (junit)
/// one report per run, made and written here.
struct run_reports {
    events_output* events = nullptr;
    junit_report* junit = nullptr;
};

/// Whether the run talks to a person on stdout (not --subunit, -q or --events -).
bool shows_progress(const app& a, const run_options& o);

/// Runs `s` over `ids` (empty: the whole suite), appending the stream to
/// `writer` and folding it into `summary` and `reports`; through
/// `prestarted`'s runners when given, else runners started as their tests
/// are handed out. Throws cli_error when the run could not be stored (after
/// abandoning it) or the process loop failed.
engine_report execute(const app& a, const run_options& o, const prepared& p, const schedule& s, const ids_t& ids,
                      repo::run_writer& writer, run_summary& summary, const run_reports& reports,
                      prestart_backend* prestarted);

}  // namespace testr::cli
