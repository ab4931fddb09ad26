// The run engine on a fake backend: scripted runners on a fake clock, so
// crashes, hangs, timeouts, retries, interrupts and start failures are
// checked exactly and in milliseconds, without a process.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "run_engine.hpp"
#include "worker_pool.hpp"

using namespace testr;

namespace {

constexpr double never = std::numeric_limits<double>::infinity();

/// What a scripted test does on each of its attempts (the last repeats).
/// pass, fail, crash (its runner dies inside it), hang (never ends),
/// silent (the runner skips it without a word), die (the runner dies
/// before starting it).
struct fake_backend final : runner_backend {
    std::map<std::string, std::vector<std::string>> script;
    std::map<std::string, unsigned> attempts;
    const std::vector<std::string>* ids = nullptr;
    double clock = 0;
    double test_seconds = 1.0;
    double start_delay = 0.5;
    double hang_before_start = 0;  // > 0: every runner idles this long before its first test
    double between = 0;            // a runner's own time after each test, before the next
    double stop_delay = 0.1;       // stop() -> the runner's exit
    unsigned refuse_starts = 0;    // this many starts fail
    double interrupt_at = never;
    unsigned interrupts = 0;
    std::vector<std::vector<std::size_t>> started;  // tests of each runner started
    std::vector<std::pair<unsigned, std::size_t>> retired;  // (slot, runners started before it retired)

    struct runner {
        runner_id id = 0;
        unsigned slot = 0;
        std::vector<std::size_t> tests;
        std::size_t next = 0;
        bool in_test = false;
        double next_at = 0;
        std::optional<double> stop_at;
        bool done = false;
        bool interrupted = false;
    };
    std::vector<runner> runners;

    result<runner_id, start_error> start(unsigned slot, std::span<const std::size_t> tests, bool) override {
        if (interrupts) return unexpected(start_error{true, "interrupted"});
        if (refuse_starts) {
            --refuse_starts;
            return unexpected(start_error{false, "Too many open files"});
        }
        runner r;
        r.id = runners.size() + 1;
        r.slot = slot;
        r.tests.assign(tests.begin(), tests.end());
        r.next_at = clock + start_delay + hang_before_start;
        runners.push_back(r);
        started.push_back(r.tests);
        return r.id;
    }
    void stop(runner_id id) override {
        auto& r = runners[id - 1];
        if (!r.done && !r.stop_at) r.stop_at = clock + stop_delay;
    }
    void retire(unsigned slot) override { retired.emplace_back(slot, started.size()); }
    std::size_t active() const override {
        return static_cast<std::size_t>(std::count_if(runners.begin(), runners.end(), [](auto& r) { return !r.done; }));
    }
    double now() const override { return clock; }

    std::string does(std::size_t pos) {
        const std::string& id = (*ids)[pos];
        auto it = script.find(id);
        if (it == script.end()) return "pass";
        const unsigned n = attempts[id];
        return it->second[std::min<std::size_t>(n, it->second.size() - 1)];
    }

    void send(runner_events& to, runner& r, std::string_view id, subunit::status s) {
        subunit::event e;
        e.test_id = std::string(id);
        e.test_status = s;
        e.tags = {worker_tag(r.slot)};
        // The runner's clock is the fake one, shifted: only differences count.
        const double at = 1.7e9 + clock;
        e.time = subunit::timestamp{static_cast<std::int64_t>(at),
                                    static_cast<std::uint32_t>((at - std::floor(at)) * 1e9)};
        std::string encoded;
        REQUIRE(subunit::encode(e, encoded));
        to.event(r.id, subunit::to_view(e), encoded);
    }

    void exit(runner_events& to, runner& r, int code, int signal, bool stopped) {
        r.done = true;
        process::exit_status st;
        st.code = signal ? -1 : code;
        st.signal = signal;
        st.stopped = stopped;
        st.interrupted = r.interrupted;
        to.exited(r.id, st, 0.1);
    }

    void step(runner_events& to, runner& r) {
        if (r.in_test) {
            const std::size_t pos = r.tests[r.next];
            const std::string what = does(pos);
            ++attempts[(*ids)[pos]];
            r.in_test = false;
            ++r.next;
            if (what == "crash") return exit(to, r, 0, 11, false);
            send(to, r, (*ids)[pos], what == "fail" ? subunit::status::fail : subunit::status::success);
            r.next_at = clock + between;
            return;
        }
        while (r.next < r.tests.size() && does(r.tests[r.next]) == "silent") {
            ++attempts[(*ids)[r.tests[r.next]]];
            ++r.next;
        }
        if (r.next == r.tests.size()) return exit(to, r, 0, 0, false);
        const std::size_t pos = r.tests[r.next];
        if (does(pos) == "die") {
            ++attempts[(*ids)[pos]];
            return exit(to, r, 1, 0, false);
        }
        send(to, r, (*ids)[pos], subunit::status::inprogress);
        r.in_test = true;
        r.next_at = does(pos) == "hang" ? never : clock + test_seconds;
    }

