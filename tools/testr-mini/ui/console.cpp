// tools/testr-mini/ui/console.cpp - see console.hpp.
#include "ui/console.hpp"

#include <cstdio>
#include <unistd.h>

#include "app.hpp"
#include "fd_io.hpp"
#include "ui/report_format.hpp"
#include "worker_pool.hpp"

namespace testr::cli {

namespace {
std::string one_decimal(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", s);
    return buf;
}
}  // namespace

void console::notice(const std::string& text) {
    progress_.clear();
    (void)fd_io::write_all(STDERR_FILENO, "testr-mini: " + text + "\n");
}

void console::on(const events::test_finished& e) {
    const bool failure = is_failure(e.status);
    if (show_failures_ && failure && !stdout_broken_) {
        if (const test_record* t = summary_.find(e.id)) {
            progress_.clear();
            stdout_broken_ = put_stdout(format_failure(*t)) != 0;
        }
    }
    progress_.finished(e.id, failure, e.test ? estimates_[*e.test] : 0.0);
}

void console::on(const events::runner_stderr& e) {
    progress_.clear();
    (void)fd_io::write_all(STDERR_FILENO, e.bytes);
}

void console::on(const events::test_slow& e) {
    notice("slow: " + ids_[e.test] + " has run " + one_decimal(e.running) + "s on " + worker_tag(e.slot) +
           " (usually " + one_decimal(e.usual) + "s)");
}

void console::on(const events::test_timed_out& e) {
    notice("timeout: " + ids_[e.test] + " passed " + one_decimal(e.running) + "s on " + worker_tag(e.slot) +
           "; stopping its runner");
}

void console::on(const events::runner_hung& e) {
    notice(worker_tag(e.slot) + ": the runner ran no test for " + one_decimal(e.idle) + "s (limit " +
           one_decimal(e.limit) + "s outside tests); stopping it");
}

void console::on(const events::runner_failed_to_start& e) {
    notice(worker_tag(e.slot) + ": could not start a runner for " + std::to_string(e.tests) + " tests: " + e.message);
}

void console::on(const events::runner_ended& e) {
    if (e.status.output_cut) notice(worker_tag(e.slot) + ": " + process::describe_leak(e.status));
    if (e.requeued)
        notice(worker_tag(e.slot) + ": runner ended (" + process::describe(e.status) + "); re-running the " +
               std::to_string(e.requeued) + " tests it had not started");
}

}  // namespace testr::cli
