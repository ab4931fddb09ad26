// tools/testr-mini/timeline_command.hpp - `last --timeline FILE.svg`: where
// a run's wall time went, one lane per worker, one bar per test.
#pragma once

#include <optional>
#include <string>

#include "app.hpp"

namespace testr::cli {

/// Draws run `id` (default: the latest) into `path`.
int timeline_command(const app& a, const std::string& path, std::optional<unsigned> id);

}  // namespace testr::cli
