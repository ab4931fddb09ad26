// tools/testr-mini/shard_split.hpp - the CI split of a prepared run: the
// listed ids and the repository's history, through testr/shard.hpp.
#pragma once

#include <string>

#include <testr/shard.hpp>

#include "prepare.hpp"
#include "run_events.hpp"

namespace testr::cli {

/// p.ids (set) over `total` shards by their recorded durations and
/// group_regex groups; those durations into `recorded` when given.
shard_plan split_shards(const prepared& p, std::size_t total, std::vector<std::optional<double>>* recorded = nullptr);

/// Keeps only the ids of shard p.shard (set) in p.ids, in listing order.
/// Returns the line that says so: which shard, from where, how many tests.
std::string keep_shard(prepared& p);

/// Sends `to` the shard's marker (testr/shard.hpp's shard_marker: p.shard,
/// and the p.ids it kept), the event its stream starts with.
void announce_shard(const prepared& p, run_observer& to);

}  // namespace testr::cli
