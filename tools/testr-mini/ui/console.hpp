// tools/testr-mini/ui/console.hpp - what a person sees while a run goes on:
// the live line, each failure as it happens, and notices (slow tests,
// timeouts, crashed runners, runners that could not start) on stderr, with
// the runners' own stderr passed through. Writes never throw: a closed
// terminal must not stop the run or its storing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "run_events.hpp"
#include "run_summary.hpp"
#include "ui/progress.hpp"

namespace testr::cli {

/// Each life of each test on its own: the events from its first to its
/// outcome, per worker slot. A run summary keeps one record per id, which
/// merges every life of an id that ended more than once (two runners'
/// failed `process-returncode` would read "returncode 1returncode 1").
class test_lives {
public:
    void add(unsigned slot, const subunit::event_view& e);
    /// The life of `id` on `slot` that just ended, forgotten here; nullopt
    /// when none of its events passed through add(), or when not `wanted`
    /// (a passing test's life is only forgotten, not copied).
    std::optional<test_record> take(unsigned slot, std::string_view id, bool wanted = true);

private:
    struct life {
        std::string id;
        run_summary events;
    };
    static constexpr std::size_t none = static_cast<std::size_t>(-1);
    /// The open life of `id` on `slot`: its place in slots_[slot], or none.
    std::size_t find(unsigned slot, std::string_view id) const;

    // Lives stay where they are in lives_ (a run_summary is too big to move
    // twice a test); slots and the free list hold their numbers.
    std::vector<life> lives_;
    std::vector<std::vector<std::uint32_t>> slots_;  // a slot holds one or two open lives
    std::vector<std::uint32_t> free_;                // ended, cleared, for reuse
};

class console final : public run_observer {
public:
    /// `show_failures`: print failure blocks (not with --subunit or -q).
    /// `summary` is fed by the stream sink before this observer sees an event.
    /// `tag`: what the stream sink adds to every stored event (a shard's), or "".
    console(bool show_failures, const run_summary& summary, const std::vector<std::string>& ids,
            const std::vector<double>& estimates, progress_line& progress, std::string tag = {})
        : show_failures_(show_failures), summary_(summary), ids_(ids), estimates_(estimates), progress_(progress),
          tag_(std::move(tag)) {}

    void on(const events::stream_event& e) override;
    void on(const events::test_finished& e) override;
    void on(const events::runner_stderr& e) override;
    void on(const events::test_slow& e) override;
    void on(const events::test_timed_out& e) override;
    void on(const events::runner_hung& e) override;
    void on(const events::runner_failed_to_start& e) override;
    void on(const events::runner_ended& e) override;

private:
    void notice(const std::string& text);

    bool show_failures_;
    const run_summary& summary_;
    const std::vector<std::string>& ids_;
    const std::vector<double>& estimates_;
    progress_line& progress_;
    std::string tag_;
    test_lives lives_;
    bool stdout_broken_ = false;
};

}  // namespace testr::cli
