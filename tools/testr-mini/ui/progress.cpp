// tools/testr-mini/ui/progress.cpp - see progress.hpp.
#include "progress.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/ioctl.h>
#include <unistd.h>

namespace testr::cli {

bool smart_terminal() {
    if (!isatty(STDOUT_FILENO)) return false;
    const char* term = std::getenv("TERM");
    return term && std::strcmp(term, "dumb") != 0;
}

namespace {
std::size_t terminal_width() {
    winsize ws{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}
}  // namespace

namespace {
void write_line(std::string_view text) {
    std::string out = "\r" + std::string(text) + "\x1b[K";
    (void)!::write(STDOUT_FILENO, out.data(), out.size());
}
}  // namespace

phase_line::phase_line(bool enabled, std::string_view what) : enabled_(enabled) {
    if (enabled_) write_line(std::string(what) + "...");
}

phase_line::~phase_line() {
    if (enabled_) write_line("");
}

progress_line::progress_line(bool enabled, std::size_t total, double work, std::size_t workers, double fixed)
    : enabled_(enabled),
      total_(total),
      remaining_(work),
      workers_(static_cast<double>(std::max<std::size_t>(1, workers))),
      fixed_(fixed) {}

void progress_line::phase(std::string_view what) {
    phase_ = what;
    if (enabled_ && done_ == 0) draw("");
}

progress_line::~progress_line() { clear(); }

void progress_line::finished(std::string_view id, bool failed, double estimate) {
    ++done_;
    failed_ += failed;
    remaining_ = std::max(0.0, remaining_ - estimate);
    if (enabled_) draw(id);
}

void progress_line::draw(std::string_view last_id) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    // Until a test has ended, what is left of the runners' start counts too.
    const double eta = remaining_ / workers_ + (done_ == 0 ? std::max(0.0, fixed_ - elapsed) : 0.0);
    char head[160];
    int n = std::snprintf(head, sizeof head, "[%zu/%zu] %zu failed, %.0fs elapsed, ETA %.0fs  ", done_,
                          std::max(total_, done_), failed_, elapsed, eta);
    std::string line(head, static_cast<std::size_t>(std::max(n, 0)));
    line += done_ == 0 && !phase_.empty() ? std::string_view(phase_) : last_id;
    const std::size_t width = terminal_width();
    if (line.size() >= width) {
        // Keep the start (counts) and the end of the id, the part that differs.
        const std::size_t keep = width > 4 ? width - 4 : 0;
        const std::size_t left = std::min(line.size(), static_cast<std::size_t>(std::max(n, 0)));
        if (keep > left + 3) line = line.substr(0, left) + "..." + line.substr(line.size() - (keep - left - 3));
        else line.resize(keep);
    }
    write_line(line);
    shown_ = true;
}

void progress_line::clear() {
    if (!enabled_ || !shown_) return;
    static const char erase[] = "\r\x1b[K";
    (void)!::write(STDOUT_FILENO, erase, sizeof erase - 1);
    shown_ = false;
}

}  // namespace testr::cli
