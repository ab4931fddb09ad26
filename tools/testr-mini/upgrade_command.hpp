// tools/testr-mini/upgrade_command.hpp - `testr-mini upgrade`: testr's
// format-1 repository converted to format 2 in place (legacy_repository.hpp).
#pragma once

#include "app.hpp"

namespace testr::cli {

/// Converts the project's .testrepository; says what was kept and where the
/// original is. Exit 0, or 3 with the adapter's message.
int upgrade_command(const app& a);

/// Before `run`: when the project's repository is testr's or stestr's
/// (format 1), which `run` does not write into, says so before anything is
/// listed or started. At a terminal (stdin and stderr) it asks once whether
/// to upgrade now; yes upgrades and the run goes on, anything else leaves
/// the repository as it is and exits 3. Elsewhere (scripts, CI) it never
/// asks: exit 3 with what to run. A stestr project (.stestr.conf, no
/// .testr.conf) without any repository gets an empty one, as `stestr run`
/// makes its own.
void offer_upgrade(const app& a);

}  // namespace testr::cli
