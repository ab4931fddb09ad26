// tools/testr-mini/app.hpp - what every command shares: where it runs, how
// it reports errors. Exceptions stop at main(); adapters return values.
#pragma once

#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "repository.hpp"
#include "run_summary.hpp"
#include "testr_config.hpp"

namespace testr::cli {

/// Exit codes, as testrepository's: 0 success, 1 test failures, 2 usage,
/// 3 any other error; and 4 when the run passed and was stored but its
/// durations were not (a warning says why): a CI job must not take that for
/// a lost run (3), nor hide it (0).
enum exit_code : int {
    exit_ok = 0,
    exit_failed = 1,
    exit_usage = 2,
    exit_error = 3,
    exit_durations_lost = 4,
    exit_interrupted = 130
};

/// An error shown to the user as "testr-mini: <message>".
struct cli_error : std::runtime_error {
    int code;
    explicit cli_error(const std::string& message, int exit = exit_error) : std::runtime_error(message), code(exit) {}
};

struct app {
    std::string here;    ///< -d/--here: the project directory
    bool quiet = false;  ///< -q: only primary output and errors
    std::string junit_schema = "full";  ///< --junit-schema of run, last, load: full or jenkins

    repo::repository open_repository() const;
    repo::repository open_or_init_repository(bool force_init) const;
    config::testr_conf load_config() const;
};

/// Writes bytes to stdout exactly (binary streams such as --subunit);
/// throws cli_error when stdout is closed or broken.
void write_stdout(std::string_view bytes);
/// The same as a value, for code that must not throw (observers inside a
/// run): 0, or the errno of the failed write.
int put_stdout(std::string_view bytes) noexcept;

/// Writes the report of run `id` once it is stored. A closed or broken
/// stdout is said on stderr and is not an error: exit 3 would say nothing
/// was stored, and running the command again would store the run twice.
void write_stored_report(std::string_view bytes, unsigned id) noexcept;
/// The latest stored run's id; "No tests in repository" when none.
unsigned latest_run(const repo::repository& r);
/// Stored run `id`, summarised; errors name the run.
run_summary stored_summary(const repo::repository& r, unsigned id);
/// Whitespace-separated words, as Python's str.split() finds them
/// (filter_tags, instance ids).
std::vector<std::string> split_words(std::string_view text);
/// filter_tags of the project's .testr.conf; none without one (reports
/// need it only for counting).
std::vector<std::string> filter_tags(const app& a);

}  // namespace testr::cli
