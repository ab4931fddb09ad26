// tools/testr-mini/plan_command.cpp - see plan_command.hpp.
#include "plan_command.hpp"

#include <nlohmann/json.hpp>


#include "prepare.hpp"
#include "schedule.hpp"
#include "shard_split.hpp"
#include "ui/json_text.hpp"
#include "ui/report_format.hpp"

namespace testr::cli {

namespace {

std::string plan_json(const prepared& p, const schedule& s, const std::vector<char>& planned) {
    const ids_t& ids = *p.ids;
    nlohmann::json j;
    j["version"] = 1;  // docs/schema/plan.json
    j["concurrency"] = {{"workers", s.batches.size()},
                        {"source", std::string(to_string(p.concurrency.source))},
                        {"cpus", p.cpu_source}};
    j["method"] = s.method;
    j["predicted_makespan"] = json_microseconds(s.predicted_makespan);
    j["history"] = s.known();
    j["guessed_estimates"] = s.guessed;
    if (s.start_cost) j["start_cost"] = json_microseconds(*s.start_cost);
    if (s.handoff_cost) j["handoff_cost"] = json_microseconds(*s.handoff_cost);
    j["between_tests"] = json_microseconds(s.between_tests);
    j["fixed_cost"] = json_microseconds(s.fixed_cost());
    j["prestart"] = p.prestart.on ? nlohmann::json{{"on", true}} : nlohmann::json{{"on", false}, {"why", p.prestart.why}};
    if (!s.why_static.empty()) j["no_queue"] = s.why_static;
    nlohmann::json workers = nlohmann::json::array();
    for (std::size_t w = 0; w < s.batches.size(); ++w) {
        nlohmann::json tests = nlohmann::json::array();
        for (auto i : s.batches[w]) tests.push_back({{"id", ids[i]}, {"estimate", json_microseconds(s.estimates[i])}});
        workers.push_back({{"worker", w}, {"predicted_seconds", json_microseconds(s.predicted[w])}, {"tests", tests}});
    }
    j["workers"] = workers;
    nlohmann::json queue = nlohmann::json::array();
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (!planned[i]) queue.push_back({{"id", ids[i]}, {"estimate", json_microseconds(s.estimates[i])}});
    j["queue"] = queue;
    try {
        return json_text(j, 2, false);
    } catch (const nlohmann::json::exception& e) {
        // JSON strings are Unicode: an id that is not UTF-8 has no spelling.
        throw cli_error(std::string("plan --json: a test id is not valid UTF-8, so JSON cannot carry it (") + e.what() + ")");
    }
}

/// Where the number of workers came from, as a person would say it.
std::string workers_reason(concurrency_source source) {
    switch (source) {
        case concurrency_source::option: return "as --concurrency asks";
        case concurrency_source::callout: return "as test_run_concurrency answered";
        case concurrency_source::cpu_count: return "one per CPU this process may use";
        case concurrency_source::fallback: break;
    }
    return "the default";
}

/// Why the dynamic schedule kept no queue, in plain words: the core gives
/// its reason by the name of the limit that decided it.
std::string why_static_words(const schedule& s) {
    const std::string start = s.start_cost ? seconds_text(*s.start_cost) + "s" : "a runner start";
    if (s.why_static == "one worker") return "there is one worker";
    if (s.why_static.find("cold_start_limit") != std::string::npos)
        return "with no history yet, starting another runner (" + start + ") could cost more than it saves";
    if (s.why_static.find("max_start_share") != std::string::npos)
        return "starting another runner (" + start + ") costs too much beside each worker's share of the work";
    if (s.why_static.find("min_chunk") != std::string::npos) return "there is too little work to hand out in pieces";
    return s.why_static;
}

/// What `plan` prints: the split and why, in plain words; `verbose` adds
/// the internal names (method, the limit that decided, the CPU probe).
std::string plan_text(const prepared& p, const schedule& s, const std::vector<char>& planned, bool verbose) {
    const ids_t& ids = *p.ids;
    std::string out = "Plan: " + std::to_string(ids.size()) + " tests on " + std::to_string(s.batches.size()) +
                      (s.batches.size() == 1 ? " worker (" : " workers (") + workers_reason(p.concurrency.source) +
                      "), predicted " + s.predicted_text() + "\n";
    if (s.queued)
        out += "Each worker starts with its share below; the other " + std::to_string(s.queued) +
               " tests wait in a queue and go, longest first, to whichever worker is free.\n";
    else if (!s.why_static.empty())
        out += "Each worker runs its share in one runner, without a queue: " + why_static_words(s) + ".\n";
    else
        out += "Each worker runs its share in one runner.\n";
    if (s.from_times_file)
        out += std::to_string(s.from_times_file) + (s.from_times_file == 1 ? " test takes its" : " tests take their") +
               " time from test_times_file.\n";
    if (p.shard) out += "Shard: " + p.shard_note + "\n";
    if (s.guessed)
        out += std::to_string(s.guessed) + (s.guessed == 1 ? " test has" : " tests have") +
               " no recorded time; each is estimated from tests of its class, module or group.\n";
    if (s.start_cost) out += s.cost_model() + "\n";
    if (!p.prestart.on) out += "Runners not pre-started: " + p.prestart.why + "\n";
    if (verbose) {
        out += "Method: " + s.method + (s.why_static.empty() ? "" : "; no queue: " + s.why_static) + "\n";
        out += "Workers from: " + std::string(to_string(p.concurrency.source)) + "\n";
        if (!p.cpu_source.empty()) out += "CPUs: " + p.cpu_source + "\n";
    }
    for (std::size_t w = 0; w < s.batches.size(); ++w) {
        out += "worker-" + std::to_string(w) + ": " + std::to_string(s.batches[w].size()) + " tests, predicted " +
               seconds_text(s.predicted[w]) + "s\n";
        for (auto i : s.batches[w]) out += "  " + ids[i] + "  " + seconds_text(s.estimates[i]) + "s\n";
    }
    if (s.queued) {
        out += "queue: " + std::to_string(s.queued) + " tests, handed out longest first as workers fall idle\n";
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (!planned[i]) out += "  " + ids[i] + "  " + seconds_text(s.estimates[i]) + "s\n";
    }
    return out;
}

/// `plan --shards N`: the CI split, each shard as one job would run it.
std::string shards_output(const prepared& p, std::size_t total, bool json, bool verbose) {
    std::vector<std::optional<double>> recorded;
    const shard_plan plan = split_shards(p, total, &recorded);
    const ids_t& ids = *p.ids;
    const bool history = plan.unknown_tests < ids.size();
    double sum = 0;
    for (double s : plan.predicted_seconds) sum += s;
    const double mean = sum / static_cast<double>(total);
    auto estimate = [&](std::size_t i) { return recorded[i].value_or(plan.unknown_estimate); };
    if (json) {
        nlohmann::json j;
        j["version"] = 1;  // docs/schema/plan-shards.json
        j["total"] = total;
        j["tests"] = ids.size();
        j["method"] = plan.method;
        j["history"] = history;
        j["unknown_tests"] = plan.unknown_tests;
        j["unknown_estimate"] = json_microseconds(plan.unknown_estimate);
        j["predicted_makespan"] = json_microseconds(plan.makespan());
        j["predicted_mean"] = json_microseconds(mean);
        nlohmann::json shards = nlohmann::json::array();
        for (std::size_t k = 0; k < total; ++k) {
            nlohmann::json tests = nlohmann::json::array();
            for (auto i : plan.shards[k])
                tests.push_back({{"id", ids[i]}, {"estimate", json_microseconds(estimate(i))},
                                 {"recorded", recorded[i].has_value()}, {"hashed", plan.hashed[i] != 0}});
            shards.push_back({{"shard", k + 1}, {"tag", "shard-" + std::to_string(k + 1)},
                              {"predicted_seconds", json_microseconds(plan.predicted_seconds[k])}, {"tests", tests}});
        }
        j["shards"] = shards;
        try {
            return json_text(j, 2, false);
        } catch (const nlohmann::json::exception& e) {
            // As plan --json: an id JSON cannot spell is an error, not a changed id.
            throw cli_error(std::string("plan --json: a test id is not valid UTF-8, so JSON cannot carry it (") + e.what() + ")");
        }
    }
    std::string out = "Shards: " + std::to_string(ids.size()) + " tests over " + std::to_string(total) +
                      " shards, slowest predicted " + (history ? seconds_text(plan.makespan()) + "s, mean " +
                                                                     seconds_text(mean) + "s"
                                                               : std::string("unknown (no history yet)")) +
                      (verbose ? " (method: " + plan.method + ")" : std::string());
    if (plan.unknown_tests)
        out += "; " + std::to_string(plan.unknown_tests) + " without history, each counted as " +
               seconds_text(plan.unknown_estimate) + "s";
    out += "\n";
    for (std::size_t k = 0; k < total; ++k) {
        out += "shard-" + std::to_string(k + 1) + ": " + std::to_string(plan.shards[k].size()) + " tests, predicted " +
               seconds_text(plan.predicted_seconds[k]) + "s\n";
        for (auto i : plan.shards[k]) {
            out += "  " + ids[i] + "  " + seconds_text(estimate(i)) + "s";
            if (!recorded[i]) out += plan.hashed[i] ? " (no history: placed by id hash)" : " (no history: with its group)";
            out += "\n";
        }
    }
    return out;
}

}  // namespace

int plan_tests(const app& a, const run_options& o, bool json, unsigned shards, bool verbose) {
    run_options listed = o;
    listed.parallel = true;  // the plan is the parallel schedule
    if (shards && o.shard) throw cli_error("plan: --shards shows every shard; it does not go with --shard", exit_usage);
    prepared p = prepare(a, listed, true);
    if (shards) {
        write_stdout(shards_output(p, shards, json, verbose));
        return exit_ok;
    }
    const schedule s = plan_schedule(p, dynamic_mode(listed, p));
    std::vector<char> planned(p.ids->size(), 0);
    for (auto& b : s.batches)
        for (auto t : b) planned[t] = 1;
    write_stdout(json ? plan_json(p, s, planned) : plan_text(p, s, planned, verbose));
    return exit_ok;
}

int list_tests_command(const app& a, const std::vector<std::string>& filters, const std::vector<std::string>& testargs,
                       bool json) {
    prepared p = prepare_listing(a, testargs);
    ids_t ids = list_tests(a, p);
    apply_filters(ids, filters);
    if (json) {
        nlohmann::json j{{"version", 1}, {"tests", ids}};  // docs/schema/list-tests.json
        try {
            write_stdout(json_text(j, 2, false));
        } catch (const nlohmann::json::exception& e) {
            // As plan --json: an id JSON cannot spell is an error, not a changed id.
            throw cli_error(std::string("list-tests --json: a test id is not valid UTF-8, so JSON cannot carry it (") +
                            e.what() + ")");
        }
        return exit_ok;
    }
    std::string out;
    for (auto& id : ids) (out += id) += '\n';
    write_stdout(out);
    return exit_ok;
}

}  // namespace testr::cli
