// tools/testr-mini/run_engine.cpp - see run_engine.hpp.
#include "run_engine.hpp"

#include <algorithm>
#include <cstdio>

namespace testr::cli {

namespace {

double seconds(process::clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string fixed(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", s);
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

}  // namespace

run_engine::run_engine(const std::vector<std::string>& ids, const std::vector<double>& estimates, std::size_t slots,
                       engine_hooks hooks, engine_config config)
    : ids_(ids), estimates_(estimates), hooks_(std::move(hooks)), config_(config), queue_(slots),
      attempts_(ids.size(), 0), finished_(ids.size(), 0) {
    position_.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) position_.emplace(ids[i], i);
    report_.slots.resize(slots);
}

double run_engine::since_start() const { return seconds(process::clock::now() - start_); }

bool run_engine::start(unsigned slot, std::vector<std::size_t> tests) {
    worker_spec spec = hooks_.runner_for(slot, tests);
    spec.grace = config_.grace;
    auto r = pool_->start(std::move(spec));
    if (!r) return false;  // interrupted: the caller accounts for the tests
    for (auto t : tests) ++attempts_[t];
    runner_state st;
    st.slot = slot;
    st.tests = std::move(tests);
    runners_.emplace(*r, std::move(st));
    ++report_.slots[slot].runners;
    return true;
}

void run_engine::start_next(unsigned slot) {
    while (true) {
        std::vector<std::size_t> batch;
        if (!queue_[slot].empty()) {
            batch = std::move(queue_[slot].front());
            queue_[slot].pop_front();
        } else if (hooks_.next_chunk) {
            batch = hooks_.next_chunk(slot, since_start());
            if (batch.empty()) return;
        } else {
            return;
        }
        if (batch.empty()) continue;
        if (!start(slot, batch)) {
            // The pool refuses new runners once interrupted: whatever was
            // waiting for this slot will not run, and says so.
            for (auto t : batch) report_.never_run.push_back(t);
            for (auto& q : queue_[slot])
                for (auto t : q) report_.never_run.push_back(t);
            queue_[slot].clear();
            return;
        }
        return;
    }
}

void run_engine::fail_test(unsigned slot, std::size_t pos, const std::string& why) {
    subunit::event_view e;
    e.test_id = ids_[pos];
    e.test_status = subunit::status::fail;
    const std::string tag = worker_tag(slot);
    e.tags = {tag};
    e.time = subunit::to_timestamp(std::chrono::system_clock::now());
    e.file_name = "traceback";
    e.mime_type = "text/plain;charset=utf8";
    e.file_bytes = why;
    e.eof = true;
    std::string encoded;
    if (auto ok = subunit::encode(e, encoded); !ok) return;
    finished_[pos] = 1;
    if (hooks_.on_event) hooks_.on_event(slot, e, encoded);
}

void run_engine::on_event(runner_id r, unsigned slot, const subunit::event_view& e, std::string_view encoded) {
    auto it = runners_.find(r);
    if (it != runners_.end() && !it->second.saw_output) {
        it->second.saw_output = true;
        if (auto cost = pool_->first_output(r)) report_.start_costs.push_back(seconds(*cost));
    }
    if (hooks_.on_event) hooks_.on_event(slot, e, encoded);
    if (!e.test_id || it == runners_.end()) return;
    auto pos = position_.find(*e.test_id);
    if (pos == position_.end()) return;
    runner_state& st = it->second;
    if (e.test_status == subunit::status::inprogress) {
        st.current = pos->second;
        st.current_since = process::clock::now();
        st.slow_flagged = false;
    } else if (e.test_status >= subunit::status::success) {
        finished_[pos->second] = 1;
        ++report_.slots[slot].tests;
        if (st.current == pos->second) {
            const double took = seconds(process::clock::now() - st.current_since);
            report_.slots[slot].busy += took;
            if (hooks_.observed) hooks_.observed(pos->second, took);
            st.current.reset();
        }
    }
}

void run_engine::on_tick(process::clock::time_point now) {
    for (auto& [id, st] : runners_) {
        if (!st.current || st.timed_out) continue;
        const double running = seconds(now - st.current_since);
        const std::size_t pos = *st.current;
        if (config_.timeout.count() > 0 && running * 1000.0 >= double(config_.timeout.count())) {
            st.timed_out = pos;
            if (hooks_.on_notice)
                hooks_.on_notice("timeout: " + ids_[pos] + " passed " + fixed(running) + "s on " + worker_tag(st.slot) +
                                 "; stopping its runner");
            pool_->stop(id);
            continue;
        }
        const double estimate = estimates_[pos];
        if (!st.slow_flagged && estimate > 0 && running > estimate * config_.slow_factor &&
            running > estimate + config_.slow_min_seconds) {
            st.slow_flagged = true;
            if (hooks_.on_notice)
                hooks_.on_notice("slow: " + ids_[pos] + " has run " + fixed(running) + "s on " + worker_tag(st.slot) +
                                 " (usually " + fixed(estimate) + "s)");
        }
    }
}

void run_engine::on_exit(runner_id r, unsigned slot, const process::exit_status& status) {
    auto it = runners_.find(r);
    if (it == runners_.end()) return;
    runner_state st = std::move(it->second);
    runners_.erase(it);
    if (!status.success()) report_.slots[slot].problems.push_back(process::describe(status));
    if (!whole_suite_ && status.interrupted) {
        // Stopped by Ctrl-C/SIGTERM: not the tests' fault, and not re-run.
        for (auto t : st.tests)
            if (!finished_[t]) report_.never_run.push_back(t);
    } else if (!whole_suite_) {
        const std::string worker = worker_tag(slot);
        // A runner that finished or failed a test made progress, so handing
        // its leftovers to a fresh one cannot loop forever; one that died
        // before any test gives each of them a single second chance.
        bool progressed = false;
        for (auto t : st.tests) progressed = progressed || finished_[t];
        if (st.current && !finished_[*st.current]) {
            progressed = true;
            const std::size_t pos = *st.current;
            const double ran = seconds(process::clock::now() - st.current_since);
            std::string why;
            if (st.timed_out == pos) {
                why = "testr-mini: timed out after " + fixed(ran) + " s on " + worker + " (limit " +
                      fixed(double(config_.timeout.count()) / 1000.0) + " s); its runner was stopped (" +
                      process::describe(status) + ").\n";
                report_.timed_out.push_back(pos);
            } else {
                why = "testr-mini: the runner process on " + worker + " ended (" + process::describe(status) +
                      ") while this test was running, after " + fixed(ran) + " s.\n";
                report_.crashed.push_back(pos);
            }
            if (!st.stderr_tail.empty()) why += "Last lines of the runner's stderr:\n" + last_lines(st.stderr_tail, 20);
            fail_test(slot, pos, why);
        }
        // The batch's tests that never reported go on in a fresh runner in
        // this slot.
        std::vector<std::size_t> again;
        for (auto t : st.tests) {
            if (finished_[t]) continue;
            if (!status.success() && (progressed || attempts_[t] < 2)) again.push_back(t);
            else report_.never_run.push_back(t);
        }
        if (!again.empty()) {
            report_.rerun += again.size();
            if (hooks_.on_notice)
                hooks_.on_notice(worker + ": runner ended (" + process::describe(status) + "); re-running the " +
                                 std::to_string(again.size()) + " tests it had not started");
            queue_[slot].push_front(std::move(again));
        }
    }
    start_next(slot);
}

result<engine_report> run_engine::run(const std::vector<std::vector<std::size_t>>& batches, bool whole_suite) {
    whole_suite_ = whole_suite;
    worker_sink sink;
    sink.on_event = [this](runner_id r, unsigned slot, const subunit::event_view& e, std::string_view encoded) {
        on_event(r, slot, e, encoded);
    };
    sink.on_stderr = [this](runner_id r, unsigned slot, std::string_view bytes) {
        if (auto it = runners_.find(r); it != runners_.end()) {
            std::string& tail = it->second.stderr_tail;
            tail.append(bytes);
            if (tail.size() > 8192) tail.erase(0, tail.size() - 8192);
        }
        if (hooks_.on_stderr) hooks_.on_stderr(slot, bytes);
    };
    sink.on_exit = [this](runner_id r, unsigned slot, const process::exit_status& st) { on_exit(r, slot, st); };
    sink.on_tick = [this](process::clock::time_point now) { on_tick(now); };
    worker_pool pool(std::move(sink));
    pool_ = &pool;
    start_ = process::clock::now();
    for (unsigned slot = 0; slot < batches.size() && slot < queue_.size(); ++slot)
        if (!batches[slot].empty() || whole_suite) queue_[slot].push_back(batches[slot]);
    for (unsigned slot = 0; slot < queue_.size(); ++slot) {
        if (whole_suite && !queue_[slot].empty()) {
            queue_[slot].clear();
            if (!start(slot, {})) return fail("cannot start the test command");
            continue;
        }
        start_next(slot);
    }
    auto outcome = pool.run(std::chrono::milliseconds(100));
    pool_ = nullptr;
    if (!outcome) return unexpected(std::move(outcome).error());
    report_.interrupts = outcome->interrupts;
    report_.wall = since_start();
    // Anything still queued, here or in the scheduler (an interrupt stopped
    // the run), never ran.
    for (auto& q : queue_)
        for (auto& b : q)
            for (auto t : b) report_.never_run.push_back(t);
    if (hooks_.next_chunk) {
        for (unsigned slot = 0; slot < queue_.size(); ++slot)
            for (auto b = hooks_.next_chunk(slot, report_.wall); !b.empty(); b = hooks_.next_chunk(slot, report_.wall))
                report_.never_run.insert(report_.never_run.end(), b.begin(), b.end());
    }
    std::sort(report_.never_run.begin(), report_.never_run.end());
    report_.never_run.erase(std::unique(report_.never_run.begin(), report_.never_run.end()), report_.never_run.end());
    std::erase_if(report_.never_run, [&](std::size_t t) { return finished_[t] != 0; });
    return report_;
}

}  // namespace testr::cli
