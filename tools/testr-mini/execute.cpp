// tools/testr-mini/execute.cpp - see execute.hpp.
#include "execute.hpp"

#include <cstdio>
#include <optional>

#include "commit.hpp"
#include "events_output.hpp"
#include "junit_output.hpp"
#include "process_backend.hpp"
#include "runner_commands.hpp"
#include "shard_split.hpp"
#include "stream_sink.hpp"
#include "ui/console.hpp"
#include "ui/progress.hpp"

namespace testr::cli {

bool shows_progress(const app& a, const run_options& o) { return !o.subunit && !a.quiet && o.events != "-"; }

namespace {
unsigned config_retries(const run_options& o, bool whole_suite) { return whole_suite ? 0 : o.retries; }
}  // namespace

engine_report execute(const app& a, const run_options& o, const prepared& p, const schedule& s, const ids_t& ids,
                      repo::run_writer& writer, run_summary& summary, const run_reports& reports,
                      prestart_backend* prestarted) {
    const bool whole_suite = !p.ids;
    const bool show = shows_progress(a, o);
    double work = 0;
    for (std::size_t i = 0; i < s.estimates.size(); ++i) work += s.cost(i);
    std::size_t used = 0;
    for (auto& b : s.batches) used += !b.empty();
    progress_line progress(show && smart_terminal(), ids.size(), work, std::max<std::size_t>(1, used),
                           std::max(0.0, s.fixed_cost() - s.listing));
    progress.phase("starting runners");

    const std::string shard_tag = p.shard ? "shard-" + std::to_string(p.shard->spec.index) : "";
    stream_sink sink(writer, &summary, o.subunit, shard_tag);
    if (p.shard) announce_shard(p, sink);  // first, even when the share is empty
    console screen(show, summary, ids, s.estimates, progress, shard_tag);
    observer_list observers;
    observers.add(sink);  // stored and folded before anyone reads the summary
    std::unique_ptr<junit_report> own_junit;
    if (!reports.junit && !o.junit.empty()) own_junit = make_junit(a, o.junit, true);
    junit_report* junit = reports.junit ? reports.junit : own_junit.get();
    if (junit) junit->set_shard(shard_tag);
    if (junit) observers.add(*junit);
    events_output* lines = reports.events;
    if (lines) {
        lines->begin(ids);
        observers.add(*lines);
    }
    observers.add(screen);

    runner_commands commands(a, p, ids);
    auto build = [&](unsigned slot, std::span<const std::size_t> tests, bool whole) {
        return commands.build(slot, tests, whole);
    };
    std::optional<process_backend> plain;
    runner_backend* backend = prestarted;
    if (prestarted) {
        prestarted->set_plain(build, [&](std::span<const std::size_t> tests) { return commands.id_text(tests); });
        // A slot that runs one runner wastes a spare's start; chunks and retries use it.
        prestarted->keep_spares(s.dynamic != nullptr || config_retries(o, whole_suite) > 0);
    } else {
        backend = &plain.emplace(build);
    }
    engine_config config;
    config.timeout = p.timeout;
    config.retries = config_retries(o, whole_suite);
    chunk_source chunks;
    if (s.dynamic) {
        chunks.next_chunk = [&](unsigned slot, double now) { return s.dynamic->next_chunk(slot, now); };
        // The schedule's estimates carry the time between tests; so must what it is shown.
        chunks.observed = [&](std::size_t test, double seconds) { s.dynamic->observed(test, seconds + s.between_tests); };
    }
    run_engine engine(ids, s.estimates, s.batches.size(), *backend, observers, config);
    observers.on(events::run_started{ids.size(), s.batches.size(), s.predicted_makespan});
    auto report = engine.run(s.batches, chunks, whole_suite);
    if (prestarted) prestarted->set_plain({}, {});  // `commands` ends here
    progress.clear();
    if (!report) {
        writer.abandon();
        throw cli_error("the run failed: " + report.error().message);
    }
    if (lines) {
        lines->finished(*report);
        lines->say_error();
    }
    // A report lost is said, the run stored all the same. A shared one is
    // written by its owner once its runs are done (and meanwhile as results come).
    if (own_junit) finish_junit(*own_junit, o.junit);
    if (sink.store_error()) {
        writer.abandon();
        throw not_stored("run", *sink.store_error());
    }
    if (sink.stdout_error()) std::fprintf(stderr, "testr-mini: %s; the run is stored all the same\n", sink.stdout_error()->c_str());
    return std::move(*report);
}

}  // namespace testr::cli
