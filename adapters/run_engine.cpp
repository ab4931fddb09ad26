// adapters/run_engine.cpp - see run_engine.hpp.
#include "run_engine.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "worker_pool.hpp"

namespace testr {

namespace {

std::string fixed(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", s);
    return buf;
}

/// A limit as the user set it: one decimal when that is exact (1.0, 2.5),
/// else as many digits as it takes (0.0001, not 0.0).
std::string limit_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", s);
    if (std::strtod(buf, nullptr) != s) std::snprintf(buf, sizeof buf, "%g", s);
    return buf;
}

/// The last `n` lines of `text`.
std::string last_lines(const std::string& text, std::size_t n) {
    std::size_t pos = text.size();
    if (pos && text[pos - 1] == '\n') --pos;
    while (pos > 0 && n > 0) {
        pos = text.rfind('\n', pos - 1);
        if (pos == std::string::npos) return text;
        --n;
    }
    return n == 0 ? text.substr(pos + 1) : text;
}

/// What is stored for a test an interrupt stopped after `ran` seconds: no
/// outcome, as it ended, but the reason. `last` and `failing` show such a
/// test as a failure (as testr does), and a bare one would look like the
/// test's own.
subunit::event interrupted_note(std::string_view id, unsigned slot, double ran, const process::exit_status& status,
                                const std::string& stderr_tail) {
    std::string why = "testr-mini: the run was interrupted while this test was running, after " + fixed(ran) + " s on " +
                      worker_tag(slot) + "; its runner was stopped (" + process::describe(status) +
                      "), so the test did not complete.\n";
    if (!stderr_tail.empty()) why += "Last lines of the runner's stderr:\n" + last_lines(stderr_tail, 20);
    return synthetic_event(id, slot, std::move(why), subunit::status::none);
}

bool is_final(subunit::status s) { return s >= subunit::status::success; }
bool failed(subunit::status s) { return s == subunit::status::fail; }

constexpr std::size_t stderr_tail_bytes = 8192;

}  // namespace

bool test_outcome::flaky() const noexcept {
    if (attempts.size() < 2 || failed(attempts.back().status)) return false;
    return std::any_of(attempts.begin(), attempts.end() - 1, [](const attempt& a) { return failed(a.status); });
}

subunit::status test_outcome::final_status() const noexcept {
    return attempts.empty() ? subunit::status::none : attempts.back().status;
}

std::vector<std::size_t> engine_report::ended(attempt_end how) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < tests.size(); ++i)
        if (tests[i].ran() && tests[i].attempts.back().end == how) out.push_back(i);
    return out;
}

std::vector<std::size_t> engine_report::never_run() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < tests.size(); ++i)
        if (!tests[i].ran()) out.push_back(i);
    return out;
}

std::vector<std::size_t> engine_report::flaky() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < tests.size(); ++i)
        if (tests[i].flaky()) out.push_back(i);
    return out;
}

std::size_t engine_report::retried() const {
    return static_cast<std::size_t>(
        std::count_if(tests.begin(), tests.end(), [](const test_outcome& t) { return t.attempts.size() > 1; }));
}

run_engine::run_engine(const std::vector<std::string>& ids, const std::vector<double>& estimates, std::size_t slots,
                       runner_backend& backend, run_observer& observer, engine_config config)
    : ids_(ids), estimates_(estimates), backend_(backend), observer_(observer), config_(config), queue_(slots),
      given_(ids.size(), 0), finished_(ids.size(), 0) {
    position_.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) position_.emplace(ids[i], i);
    report_.tests.resize(ids.size());
    report_.slots.resize(slots);
}

