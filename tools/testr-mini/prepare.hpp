// tools/testr-mini/prepare.hpp - everything `run`, `plan` and `list-tests`
// decide before a runner starts: configuration, repository, the test ids,
// concurrency, groups, limits, worker environments.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <testr/command_template.hpp>
#include <testr/concurrency.hpp>

#include "app.hpp"
#include "group_regex.hpp"
#include "instances.hpp"
#include "prestart.hpp"
#include "run_options.hpp"
#include "shard_source.hpp"

namespace testr::cli {

using ids_t = std::vector<std::string>;
struct native_suite;

struct prepared {
    config::testr_conf conf;
    std::optional<repo::repository> repository;  ///< not needed by list-tests
    command_settings settings;
    std::optional<ids_t> ids;  ///< nullopt: run the whole suite, unlisted
    concurrency_plan concurrency{concurrency_answer::of(1), concurrency_source::fallback};
    std::string cpu_source;  ///< why the CPU count is what it is
    std::size_t cpus = 0;    ///< the CPUs this process may use (0: not asked, a serial run)
    std::optional<group_matcher> groups;
    std::vector<std::string> filter_tags;
    double timeout = 0;  ///< seconds per test: --timeout, else test_timeout; 0: none
    std::shared_ptr<instances> environments;
    /// A suite of C++ test binaries (test_format=); null for subunit runners.
    std::shared_ptr<native_suite> native;
    /// Seconds from spawning the test listing to its first output: a
    /// runner's start cost, near enough, until a run has measured one.
    std::optional<double> listing_seconds;
    std::optional<shard_choice> shard;  ///< a CI shard: p.ids holds only its tests
    std::string shard_note;             ///< which shard, whence, how many tests
    prestart_choice prestart;  ///< whether the runners start before their tests are known
};

/// What `run` and `plan` need. `list_for_plan`: list even when a serial run
/// would not. `settled` is called once everything but the ids is known,
/// before the tests are listed: runners that need no ids may start then.
prepared prepare(const app& a, const run_options& o, bool list_for_plan = false,
                 const std::function<void(const prepared&)>& settled = {});

/// What `list-tests` needs: the config, the command, the environments.
prepared prepare_listing(const app& a, const std::vector<std::string>& testargs);

/// Runs the test listing (`test_list_option`) and parses what it printed:
/// a subunit v2 stream of `exists` events, or one id per line.
ids_t list_tests(const app& a, prepared& p);

/// A listing's output as ids: a subunit v2 stream of `exists` events, or
/// one id per line (surrounding blanks dropped).
ids_t parse_listing(std::string_view out);

/// Keeps the ids any of `filters` (Python regexes, re.search) selects.
void apply_filters(ids_t& ids, const std::vector<std::string>& filters);

}  // namespace testr::cli
