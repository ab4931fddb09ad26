// tools/testr-mini/run_command.hpp - `run`: prepare, plan, execute, commit,
// report.
#pragma once

#include "app.hpp"
#include "run_options.hpp"

namespace testr::cli {

int run_tests(const app& a, const run_options& o);

}  // namespace testr::cli
