// testr/shard.hpp - splitting a suite over the N parallel jobs of a CI
// system, the same way on every machine.
//
//   auto spec = testr::parse_shard_spec("2/3");            // 1-based, as CI_NODE_INDEX
//   auto plan = testr::plan_shards(ids, spec->total, durations, groups);
//   for (auto i : plan->shards[spec->index - 1]) run(ids[i]);
//
// Each job computes the whole split and keeps its own part, so the jobs
// never talk to each other: they must agree from the same inputs alone.
// Hence:
//  * The split depends only on the set of ids, their groups and their
//    recorded durations: groups are put in byte order first, so the
//    listing order, the CPU count and the locale of each machine do not
//    matter.
//  * Groups with history (at least one member with a recorded duration)
//    are time-balanced by testr::partition over their recorded seconds.
//  * Groups without history go to shard shard_hash(key) % total, where key
//    is the group key (the id itself when ungrouped). A test added without
//    history therefore lands somewhere without moving any other test; and
//    a member without history added to a group with history changes no
//    group's weight, so it moves nothing either.
//  * A group always stays whole.
//
// Ids are not copied: the plan refers to them by position in the input.
#pragma once

#include <testr/partition.hpp>
#include <testr/result.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace testr {

/// 64-bit FNV-1a of the bytes (offset basis 0xcbf29ce484222325, prime
/// 0x100000001b3). Fixed for good: shards of tests without history are
/// this modulo the number of shards, so a different hash would move them
/// all between two releases and make mixed fleets disagree.
constexpr std::uint64_t shard_hash(std::string_view bytes) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ull;
    }
    return h;
}

/// Which shard of how many: index is 1-based (1..total).
struct shard_spec {
    std::size_t index = 1;
    std::size_t total = 1;
    friend bool operator==(const shard_spec&, const shard_spec&) = default;
};

/// A whole decimal number, digits only ("07" is 7; "", "+1", "1.0", " 1"
/// and values past 2^32 are not numbers of shards).
constexpr std::optional<std::size_t> parse_shard_number(std::string_view text) noexcept {
    if (text.empty() || text.size() > 10) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (n > 0xffffffffull) return std::nullopt;
    return static_cast<std::size_t>(n);
}

/// "INDEX/TOTAL" with 1 <= INDEX <= TOTAL; the error is a sentence about
/// `text`, ready to follow the option or variable it came from.
inline result<shard_spec, std::string> parse_shard_spec(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos)
        return unexpected("'" + std::string(text) + "' is not INDEX/TOTAL (for instance 2/5)");
    const auto index = parse_shard_number(text.substr(0, slash));
    const auto total = parse_shard_number(text.substr(slash + 1));
    if (!index || !total)
        return unexpected("'" + std::string(text) + "' is not INDEX/TOTAL with whole numbers (for instance 2/5)");
    if (*total == 0) return unexpected("'" + std::string(text) + "': the number of shards must be at least 1");
    if (*index == 0 || *index > *total)
        return unexpected("'" + std::string(text) + "': INDEX counts from 1, so it must be 1.." + std::to_string(*total));
    return shard_spec{*index, *total};
}

/// What a shard's run says of itself, first in its stream: which shard of
/// how many, and how many tests its share holds. It travels as a subunit
/// v2 `exists` event of the pseudo-test shard_marker_id, tagged
/// shard_marker_tag: python-subunit's tools (subunit-stats,
/// subunit2junitxml, testr) count an `exists` as a listing, not a test run,
/// and pass nothing of it through, so the stream stays an ordinary one. A
/// merge reads it to name the stream's shard whatever the order of the
/// files, and to tell a shard whose share was empty (it reported: nothing
/// to run) from one that never reported.
struct shard_marker {
    shard_spec spec;
    std::size_t tests = 0;
    friend bool operator==(const shard_marker&, const shard_marker&) = default;
};

inline constexpr std::string_view shard_marker_id = "testr-mini.shard";

/// "testr-mini.shard=INDEX/TOTAL,tests=N": one tag, no spaces (subunit v1
/// separates tags by spaces).
inline std::string shard_marker_tag(const shard_marker& m) {
    return std::string(shard_marker_id) + "=" + std::to_string(m.spec.index) + "/" + std::to_string(m.spec.total) +
           ",tests=" + std::to_string(m.tests);
}

/// The tag back; nullopt for anything shard_marker_tag would not have
/// written.
inline std::optional<shard_marker> parse_shard_marker(std::string_view tag) {
    constexpr std::string_view mid = ",tests=";
    if (!tag.starts_with(shard_marker_id) || tag.substr(shard_marker_id.size(), 1) != "=") return std::nullopt;
    tag.remove_prefix(shard_marker_id.size() + 1);
    const auto at = tag.find(mid);
    if (at == std::string_view::npos) return std::nullopt;
    auto spec = parse_shard_spec(tag.substr(0, at));
    auto tests = parse_shard_number(tag.substr(at + mid.size()));
    if (!spec || !tests) return std::nullopt;
    return shard_marker{*spec, *tests};
}

/// The split: for each shard (shard k + 1 is shards[k]), positions into
/// the input ids, in byte order of the ids.
struct shard_plan {
    std::vector<std::vector<std::size_t>> shards;
    std::vector<double> predicted_seconds;  ///< per shard: recorded seconds, plus the estimate for each unknown test
    std::vector<char> hashed;               ///< by input position: 1 if placed by hash (its group has no history)
    std::size_t unknown_tests = 0;          ///< tests without a recorded duration
    double unknown_estimate = 0;            ///< what each of them is predicted to take
    std::string method;                     ///< the partitioner's candidate that balanced the timed groups

