// tools/testr-mini/shard_split.cpp - see shard_split.hpp.
#include "shard_split.hpp"

#include "schedule.hpp"
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

}  // namespace testr::cli
