// tools/testr-mini/run_engine.hpp - drives runner processes over worker
// slots: the planned batches, then (dynamic mode) chunks from the core's
// scheduler; watches each test against its timeout and estimate; when a
// runner crashes or is stopped, fails the test it was running and re-runs
// the tests of its batch that never started, once, in a fresh runner in
// the same slot. Nothing a runner was given goes unaccounted for.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "subunit_v2.hpp"
#include "worker_pool.hpp"

namespace testr::cli {

struct engine_config {
    std::chrono::milliseconds timeout{0};  ///< per test; 0: none
    std::chrono::milliseconds grace{0};    ///< SIGTERM -> SIGKILL; 0: the process default
    double slow_factor = 4.0;              ///< flag a test running this many times its estimate...
    double slow_min_seconds = 5.0;         ///< ...and at least this much longer than it
};

struct engine_hooks {
    std::function<void(unsigned slot, const subunit::event_view& e, std::string_view encoded)> on_event;
    std::function<void(unsigned slot, std::string_view bytes)> on_stderr;
    std::function<void(const std::string& message)> on_notice;  ///< live warnings: slow tests, crashes
    /// Builds the runner for these test positions (writes $IDFILE if needed).
    std::function<worker_spec(unsigned slot, const std::vector<std::size_t>& tests)> runner_for;
    /// Dynamic mode: the next chunk for an idle slot (empty: retire it).
    std::function<std::vector<std::size_t>(unsigned slot, double now)> next_chunk;
    /// A test finished in `seconds` (for the scheduler's drift correction).
    std::function<void(std::size_t test, double seconds)> observed;
};

struct slot_report {
    std::size_t runners = 0;
    std::size_t tests = 0;
    double busy = 0;  ///< seconds inside tests
    std::vector<std::string> problems;  ///< how runners ended, when not cleanly
};

struct engine_report {
    unsigned interrupts = 0;
    std::size_t rerun = 0;                ///< tests re-run after their runner died
    std::vector<std::size_t> timed_out;   ///< positions failed for their timeout
    std::vector<std::size_t> crashed;     ///< positions failed because their runner died
    std::vector<std::size_t> never_run;   ///< positions given to runners and never reported
    std::vector<double> start_costs;      ///< seconds from spawn to first output, per runner
    std::vector<slot_report> slots;
    double wall = 0;
};

class run_engine {
public:
    /// `ids` and `estimates` are by position; `slots` worker slots.
    run_engine(const std::vector<std::string>& ids, const std::vector<double>& estimates, std::size_t slots,
               engine_hooks hooks, engine_config config);

    /// Runs the batches (per slot, positions; empty batches start nothing)
    /// and whatever next_chunk hands out, until done or interrupted.
    /// `whole_suite` runs one runner given no ids (no tracking possible).
    result<engine_report> run(const std::vector<std::vector<std::size_t>>& batches, bool whole_suite = false);

private:
    struct runner_state {
        unsigned slot = 0;
        std::vector<std::size_t> tests;
        std::optional<std::size_t> current;  // in progress
        process::clock::time_point current_since{};
        bool slow_flagged = false;
        std::optional<std::size_t> timed_out;  // stopped for this test
        bool saw_output = false;
        std::string stderr_tail;
    };
    void start_next(unsigned slot);
    bool start(unsigned slot, std::vector<std::size_t> tests);
    void on_event(runner_id r, unsigned slot, const subunit::event_view& e, std::string_view encoded);
    void on_exit(runner_id r, unsigned slot, const process::exit_status& st);
    void on_tick(process::clock::time_point now);
    void fail_test(unsigned slot, std::size_t pos, const std::string& why);
    double since_start() const;

    const std::vector<std::string>& ids_;
    const std::vector<double>& estimates_;
    std::unordered_map<std::string_view, std::size_t> position_;
    engine_hooks hooks_;
    engine_config config_;
    std::vector<std::deque<std::vector<std::size_t>>> queue_;  // per slot
    std::vector<unsigned> attempts_;                          // per position
    std::vector<char> finished_;                              // per position
    std::unordered_map<runner_id, runner_state> runners_;
    engine_report report_;
    worker_pool* pool_ = nullptr;
    bool whole_suite_ = false;
    process::clock::time_point start_ = process::clock::now();
};

}  // namespace testr::cli
