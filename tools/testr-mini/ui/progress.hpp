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
    progress_line(bool enabled, std::size_t total, double work, std::size_t workers);
    ~progress_line();

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
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/// True when stdout is a terminal that understands ESC[K (TERM not "dumb").
bool smart_terminal();

}  // namespace testr::cli
