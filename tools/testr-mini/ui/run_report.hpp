// tools/testr-mini/ui/run_report.hpp - what `run` prints when it is over:
// testr's summary lines, then what testr-mini adds (re-runs, timeouts,
// crashes, tests that never ran, flaky tests, the workers).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "run_engine.hpp"
#include "run_summary.hpp"
#include "ui/report_format.hpp"

namespace testr::cli {

/// Everything the report is made of. Views: valid during the call.
struct run_facts {
    const run_summary& summary;          ///< the stored stream, folded
    std::optional<run_counts> previous;  ///< the run before, for the deltas
    unsigned id;                         ///< the stored run's id
    const engine_report& engine;
    const std::vector<std::string>& ids;  ///< by position
    std::string concurrency_source;      ///< how the worker count was decided
    std::string predicted;               ///< the plan's prediction, in words
    const std::vector<double>& predicted_slots;  ///< per slot: its first batch
    double took = 0;  ///< seconds from the listing (when there was one) to the last runner's end
};

/// The summary values: testr's counts over the stored stream, except that
/// a retried test counts once, by its last attempt, and that tests that
/// never ran or runners that could not start make the run unsuccessful.
summary_values run_summary_values(const run_facts& f);

/// The lines after the summary.
std::string run_notes(const run_facts& f);

}  // namespace testr::cli
