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
};

}  // namespace testr::cli
