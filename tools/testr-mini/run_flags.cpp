// tools/testr-mini/run_flags.cpp - see run_flags.hpp.
#include "run_flags.hpp"

namespace testr::cli {

void add_selection_options(CLI::App* cmd, run_options& o, stestr_selection& stestr) {
    cmd->add_option("--concurrency", o.concurrency,
                    "How many processes to use (default: test_run_concurrency, else the usable CPUs)");
    cmd->add_flag("--failing", o.failing, "Only tests known to be failing");
    cmd->add_option("--load-list", o.load_list, "Only tests listed in the named file");
    cmd->add_option("--schedule", o.schedule,
                    "dynamic (default): planned batches, then the rest handed out in chunks, each a fresh "
                    "runner, as workers fall idle; static: one runner per worker, as testr, time-balanced")
        ->check(CLI::IsMember({"dynamic", "static"}));
    cmd->add_option("--shard", o.shard,
                    "INDEX/TOTAL (INDEX from 1): only this CI shard's tests, split by recorded time the same way "
                    "on every machine (run: default from CI_NODE_INDEX/CI_NODE_TOTAL, CIRCLE_NODE_*, "
                    "BUILDKITE_PARALLEL_JOB*, JOB_COMPLETION_INDEX, TEST_SHARD_INDEX; docs/ci.md)");
    cmd->add_option("--shard-total", o.shard_total,
                    "Number of shards for JOB_COMPLETION_INDEX (Kubernetes), which gives no total "
                    "(default: shard_total in .testr.conf)")
        ->check(CLI::PositiveNumber);
    add_stestr_selection_options(cmd, stestr);
    cmd->add_flag("--no-prestart{false}", o.prestart,
                  "Start each runner only when its tests are known, with a plain id file (default: runners that "
                  "read $IDFILE start ahead, reading a pipe; docs/prestart.md)");
    cmd->add_option("testfilters", o.filters, "Regular expressions: tests whose id any of them finds");
}

void add_run_options(CLI::App* cmd, run_options& o, bool& full_results) {
    cmd->add_flag("--parallel", o.parallel, "Run tests in parallel processes");
    cmd->add_flag("--partial", o.partial, "Only some tests will be run (implied by --failing)");
    cmd->add_flag("--subunit", o.subunit, "Write results as a subunit v2 stream to stdout");
    cmd->add_flag("--until-failure", o.until_failure,
                  "Repeat the run until a test fails (with --isolated: each test alone, until it fails)");
    cmd->add_flag("--isolated", o.isolated, "Run each test id in a separate test runner");
    cmd->add_option("--timeout", o.timeout,
                    "Per-test limit in seconds: a test over it fails and its runner is stopped; outside tests "
                    "a runner may be quiet this long, and at least 10 s "
                    "(default: test_timeout in .testr.conf, else none)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--retries", o.retries, "Re-run failing tests up to N times, each in a fresh runner; "
                                            "one that then passes is reported as flaky");
    cmd->add_flag("--fail-on-flaky", o.fail_on_flaky, "A test that passed only on retry fails the run");
    cmd->add_flag("--full-results", full_results, "No-op, kept for compatibility");
    add_stestr_run_options(cmd, o);
    cmd->get_option("--serial")->excludes("--parallel");
    cmd->add_flag("--analyze-isolation", o.analyze_isolation,
                  "For each failing test that passes alone, bisect the tests that ran before it in its worker "
                  "to the one that makes it fail (testr's search; prints a table, exit 3 when it finds any), then "
                  "the smallest set of those tests that makes it fail");
}


void add_compare_options(CLI::App* plan, bool& compare, double& noise) {
    auto* c = plan->add_flag("--compare", compare,
                             "Instead of the plan: compat, LPT, Karmarkar-Karp, MULTIFIT, balanced and the dynamic "
                             "schedule on this suite's estimates, predicted and under noise (docs/api.md)");
    c->excludes("--shards")->excludes("--verbose");
    plan->add_option("--noise", noise, "With --compare: each test really takes its estimate x exp(N(0, SIGMA)) in "
                                       "the noisy column (default 0.3)")
        ->check(CLI::NonNegativeNumber)
        ->needs(c);
}

}  // namespace testr::cli
