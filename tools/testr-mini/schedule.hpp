// tools/testr-mini/schedule.hpp - how a run is split: estimates for every
// test, the first runner of every worker slot, and in dynamic mode the
// scheduler that hands out the rest as slots fall idle.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <testr/dynamic_schedule.hpp>

#include "prepare.hpp"

namespace testr::cli {

struct schedule {
    std::vector<double> estimates;                  ///< by position: recorded or guessed
    std::size_t guessed = 0;                        ///< estimates that are guesses
    std::size_t from_times_file = 0;                ///< estimates from .testr.conf's test_times_file
    std::vector<std::vector<std::size_t>> batches;  ///< per slot: its first runner's tests
    std::vector<double> predicted;                  ///< per slot: its first batch's seconds
    double predicted_makespan = 0;                  ///< seconds of tests, from the first one on
    std::string method;                             ///< the partitioner's name
    std::shared_ptr<dynamic_scheduler> dynamic;     ///< null: static, one runner per slot
    std::size_t queued = 0;                         ///< tests left for the dynamic queue
    std::optional<double> start_cost;               ///< the runner start assumed (listed runs)...
    std::string start_source;                       ///< ...and whence
    /// Pre-started runners: what handing one its tests costs (its start
    /// overlaps the listing and the runner before it)...
    std::optional<double> handoff_cost;
    std::string handoff_source;                     ///< ...and whence
    /// ...and the CPU a spare runner's start takes from the tests beside it,
    /// counted in each chunk's cost when the workers keep the CPUs busy.
    double start_cpu = 0;
    /// Seconds a runner spends between tests (measured in earlier runs, else
    /// 0): each test costs its estimate plus this in every plan but
    /// testrepository's own.
    double between_tests = 0;
    double listing = 0;                             ///< seconds the listing took (0: not listed)
    std::string why_static;                         ///< dynamic asked for, but no queue kept: why

    /// What test `i` is expected to occupy its worker: its estimate and the
    /// runner's time between tests.
    double cost(std::size_t i) const noexcept { return estimates[i] + between_tests; }
    /// Whether any estimate is recorded: without history a prediction is a guess.
    bool known() const noexcept { return guessed < estimates.size(); }
    /// Seconds before the first test: listing and runner start, or, with
    /// pre-started runners, the longer of the two and the hand-out.
    double fixed_cost() const noexcept;
    /// What a person reads as the prediction: "3.210s (2.900s of tests +
    /// 0.310s listing and runner start)", or "unknown (no history yet)".
    std::string predicted_text() const;
    /// How the runners' start was counted, in words: for `plan`.
    std::string cost_model() const;
};

/// Whether `run` would hand out chunks: --schedule dynamic, in parallel,
/// with more than one worker.
bool dynamic_mode(const run_options& o, const prepared& p);

/// The recorded estimate of each of p.ids (by position), nullopt without
/// history (repository first, then test_times_file, which fills
/// `from_times_file` of them): what the split over workers and over CI
/// shards start from.
std::vector<std::optional<double>> recorded_estimates(const prepared& p, std::size_t* from_times_file = nullptr);

/// Plans the listed ids of `p` (p.ids must be set).
schedule plan_schedule(const prepared& p, bool dynamic);

/// The plan of a run that was not listed: one runner, the whole suite.
schedule whole_suite_schedule();

}  // namespace testr::cli
