// tools/testr-mini/main.cpp - the command line: parse, dispatch, turn
// errors into messages and exit codes. Everything else lives in the
// commands' files, the adapters and the core.
#include <CLI/CLI.hpp>

#include <testr/version.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include "app.hpp"
#include "history_command.hpp"
#include "isolation.hpp"
#include "report_commands.hpp"
#include "plan_command.hpp"
#include "plan_compare.hpp"
#include "run_command.hpp"
#include "timeline_command.hpp"
#include "times_command.hpp"
#include "upgrade_command.hpp"
#include "ui/help_text.hpp"
#include "signals.hpp"
#include "run_flags.hpp"
#include "stestr_options.hpp"

namespace {

using namespace testr::cli;

// Beside each --junit.
void add_junit_schema(CLI::App* cmd, app& a) {
    cmd->add_option("--junit-schema", a.junit_schema,
                    "full (default: what GitLab, CircleCI and Jenkins read) or jenkins (strictly valid under "
                    "Jenkins' JUnit schema; docs/reports.md)")
        ->check(CLI::IsMember({"full", "jenkins"}));
}

/// A closed 0, 1 or 2 would be the lowest free descriptor, so the next file
/// opened (the run being stored) would get it, and what is written to
/// stdout would land in the repository. Each is held by /dev/null opened
/// the wrong way round: reading a closed stdin and writing a closed stdout
/// still fail with EBADF, as they would have.
void hold_closed_standard_fds() {
    for (int fd = 0; fd <= 2; ++fd)
        if (::fcntl(fd, F_GETFD) < 0 && errno == EBADF) ::open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
}

void add_common(CLI::App* cmd, app& a) {
    cmd->add_option("-d,--here", a.here, "Directory the command runs from (default: the current one)");
    cmd->add_flag("-q,--quiet", a.quiet, "Only the primary output and errors");
}

int testr_mini(int argc, char** argv) {
    hold_closed_standard_fds();
    // A closed pipe (`| head`) is an error value, not a death.
    std::signal(SIGPIPE, SIG_IGN);

    // Everything after `--` goes to the test command, untouched by CLI11.
    std::vector<std::string> args(argv + 1, argv + argc), testargs;
    if (auto dd = std::find(args.begin(), args.end(), "--"); dd != args.end()) {
        testargs.assign(dd + 1, args.end());
        args.erase(dd, args.end());
    }

    app a;
    a.here = ".";
    run_options ro;
    stestr_selection stestr;
    bool json = false, subunit = false, list = false, partial = false, force_init = false, all = false;
    bool full_results = false, version = false;
    std::vector<std::string> streams, filters;
    std::string help_topic;

    CLI::App cli{"testr-mini: a fast, drop-in runner for testrepository (.testr.conf) projects", "testr-mini"};
    cli.require_subcommand(0, 1);
    cli.fallthrough();
    add_common(&cli, a);
    cli.add_flag("--version", version, "Print the version");
    cli.set_help_flag("-h,--help", "Show help");

    auto* init = cli.add_subcommand("init", "Create a new repository");
    auto* run = cli.add_subcommand("run", "Run the tests of a project and load them into the repository");
    add_run_options(run, ro, full_results);
    add_selection_options(run, ro, stestr);
    run->add_option("--events", ro.events, "Write the run's events as JSON Lines to this file, or - for stdout "
                                           "(instead of the usual output), as they happen (docs/reports.md)");
    run->add_option("--junit", ro.junit, "Write a JUnit XML report to this file, rewritten during the run "
                                         "(docs/reports.md)")
        // Its probes are runs of a few tests each, the same ones again and
        // again: no report of them would say what the suite did.
        ->excludes("--analyze-isolation");
    add_junit_schema(run, a);
    run->footer("Arguments after `--` are appended to test_command, each shell-quoted.\n"
                "Exit status: 0 all passed, 1 a test failed or never ran, 4 stored but its durations not\n"
                "saved (a warning says why), 130 interrupted (the completed tests are kept as a partial run, or\n"
                "the whole run when the interrupt came while it was stored);\n"
                "with --subunit 0 once the stream is written (4 as above).");
    auto* plan = cli.add_subcommand("plan", "Show how run would split the tests over workers (runs nothing)");
    add_selection_options(plan, ro, stestr);
    plan->add_flag("--parallel", ro.parallel, "Accepted as `run` takes it: the plan is always the parallel schedule");
    plan->add_flag("--json", json, "Machine-readable output");
    unsigned shards = 0;
    plan->add_option("--shards", shards, "Show the CI split over N shards (each shard's tests and predicted time) "
                                         "instead of the workers'")
        ->check(CLI::PositiveNumber);
    bool verbose = false;
    plan->add_flag("-v,--verbose", verbose, "Also the internal names: partition method, the limit that kept no "
                                            "queue, how the CPUs were counted");
    bool compare = false;
    double noise = 0.3;
    add_compare_options(plan, compare, noise);
    auto* last = cli.add_subcommand("last", "Show the last run loaded into the repository");
    last->add_flag("--subunit", subunit, "Show output as a subunit v2 stream");
    bool stray = false;
    last->add_flag("--stray", stray,
                   "With --subunit: also the runner's output outside any test (stored as `stdout` events of no test; "
                   "testr's runs have none, and subunit2junitxml would copy them before its XML)");
    std::string timeline;
    std::optional<unsigned> run_id;
    last->add_option("--timeline", timeline,
                     "Draw the run as an SVG timeline (one lane per worker, one bar per test) into this file");
    std::string junit;
    last->add_flag("--json", json, "One JSON document: counts and failures (docs/schema/run.json)");
    last->add_option("--junit", junit, "Write the run as a JUnit XML report to this file (docs/reports.md)");
    add_junit_schema(last, a);
    last->add_option("--id", run_id, "The stored run to show, draw or report (default: the latest)");
    last->footer("Exit status: 0 the run passed, 1 a test failed, or tests never ran, runners could not start or\n"
                 "shards never reported (as `run` or `load` said when it stored the run); with --subunit 0 once\n"
                 "the stream is written.");
    auto* failing = cli.add_subcommand("failing", "Show the current failures known by the repository");
    failing->add_flag("--subunit", subunit, "Show output as a subunit v2 stream");
    failing->add_flag("--list", list, "Show only a list of failing tests");
    failing->add_flag("--json", json, "One JSON document: counts and failures (docs/schema/run.json)");
    auto* load = cli.add_subcommand("load", "Load subunit streams (files, or stdin) into the repository");
    load->add_flag("--partial", partial, "The stream being loaded was a partial run");
    load->add_flag("--force-init", force_init, "Initialise the repository if it does not exist already");
    load->add_flag("--subunit", subunit, "Display results as a subunit v2 stream");
    load->add_flag("--full-results", full_results, "No-op, kept for compatibility");
    load->add_option("--junit", junit, "Write what is loaded as a JUnit XML report to this file");
    add_junit_schema(load, a);
    shard_options shard;
    load->add_flag("--shards", shard.shards,
                   "Each input is one shard: a stream file (a CI job's `run --subunit`) or a project directory "
                   "(its repository's latest run); one run, events tagged shard-K beside their worker-N, K as "
                   "the stream's `run --shard` marker says (else its position, from 1); a shard that never "
                   "reported is named");
    load->add_option("--expect-ids", shard.expect_ids,
                     "With --shards: the whole suite's ids (one per line, or a listing stream); those in no "
                     "shard's stream are listed as never run");
    load->add_flag("--expect-listed", shard.expect_listed,
                   "With --shards: the whole suite's ids from the project's test listing (test_list_option)");
    load->add_option("streams", streams, "Subunit v2 stream files (default: stdin)");
    auto* list_tests = cli.add_subcommand("list-tests", "List the tests of a project");
    list_tests->add_option("testfilters", filters, "Regular expressions selecting tests");
    list_tests->add_flag("--json", json, "One JSON document (docs/schema/list-tests.json)");
    auto* slowest = cli.add_subcommand("slowest", "Show the slowest tests of the last run");
    slowest->add_flag("--all", all, "Show timing for all tests");
    slowest->add_flag("--json", json, "One JSON document (docs/schema/slowest.json)");
    auto* stats = cli.add_subcommand("stats", "Report figures about the repository");
    auto* upgrade = cli.add_subcommand("upgrade", "Convert testrepository's .testrepository (format 1) to format 2 "
                                                  "in place (or make one from stestr's .stestr, left as it is), "
                                                  "keeping run ids, events, failures and durations");
    stats->add_flag("--json", json, "One JSON document (docs/schema/stats.json)");
    auto* times = cli.add_subcommand("times", "Export the repository's test durations to a file, or import such files");
    times->require_subcommand(1, 1);
    std::string times_file;
    std::vector<std::string> times_files;
    auto* times_export = times->add_subcommand("export", "Write the durations to FILE (the store's own format, "
                                                         "docs/timesdb.md), atomically; - for stdout");
    times_export->add_option("file", times_file, "The file to write")->required();
    auto* times_import = times->add_subcommand("import", "Merge exported duration files into the repository's: "
                                                         "per test, the record that has seen more runs wins "
                                                         "(on a tie, the later file); all files or nothing");
    times_import->add_option("files", times_files, "Files written by `times export` (or a times.tsv)")->required();
    times_import->add_flag("--force-init", force_init, "Initialise the repository if it does not exist already");
    times->footer("A fresh checkout plans with a file's timings when .testr.conf names it:\n"
                  "  test_times_file=ci-times.tsv   (relative to the project; repository history wins)\n");
    // stestr's `history`, its words and meaning.
    auto* history = cli.add_subcommand("history", "The runs in the repository (stestr's spelling): list, show, remove");
    history->require_subcommand(1);
    auto* history_list_cmd = history->add_subcommand("list", "A table of the stored runs: id, passed, runtime, date");
    std::string history_format = "table";
    history_list_cmd->add_option("-f,--format", history_format, "table (default), csv or value, as stestr's")
        ->check(CLI::IsMember({"table", "csv", "value"}));
    auto* history_show = history->add_subcommand("show", "Show one stored run (default: the latest), as `last --id`");
    history_show->add_option("run_id", run_id, "The run to show");
    history_show->add_flag("--subunit", subunit, "Show output as a subunit v2 stream");
    auto* history_remove_cmd = history->add_subcommand("remove", "Remove a run from the repository");
    std::string remove_which;
    history_remove_cmd->add_option("run_id", remove_which, "The run id, or all")->required();
    auto* help = cli.add_subcommand("help", "Help on a command");
    help->add_option("command", help_topic, "The command");
    auto* commands = cli.add_subcommand("commands", "List the commands");
    auto* quick = cli.add_subcommand("quickstart", "Starter documentation");
    for (auto* sub : cli.get_subcommands({})) add_common(sub, a);
    add_common(times_export, a);
    add_common(times_import, a);
    for (auto* sub : history->get_subcommands({})) add_common(sub, a);

    try {
        std::reverse(args.begin(), args.end());
        cli.parse(args);
    } catch (const CLI::ExtrasError& e) {
        // An option of another command: say whose it is, not only that it is unexpected.
        std::reverse(args.begin(), args.end());
        for (auto* given : cli.get_subcommands()) {
            for (const auto& arg : args) {
                if (arg.rfind("--", 0) != 0 || arg == "--") continue;
                const std::string name = arg.substr(0, arg.find('='));
                if (given->get_option_no_throw(name)) continue;
                std::string owners;
                for (auto* other : cli.get_subcommands({}))
                    if (other != given && other->get_option_no_throw(name))
                        owners += (owners.empty() ? "" : ", ") + other->get_name();
                if (owners.empty()) continue;
                std::fprintf(stderr, "testr-mini: %s does not take %s (an option of %s); testr-mini help %s lists its own\n",
                             given->get_name().c_str(), name.c_str(), owners.c_str(), given->get_name().c_str());
                return exit_usage;
            }
        }
        return cli.exit(e) == 0 ? exit_ok : exit_usage;
    } catch (const CLI::ParseError& e) {
        // --help: 0; every usage error: 2, as testr (CLI11's own codes are 100+).
        return cli.exit(e) == 0 ? exit_ok : exit_usage;
    }

    try {
        if (version) { std::printf("testr-mini %s\n", testr::version_string); return exit_ok; }
        if (*init) return init_command(a);
        ro.testargs = testargs;
        read_stestr_selection(stestr, ro);
        // While runners or listings run, Ctrl-C and SIGTERM are handled by
        // the process loop: children stopped, results kept.
        if (*run && ro.events == "-") a.quiet = true;  // stdout carries the events alone
        if (*run) offer_upgrade(a);
        if (*run && ro.analyze_isolation) { testr::process::interrupt_guard guard; return analyze_isolation(a, ro); }
        if (*run) { testr::process::interrupt_guard guard; return run_tests(a, ro); }
        if (*plan && compare) { testr::process::interrupt_guard guard; return plan_compare(a, ro, json, noise); }
        if (*plan) { testr::process::interrupt_guard guard; return plan_tests(a, ro, json, shards, verbose); }
        if (*last && !timeline.empty()) return timeline_command(a, timeline, run_id);
        if (*last) return last_command(a, subunit, junit, run_id, json, stray);
        if (*failing) return failing_command(a, subunit, list, json);
        if (*load && (shard.expect_ids || shard.expect_listed) && !shard.shards)
            throw cli_error("--expect-ids and --expect-listed go with --shards", exit_usage);
        if (*load) {
            testr::process::interrupt_guard guard;  // --expect-listed runs the listing
            shard.testargs = testargs;
            return load_command(a, streams, partial, force_init, subunit, junit, shard);
        }
        if (*times_export) return times_export_command(a, times_file);
        if (*times_import) return times_import_command(a, times_files, force_init);
        if (*list_tests) { testr::process::interrupt_guard guard; return list_tests_command(a, filters, testargs, json); }
        if (*slowest) return slowest_command(a, all, json);
        if (*stats) return stats_command(a, json);
        if (*upgrade) return upgrade_command(a);
        if (*history_list_cmd) return history_list(a, history_format);
        if (*history_show) return last_command(a, subunit, {}, run_id);
        if (*history_remove_cmd) return history_remove(a, remove_which);
        if (*quick) { std::fputs(quickstart, stdout); return exit_ok; }
        if (*help && !help_topic.empty()) {
            for (auto* sub : cli.get_subcommands({}))
                if (sub->get_name() == help_topic) { std::fputs(sub->help().c_str(), stdout); return exit_ok; }
            std::fprintf(stderr, "testr-mini: no such command '%s'\n", help_topic.c_str());
            return exit_usage;
        }
        (void)commands;
        std::fputs(overview, stdout);
        return exit_ok;
    } catch (const cli_error& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "testr-mini: %s\n", e.what());
        return e.code;
    }
}

}  // namespace

int main(int argc, char** argv) {
    // Whatever escapes, from setting up the options as from a command, is
    // a bug: said, and exit 3, not an abort.
    try {
        return testr_mini(argc, argv);
    } catch (const std::exception& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "testr-mini: internal error: %s\n", e.what());
        return exit_error;
    } catch (...) {
        std::fflush(stdout);
        std::fprintf(stderr, "testr-mini: internal error: unknown exception\n");
        return exit_error;
    }
}
