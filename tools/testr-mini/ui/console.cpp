// tools/testr-mini/ui/console.cpp - see console.hpp.
#include "ui/console.hpp"

#include <algorithm>
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

void test_lives::add(unsigned slot, const subunit::event_view& e) {
    if (!e.test_id) return;
    if (slots_.size() <= slot) slots_.resize(slot + 1);
    auto& open = slots_[slot];
    auto it = std::find_if(open.begin(), open.end(), [&](const life& l) { return l.id == *e.test_id; });
    if (it == open.end()) {
        // A run has one life a test: the ended ones' memory serves the next.
        if (spare_.empty()) {
            it = open.insert(open.end(), life{std::string(*e.test_id), {}});
        } else {
            it = open.insert(open.end(), std::move(spare_.back()));
            spare_.pop_back();
            it->id = *e.test_id;
        }
    }
    it->events.add(e);
}

std::optional<test_record> test_lives::take(unsigned slot, std::string_view id, bool wanted) {
    if (slots_.size() <= slot) return std::nullopt;
    auto& open = slots_[slot];
    auto it = std::find_if(open.begin(), open.end(), [&](const life& l) { return l.id == id; });
    if (it == open.end()) return std::nullopt;
    std::optional<test_record> t;
    if (const auto r = it->events.find(id); r && wanted) t = r->record();
    it->events.clear();
    spare_.push_back(std::move(*it));
    open.erase(it);
    return t;
}

void console::notice(const std::string& text) {
    progress_.clear();
    (void)fd_io::write_all(STDERR_FILENO, "testr-mini: " + text + "\n");
}

void console::on(const events::stream_event& e) {
    if (show_failures_) lives_.add(e.slot, e.event);
}

void console::on(const events::test_finished& e) {
    const bool failure = is_failure(e.status);
    std::optional<test_record> life = show_failures_ ? lives_.take(e.slot, e.id) : std::nullopt;
    if (show_failures_ && failure && !stdout_broken_) {
        if (life) {
            if (!tag_.empty() && std::find(life->tags.begin(), life->tags.end(), tag_) == life->tags.end())
                life->tags.push_back(tag_);
        } else if (const auto t = summary_.find(e.id)) {
            life = t->record();  // its events never came through here: the whole record is all there is
        }
        if (life) {
            progress_.clear();
            stdout_broken_ = put_stdout(format_failure(*life)) != 0;
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
