// tools/testr-mini/run_command.hpp - `run`, `plan` and `list-tests`: list,
// partition, start the runners, stream their results into the repository.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "app.hpp"

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
    std::chrono::milliseconds timeout{0};  ///< per test (--timeout / test_timeout); 0: none
    unsigned retries = 0;                  ///< --retries: re-run failing tests this many times
    bool fail_on_flaky = false;            ///< a test that passed only on retry fails the run
    std::string schedule = "dynamic";      ///< --schedule: dynamic (chunks as slots fall idle) or static (one runner per worker)
};

int run_tests(const app& a, const run_options& o);

/// `plan`: what `run` would do, without running anything.
int plan_tests(const app& a, const run_options& o, bool json);

int list_tests_command(const app& a, const std::vector<std::string>& filters,
                       const std::vector<std::string>& testargs);

}  // namespace testr::cli
