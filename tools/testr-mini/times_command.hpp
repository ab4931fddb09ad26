// tools/testr-mini/times_command.hpp - `times export` / `times import`: the
// duration store as a file that travels (a CI cache, the project), and the
// .testr.conf key test_times_file that plans a fresh checkout with it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app.hpp"

namespace testr::cli {

/// Writes the repository's durations to `file` (atomically; "-": stdout).
int times_export_command(const app& a, const std::string& file);

/// Merges the files into the repository's durations (timesdb::merge):
/// every file is read first, and one that does not check out leaves the
/// store untouched.
int times_import_command(const app& a, const std::vector<std::string>& files, bool force_init);

/// Fills the estimates `recorded` lacks (aligned with `ids`) from the
/// project's test_times_file, when .testr.conf names one: repository
/// history first, then the file. Problems with the file are warnings, the
/// plan goes on without it. Returns how many estimates it filled.
std::size_t estimates_from_times_file(const config::testr_conf& conf, const std::vector<std::string>& ids,
                                      std::vector<std::optional<double>>& recorded);

}  // namespace testr::cli