bool run_engine::start(unsigned slot, std::vector<std::size_t> tests) {
    auto r = backend_.start(slot, tests, whole_suite_);
    if (!r) {
        const not_run_reason why = r.error().interrupted ? not_run_reason::interrupted : not_run_reason::not_started;
        if (!r.error().interrupted) {
            report_.start_errors.push_back(r.error().message);
            observer_.on(events::runner_failed_to_start{slot, tests.size(), r.error().message});
        }
        for (auto t : tests)
            if (!report_.tests[t].ran()) report_.tests[t].not_run = why;
        return false;
    }
    for (auto t : tests) ++given_[t];
    runner_state st;
    st.slot = slot;
    st.tests = std::move(tests);
    st.idle_since = backend_.now();
    const std::size_t n = st.tests.size();
    runners_.emplace(*r, std::move(st));
    ++report_.slots[slot].runners;
    observer_.on(events::runner_started{*r, slot, n});
    return true;
}

void run_engine::start_next(unsigned slot) {
    while (true) {
        std::vector<std::size_t> batch;
        if (!queue_[slot].empty()) {
            batch = std::move(queue_[slot].front());
            queue_[slot].pop_front();
        } else if (chunks_.next_chunk && !retrying_) {
            batch = chunks_.next_chunk(slot, backend_.now() - start_);
            if (batch.empty()) return backend_.retire(slot);
        } else {
            return backend_.retire(slot);
        }
        if (batch.empty() && !whole_suite_) continue;
        // A slot whose runner cannot start retires; what it would have run
        // is accounted for at the end.
        start(slot, std::move(batch));
        return;
    }
}

void run_engine::emit(unsigned slot, const subunit::event_view& e, std::string_view encoded) {
    observer_.on(events::stream_event{slot, e, encoded});
}

void run_engine::hold_or_emit(unsigned slot, const subunit::event_view& e, std::string_view encoded) {
    if (retrying_ && e.test_id) {
        if (auto pos = position_.find(*e.test_id); pos != position_.end()) {
            held_[pos->second].emplace_back(slot, subunit::to_event(e));
            return;
        }
    }
    emit(slot, e, encoded);
}

void run_engine::release_held(std::size_t pos, bool flaky) {
    auto it = held_.find(pos);
    if (it == held_.end()) return;
    std::string encoded;
    for (auto& [slot, ev] : it->second) {
        if (flaky) ev.tags.push_back("flaky");
        encoded.clear();
        // Decoded or made here, so it encodes; should it not, the event as
        // it came is better than none.
        if (!subunit::encode(ev, encoded)) {
            if (flaky) ev.tags.pop_back();
            encoded.clear();
            if (!subunit::encode(ev, encoded)) continue;
        }
        emit(slot, subunit::to_view(ev), encoded);
    }
    held_.erase(it);
}

void run_engine::finish_test(unsigned slot, std::size_t pos, subunit::status s, attempt_end how, double seconds) {
    test_outcome& t = report_.tests[pos];
    if (finished_[pos] && !t.attempts.empty()) {
        // Reported again by the same phase: the latest outcome stands.
        t.attempts.back().status = s;
    } else {
        t.attempts.push_back(attempt{s, how, slot, seconds});
        t.not_run = not_run_reason::none;
    }
    finished_[pos] = 1;
    if (retrying_) release_held(pos, !failed(s) && t.flaky());
    observer_.on(events::test_finished{pos, ids_[pos], slot, s, seconds, static_cast<unsigned>(t.attempts.size())});
}

void run_engine::emit_synthetic(unsigned slot, const subunit::event& e) {
    std::string encoded;
    if (subunit::encode(e, encoded)) hold_or_emit(slot, subunit::to_view(e), encoded);
}

void run_engine::fail_test(unsigned slot, std::size_t pos, attempt_end how, double ran, const std::string& why) {
    emit_synthetic(slot, synthetic_failure(ids_[pos], slot, why));
    // A test its runner died in was run on this slot, as one it reported.
    if (!finished_[pos]) ++report_.slots[slot].tests;
    finish_test(slot, pos, subunit::status::fail, how, ran);
}

