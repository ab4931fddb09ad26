// tools/testr-mini/plan_compare.cpp - see plan_compare.hpp. The scoring is
// testr/partition_bench.hpp's; this file feeds it the suite and prints.
#include "plan_compare.hpp"

#include <testr/partition_bench.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <unordered_map>

#include "prepare.hpp"
#include "schedule.hpp"
#include "ui/json_text.hpp"
#include "ui/report_format.hpp"

namespace testr::cli {

namespace {

// Seeds of the noisy runs averaged per row: enough that two runs of
// `plan --compare` print the same figures to the millisecond or so.
constexpr int noisy_seeds = 20;

// CPU time of this thread: a partitioner descheduled on a busy machine is
// not a slow one.
double cpu_seconds() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

struct row {
    std::string name;
    double predicted = 0;  ///< seconds of tests, estimates taken as exact
    double ratio = 0;      ///< to the optimum where known, else to the bound
    double noisy = 0;      ///< mean over the noisy runs
    std::optional<double> us_per_call;
};

// Group numbers as partition_bench wants them; a test its pattern does not
// match is a group of its own, as testrepository has it.
std::vector<std::uint32_t> group_numbers(const prepared& p) {
    std::vector<std::uint32_t> out;
    if (!p.groups) return out;
    std::unordered_map<std::string_view, std::uint32_t> number;
    std::uint32_t next = 0;
    for (const auto& id : *p.ids) {
        const std::string_view key = (*p.groups)(id);
        if (key.empty()) {
            out.push_back(next++);
            continue;
        }
        const auto [it, fresh] = number.try_emplace(key, next);
        next += fresh;
        out.push_back(it->second);
    }
    return out;
}

}  // namespace

int plan_compare(const app& a, const run_options& o, bool json, double noise) {
    if (!(noise >= 0) || !std::isfinite(noise)) throw cli_error("plan: --noise must be a number >= 0", exit_usage);
    run_options listed = o;
    listed.parallel = true;
    prepared p = prepare(a, listed, true);
    if (p.concurrency.answer.per_test)
        throw cli_error("plan --compare: test_run_concurrency answered one worker per test; there is nothing to split");
    const schedule fixed = plan_schedule(p, false);  // the estimates, and what --schedule static would run
    const schedule chosen = dynamic_mode(listed, p) ? plan_schedule(p, true) : fixed;
    const double start = fixed.start_cost.value_or(0);

    // What each test occupies its worker: its estimate and the runner's
    // time between tests, so that the rows predict what a run takes.
    std::vector<double> costs(fixed.estimates.size());
    for (std::size_t i = 0; i < costs.size(); ++i) costs[i] = fixed.cost(i);
    bench::instance in{"suite", p.concurrency.answer.workers, std::move(costs), group_numbers(p)};
    std::vector<row> rows;
    bench::assignment balanced;
    bench::score first;
    // The first runner's start is every plan's alike (plan counts it as a
    // fixed cost), so each figure is seconds of tests after it.
    auto noisy_mean = [&](const bench::assignment& plan, bool dynamic) {
        double sum = 0;
        for (int seed = 1; seed <= noisy_seeds; ++seed) {
            const auto r = bench::simulate_noise(in, plan, noise, static_cast<std::uint64_t>(seed), start);
            sum += std::max(0.0, (dynamic ? r.dynamic_makespan : r.static_makespan) - start);
        }
        return sum / noisy_seeds;
    };
    for (auto& [name, algorithm] : bench::builtin_partitioners()) {
        bench::partitioner partitioner = algorithm;
        if (name == "compat" && fixed.between_tests > 0) {
            // testrepository splits the recorded durations alone.
            partitioner = [&, compat = algorithm](std::span<const double> s, std::size_t m, std::span<const std::uint32_t> g) {
                std::vector<double> recorded(s.begin(), s.end());
                for (double& x : recorded) x -= fixed.between_tests;
                return compat(recorded, m, g);
            };
        }
        const bench::score s = bench::evaluate(partitioner, in, cpu_seconds);
        if (rows.empty()) first = s;
        const bench::assignment plan = partitioner(in.seconds, in.workers, in.group);
        if (name == "balanced") balanced = plan;
        rows.push_back({name, s.makespan, s.ratio, noisy_mean(plan, false), s.seconds_per_call * 1e6});
    }
    const auto noiseless = bench::simulate_noise(in, balanced, 0, 1, start);
    const double bound = first.optimum.value_or(first.lower_bound);
    const double dyn = std::max(0.0, noiseless.dynamic_makespan - start);  // no tests: no runner started
    rows.push_back({"dynamic (simulated)", dyn, bound > 0 ? dyn / bound : 1.0, noisy_mean(balanced, true), {}});

    if (json) {
        nlohmann::json j{{"version", 1},  // docs/schema/plan-compare.json
                         {"tests", in.seconds.size()},
                         {"workers", in.workers},
                         {"history", fixed.known()},
                         {"guessed_estimates", fixed.guessed},
                         {"lower_bound", json_microseconds(first.lower_bound)},
                         {"optimum",
                          first.optimum ? nlohmann::json(json_microseconds(*first.optimum)) : nlohmann::json()},
                         {"noise", noise},
                         {"noisy_seeds", noisy_seeds},
                         {"start_cost", json_microseconds(start)},
                         {"between_tests", json_microseconds(fixed.between_tests)}};
        nlohmann::json algorithms = nlohmann::json::array();
        for (const auto& r : rows) {
            nlohmann::json x{{"name", r.name}, {"predicted_seconds", json_microseconds(r.predicted)},
                             {"ratio", std::round(r.ratio * 1e6) / 1e6}, {"noisy_seconds", json_microseconds(r.noisy)}};
            if (r.us_per_call) x["us_per_call"] = std::round(*r.us_per_call * 10) / 10;
            algorithms.push_back(x);
        }
        j["algorithms"] = algorithms;
        j["chosen"] = {{"method", chosen.method}, {"predicted_seconds", json_microseconds(chosen.predicted_makespan)},
                       {"fixed_cost", json_microseconds(chosen.fixed_cost())}, {"queued", chosen.queued}};
        write_stdout(json_text(j, 2, false));
        return exit_ok;
    }
    std::string out = "Compare: " + std::to_string(in.seconds.size()) + " tests on " + std::to_string(in.workers) +
                      (in.workers == 1 ? " worker" : " workers") + ", lower bound " + seconds_text(first.lower_bound) +
                      "s" + (first.optimum ? ", optimum " + seconds_text(*first.optimum) + "s" : std::string()) + "\n";
    if (!fixed.known() && !in.seconds.empty()) out += "No history yet: every estimate is a guess, and so is every figure below.\n";
    else if (fixed.guessed)
        out += std::to_string(fixed.guessed) + " tests have no recorded time; each is estimated from its neighbours.\n";
    if (fixed.between_tests > 0)
        out += "Each test counts " + milliseconds_text(fixed.between_tests) +
               " more: its runner's time between tests, measured in earlier runs.\n";
    char line[160];
    std::snprintf(line, sizeof line, "Seconds of tests after the first runner start; noisy: each test takes its "
                  "estimate x exp(N(0, %g)), mean of %d runs.\n", noise, noisy_seeds);
    out += line;
    std::snprintf(line, sizeof line, "%-20s %12s %8s %12s %10s\n", "algorithm", "predicted", "ratio", "noisy", "us/call");
    out += line;
    for (const auto& r : rows) {
        char us[32] = "";
        if (r.us_per_call) std::snprintf(us, sizeof us, "%.1f", *r.us_per_call);
        std::snprintf(line, sizeof line, "%-20s %11ss %8.4f %11ss %10s", r.name.c_str(),
                      seconds_text(r.predicted).c_str(), r.ratio, seconds_text(r.noisy).c_str(), us);
        std::string_view shown = line;
        shown.remove_suffix(shown.size() - (shown.find_last_not_of(' ') + 1));  // no trailing blanks
        (out += shown) += '\n';
    }
    out += "run uses: " + chosen.method + (chosen.queued ? " (" + std::to_string(chosen.queued) + " tests queued)" : "") +
           ", predicted " + chosen.predicted_text() + "\n";
    write_stdout(out);
    return exit_ok;
}

}  // namespace testr::cli
