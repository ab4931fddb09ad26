// adapters/run_engine.hpp - runs planned tests over worker slots and keeps
// account of every one of them.
//
// The engine starts runners through a runner_backend (real processes in
// process_backend.hpp; a fake one in the unit tests, with its own clock),
// first the planned batches, then whatever the dynamic schedule hands out as
// slots fall idle. It watches each test against its time limit and its
// estimate; when a runner dies, the test it was running fails and the tests
// it had not started go on, once, in a fresh runner in the same slot; with
// retries, failing tests run again one per runner and a pass makes them
// flaky. Whatever a runner was given ends up with attempts or a reason why
// it never ran. What happens is told to a run_observer as it happens.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "process.hpp"
#include "run_events.hpp"
#include "subunit_v2.hpp"
#include <testr/result.hpp>

namespace testr {

/// What a backend tells the engine about its runners. Views are valid only
/// during the call.
class runner_events {
public:
    virtual ~runner_events() = default;
    /// An event from the runner's stream, tagged worker-N and encoded.
    virtual void event(runner_id r, const subunit::event_view& e, std::string_view encoded) = 0;
    virtual void stderr_bytes(runner_id r, std::string_view bytes) = 0;
    /// After the runner's last event. `first_output`: seconds from its
    /// start to its first output, when it wrote any.
    virtual void exited(runner_id r, const process::exit_status& status, std::optional<double> first_output) = 0;
};

/// Why a runner did not start.
struct start_error {
    bool interrupted = false;  ///< the run is being interrupted: not the runner's fault
    std::string message;
};

/// What a wait saw.
struct wait_status {
    unsigned interrupts = 0;  ///< SIGINT/SIGTERM seen so far
};

/// Starts runners and reports what they do: the seam between the engine and
/// the outside world (ninja's CommandRunner). Single-threaded: every call,
/// and every runner_events call it makes, happens inside the engine's loop.
class runner_backend {
public:
    virtual ~runner_backend() = default;
    /// Starts a runner in `slot` for these planned positions (empty with
    /// `whole_suite`: the test command without ids).
    virtual result<runner_id, start_error> start(unsigned slot, std::span<const std::size_t> tests,
                                                 bool whole_suite) = 0;
    /// Staged stop of one runner (timeouts): it still reports its exit.
    virtual void stop(runner_id r) = 0;
    /// Nothing more is planned for `slot` (a later start there is a re-run
    /// or a retry): a backend that readies runners ahead may let its go.
    virtual void retire(unsigned /*slot*/) {}
    /// Waits at most `tick` for something to happen and reports it through
    /// `to`; runner_events calls may start or stop runners.
    virtual result<wait_status> wait(runner_events& to, std::chrono::milliseconds tick) = 0;
    /// Runners started and not yet reported as exited.
    virtual std::size_t active() const = 0;
    /// Seconds on a monotonic clock.
    virtual double now() const = 0;
};

struct engine_config {
    double timeout = 0;             ///< seconds per test, and outside tests per runner; 0: none
    unsigned retries = 0;           ///< failing tests run again up to this many times
    double slow_factor = 4.0;       ///< flag a test running this many times its estimate...
    double slow_min_seconds = 5.0;  ///< ...and at least this much longer than it
    /// Outside tests (starting, between tests, after the last) a runner may
    /// be quiet for the timeout but never less than this: imports take time.
    double min_idle_limit = 10.0;
    std::chrono::milliseconds tick{100};
};

/// Where a dynamic schedule plugs in: the next chunk for an idle slot
/// (empty: retire the slot), and what each test really took.
struct chunk_source {
    std::function<std::vector<std::size_t>(unsigned slot, double now)> next_chunk;
    std::function<void(std::size_t test, double seconds)> observed;
};

struct slot_report {
    std::size_t runners = 0;
    std::size_t tests = 0;
    double busy = 0;                    ///< seconds inside tests
    std::vector<std::string> problems;  ///< how runners ended, when not cleanly
};

/// The run, in numbers and per test. Everything here is derived from what
/// the engine saw; nothing is patched afterwards.
struct engine_report {
    std::vector<test_outcome> tests;  ///< per planned position
    unsigned interrupts = 0;
    std::size_t requeued = 0;               ///< tests handed to a fresh runner after theirs died
    std::vector<std::string> start_errors;  ///< runners that could not be started, why
    /// The tests that were running when the run was interrupted, by id: a
    /// whole-suite run has no positions (the others' also end with
    /// attempt_end::interrupted).
    std::vector<std::string> interrupted_ids;
    std::vector<double> start_costs;        ///< seconds from start to first output, per runner
    /// What runners spend between one test's end and the next one's start,
    /// by their own timestamps: work no test's duration contains (result
    /// objects, output, discovery of the next), summed over every such gap.
    double between_tests = 0;
    std::size_t between_gaps = 0;
    std::vector<slot_report> slots;
    double wall = 0;