void run_engine::note_gap(runner_state& st, const subunit::event_view& e) {
    if (!e.time) return;
    if (e.test_status == subunit::status::inprogress && st.last_end) {
        const double gap = std::chrono::duration<double>(subunit::elapsed(*st.last_end, *e.time)).count();
        // A clock stepped back, or a runner running tests side by side, has
        // no gap to measure.
        if (gap >= 0) {
            report_.between_tests += gap;
            ++report_.between_gaps;
        }
        st.last_end.reset();
    } else if (is_final(e.test_status)) {
        st.last_end = *e.time;
    }
}

void run_engine::event(runner_id r, const subunit::event_view& e, std::string_view encoded) {
    auto it = runners_.find(r);
    const unsigned slot = it != runners_.end() ? it->second.slot : 0;
    hold_or_emit(slot, e, encoded);
    if (!e.test_id) return;
    if (it != runners_.end()) note_gap(it->second, e);
    if (whole_suite_ && it != runners_.end()) {
        // No positions to follow its tests by: the one in progress by id,
        // for an interrupt to name.
        runner_state& st = it->second;
        if (e.test_status == subunit::status::inprogress) {
            st.open_id = *e.test_id;
            st.current_since = backend_.now();
        } else if (is_final(e.test_status) && st.open_id == *e.test_id) {
            st.open_id.clear();
        }
    }
    auto pos = whole_suite_ ? position_.end() : position_.find(*e.test_id);
    if (pos == position_.end() || it == runners_.end()) {
        if (is_final(e.test_status))
            observer_.on(events::test_finished{std::nullopt, *e.test_id, slot, e.test_status, 0, 1});
        return;
    }
    runner_state& st = it->second;
    const double now = backend_.now();
    if (e.test_status == subunit::status::inprogress) {
        st.current = pos->second;
        st.current_since = now;
        st.slow_flagged = false;
        observer_.on(events::test_started{pos->second, slot});
    } else if (is_final(e.test_status)) {
        double took = 0;
        if (st.current == pos->second) {
            took = now - st.current_since;
            report_.slots[slot].busy += took;
            if (chunks_.observed && !retrying_) chunks_.observed(pos->second, took);
            st.current.reset();
            st.idle_since = now;
        }
        if (!finished_[pos->second]) ++report_.slots[slot].tests;
        finish_test(slot, pos->second, e.test_status, attempt_end::reported, took);
    }
}

void run_engine::stderr_bytes(runner_id r, std::string_view bytes) {
    auto it = runners_.find(r);
    if (it == runners_.end()) return;
    std::string& tail = it->second.stderr_tail;
    tail.append(bytes);
    if (tail.size() > stderr_tail_bytes) tail.erase(0, tail.size() - stderr_tail_bytes);
    observer_.on(events::runner_stderr{it->second.slot, bytes});
}

