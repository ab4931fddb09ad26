// adapters/timeline_svg.hpp - a run drawn as an SVG timeline: one lane per
// worker, one bar per test, coloured by status, for `last --timeline`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "subunit_v2.hpp"

namespace testr {

/// One test as it ran.
struct timeline_bar {
    unsigned worker = 0;      ///< lane: N of worker-N
    double start = 0;         ///< seconds from the start of the run
    double stop = 0;
    std::string id;
    subunit::status status = subunit::status::success;
};

/// A standalone SVG document (UTF-8). Lanes: max(workers, highest bar
/// worker + 1). Each bar carries a `<title>` tooltip "id — 1.234 s
/// (status)" and the class `status-NAME`; colours: success green, fail
/// red, skip grey, xfail purple, uxsuccess orange, anything else (a test
/// that did not complete) dark slate. An id is printed inside its bar only
/// where the bar is wide enough to hold some of it, so 10,000 bars stay
/// readable. Text is XML-escaped; bytes that are not valid UTF-8 and
/// control characters XML cannot carry become U+FFFD. Times that are not
/// finite count as 0; a stop before its start as the start.
std::string render_timeline_svg(const std::vector<timeline_bar>& bars, std::size_t workers, std::string_view title);

}  // namespace testr
