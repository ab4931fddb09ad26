// tools/testr-mini/plan_command.hpp - `plan` (what `run` would do, without
// running anything) and `list-tests`.
#pragma once

#include <string>
#include <vector>

#include "app.hpp"
#include "run_options.hpp"

namespace testr::cli {

/// Prints the schedule `run` would follow; `shards` > 0: the CI split over
/// that many shards instead of the workers'. `verbose` adds the internal
/// names (partition method, the limit that kept no queue, the CPU probe).
int plan_tests(const app& a, const run_options& o, bool json, unsigned shards = 0, bool verbose = false);

int list_tests_command(const app& a, const std::vector<std::string>& filters, const std::vector<std::string>& testargs,
                       bool json = false);

}  // namespace testr::cli