    /// Positions whose last attempt ended this way.
    std::vector<std::size_t> ended(attempt_end how) const;
    std::vector<std::size_t> never_run() const;
    std::vector<std::size_t> flaky() const;
    /// Tests run again after failing (each counted once).
    std::size_t retried() const;
};

class run_engine final : private runner_events {
public:
    /// `ids` and `estimates` by position (both empty for a whole-suite run);
    /// `slots` worker slots. `observer` sees every event.
    run_engine(const std::vector<std::string>& ids, const std::vector<double>& estimates, std::size_t slots,
               runner_backend& backend, run_observer& observer, engine_config config = {});

    /// Runs `batches` (per slot, positions; empty ones start nothing), then
    /// what `chunks` hands out, then the retries; until done or interrupted.
    /// `whole_suite`: one runner given no ids, nothing to account for.
    /// Errors: only the backend's own failures (its poll failing).
    result<engine_report> run(const std::vector<std::vector<std::size_t>>& batches, const chunk_source& chunks = {},
                              bool whole_suite = false);

private:
    struct runner_state {
        unsigned slot = 0;
        std::vector<std::size_t> tests;
        std::optional<std::size_t> current;  // in progress
        std::string open_id;                 // in progress, in a whole-suite run (no positions)
        double current_since = 0;
        double idle_since = 0;  // when it last had no test in progress
        bool slow_flagged = false;
        std::optional<std::size_t> timed_out;  // stopped for this test
        double timed_out_after = 0;            // ...when it had run this long
        bool hung = false;                     // stopped for idling past the limit
        std::optional<subunit::timestamp> last_end;  // the runner's time of its latest outcome
        std::string stderr_tail;
    };

    void event(runner_id r, const subunit::event_view& e, std::string_view encoded) override;
    void stderr_bytes(runner_id r, std::string_view bytes) override;
    void note_gap(runner_state& st, const subunit::event_view& e);
    void exited(runner_id r, const process::exit_status& status, std::optional<double> first_output) override;

    result<void> drive();
    void start_next(unsigned slot);
    bool start(unsigned slot, std::vector<std::size_t> tests);
    void check_time();
    void fail_test(unsigned slot, std::size_t pos, attempt_end how, double ran, const std::string& why);
    /// An event testr-mini makes itself (synthetic_event), to the observers.
    void emit_synthetic(unsigned slot, const subunit::event& e);
    void finish_test(unsigned slot, std::size_t pos, subunit::status s, attempt_end how, double seconds);
    void emit(unsigned slot, const subunit::event_view& e, std::string_view encoded);
    void hold_or_emit(unsigned slot, const subunit::event_view& e, std::string_view encoded);
    void release_held(std::size_t pos, bool flaky);
    void run_retries();
    void account_leftovers();

    const std::vector<std::string>& ids_;
    const std::vector<double>& estimates_;
    std::unordered_map<std::string_view, std::size_t> position_;
    runner_backend& backend_;
    run_observer& observer_;
    engine_config config_;
    chunk_source chunks_;
    std::vector<std::deque<std::vector<std::size_t>>> queue_;  // per slot
    std::vector<unsigned> given_;                             // per position: runners it was handed to
    std::vector<char> finished_;                              // per position: in the current phase
    std::unordered_map<runner_id, runner_state> runners_;
    engine_report report_;
    bool whole_suite_ = false;
    bool retrying_ = false;
    bool interrupted_ = false;
    double start_ = 0;
    // While retrying, a test's events wait for its final status: a pass
    // tags every one of them `flaky` before anyone sees them.
    std::map<std::size_t, std::vector<std::pair<unsigned, subunit::event>>> held_;
};

}  // namespace testr
