// tools/testr-mini/stored_counts.hpp - the counts a summary line needs, read
// from a stored run's summary (kilobytes, not the run): for last, load and
// the previous-run deltas.
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

/// The previous run's counts for the deltas (unfiltered, as testr), or
/// nothing when there is none or it cannot be read.
std::optional<run_counts> previous_counts(const repo::repository& r, std::optional<unsigned> id);

}  // namespace testr::cli
