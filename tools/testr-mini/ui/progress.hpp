// tools/testr-mini/ui/progress.hpp - the live "[done/total]" line on a
// terminal, in the manner of ninja's status line: one line redrawn in place
// with \r and ESC[K, elided to the terminal's width; never on a pipe.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace testr::cli {

class progress_line {
public:
    /// `enabled` false: every call is a no-op (not a terminal, --subunit, -q).
    /// `work`: predicted seconds of all tests; `workers` share it.
    /// `fixed`: predicted seconds before the first test ends (runner start).
    progress_line(bool enabled, std::size_t total, double work, std::size_t workers, double fixed = 0);
    ~progress_line();

    /// Says what happens before any test has finished ("starting runners"),
    /// with the ETA: the line is never blank while the run waits.
    void phase(std::string_view what);
    /// A test finished; `estimate` is what the plan counted for it.
    void finished(std::string_view id, bool failed, double estimate);
    /// Erase the line so other output starts on a clean line; the next
    /// update draws it again.
    void clear();

private:
    void draw(std::string_view last_id);

    bool enabled_;
    bool shown_ = false;
    std::size_t total_, done_ = 0, failed_ = 0;
    double remaining_;  // predicted seconds of work not yet finished
    double workers_;
    double fixed_;     // seconds predicted before the first result
    std::string phase_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/// True when stdout is a terminal that understands ESC[K (TERM not "dumb").
bool smart_terminal();

/// A phase before the run's live line exists ("listing tests"), shown on
/// the terminal while it lasts and erased when it ends, whatever happens.
class phase_line {
public:
    phase_line(bool enabled, std::string_view what);
    ~phase_line();
    phase_line(const phase_line&) = delete;
    phase_line& operator=(const phase_line&) = delete;

private:
    bool enabled_;
};

}  // namespace testr::cli
