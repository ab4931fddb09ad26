// tools/testr-mini/plan_compare.hpp - `plan --compare`: the project's
// partitioners and the dynamic schedule side by side on the user's own
// suite (its listing and its recorded durations).
#pragma once

#include "app.hpp"
#include "run_options.hpp"

namespace testr::cli {

/// Prints compat, LPT, Karmarkar-Karp, MULTIFIT, balanced and the dynamic
/// schedule (simulated, real durations = estimate x exp(N(0, noise))) for
/// the tests `run` would run, and the plan `run` would follow.
int plan_compare(const app& a, const run_options& o, bool json, double noise);

}  // namespace testr::cli
