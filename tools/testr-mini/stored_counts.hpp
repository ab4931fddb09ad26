// tools/testr-mini/stored_counts.hpp - the counts a summary line needs, read
// from a stored run's summary (kilobytes, not the run): for last, load and
// the previous-run deltas; and the verdict on a stored run.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "repository.hpp"
#include "run_summary.hpp"
#include "ui/report_format.hpp"

namespace testr::cli {

/// The run's counts with `filter` (filter_tags) applied.
run_counts counts_of(const run_digest& d, const std::vector<std::string>& filter);

/// A stored run's summary line against the previous run's counts. As
/// `run` said when it stored the run, a run that missed tests or runners
/// (run_digest::shortfall) is not successful, whatever its counts.
summary_values stored_summary_values(const run_digest& d, const std::vector<std::string>& filter,
                                     const std::optional<run_counts>& previous, unsigned id);

/// What a stored run missed, a line each ("" when nothing).
std::string shortfall_note(const run_shortfall& s);

/// A stored run's exit status: exit_failed when a test failed or it missed
/// tests or runners.
int stored_verdict(const run_digest& d);

/// The previous run's counts for the deltas (unfiltered, as testr), or
/// nothing when there is none or it cannot be read.
std::optional<run_counts> previous_counts(const repo::repository& r, std::optional<unsigned> id);

}  // namespace testr::cli