    result<wait_status> wait(runner_events& to, std::chrono::milliseconds tick) override {
        const double until = clock + double(tick.count()) / 1000.0;
        // The earliest thing due, if any is due within the tick.
        for (;;) {
            double next = until;
            runner* due = nullptr;
            for (auto& r : runners) {
                if (r.done) continue;
                const double at = r.stop_at ? std::min(*r.stop_at, r.next_at) : r.next_at;
                if (at <= next) next = at, due = &r;
            }
            if (interrupt_at <= next && !interrupts) {
                clock = interrupt_at;
                ++interrupts;
                for (auto& r : runners)
                    if (!r.done) r.interrupted = true, r.stop_at = clock + 0.1;
                return wait_status{interrupts};
            }
            if (!due) break;
            clock = next;
            if (due->stop_at && *due->stop_at <= clock) exit(to, *due, 0, 15, true);
            else step(to, *due);
        }
        clock = until;
        return wait_status{interrupts};
    }
};

/// Records the events, in order, as text.
struct recorder final : run_observer {
    std::vector<std::string> log;
    std::vector<std::string> stream;  // "id status tags"
    void on(const events::runner_started& e) override { log.push_back("start " + std::to_string(e.slot)); }
    void on(const events::runner_failed_to_start& e) override { log.push_back("refused " + e.message); }
    void on(const events::runner_ended& e) override {
        log.push_back("end " + std::to_string(e.slot) + " requeued " + std::to_string(e.requeued));
    }
    void on(const events::test_timed_out& e) override { log.push_back("timeout " + std::to_string(e.test)); }
    void on(const events::runner_hung& e) override { log.push_back("hung " + std::to_string(e.slot)); }
    void on(const events::test_will_retry& e) override { log.push_back("retry " + std::to_string(e.test)); }
    void on(const events::interrupted&) override { log.push_back("interrupted"); }
    std::vector<std::string> files;  // attachments' bytes, in order
    void on(const events::stream_event& e) override {
        std::string line = std::string(e.event.test_id.value_or("")) + " " + std::string(subunit::to_string(e.event.test_status));
        for (auto t : e.event.tags) line += " " + std::string(t);
        stream.push_back(line);
        if (e.event.file_name) files.emplace_back(e.event.file_bytes);
    }
    bool saw(const std::string& s) const { return std::find(log.begin(), log.end(), s) != log.end(); }
};

struct fixture {
    std::vector<std::string> ids;
    std::vector<double> estimates;
    fake_backend backend;
    recorder seen;
    engine_config config;

    explicit fixture(std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) ids.push_back("t" + std::to_string(i));
        estimates.assign(n, 1.0);
        backend.ids = &ids;
    }
    engine_report run(const std::vector<std::vector<std::size_t>>& batches, const chunk_source& chunks = {}) {
        run_engine engine(ids, estimates, batches.size(), backend, seen, config);
        auto r = engine.run(batches, chunks);
        REQUIRE(r);
        return *r;
    }
};

std::size_t count_status(const engine_report& r, subunit::status s) {
    return static_cast<std::size_t>(
        std::count_if(r.tests.begin(), r.tests.end(), [&](auto& t) { return t.ran() && t.final_status() == s; }));
}

}  // namespace

TEST_CASE("every planned test runs once, on its slot, on the fake clock") {
    fixture f(6);
    auto r = f.run({{0, 1, 2}, {3, 4, 5}});
    CHECK(count_status(r, subunit::status::success) == 6);
    CHECK(r.never_run().empty());
    CHECK(r.slots[0].tests == 3);
    CHECK(r.slots[1].runners == 1);
    CHECK(r.tests[4].attempts.at(0).slot == 1);
    CHECK(r.slots[0].busy == doctest::Approx(3.0));
    CHECK(r.wall == doctest::Approx(3.5).epsilon(0.05));
    CHECK(r.start_costs.size() == 2);
    // Every event reaches the observer, tagged with its worker.
    CHECK(std::count(f.seen.stream.begin(), f.seen.stream.end(), "t4 success worker-1") == 1);
}

TEST_CASE("the runners' own time between tests is measured from their timestamps, per runner") {
    fixture f(6);
    f.backend.between = 0.25;
    const auto r = f.run({{0, 1, 2}, {3, 4, 5}});
    // Two gaps in each runner; its start and its exit are no gap.
    CHECK(r.between_gaps == 4);
    CHECK(r.between_tests == doctest::Approx(1.0).epsilon(1e-6));
    CHECK(count_status(r, subunit::status::success) == 6);
}

