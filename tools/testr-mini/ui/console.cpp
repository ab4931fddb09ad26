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

std::size_t test_lives::find(unsigned slot, std::string_view id) const {
    if (slots_.size() <= slot) return none;
    const auto& open = slots_[slot];
    for (std::size_t k = 0; k < open.size(); ++k)
        if (lives_[open[k]].id == id) return k;
    return none;
}

void test_lives::add(unsigned slot, const subunit::event_view& e) {
    if (!e.test_id) return;
    if (slots_.size() <= slot) slots_.resize(slot + 1);
    std::size_t k = find(slot, *e.test_id);
    if (k == none) {
        // A run has one life a test: the ended ones' memory serves the next.
        std::uint32_t n;
        if (free_.empty()) {
            n = static_cast<std::uint32_t>(lives_.size());
            lives_.emplace_back();
        } else {
            n = free_.back();
            free_.pop_back();
        }
        lives_[n].id = *e.test_id;
        k = slots_[slot].size();
        slots_[slot].push_back(n);
    }
    lives_[slots_[slot][k]].events.add(e);
}

std::optional<test_record> test_lives::take(unsigned slot, std::string_view id, bool wanted) {
    const std::size_t k = find(slot, id);
    if (k == none) return std::nullopt;
    auto& open = slots_[slot];
    life& l = lives_[open[k]];
    std::optional<test_record> t;
    if (wanted)
        if (const auto r = l.events.find(id)) t = r->record();
    l.events.clear();
    free_.push_back(open[k]);
    open.erase(open.begin() + static_cast<std::ptrdiff_t>(k));
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
               count_of(e.requeued, "test", "tests") + " it had not started");
}

}  // namespace testr::cli
