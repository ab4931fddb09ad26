// tools/testr-mini/shard_source.hpp - which shard of a CI split this run
// is: --shard, else what the CI system's own variables say. The split
// itself is the core's (testr/shard.hpp); this only finds INDEX/TOTAL.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <testr/shard.hpp>

#include "testr_config.hpp"

namespace testr::cli {

struct shard_choice {
    shard_spec spec;                         ///< 1-based
    std::string source;                      ///< for people: "GitLab: CI_NODE_INDEX=2, CI_NODE_TOTAL=3"
    std::optional<std::string> status_file;  ///< Bazel's TEST_SHARD_STATUS_FILE, touched to say we shard
};

/// A variable's value; nullopt when unset. Empty counts as unset.
using env_lookup = std::function<std::optional<std::string>(const std::string& name)>;

/// This process's environment.
env_lookup process_environment();

/// What the run was asked for, in order: `--shard INDEX/TOTAL`; else, when
/// `use_env`, the first of Bazel (TEST_SHARD_INDEX/TEST_TOTAL_SHARDS),
/// GitLab (CI_NODE_INDEX/CI_NODE_TOTAL, from 1), CircleCI
/// (CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL), Buildkite
/// (BUILDKITE_PARALLEL_JOB/BUILDKITE_PARALLEL_JOB_COUNT) and Kubernetes
/// (JOB_COMPLETION_INDEX, with `shard_total` or the shard_total key of
/// .testr.conf); the others count from 0. nullopt: an ordinary run.
/// Throws cli_error (usage) naming the option or variable that is wrong.
std::optional<shard_choice> choose_shard(const std::optional<std::string>& shard_option, unsigned shard_total,
                                         bool use_env, const config::testr_conf& conf, const env_lookup& env);

/// Bazel's protocol: create (or touch) TEST_SHARD_STATUS_FILE to say the
/// test honours sharding. No-op for other sources.
void touch_status_file(const shard_choice& c);

}  // namespace testr::cli
