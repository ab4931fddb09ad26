// tools/testr-mini/commit.cpp - see commit.hpp.
#include "commit.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <sys/stat.h>

#include "app.hpp"
#include "atomic_file.hpp"
#include "file_lock.hpp"
#include "runner_commands.hpp"
#include "signals.hpp"
#include "subunit_v2.hpp"
#include "timesdb.hpp"

namespace testr::cli {

void clean_leftovers(bool quiet, const repo::repository& r) {
    auto notes = repo::recover_leftovers(r);
    if (!notes) {
        const int code = notes.error().code == repo::repo_errc::interrupted ? exit_interrupted : exit_error;
        throw cli_error("cannot store a run in " + r.path() + ": " + notes.error().message, code);
    }
    for (const std::string& dir : remove_dead_id_dirs())
        notes->push_back("removed the id files of a run killed before it could (" + dir + ")");
    for (const std::string& dir : remove_dead_private_dirs(temp_root(), pipe_dir_prefix))
        notes->push_back("removed the id pipes of a run killed before it could (" + dir + ")");
    if (!quiet)
        for (const std::string& note : *notes) std::fprintf(stderr, "testr-mini: note: %s\n", note.c_str());
    // The durations are saved after the commit point; a store that cannot
    // take them is said now, while the user can still stop the run.
    // Nothing is created here (a missing lock is the commit's to make), and
    // testr's own repository is never written to.
    if (r.format == 1) return;
    const std::string times = r.file(timesdb::file_name), times_lock = times + ".lock";
    std::string problem;
    struct stat st {};
    if (::lstat(times_lock.c_str(), &st) == 0)
        if (auto lock = lock_file(times_lock); !lock) {
            // Stopped while another process held it: the user asked to stop
            // before anything began, not for a run without durations.
            if (lock.error().code == EINTR)
                throw cli_error(lock.error().message() + "; nothing was stored", exit_interrupted);
            problem = lock.error().message();
        }
    if (problem.empty() && ::lstat(times.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        problem = "'" + times + "' is not a regular file";
    if (!problem.empty())
        std::fprintf(stderr, "testr-mini: warning: this run's results can be stored, but not its durations: %s\n",
                     problem.c_str());
}

cli_error not_stored(const char* what, const std::string& why, int code) {
    return cli_error(std::string("the ") + what + " could not be stored (nothing of it was kept; the repository is as it was): " +
                         why,
                     code);
}

std::string unrun_failures(const std::vector<std::string_view>& ids, const std::string& why) {
    std::string out;
    subunit::event e;
    e.test_status = subunit::status::fail;
    e.time = subunit::to_timestamp(std::chrono::system_clock::now());
    e.file_name = "traceback";
    e.mime_type = "text/plain;charset=utf8";
    e.file_bytes = "testr-mini: this test never ran: " + why +
                   ". It stays in the failing list until a run reports it; `testr-mini run --failing` runs it.\n";
    e.eof = true;
    for (std::string_view id : ids) {
        e.test_id = std::string(id);
        if (!subunit::encode(e, out))
            throw cli_error("cannot encode the failure of a test that never ran: " + e.test_id.value());
    }
    return out;
}

stored_run store_run(repo::run_writer& writer, bool partial, const char* what, const run_extras& extras) {
    auto committed = writer.commit(partial, extras.missed, extras.retried, extras.unrun);
    if (committed) return {committed->id, false};
    const auto id = writer.committed();
    if (!id) {
        const repo::repo_error& e = committed.error();
        const int code = e.code == repo::repo_errc::interrupted ? exit_interrupted : exit_error;
        throw not_stored(what, e.message, code);
    }
    // Past the commit point: the run is there, only its durations are not.
    // Storing it again would keep it twice, so the user is told not to.
    std::fprintf(stderr,
                 "testr-mini: warning: run %u was stored (its results and the failing list), but its durations were "
                 "not saved: %s; the next runs schedule without them (do not store this run again)\n",
                 *id, committed.error().message.c_str());
    return {*id, true};
}

stored_run commit_run(const run_options& o, const repo::repository& r, repo::run_writer& writer,
                      const engine_report& report, const std::vector<std::string>& ids,
                      const prestart_report* prestarted) {
    const std::vector<std::size_t> never_run = report.never_run();
    const bool partial = o.partial || o.failing || o.isolated || report.interrupts > 0 || !never_run.empty();
    run_extras extras{{never_run.size(), report.start_errors.size()}, report.retried() != 0, {}};
    // An interrupted run's unstarted tests were the user's choice, not a fault.
    for (const auto& [reason, why] : {std::pair{not_run_reason::not_started, "no runner could be started for it"},
                                      std::pair{not_run_reason::runner_ended, "its runners ended before reaching it"},
                                      std::pair{not_run_reason::unreported, "its runner exited without reporting it"}}) {
        std::vector<std::string_view> these;
        for (std::size_t i : never_run)
            if (report.tests[i].not_run == reason && i < ids.size()) these.push_back(ids[i]);
        if (!these.empty()) extras.unrun += unrun_failures(these, why);
    }
    const stored_run stored = store_run(writer, partial, "run", extras);
    // A pre-started runner's first output comes a hand-out after its tests;
    // its start is the time it took to open its pipe.
    const bool piped = prestarted && prestarted->refused.empty();
    auto remember = [&](const std::vector<double>& samples, repo::runner_cost kind) {
        if (auto ok = repo::record_start_cost(r, samples, kind); !ok)
            std::fprintf(stderr, "testr-mini: warning: %s\n", ok.error().message.c_str());
    };
    remember(report.start_costs, piped ? repo::runner_cost::handoff : repo::runner_cost::start);
    if (report.between_gaps > 0)
        remember({report.between_tests / static_cast<double>(report.between_gaps)}, repo::runner_cost::between_tests);
    if (piped) {
        remember(prestarted->ready_after, repo::runner_cost::start);
        remember(prestarted->ready_cpu, repo::runner_cost::start_cpu);
    }
    return stored;
}

int stored_exit_status(int verdict, const stored_run& stored, unsigned interrupts_before) {
    if (verdict == exit_interrupted) return verdict;  // the run itself was cut, and said so
    if (process::count_pending_interrupts() != interrupts_before) {
        std::fprintf(stderr, "testr-mini: interrupted (%s) while storing the run: run %u is stored whole\n",
                     process::signal_name(process::last_interrupt_signal()).c_str(), stored.id);
        return exit_interrupted;
    }
    return verdict == exit_ok && stored.durations_lost ? exit_durations_lost : verdict;
}

}  // namespace testr::cli