void run_engine::exited(runner_id r, const process::exit_status& status, std::optional<double> first_output) {
    auto it = runners_.find(r);
    if (it == runners_.end()) return;
    runner_state st = std::move(it->second);
    runners_.erase(it);
    const unsigned slot = st.slot;
    if (first_output) report_.start_costs.push_back(*first_output);
    if (!status.success()) report_.slots[slot].problems.push_back(process::describe(status));
    std::size_t requeued = 0;
    if (status.interrupted) {
        // Stopped by Ctrl-C/SIGTERM: not the tests' fault, and not re-run.
        // The one it was in started and did not end: neither passed nor
        // never run (testr counts it a failure: it did not complete).
        if (whole_suite_ && !st.open_id.empty()) {
            report_.interrupted_ids.push_back(st.open_id);
            emit_synthetic(slot, interrupted_note(st.open_id, slot, backend_.now() - st.current_since, status, st.stderr_tail));
        } else if (!whole_suite_ && st.current && !finished_[*st.current]) {
            const std::size_t pos = *st.current;
            const double ran = backend_.now() - st.current_since;
            report_.tests[pos].attempts.push_back(attempt{subunit::status::inprogress, attempt_end::interrupted, slot, ran});
            report_.slots[slot].busy += ran;
            report_.interrupted_ids.push_back(ids_[pos]);
            emit_synthetic(slot, interrupted_note(ids_[pos], slot, ran, status, st.stderr_tail));
        }
        for (auto t : st.tests)
            if (!finished_[t] && !report_.tests[t].ran()) report_.tests[t].not_run = not_run_reason::interrupted;
    } else if (!whole_suite_) {
        const std::string worker = worker_tag(slot);
        // A runner that finished or failed a test made progress, so handing
        // its leftovers to a fresh one cannot loop forever; one that died
        // before any test gives each of them a single second chance.
        bool progressed = std::any_of(st.tests.begin(), st.tests.end(), [&](std::size_t t) { return finished_[t] != 0; });
        // A runner that ends inside a test died, whatever its status says
        // (a test that calls os._exit(0) takes the runner with it).
        const bool died = !status.success() || (st.current && !finished_[*st.current]);
        if (st.current && !finished_[*st.current]) {
            progressed = true;
            const std::size_t pos = *st.current;
            const double ran = backend_.now() - st.current_since;
            std::string why;
            attempt_end how;
            if (st.timed_out == pos) {
                how = attempt_end::timed_out;
                // Limits are checked every tick: a smaller one acts as a tick.
                const double tick = std::chrono::duration<double>(config_.tick).count();
                // A runner slow to answer SIGTERM takes its grace on top:
                // said apart, so the time before the limit reads as such.
                const double stopping = ran - st.timed_out_after;
                why = "testr-mini: timed out after " + fixed(st.timed_out_after) + " s on " + worker + " (limit " +
                      limit_text(config_.timeout) + " s" +
                      (config_.timeout < tick ? ", checked every " + limit_text(tick) + " s" : std::string()) +
                      "); its runner was stopped (" + process::describe(status) + ")" +
                      (stopping >= 0.5 ? ", " + fixed(stopping) + " s later" : std::string()) + ".\n";
            } else {
                how = attempt_end::crashed;
                why = "testr-mini: the runner process on " + worker + " ended (" + process::describe(status) +
                      ") while this test was running, after " + fixed(ran) + " s.\n";
            }
            if (!st.stderr_tail.empty()) why += "Last lines of the runner's stderr:\n" + last_lines(st.stderr_tail, 20);
            report_.slots[slot].busy += ran;
            fail_test(slot, pos, how, ran, why);
        }
        std::vector<std::size_t> again;
        for (auto t : st.tests) {
            if (finished_[t] || report_.tests[t].ran()) continue;
            if (died && (progressed || given_[t] < 2)) again.push_back(t);
            else report_.tests[t].not_run = died ? not_run_reason::runner_ended : not_run_reason::unreported;
        }
        if (!again.empty()) {
            requeued = again.size();
            report_.requeued += again.size();
            queue_[slot].push_front(std::move(again));
        }
    }
    observer_.on(events::runner_ended{r, slot, status, requeued});
    start_next(slot);
}

void run_engine::check_time() {
    if (config_.timeout <= 0 && config_.slow_factor <= 0) return;
    const double now = backend_.now();
    for (auto& [id, st] : runners_) {
        if (st.timed_out || st.hung) continue;
        if (!st.current) {
            // Outside a test the same limit applies, so a runner that hangs
            // while starting or after its last test cannot hold the run.
            const double idle = now - st.idle_since;
            if (config_.timeout > 0 && idle >= std::max(config_.timeout, config_.min_idle_limit)) {
                st.hung = true;
                observer_.on(events::runner_hung{st.slot, idle, std::max(config_.timeout, config_.min_idle_limit)});
                backend_.stop(id);
            }
            continue;
        }
        const double running = now - st.current_since;
        const std::size_t pos = *st.current;
        if (config_.timeout > 0 && running >= config_.timeout) {
            st.timed_out = pos;
            st.timed_out_after = running;
            observer_.on(events::test_timed_out{pos, st.slot, running, config_.timeout});
            backend_.stop(id);
            continue;
        }
        const double estimate = estimates_[pos];
        if (!st.slow_flagged && estimate > 0 && running > estimate * config_.slow_factor &&
            running > estimate + config_.slow_min_seconds) {
            st.slow_flagged = true;
            observer_.on(events::test_slow{pos, st.slot, running, estimate});
        }
    }
}