TEST_CASE("a runner dying mid-batch fails that test and re-runs the rest once in a fresh runner") {
    fixture f(4);
    f.backend.script["t1"] = {"crash"};
    auto r = f.run({{0, 1, 2, 3}});
    CHECK(r.tests[1].final_status() == subunit::status::fail);
    CHECK(r.tests[1].attempts.back().end == attempt_end::crashed);
    CHECK(r.ended(attempt_end::crashed) == std::vector<std::size_t>{1});
    CHECK(r.requeued == 2);
    CHECK(r.slots[0].runners == 2);
    CHECK(f.backend.started.at(1) == std::vector<std::size_t>{2, 3});
    CHECK(count_status(r, subunit::status::success) == 3);
    CHECK(f.seen.saw("end 0 requeued 2"));
}

TEST_CASE("a runner that dies before any test gets one second chance, then its tests never ran") {
    fixture f(3);
    f.backend.script["t0"] = {"die"};
    auto r = f.run({{0, 1, 2}});
    CHECK(f.backend.started.size() == 2);
    CHECK(r.never_run() == std::vector<std::size_t>{0, 1, 2});
    for (auto& t : r.tests) CHECK(t.not_run == not_run_reason::runner_ended);
}

TEST_CASE("a test over its limit is failed as timed out and its batch goes on") {
    fixture f(3);
    f.config.timeout = 5;
    f.backend.script["t1"] = {"hang"};
    auto r = f.run({{0, 1, 2}});
    CHECK(r.ended(attempt_end::timed_out) == std::vector<std::size_t>{1});
    CHECK(r.tests[1].attempts.back().seconds >= 5.0);
    CHECK(r.tests[2].final_status() == subunit::status::success);
    CHECK(f.seen.saw("timeout 1"));
    // The engine's own failure is in the stream, tagged like the runner's.
    CHECK(std::count(f.seen.stream.begin(), f.seen.stream.end(), "t1 fail worker-0") == 1);
}

TEST_CASE("a timeout says when the limit was reached, and apart how long the runner took to stop") {
    for (const double stop_delay : {0.1, 4.0}) {
        CAPTURE(stop_delay);
        fixture f(1);
        f.config.timeout = 5;
        f.backend.stop_delay = stop_delay;
        f.backend.script["t0"] = {"hang"};
        auto r = f.run({{0}});
        REQUIRE(r.ended(attempt_end::timed_out) == std::vector<std::size_t>{0});
        // The slot was held until the runner ended: that is the test's time.
        CHECK(r.tests[0].attempts.back().seconds >= 5.0 + stop_delay);
        REQUIRE(f.seen.files.size() == 1);
        const std::string& why = f.seen.files[0];
        INFO(why);
        // Limits are checked every tick: reached within one of 5 s.
        CHECK(why.starts_with("testr-mini: timed out after 5."));
        CHECK(why.find(" s on worker-0 (limit 5.0 s); its runner was stopped (") != std::string::npos);
        CHECK((why.find("), 4.0 s later.\n") != std::string::npos) == (stop_delay > 1));
    }
}

TEST_CASE("a runner hanging before its first test is stopped by the limit outside tests") {
    fixture f(2);
    f.config.timeout = 2;
    f.config.min_idle_limit = 3;
    f.backend.hang_before_start = 1000;
    auto r = f.run({{0, 1}});
    CHECK(f.seen.saw("hung 0"));
    CHECK(f.backend.started.size() == 2);  // one second chance
    CHECK(r.never_run().size() == 2);
    CHECK(r.wall < 10);
}

TEST_CASE("without a timeout, a slow start is waited for") {
    fixture f(1);
    f.backend.hang_before_start = 50;
    auto r = f.run({{0}});
    CHECK(r.tests[0].final_status() == subunit::status::success);
    CHECK_FALSE(f.seen.saw("hung 0"));
}

TEST_CASE("a test that fails, then passes on retry, is flaky, and every event of its pass is tagged so") {
    fixture f(3);
    f.config.retries = 2;
    f.backend.script["t1"] = {"fail", "pass"};
    auto r = f.run({{0, 1, 2}});
    CHECK(r.tests[1].attempts.size() == 2);
    CHECK(r.tests[1].flaky());
    CHECK(r.flaky() == std::vector<std::size_t>{1});
    CHECK(r.retried() == 1);
    CHECK(r.tests[1].final_status() == subunit::status::success);
    CHECK(f.seen.saw("retry 1"));
    CHECK(std::count(f.seen.stream.begin(), f.seen.stream.end(), "t1 success worker-0 flaky") == 1);
    CHECK(std::count(f.seen.stream.begin(), f.seen.stream.end(), "t1 inprogress worker-0 flaky") == 1);
    CHECK(std::count(f.seen.stream.begin(), f.seen.stream.end(), "t1 fail worker-0") == 1);
}

