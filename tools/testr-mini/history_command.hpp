// tools/testr-mini/history_command.hpp - stestr's `history` subcommand:
// `history list`, `history show [ID]`, `history remove ID|all`.
#pragma once

#include <optional>
#include <string>

#include "app.hpp"

namespace testr::cli {

/// stestr's table of runs: "Run ID", "Passed", "Runtime", "Date", with
/// stestr's rules (passed: no failure or unexpected success; runtime and
/// date from the earliest test start to the latest test end). `format`:
/// table (stestr's default), csv or value, as stestr's `-f`.
int history_list(const app& a, const std::string& format);

/// Removes run `which` (an id, or "all" for every run) from the
/// repository, under its lock; the failing list and durations stay, as in
/// stestr. Refuses testr's and stestr's own repositories, which testr-mini
/// never writes into.
int history_remove(const app& a, const std::string& which);

}  // namespace testr::cli