result<void> run_engine::drive() {
    for (unsigned slot = 0; slot < queue_.size(); ++slot) start_next(slot);
    while (backend_.active() > 0) {
        auto st = backend_.wait(*this, config_.tick);
        if (!st) return unexpected(std::move(st).error());
        if (st->interrupts > report_.interrupts) {
            report_.interrupts = st->interrupts;
            interrupted_ = true;
            observer_.on(events::interrupted{st->interrupts});
        }
        check_time();
    }
    return {};
}

void run_engine::account_leftovers() {
    const not_run_reason why = interrupted_ ? not_run_reason::interrupted : not_run_reason::not_started;
    auto leave = [&](std::size_t t) {
        if (!report_.tests[t].ran() && report_.tests[t].not_run == not_run_reason::none) report_.tests[t].not_run = why;
    };
    for (auto& q : queue_)
        for (auto& b : q)
            for (auto t : b) leave(t);
    for (auto& q : queue_) q.clear();
    if (chunks_.next_chunk) {
        for (unsigned slot = 0; slot < queue_.size(); ++slot)
            for (auto b = chunks_.next_chunk(slot, report_.wall); !b.empty(); b = chunks_.next_chunk(slot, report_.wall))
                for (auto t : b) leave(t);
    }
    for (std::size_t t = 0; t < report_.tests.size(); ++t)
        if (!report_.tests[t].ran() && report_.tests[t].not_run == not_run_reason::none)
            report_.tests[t].not_run = given_[t] ? not_run_reason::runner_ended : why;
}

void run_engine::run_retries() {
    for (unsigned round = 0; round < config_.retries && !interrupted_; ++round) {
        std::vector<std::size_t> failing;
        for (std::size_t t = 0; t < report_.tests.size(); ++t)
            if (failed(report_.tests[t].final_status())) failing.push_back(t);
        if (failing.empty()) return;
        retrying_ = true;
        // One runner per test, spread over the slots.
        for (std::size_t k = 0; k < failing.size(); ++k) {
            const std::size_t t = failing[k];
            finished_[t] = 0;
            observer_.on(events::test_will_retry{t, static_cast<unsigned>(report_.tests[t].attempts.size() + 1)});
            queue_[k % queue_.size()].push_back({t});
        }
        auto ok = drive();
        // Tests that never reached a final status keep their events as they came.
        while (!held_.empty()) release_held(held_.begin()->first, false);
        if (!ok) return;
        for (auto& q : queue_) q.clear();
    }
}

result<engine_report> run_engine::run(const std::vector<std::vector<std::size_t>>& batches, const chunk_source& chunks,
                                      bool whole_suite) {
    whole_suite_ = whole_suite;
    chunks_ = chunks;
    start_ = backend_.now();
    if (whole_suite) {
        if (!queue_.empty()) queue_[0].push_back({});
    } else {
        for (unsigned slot = 0; slot < batches.size() && slot < queue_.size(); ++slot)
            if (!batches[slot].empty()) queue_[slot].push_back(batches[slot]);
    }
    auto ok = drive();
    report_.wall = backend_.now() - start_;
    if (!ok) return unexpected(std::move(ok).error());
    if (!whole_suite_) {
        account_leftovers();
        run_retries();
    }
    report_.wall = backend_.now() - start_;
    return report_;
}

}  // namespace testr
