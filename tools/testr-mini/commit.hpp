// tools/testr-mini/commit.hpp - publishes a finished run in the repository.
#pragma once

#include "prestart_backend.hpp"
#include "repository.hpp"
#include "run_engine.hpp"
#include "run_options.hpp"

namespace testr::cli {

/// Commits the run. It is partial (the failing list keeps what this run did
/// not try) when asked for, for --failing/--isolated, when interrupted, and
/// when some planned tests never ran: a runner that could not start must
/// not empty the failing list. Then remembers the runners' start cost, and
/// with `prestarted` runners their hand-out cost. Throws cli_error when
/// nothing was stored.
repo::committed_run commit_run(const run_options& o, const repo::repository& r, repo::run_writer& writer,
                               const engine_report& report, const prestart_report* prestarted);

}  // namespace testr::cli
