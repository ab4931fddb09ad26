// tools/testr-mini/junit_output.hpp - `--junit FILE` for run, last and load:
// the JUnit observer set up for the project, and written at the end.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "app.hpp"
#include "junit_report.hpp"

namespace testr::cli {

/// A report for `path` whose `file` attributes are looked up under the
/// project directory; `live`: rewritten during the run (run, load).
std::unique_ptr<junit_report> make_junit(const app& a, const std::string& path, bool live);
/// Writes the final report; a failure (or an earlier failed rewrite) is a
/// message on stderr and false: the run is stored all the same.
bool finish_junit(junit_report& report, const std::string& path);
/// The report of a stored stream, written to `path`; throws cli_error when
/// it cannot be written.
void junit_of_stream(const app& a, const std::string& path, std::string_view stream);

}  // namespace testr::cli
