// tools/testr-mini/timeline_command.hpp - `last --timeline FILE.svg`: where
// a run's wall time went, one lane per worker, one bar per test.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "app.hpp"

namespace testr::cli {

/// Draws run `id` (default: the latest) into `path`.
int timeline_command(const app& a, const std::string& path, std::optional<unsigned> id);

/// Remembers when run `id` began (before its first runner started) and
/// ended (after the last exited), in `<id>.span` beside it, so its picture
/// spans the whole run: the stream alone runs from the runners' first event
/// to their last. A failure to write it is a warning: the run is stored.
void record_run_span(const repo::repository& r, unsigned id, std::chrono::system_clock::time_point began,
                     std::chrono::system_clock::time_point ended);

}  // namespace testr::cli
