// tools/testr-mini/run_options.hpp - the options of `run` and `plan`.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace testr::cli {

struct run_options {
    bool parallel = false;
    unsigned concurrency = 0;  ///< --concurrency; 0 = not given
    bool failing = false;
    bool partial = false;
    bool subunit = false;
    bool until_failure = false;
    bool isolated = false;
    std::optional<std::string> load_list;
    std::vector<std::string> filters;   ///< positional regexes
    std::vector<std::string> testargs;  ///< after --
    double timeout = 0;                 ///< --timeout seconds; 0: test_timeout, else none
    unsigned retries = 0;               ///< --retries: re-run failing tests this many times
    bool fail_on_flaky = false;         ///< a test that passed only on retry fails the run
    std::string schedule = "dynamic";   ///< dynamic (chunks as slots fall idle) or static (one runner per worker)
    bool prestart = true;               ///< runners started before their tests are known (--no-prestart)
    std::string events;                 ///< --events FILE|-: the run's events as JSON Lines
    std::string junit;                  ///< --junit FILE: a JUnit XML report, kept current during the run
    std::optional<std::string> shard;   ///< --shard INDEX/TOTAL (1-based): only that CI shard's tests
    unsigned shard_total = 0;           ///< --shard-total: the total for JOB_COMPLETION_INDEX; 0: not given
    bool shard_from_env = false;        ///< `run`: without --shard, the CI system's variables choose
    /// stestr's spellings (stestr_options.hpp): tests any of these finds
    /// are left out (--exclude-regex, the lines of --exclude-list).
    std::vector<std::string> exclude;
    bool serial = false;                ///< --serial: one runner, whatever --parallel would do
    bool random = false;                ///< --random: each worker's tests in a shuffled order
    bool analyze_isolation = false;     ///< --analyze-isolation: testr's bisection of the failing tests
};

}  // namespace testr::cli
