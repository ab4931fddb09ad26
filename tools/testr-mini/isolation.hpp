// tools/testr-mini/isolation.hpp - `run --analyze-isolation`: testr's
// search for the test that makes a failing test fail when both share a
// runner, and the smallest set of tests that does.
#pragma once

#include "app.hpp"
#include "run_options.hpp"

namespace testr::cli {

/// For each currently failing test (after the filters): run it alone; if
/// it passes, bisect the tests that ran before it in its worker in the
/// latest run, each probe one runner given half of what is left and the
/// test, until one test is left that makes it fail. Every probe is a
/// partial run stored as `run` stores one. Prints testr's table
/// ("failing test", "caused by test"), then for each the smallest set of
/// earlier tests that makes it fail (two or more when testr's search finds
/// none), and returns 3 when any test passed alone; 0 when every failing
/// test fails on its own too.
int analyze_isolation(const app& a, const run_options& o);

}  // namespace testr::cli
