// tools/testr-mini/run_flags.hpp - the options of `run` and `plan` as the
// command line spells them (CLI11), filling run_options.
#pragma once

#include <CLI/CLI.hpp>

#include "run_options.hpp"
#include "stestr_options.hpp"

namespace testr::cli {

/// What selects and splits the tests: shared by `run` and `plan`.
void add_selection_options(CLI::App* cmd, run_options& o, stestr_selection& stestr);

/// What only `run` takes: how to run, retry, report.
void add_run_options(CLI::App* cmd, run_options& o, bool& full_results);

/// `plan --compare [--noise SIGMA]`.
void add_compare_options(CLI::App* plan, bool& compare, double& noise);

}  // namespace testr::cli
