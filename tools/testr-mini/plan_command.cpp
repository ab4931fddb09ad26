// tools/testr-mini/plan_command.cpp - see plan_command.hpp.
#include "plan_command.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

#include "prepare.hpp"
#include "schedule.hpp"
#include "ui/report_format.hpp"

namespace testr::cli {

namespace {

/// Seconds to the microsecond, so JSON shows 2.200607, not 2.2006069999999998.
double json_seconds(double s) { return std::round(s * 1e6) / 1e6; }

std::string plan_json(const prepared& p, const schedule& s, const std::vector<char>& planned) {
    const ids_t& ids = *p.ids;
    nlohmann::json j;
    j["version"] = 1;  // docs/schema/plan.json
    j["concurrency"] = {{"workers", s.batches.size()},
                        {"source", std::string(to_string(p.concurrency.source))},
                        {"cpus", p.cpu_source}};
    j["method"] = s.method;
    j["predicted_makespan"] = json_seconds(s.predicted_makespan);
    j["history"] = s.known();
    j["guessed_estimates"] = s.guessed;
    if (s.start_cost) j["start_cost"] = json_seconds(*s.start_cost);
    if (s.handoff_cost) j["handoff_cost"] = json_seconds(*s.handoff_cost);
    j["fixed_cost"] = json_seconds(s.fixed_cost());
    j["prestart"] = p.prestart.on ? nlohmann::json{{"on", true}} : nlohmann::json{{"on", false}, {"why", p.prestart.why}};
    if (!s.why_static.empty()) j["no_queue"] = s.why_static;
    nlohmann::json workers = nlohmann::json::array();
    for (std::size_t w = 0; w < s.batches.size(); ++w) {
        nlohmann::json tests = nlohmann::json::array();
        for (auto i : s.batches[w]) tests.push_back({{"id", ids[i]}, {"estimate", json_seconds(s.estimates[i])}});
        workers.push_back({{"worker", w}, {"predicted_seconds", json_seconds(s.predicted[w])}, {"tests", tests}});
    }
    j["workers"] = workers;
    nlohmann::json queue = nlohmann::json::array();
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (!planned[i]) queue.push_back({{"id", ids[i]}, {"estimate", json_seconds(s.estimates[i])}});
    j["queue"] = queue;
    try {
        return j.dump(2) + "\n";
    } catch (const nlohmann::json::exception& e) {
        // JSON strings are Unicode: an id that is not UTF-8 has no spelling.
        throw cli_error(std::string("plan --json: a test id is not valid UTF-8, so JSON cannot carry it (") + e.what() + ")");
    }
}

std::string plan_text(const prepared& p, const schedule& s, const std::vector<char>& planned) {
    const ids_t& ids = *p.ids;
    std::string method = s.method;
    if (!s.why_static.empty()) method += "; no queue: " + s.why_static;
    std::string out = "Plan: " + std::to_string(ids.size()) + " tests on " + std::to_string(s.batches.size()) +
                      " workers (" + std::string(to_string(p.concurrency.source)) + "), predicted " +
                      s.predicted_text() + " (" + method + ")";
    if (s.guessed) out += "; " + std::to_string(s.guessed) + " without history, estimated from their neighbours";
    out += "\n";
    if (p.concurrency.source == concurrency_source::cpu_count && !p.cpu_source.empty())
        out += "CPUs: " + p.cpu_source + "\n";
    if (s.start_cost) out += s.cost_model() + "\n";
    if (!p.prestart.on) out += "Runners not pre-started: " + p.prestart.why + "\n";
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

}  // namespace

int plan_tests(const app& a, const run_options& o, bool json) {
    run_options listed = o;
    listed.parallel = true;  // the plan is the parallel schedule
    prepared p = prepare(a, listed, true);
    const schedule s = plan_schedule(p, dynamic_mode(listed, p));
    std::vector<char> planned(p.ids->size(), 0);
    for (auto& b : s.batches)
        for (auto t : b) planned[t] = 1;
    write_stdout(json ? plan_json(p, s, planned) : plan_text(p, s, planned));
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
            write_stdout(j.dump(2) + "\n");
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
