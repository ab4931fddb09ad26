// tools/testr-mini/stored_counts.cpp - see stored_counts.hpp.
#include "stored_counts.hpp"

#include "app.hpp"

namespace testr::cli {

run_counts counts_of(const run_digest& d, const std::vector<std::string>& filter) {
    return {d.total(filter), d.failures(), d.skips(), d.wall_seconds()};
}

summary_values stored_summary_values(const run_digest& d, const std::vector<std::string>& filter,
                                     const std::optional<run_counts>& previous, unsigned id) {
    summary_values v = summarize_against(counts_of(d, filter), previous, id);
    if (!d.shortfall.none()) v.successful = false;
    return v;
}

std::string shortfall_note(const run_shortfall& s) {
    auto line = [](std::uint64_t n, const char* one, const char* many) {
        return n ? count_of(n, one, many) + "\n" : std::string();
    };
    return line(s.shards_not_reported, "shard never reported", "shards never reported") +
           line(s.runners_not_started, "runner could not be started", "runners could not be started") +
           line(s.never_ran, "test never ran", "tests never ran");
}

int stored_verdict(const run_digest& d) { return d.failures() || !d.shortfall.none() ? exit_failed : exit_ok; }

std::optional<run_counts> previous_counts(const repo::repository& r, std::optional<unsigned> id) {
    if (!id) return std::nullopt;
    auto d = repo::read_summary(r, *id);
    if (!d) return std::nullopt;
    return counts_of(*d, {});
}

}  // namespace testr::cli
