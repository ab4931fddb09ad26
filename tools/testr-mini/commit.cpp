// tools/testr-mini/commit.cpp - see commit.hpp.
#include "commit.hpp"

#include <cstdio>

#include "app.hpp"

namespace testr::cli {

repo::committed_run commit_run(const run_options& o, const repo::repository& r, repo::run_writer& writer,
                               const engine_report& report, const prestart_report* prestarted) {
    const bool partial = o.partial || o.failing || o.isolated || report.interrupts > 0 || !report.never_run().empty();
    auto committed = writer.commit(partial);
    if (!committed) {
        if (auto id = writer.committed())
            // Past the commit point: the run is there, only its durations are not.
            std::fprintf(stderr, "testr-mini: warning: run %u was stored, but %s\n", *id, committed.error().message.c_str());
        else
            throw cli_error("the run could not be stored: " + committed.error().message);
    }
    // A pre-started runner's first output comes a hand-out after its tests;
    // its start is the time it took to open its pipe.
    const bool piped = prestarted && prestarted->refused.empty();
    auto remember = [&](const std::vector<double>& samples, repo::runner_cost kind) {
        if (auto ok = repo::record_start_cost(r, samples, kind); !ok)
            std::fprintf(stderr, "testr-mini: warning: %s\n", ok.error().message.c_str());
    };
    remember(report.start_costs, piped ? repo::runner_cost::handoff : repo::runner_cost::start);
    if (piped) {
        remember(prestarted->ready_after, repo::runner_cost::start);
        remember(prestarted->ready_cpu, repo::runner_cost::start_cpu);
    }
    return committed ? *committed : repo::committed_run{*writer.committed()};
}

}  // namespace testr::cli
