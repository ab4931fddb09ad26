// tools/testr-mini/schedule.cpp - see schedule.hpp.
#include "schedule.hpp"

#include <algorithm>
#include <cstdio>

#include <testr/estimates.hpp>
#include <testr/partition.hpp>

#include "times_command.hpp"
#include "timesdb.hpp"
#include "ui/report_format.hpp"

namespace testr::cli {

namespace {

/// Calls f with the group function of .testr.conf's group_regex, or
/// no_groups, so the core's templates see the concrete type.
template <class F>
decltype(auto) with_groups(const prepared& p, F&& f) {
    if (p.groups) return f([&](std::string_view id) { return (*p.groups)(id); });
    return f(no_groups{});
}

std::vector<double> batch_seconds(const schedule& s) {
    std::vector<double> out;
    for (auto& b : s.batches) {
        double sum = 0;
        for (auto t : b) sum += s.cost(t);
        out.push_back(sum);
    }
    return out;
}

/// Tries the dynamic schedule; false (with s.why_static set) when a queue
/// would not pay, and the run is then exactly the static one.
bool plan_dynamic(const prepared& p, const estimates& e, schedule& s) {
    dynamic_options opts;
    opts.start_cost = *s.start_cost;
    if (s.handoff_cost && s.known()) {
        // A chunk costs its hand-out; but the slot's next runner starts
        // warming up only when this one is handed out, so a chunk shorter
        // than a start would leave the next one waiting for its imports.
        // Without any history the chunks are cut from guesses, and a first
        // batch shorter than a start leaves its slot waiting all the same:
        // measured (bench/adaptive.py --imports slow_start, cold), such a
        // queue lost to the static plan, so a first run is judged by the
        // whole start, as without pre-start.
        opts.start_cost = *s.handoff_cost + s.start_cpu;
        opts.min_chunk = std::max(*s.start_cost, 0.05);
    }
    estimates costs = e;
    for (double& x : costs.seconds) x += s.between_tests;
    auto items = with_groups(p, [&](auto&& groups) { return work_items(*p.ids, costs, groups); });
    auto scheduler = dynamic_scheduler::create(std::move(items), p.concurrency.answer.workers, opts);
    if (!scheduler) throw cli_error(scheduler.error().message);
    if (!scheduler->why_static().empty()) {
        s.why_static = scheduler->why_static();
        return false;
    }
    s.dynamic = std::make_shared<dynamic_scheduler>(std::move(*scheduler));
    s.batches = s.dynamic->initial_batches();
    // The scheduler counts each runner's start; the first is in fixed_cost().
    s.predicted_makespan = std::max(0.0, s.dynamic->predicted_makespan() - opts.start_cost);
    s.method = "dynamic";
    s.predicted = batch_seconds(s);
    std::size_t planned = 0;
    for (auto& b : s.batches) planned += b.size();
    s.queued = p.ids->size() - planned;
    return true;
}

}  // namespace

double schedule::fixed_cost() const noexcept {
    if (!start_cost) return 0;
    if (handoff_cost) return std::max(listing, *start_cost) + *handoff_cost;
    return listing + *start_cost;
}

std::string schedule::predicted_text() const {
    if (!known()) return "unknown (no history yet)";
    if (!start_cost) return seconds_text(predicted_makespan) + "s";
    const char* what = listing > 0 ? "s listing and runner start)" : "s runner start)";
    return seconds_text(predicted_makespan + fixed_cost()) + "s (" + seconds_text(predicted_makespan) +
           "s of tests + " + seconds_text(fixed_cost()) + what;
}

std::string schedule::cost_model() const {
    if (!start_cost) return {};
    std::string out = "Runner start: " + seconds_text(*start_cost) + "s (" + start_source + ")";
    if (handoff_cost && !known())
        out += "; runners pre-started, reading their ids from a pipe, so the start overlaps the listing; with no "
               "history yet a queue's chunk is judged by the whole start";
    else if (handoff_cost)
        out += "; runners pre-started, reading their ids from a pipe, so a start overlaps the listing and the "
               "runner before it: each costs its hand-out, " + seconds_text(*handoff_cost) + "s (" + handoff_source +
               "), and " + seconds_text(start_cpu) + "s of CPU its start takes from the tests; a chunk is at least "
               "one start long";
    else
        out += ", paid by every runner";
    if (between_tests > 0)
        out += ". Between tests a runner spends " + milliseconds_text(between_tests) +
               " of its own (measured in earlier runs), counted with every test";
    return out;
}

bool dynamic_mode(const run_options& o, const prepared& p) {
    return o.schedule == "dynamic" && o.parallel && !p.concurrency.answer.per_test && p.concurrency.answer.workers > 1;
}

schedule whole_suite_schedule() {
    schedule s;
    s.batches.resize(1);
    s.predicted.resize(1, 0.0);
    return s;
}

std::vector<std::optional<double>> recorded_estimates(const prepared& p, std::size_t* from_times_file) {
    auto db = timesdb::open(p.repository->file(timesdb::file_name));
    if (!db) throw cli_error(db.error().message());
    for (auto& w : db->warnings()) std::fprintf(stderr, "testr-mini: warning: %s\n", w.message.c_str());
    std::vector<std::optional<double>> recorded;
    recorded.reserve(p.ids->size());
    for (auto& id : *p.ids) recorded.push_back(db->estimate(id));
    const std::size_t from_file = estimates_from_times_file(p.conf, *p.ids, recorded);
    if (from_times_file) *from_times_file = from_file;
    return recorded;
}

schedule plan_schedule(const prepared& p, bool dynamic) {
    schedule s;
    const ids_t& ids = *p.ids;
    const std::vector<std::optional<double>> recorded = recorded_estimates(p, &s.from_times_file);
    // Tests without history are estimated from their class, module or
    // group neighbours before anything is planned; the neighbours' mean,
    // not median: a schedule needs sums right.
    const estimates e = with_groups(p, [&](auto&& groups) { return estimate_all(ids, recorded, groups, {.mean = true}); });
    s.estimates = e.seconds;
    s.guessed = e.guessed();
    // Until a run has measured it, the listing stands in: the same runner,
    // started and asked for its ids.
    const auto measured = repo::start_cost(*p.repository);
    s.start_cost = measured.value_or(p.listing_seconds.value_or(0.2));
    s.start_source = measured ? "measured in earlier runs" : p.listing_seconds ? "the test listing's" : "a guess";
    s.listing = p.listing_seconds.value_or(0);
    s.between_tests = repo::start_cost(*p.repository, repo::runner_cost::between_tests).value_or(0);
    if (p.prestart.on) {
        const auto handoff = repo::start_cost(*p.repository, repo::runner_cost::handoff);
        // A pipe write and a read: the guess stays under cold_start_limit,
        // so a first run keeps its queue.
        s.handoff_cost = handoff.value_or(0.05);
        s.handoff_source = handoff ? "measured in earlier runs" : "a guess";
        // A spare's imports compete with the tests for the CPUs in
        // proportion to how many of them the workers keep busy.
        const double workers = static_cast<double>(p.concurrency.answer.workers);
        const double busy = p.cpus ? std::min(1.0, workers / static_cast<double>(p.cpus)) : 1.0;
        s.start_cpu = repo::start_cost(*p.repository, repo::runner_cost::start_cpu).value_or(0) * busy;
    }
    if (dynamic && plan_dynamic(p, e, s)) return s;
    const std::size_t workers = p.concurrency.answer.per_test ? 0 : p.concurrency.answer.workers;
    auto by_pos = [&](std::size_t i, std::string_view) { return std::optional<double>(s.cost(i)); };
    auto plan = with_groups(p, [&](auto&& groups) { return partition(ids, workers, by_pos, groups); });
    if (!plan) throw cli_error(plan.error().message);
    for (auto& w : plan->workers) s.batches.emplace_back(w.begin(), w.end());
    s.predicted = plan->predicted_seconds;
    s.predicted_makespan = plan->makespan();
    s.method = plan->method;
    return s;
}

}  // namespace testr::cli