TEST_CASE("a test failing on every retry stays failed, with one attempt per round") {
    fixture f(2);
    f.config.retries = 2;
    f.backend.script["t0"] = {"fail"};
    auto r = f.run({{0, 1}});
    CHECK(r.tests[0].attempts.size() == 3);
    CHECK_FALSE(r.tests[0].flaky());
    CHECK(r.flaky().empty());
    CHECK(r.tests[0].final_status() == subunit::status::fail);
    CHECK(f.backend.started.size() == 3);  // each retry in a fresh runner
}

TEST_CASE("a runner that cannot be started is reported, and its tests are not silently passed") {
    fixture f(4);
    f.backend.refuse_starts = 1;
    auto r = f.run({{0, 1}, {2, 3}});
    CHECK(r.start_errors == std::vector<std::string>{"Too many open files"});
    CHECK(f.seen.saw("refused Too many open files"));
    CHECK(r.never_run() == std::vector<std::size_t>{0, 1});
    CHECK(r.tests[0].not_run == not_run_reason::not_started);
    CHECK(r.tests[3].final_status() == subunit::status::success);
}

TEST_CASE("an interrupt stops the runners; what had not run is never run, not re-run") {
    fixture f(6);
    f.backend.interrupt_at = 1.7;
    f.config.retries = 3;
    f.backend.script["t0"] = {"fail"};
    auto r = f.run({{0, 1, 2}, {3, 4, 5}});
    CHECK(r.interrupts == 1);
    CHECK(f.seen.saw("interrupted"));
    CHECK(r.tests[0].ran());
    CHECK(r.tests[0].attempts.size() == 1);  // no retries after an interrupt
    CHECK(r.tests[3].ran());
    // The tests running at the interrupt: started, not ended, not never-run.
    CHECK(r.ended(attempt_end::interrupted) == std::vector<std::size_t>{1, 4});
    CHECK(r.tests[1].final_status() == subunit::status::inprogress);
    for (std::size_t t : {2, 5}) {
        CHECK_FALSE(r.tests[t].ran());
        CHECK(r.tests[t].not_run == not_run_reason::interrupted);
    }
    CHECK(r.requeued == 0);
}

TEST_CASE("a runner that exits cleanly without reporting a test leaves it unreported") {
    fixture f(3);
    f.backend.script["t1"] = {"silent"};
    auto r = f.run({{0, 1, 2}});
    CHECK(r.never_run() == std::vector<std::size_t>{1});
    CHECK(r.tests[1].not_run == not_run_reason::unreported);
    CHECK(r.requeued == 0);
}

TEST_CASE("chunks handed out as slots fall idle all run, each in a fresh runner, and are observed") {
    fixture f(7);
    std::vector<std::vector<std::size_t>> queue{{2, 3}, {4}, {5, 6}};
    std::vector<std::size_t> observed;
    chunk_source chunks;
    chunks.next_chunk = [&](unsigned, double) {
        if (queue.empty()) return std::vector<std::size_t>{};
        auto c = queue.front();
        queue.erase(queue.begin());
        return c;
    };
    chunks.observed = [&](std::size_t t, double) { observed.push_back(t); };
    auto r = f.run({{0}, {1}}, chunks);
    CHECK(count_status(r, subunit::status::success) == 7);
    CHECK(f.backend.started.size() == 5);
    std::sort(observed.begin(), observed.end());
    CHECK(observed == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6});
    // Each slot is told, once the queue has nothing for it, after its last
    // runner started: a backend may let a runner it readied ahead go.
    REQUIRE(f.backend.retired.size() == 2);
    for (auto [slot, runners_before] : f.backend.retired) CHECK(runners_before == 5);
    CHECK(f.backend.retired[0].first != f.backend.retired[1].first);
}

TEST_CASE("leftovers of an interrupted dynamic run are accounted for, from the queue too") {
    fixture f(6);
    f.backend.interrupt_at = 0.2;
    std::vector<std::size_t> queue{2, 3, 4, 5};
    chunk_source chunks;
    chunks.next_chunk = [&](unsigned, double) {
        if (queue.empty()) return std::vector<std::size_t>{};
        std::vector<std::size_t> c{queue.back()};
        queue.pop_back();
        return c;
    };
    auto r = f.run({{0}, {1}}, chunks);
    CHECK(r.never_run().size() == 6);
    for (auto& t : r.tests) CHECK(t.not_run == not_run_reason::interrupted);
}
