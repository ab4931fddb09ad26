// adapters/run_events.hpp - what happens during a run, as typed events, and
// the one interface everything that watches a run implements.
//
// The run engine (run_engine.hpp) says what happened; observers decide what
// to make of it: the repository writer stores the stream, the console draws
// the live line and prints failures, reports summarise. An observer never
// throws: what goes wrong inside it (a full disk, a closed stdout) is its
// own state, which its owner reads after the run.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "process.hpp"
#include "subunit_v2.hpp"

namespace testr {

/// Identifies one started runner within a run.
using runner_id = std::uint64_t;

/// How one attempt at a test ended.
enum class attempt_end {
    reported,   ///< the runner reported a final status
    crashed,    ///< its runner died while it was running
    timed_out,  ///< it passed its time limit and its runner was stopped
    interrupted,  ///< it was running when the run was interrupted (status inprogress)
};

/// One attempt at a test: one runner ran it (or died running it).
struct attempt {
    subunit::status status = subunit::status::none;  ///< final status; fail when crashed or timed out
    attempt_end end = attempt_end::reported;
    unsigned slot = 0;
    double seconds = 0;  ///< in the test, as the engine saw it
};

/// Why a planned test has no attempt at all.
enum class not_run_reason {
    none,          ///< it ran
    interrupted,   ///< the run was interrupted before it started
    not_started,   ///< its runner could not be started
    runner_ended,  ///< its runner ended without reaching it, twice or after an interrupt
    unreported,    ///< its runner exited cleanly without reporting it
};

/// Everything one planned test went through. Retries are attempts, not
/// corrections of counts: the final verdict is the last attempt's.
struct test_outcome {
    std::vector<attempt> attempts;
    not_run_reason not_run = not_run_reason::none;

    bool ran() const noexcept { return !attempts.empty(); }
    /// A failure followed by a pass.
    bool flaky() const noexcept;
    /// The last attempt's status; none when it never ran.
    subunit::status final_status() const noexcept;
};

namespace events {

struct run_started {
    std::size_t tests = 0;        ///< planned tests; 0 for a whole-suite run
    std::size_t slots = 0;        ///< worker slots
    double predicted_seconds = 0; ///< the plan's makespan; 0 when unknown
};
struct runner_started {
    runner_id runner = 0;
    unsigned slot = 0;
    std::size_t tests = 0;  ///< tests handed to it (0: the whole suite)
};
/// A runner could not be started (descriptors exhausted, command too long).
struct runner_failed_to_start {
    unsigned slot = 0;
    std::size_t tests = 0;
    std::string message;
};
struct runner_ended {
    runner_id runner = 0;
    unsigned slot = 0;
    process::exit_status status;
    std::size_t requeued = 0;  ///< its unstarted tests, handed to a fresh runner
};
/// One subunit event of the run, tagged worker-N and encoded: what the
/// stored stream holds, in order.
struct stream_event {
    unsigned slot = 0;
    const subunit::event_view& event;
    std::string_view encoded;
};
struct runner_stderr {
    unsigned slot = 0;
    std::string_view bytes;
};
struct test_started {
    std::size_t test = 0;  ///< planned position
    unsigned slot = 0;
};
/// A test reached a final status (or was failed by the engine). `test` is
/// its planned position, nullopt for ids outside the plan.
struct test_finished {
    std::optional<std::size_t> test;
    std::string_view id;
    unsigned slot = 0;
    subunit::status status = subunit::status::none;
    double seconds = 0;
    unsigned attempt = 1;  ///< 1 for the first run, 2 for the first retry...
};
struct test_slow {
    std::size_t test = 0;
    unsigned slot = 0;
    double running = 0, usual = 0;
};
struct test_timed_out {
    std::size_t test = 0;
    unsigned slot = 0;
    double running = 0, limit = 0;
};
/// A runner spent longer than the limit outside any test (starting, between
/// tests, or after its last one) and was stopped.
struct runner_hung {
    unsigned slot = 0;
    double idle = 0, limit = 0;
};
struct test_will_retry {
    std::size_t test = 0;
    unsigned attempt = 2;  ///< the attempt about to start
};
struct interrupted {
    unsigned count = 0;  ///< interrupts seen so far (a second one kills at once)
};

}  // namespace events

/// Receives a run's events in the order they happen. Every method has an
/// empty default, so an observer implements only what it needs.
class run_observer {
public:
    virtual ~run_observer() = default;
    virtual void on(const events::run_started&) {}
    virtual void on(const events::runner_started&) {}
    virtual void on(const events::runner_failed_to_start&) {}
    virtual void on(const events::runner_ended&) {}
    virtual void on(const events::stream_event&) {}
    virtual void on(const events::runner_stderr&) {}
    virtual void on(const events::test_started&) {}
    virtual void on(const events::test_finished&) {}
    virtual void on(const events::test_slow&) {}
    virtual void on(const events::test_timed_out&) {}
    virtual void on(const events::runner_hung&) {}
    virtual void on(const events::test_will_retry&) {}
    virtual void on(const events::interrupted&) {}
};

/// Hands every event to several observers, in the order they were added
/// (a writer before the console, so failures print after they are stored).
class observer_list final : public run_observer {
public:
    void add(run_observer& o) { observers_.push_back(&o); }
    void on(const events::run_started& e) override { fan_out(e); }
    void on(const events::runner_started& e) override { fan_out(e); }
    void on(const events::runner_failed_to_start& e) override { fan_out(e); }
    void on(const events::runner_ended& e) override { fan_out(e); }
    void on(const events::stream_event& e) override { fan_out(e); }
    void on(const events::runner_stderr& e) override { fan_out(e); }
    void on(const events::test_started& e) override { fan_out(e); }
    void on(const events::test_finished& e) override { fan_out(e); }
    void on(const events::test_slow& e) override { fan_out(e); }
    void on(const events::test_timed_out& e) override { fan_out(e); }
    void on(const events::runner_hung& e) override { fan_out(e); }
    void on(const events::test_will_retry& e) override { fan_out(e); }
    void on(const events::interrupted& e) override { fan_out(e); }

private:
    template <class E>
    void fan_out(const E& e) {
        for (auto* o : observers_) o->on(e);
    }
    std::vector<run_observer*> observers_;
};

}  // namespace testr
