// tools/testr-mini/stored_counts.cpp - see stored_counts.hpp.
#include "stored_counts.hpp"

namespace testr::cli {

run_counts counts_of(const run_digest& d, const std::vector<std::string>& filter) {
    return {d.total(filter), d.failures(), d.skips(), d.wall_seconds()};
}

std::optional<run_counts> previous_counts(const repo::repository& r, std::optional<unsigned> id) {
    if (!id) return std::nullopt;
    auto d = repo::read_summary(r, *id);
    if (!d) return std::nullopt;
    return counts_of(*d, {});
}

}  // namespace testr::cli
