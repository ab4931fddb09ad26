// tools/testr-mini/ui/report_format.hpp - the text testrepository users know:
// failure blocks, the "Ran N tests" / "PASSED (id=N)" summary, tables.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "run_summary.hpp"

namespace testr::cli {

/// ====… / FAIL: id / tags: … / ----… / attachments, as testr prints it.
std::string format_failure(const test_record& t);

/// format_failure for each failed life of each test that `merged` (the
/// whole run) holds as failing, in the order they first appear in `events`
/// (a subunit v2 stream). One block per life: a summary keeps one record
/// per id, which would merge two runners' failed `process-returncode` into
/// "returncode 1returncode 1".
std::string format_failures(std::string_view events, const run_summary& merged);

struct summary_values {
    bool successful = true;
    std::size_t tests = 0;
    std::optional<long> tests_delta;
    std::optional<double> seconds;
    std::optional<double> seconds_delta;
    std::optional<unsigned> run_id;
    std::size_t failures = 0;
    std::optional<long> failures_delta;
    std::size_t skips = 0;
};

/// What a summary line needs of a run.
struct run_counts {
    std::size_t tests = 0, failures = 0, skips = 0;
    std::optional<double> seconds;
};
run_counts counts_of(const run_summary& run);

/// The summary of a run compared with the previous one (either may be
/// absent), in testrepository's words.
summary_values summarize_against(const run_counts& run, const std::optional<run_counts>& previous,
                                 std::optional<unsigned> id);
summary_values summarize_against(const run_summary& run, const run_summary* previous, std::optional<unsigned> id);

/// "Ran 24 (+2) tests in 2.507s (-0.100s)\nFAILED (id=3, failures=1 (-1), skips=1)\n"
std::string format_summary(const summary_values& v);

/// Left-aligned columns separated by two spaces, a dashed rule under the
/// header row: the layout of `testr slowest`.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

/// "1 test", "2 tests": `n` with the word that fits it.
std::string count_of(std::size_t n, const char* one, const char* many);

/// Seconds with three decimals, as testr prints them.
std::string seconds_text(double s);
/// "0.15 ms", "20 ms", "1.2e+03 ms": two significant digits, for figures
/// seconds_text would round to nothing.
std::string milliseconds_text(double s);

}  // namespace testr::cli