    double makespan() const {
        return predicted_seconds.empty() ? 0.0 : *std::max_element(predicted_seconds.begin(), predicted_seconds.end());
    }
};

struct shard_options {
    /// Predicted seconds of a test without history, for predicted_seconds
    /// only (it never moves a test). Unset: the median of the recorded
    /// durations, 0 if none is recorded.
    std::optional<double> unknown_estimate{};
};

struct shard_error {
    enum class kind { no_shards, duplicate_id, negative_duration, non_finite_duration };
    kind what;
    std::string id;       ///< the offending test id, if any
    std::string message;  ///< ready to show a user
};

/// Splits `ids` (any input range of things convertible to
/// std::string_view that outlive the call) into `total` shards.
/// `durations(id)` or `durations(position, id)` gives a test's recorded
/// seconds, or std::nullopt without history; `groups(id)` its group key
/// (empty: a group of its own), as for testr::partition.
template <class Ids, class Durations, class Groups = no_groups>
result<shard_plan, shard_error> plan_shards(const Ids& ids, std::size_t total, Durations&& durations,
                                            Groups&& groups = {}, const shard_options& options = {}) {
    if (total == 0) return unexpected(shard_error{shard_error::kind::no_shards, {}, "the number of shards must be at least 1"});
    struct test {
        std::string_view id, key;
        std::size_t pos;
        double seconds;  // NaN: no history
    };
    std::vector<test> tests;
    std::vector<std::string_view> id_at;  // by input position
    for (auto&& element : ids) {
        const std::string_view id(element);
        const std::size_t pos = tests.size();
        const std::optional<double> d = detail::lookup_duration(durations, pos, id);
        if (d && !(*d >= 0 && *d <= std::numeric_limits<double>::max())) {
            const bool finite = std::isfinite(*d);
            return unexpected(shard_error{finite ? shard_error::kind::negative_duration : shard_error::kind::non_finite_duration,
                                          std::string(id), detail::bad_duration_message(id, *d)});
        }
        std::string_view key = groups(id);
        if (key.empty()) key = id;
        tests.push_back({id, key, pos, d ? *d : std::numeric_limits<double>::quiet_NaN()});
        id_at.push_back(id);
    }
    // The canonical order: by group key, then id, bytes compared unsigned
    // (std::string_view's comparison), never the caller's order.
    std::sort(tests.begin(), tests.end(), [](const test& a, const test& b) {
        return a.key != b.key ? a.key < b.key : a.id < b.id;
    });
    for (std::size_t i = 1; i < tests.size(); ++i)
        if (tests[i].id == tests[i - 1].id)
            return unexpected(shard_error{shard_error::kind::duplicate_id, std::string(tests[i].id),
                                          "test id '" + std::string(tests[i].id) + "' is listed more than once"});

    // Groups: runs of one key in canonical order.
    struct group {
        std::size_t first, end;
        double recorded = 0;
        bool timed = false;
    };
    std::vector<group> all;
    std::vector<double> known;
    for (std::size_t i = 0; i < tests.size(); ++i) {
        if (i == 0 || tests[i].key != tests[i - 1].key) all.push_back({i, i, 0.0, false});
        group& g = all.back();
        g.end = i + 1;
        if (!std::isnan(tests[i].seconds)) {
            g.recorded += tests[i].seconds;
            g.timed = true;
            known.push_back(tests[i].seconds);
        }
    }

    shard_plan plan;
    plan.shards.resize(total);
    plan.predicted_seconds.assign(total, 0.0);
    plan.hashed.assign(tests.size(), 0);
    plan.unknown_tests = tests.size() - known.size();
    if (plan.unknown_tests)
        plan.unknown_estimate = options.unknown_estimate.value_or(known.empty() ? 0.0 : detail::median(known));

    std::vector<std::size_t> shard_of(all.size(), 0);
    std::vector<std::string_view> timed_keys;
    std::vector<double> timed_seconds;
    std::vector<std::size_t> timed_group;
    for (std::size_t k = 0; k < all.size(); ++k) {
        if (all[k].timed) {
            timed_keys.push_back(tests[all[k].first].key);
            timed_seconds.push_back(all[k].recorded);
            timed_group.push_back(k);
        } else {
            shard_of[k] = static_cast<std::size_t>(shard_hash(tests[all[k].first].key) % total);
        }
    }
    plan.method = timed_keys.empty() ? "hash" : "";
    if (!timed_keys.empty()) {
        auto by_pos = [&](std::size_t i, std::string_view) { return std::optional<double>(timed_seconds[i]); };
        auto split = partition(timed_keys, total, by_pos);
        if (!split) return unexpected(shard_error{shard_error::kind::duplicate_id, split.error().id, split.error().message});
        for (std::size_t s = 0; s < total; ++s)
            for (auto item : split->workers[s]) shard_of[timed_group[item]] = s;
        plan.method = split->method;
        if (timed_keys.size() != all.size()) plan.method += "+hash";
    }
    for (std::size_t k = 0; k < all.size(); ++k) {
        auto& shard = plan.shards[shard_of[k]];
        for (std::size_t i = all[k].first; i < all[k].end; ++i) {
            const test& t = tests[i];
            if (!all[k].timed) plan.hashed[t.pos] = 1;
            plan.predicted_seconds[shard_of[k]] += std::isnan(t.seconds) ? plan.unknown_estimate : t.seconds;
            shard.push_back(t.pos);
        }
    }
    // Byte order of ids within a shard, whatever the grouping.
    for (auto& shard : plan.shards)
        std::sort(shard.begin(), shard.end(), [&](std::size_t a, std::size_t b) {
            return id_at[a] < id_at[b];
        });
    return plan;
}

}  // namespace testr
