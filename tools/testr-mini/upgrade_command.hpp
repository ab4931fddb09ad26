// tools/testr-mini/upgrade_command.hpp - `testr-mini upgrade`: testr's
// format-1 repository converted to format 2 in place (legacy_repository.hpp).
#pragma once

#include "app.hpp"

namespace testr::cli {

/// Converts the project's .testrepository; says what was kept and where the
/// original is. Exit 0, or 3 with the adapter's message.
int upgrade_command(const app& a);

}  // namespace testr::cli
