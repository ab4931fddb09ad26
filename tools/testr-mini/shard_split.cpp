// tools/testr-mini/shard_split.cpp - see shard_split.hpp.
#include "shard_split.hpp"

#include <chrono>

#include "schedule.hpp"
#include "subunit_v2.hpp"
#include "ui/report_format.hpp"

namespace testr::cli {

shard_plan split_shards(const prepared& p, std::size_t total, std::vector<std::optional<double>>* recorded_out) {
    std::vector<std::optional<double>> recorded = recorded_estimates(p);
    auto by_pos = [&](std::size_t i, std::string_view) { return recorded[i]; };
    auto plan = p.groups ? plan_shards(*p.ids, total, by_pos, [&](std::string_view id) { return (*p.groups)(id); })
                         : plan_shards(*p.ids, total, by_pos);
    if (!plan) throw cli_error(plan.error().message);
    if (recorded_out) *recorded_out = std::move(recorded);
    return std::move(*plan);
}

std::string keep_shard(prepared& p) {
    const shard_spec spec = p.shard->spec;
    const shard_plan plan = split_shards(p, spec.total);
    const auto& mine = plan.shards[spec.index - 1];
    std::vector<char> keep(p.ids->size(), 0);
    std::size_t hashed = 0;
    for (auto i : mine) {
        keep[i] = 1;
        hashed += plan.hashed[i];
    }
    const std::size_t listed = p.ids->size();
    ids_t kept;
    kept.reserve(mine.size());
    for (std::size_t i = 0; i < listed; ++i)
        if (keep[i]) kept.push_back(std::move((*p.ids)[i]));
    p.ids = std::move(kept);
    std::string note = "shard " + std::to_string(spec.index) + "/" + std::to_string(spec.total) + " (" +
                       p.shard->source + "): " + std::to_string(mine.size()) + " of " + std::to_string(listed) + " tests";
    if (hashed < mine.size())
        note += ", predicted " + seconds_text(plan.predicted_seconds[spec.index - 1]) + "s of tests (slowest shard " +
                seconds_text(plan.makespan()) + "s)";
    if (hashed) note += ", " + std::to_string(hashed) + " without history placed by id hash";
    return note;
}

void announce_shard(const prepared& p, run_observer& to) {
    const std::string tag = shard_marker_tag({p.shard->spec, p.ids->size()});
    subunit::event_view e;
    e.test_id = shard_marker_id;
    e.test_status = subunit::status::exists;
    e.tags.push_back(tag);
    // Stamped: testr stamps an event without a time with the time it reads
    // it, which would stretch the run it reports to the day it is read.
    e.time = subunit::to_timestamp(std::chrono::system_clock::now());
    std::string encoded;
    if (!subunit::encode(e, encoded)) throw cli_error("cannot encode the shard's marker");  // ASCII: cannot fail
    to.on(events::stream_event{0, e, encoded});
}

}  // namespace testr::cli
