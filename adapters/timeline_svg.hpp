// adapters/timeline_svg.hpp - a run drawn as an SVG timeline: one lane per
// worker, one bar per test, coloured by status, for `last --timeline`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "subunit_v2.hpp"

namespace testr {

/// Why testr-mini itself failed a test, read from its traceback.
enum class timeline_end { normal, runner_died, timed_out };

/// One life of a test as it ran (a test run twice is two bars).
struct timeline_bar {
    unsigned worker = 0;      ///< lane: N of worker-N
    double start = 0;         ///< seconds from the start of the run
    double stop = 0;
    std::string id;
    subunit::status status = subunit::status::success;
    timeline_end end = timeline_end::normal;
    bool rerun = false;       ///< ran more than once in the run, or tagged `flaky`
};

/// When a run began (before its first runner started) and ended (after
/// its last runner exited), as `run` records it beside the stream.
struct run_span {
    subunit::timestamp start, end;
};

/// A stored run as the picture needs it.
struct timeline {
    std::vector<timeline_bar> bars;
    std::size_t workers = 0;  ///< lanes: highest worker + 1
    double seconds = 0;       ///< first to last event of the stream, or the run's span when wider
};

/// Reads a subunit v2 stream (a stored run). Times count from the stream's
/// first event; `seconds` runs to its last, so a runner's start-up and the
/// time after its last test are inside the picture. Each inprogress ...
/// outcome is one bar; a life left open at the end is an `inprogress` bar
/// up to the stream's last event. A failure whose attachment starts with
/// testr-mini's "the runner process on worker-N ended" / "timed out after"
/// is marked so. Tests without a worker-N tag go to lane 0. Bad bytes are
/// what the decoder makes of them (a failing "subunit.parser" test).
/// `run`, when known, widens the picture to the whole run: times then
/// count from the earlier of its start and the first event, and `seconds`
/// runs to the later of its end and the last event (a test still open at
/// the end is drawn to the stream's last event all the same).
timeline timeline_from_stream(std::string_view stream_bytes, const std::optional<run_span>& run = std::nullopt);

/// A standalone SVG document (UTF-8). Lanes: max(workers, highest bar
/// worker + 1). The axis runs to at least max(run_seconds, last stop), in
/// ticks of 1, 2 or 5 x 10^k with as many decimals as the step needs.
/// Before a lane's first test it is shaded as runner start-up, between and
/// after its tests as idle. Each bar carries a `<title>` tooltip "id —
/// 1.234 s (status)" and the class `status-NAME`; colours: success green,
/// fail red, skip grey, xfail purple, uxsuccess orange, anything else (a
/// test that did not complete) dark slate. Bars are at least 2 px wide; a
/// test shorter than that is drawn again, 4 px wide, above every bar, so
/// a zero-length failure between two passes still shows. A runner death,
/// a timeout and a re-run get a mark over the bar. The legend lists the
/// statuses, shadings and marks present. An id is printed inside its bar
/// only where the bar is wide enough to hold some of it, so 10,000 bars stay
/// readable. Text is XML-escaped; bytes that are not valid UTF-8 and
/// control characters XML cannot carry become U+FFFD. Times that are not
/// finite count as 0; a stop before its start as the start.
std::string render_timeline_svg(const std::vector<timeline_bar>& bars, std::size_t workers, std::string_view title,
                                double run_seconds = 0);

}  // namespace testr
