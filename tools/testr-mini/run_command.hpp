// tools/testr-mini/run_command.hpp - `run`: prepare, plan, execute, commit,
// report.
#pragma once

#include "app.hpp"
#include "run_options.hpp"

namespace testr::cli {

int run_tests(const app& a, const run_options& o);

struct prepared;
/// One run of what `p` selected: planned, executed, committed, reported;
/// the exit status `run` gives it.
int run_once(const app& a, const run_options& o, const prepared& p);

}  // namespace testr::cli
