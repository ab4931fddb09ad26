// tools/testr-mini/ui/console.hpp - what a person sees while a run goes on:
// the live line, each failure as it happens, and notices (slow tests,
// timeouts, crashed runners, runners that could not start) on stderr, with
// the runners' own stderr passed through. Writes never throw: a closed
// terminal must not stop the run or its storing.
#pragma once

#include <string>
#include <vector>

#include "run_events.hpp"
#include "run_summary.hpp"
#include "ui/progress.hpp"

namespace testr::cli {

class console final : public run_observer {
public:
    /// `show_failures`: print failure blocks (not with --subunit or -q).
    /// `summary` is fed by the stream sink before this observer sees an event.
    console(bool show_failures, const run_summary& summary, const std::vector<std::string>& ids,
            const std::vector<double>& estimates, progress_line& progress)
        : show_failures_(show_failures), summary_(summary), ids_(ids), estimates_(estimates), progress_(progress) {}

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
    bool stdout_broken_ = false;
};

}  // namespace testr::cli
