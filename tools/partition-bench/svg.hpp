// tools/partition-bench/svg.hpp - the results as grouped bars in SVG.
#pragma once

#include <string>
#include <vector>

#include "rows.hpp"

namespace partition_bench {

/// Per worker count two panels of grouped bars, a group per source, a bar
/// per algorithm: the mean ratio to the optimum (else the lower bound)
/// with exact estimates, and the noisy makespan over the bound, dynamic
/// schedule included. Plain SVG 1.1 text, no script; each bar carries its
/// figures as data-* attributes and a tooltip.
std::string render_svg(const std::vector<row>& rows, double noise, int seeds);

}  // namespace partition_bench
