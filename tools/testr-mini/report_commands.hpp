// tools/testr-mini/report_commands.hpp - the commands that read or fill the
// repository without running tests: init, last, failing, load (load_command.cpp),
// slowest, stats.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app.hpp"

namespace testr::cli {

int init_command(const app& a);
/// `stray`: with --subunit, also the events of no test (run_digest::no_test_events).
int last_command(const app& a, bool subunit, const std::string& junit = {}, std::optional<unsigned> id = {},
                 bool json = false, bool stray = false);
int failing_command(const app& a, bool subunit, bool list, bool json = false);
/// load --shards: each stream is one CI job's (`run --subunit`), and they
/// make one run, each input's events tagged shard-K (K as the stream's
/// `run --shard` marker says, else its position, from 1).
struct shard_options {
    bool shards = false;
    std::optional<std::string> expect_ids;  ///< the whole suite's ids, a file (one per line, or a listing stream)
    bool expect_listed = false;             ///< the whole suite's ids from the project's listing
    std::vector<std::string> testargs;      ///< for the listing
};
int load_command(const app& a, const std::vector<std::string>& streams, bool partial, bool force_init, bool subunit,
                 const std::string& junit = {}, const shard_options& shards = {});
int slowest_command(const app& a, bool all, bool json = false);
int stats_command(const app& a, bool json = false);

}  // namespace testr::cli
