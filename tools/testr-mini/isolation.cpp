// tools/testr-mini/isolation.cpp - see isolation.hpp. The steps, the
// probes' order and the table are testrepository's (commands/run.py), so
// the same suite gives the same answer.
#include "isolation.hpp"

#include "prepare.hpp"
#include "run_command.hpp"
#include "ui/report_format.hpp"

namespace testr::cli {

namespace {

/// The tests that ran before `failing` in its worker, in the order they ran.
ids_t prior_tests(const run_summary& run, const std::string& failing) {
    const test_record* f = run.find(failing);
    if (!f) return {};
    ids_t prior;
    for (auto& t : run.tests()) {
        if (t.id == failing) break;
        if (t.worker == f->worker && t.status != subunit::status::exists && t.id != "process-returncode")
            prior.push_back(t.id);
    }
    return prior;
}

bool still_failing(const repo::repository& r, const std::string& id) {
    auto bytes = repo::read_failing(r);
    if (!bytes) throw cli_error(bytes.error().message);
    auto failing = summarize(*bytes);
    if (!failing) throw cli_error("failing: " + failing.error());
    const test_record* t = failing->find(id);
    return t && is_failure(t->status);
}

struct prober {
    const app& a;
    const run_options& o;
    const prepared& base;

    /// Runs `ids` in one runner as a partial run; its exit status.
    int operator()(ids_t ids) const {
        prepared one = base;
        one.ids = std::move(ids);
        one.concurrency = {concurrency_answer::of(1), concurrency_source::option};
        const int rc = run_once(a, o, one);
        if (rc == exit_interrupted) throw cli_error("interrupted during --analyze-isolation", exit_interrupted);
        return rc;
    }
};

}  // namespace

int analyze_isolation(const app& a, const run_options& given) {
    run_options o = given;
    o.failing = true;   // the candidates: what is failing now
    o.partial = true;   // every probe is partial: the failing list keeps the rest
    o.parallel = false; // a probe is one runner, the tests in the order given
    o.random = o.until_failure = o.isolated = o.analyze_isolation = false;
    const prepared p = prepare(a, o);
    const repo::repository& r = *p.repository;
    // Where the causes are looked for: the run before any probe.
    const run_summary latest = stored_summary(r, latest_run(r));
    const prober probe{a, o, p};

    // Stage one: tests that fail on their own are not isolation problems.
    ids_t spurious;
    for (const auto& id : *p.ids) {
        if (probe({id}) != exit_ok) continue;
        // A test the filters kept out did not run, and proves nothing.
        const run_summary alone = stored_summary(r, latest_run(r));
        if (const test_record* t = alone.find(id); t && is_outcome(t->status)) spurious.push_back(id);
    }
    if (spurious.empty()) return exit_ok;

    std::vector<std::vector<std::string>> table{{"failing test", "caused by test"}};
    for (const auto& failure : spurious) {
        const ids_t causes = prior_tests(latest, failure);
        std::optional<std::string> cause;
        std::size_t bottom = 0, top = causes.size(), width = top - bottom;
        while (width) {
            const std::size_t check = (width + 1) / 2;
            ids_t ids(causes.begin() + static_cast<std::ptrdiff_t>(bottom),
                      causes.begin() + static_cast<std::ptrdiff_t>(bottom + check));
            ids.push_back(failure);
            probe(std::move(ids));
            if (still_failing(r, failure)) {
                top = bottom + check;  // the cause is in what ran
                if (width == 1) cause = causes[bottom];
            } else {
                bottom += check;  // in what did not
            }
            width = width == 1 ? 0 : top - bottom;
        }
        table.push_back({failure, cause.value_or("unknown - no conflicts")});
    }
    write_stdout(format_table(table));
    return exit_error;
}

}  // namespace testr::cli
