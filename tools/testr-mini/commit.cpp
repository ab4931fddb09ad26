// tools/testr-mini/commit.cpp - see commit.hpp.
#include "commit.hpp"

#include <cstdio>

#include "app.hpp"

namespace testr::cli {

repo::committed_run commit_run(const run_options& o, const repo::repository& r, repo::run_writer& writer,
                               const engine_report& report) {
    const bool partial = o.partial || o.failing || o.isolated || report.interrupts > 0 || !report.never_run().empty();
    auto committed = writer.commit(partial);
    if (!committed) {
        if (auto id = writer.committed())
            // Past the commit point: the run is there, only its durations are not.
            std::fprintf(stderr, "testr-mini: warning: run %u was stored, but %s\n", *id, committed.error().message.c_str());
        else
            throw cli_error("the run could not be stored: " + committed.error().message);
    }
    if (auto ok = repo::record_start_cost(r, report.start_costs); !ok)
        std::fprintf(stderr, "testr-mini: warning: %s\n", ok.error().message.c_str());
    return committed ? *committed : repo::committed_run{*writer.committed()};
}

}  // namespace testr::cli
