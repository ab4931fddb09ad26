"""End-to-end tests of the built testr-mini binary (TESTR_MINI).

Every test gets a fresh project directory whose test command is
tests/e2e/fake_runner.py (subunit v2 written by python-subunit), or a tiny
real unittest package run through `python3 -m subunit.run`. Streams that
testr-mini writes are read back with python-subunit and subunit's tools.
"""
import datetime
import json
import re
import os
import signal
import subprocess
import sys
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import PY, Project, alive, encode, read_stream, summary_counts, wait_for  # noqa: E402

USAGE, FAILED, ERROR, INTERRUPTED = 2, 1, 3, 130


def stored(project, *args):
    """The last run as python-subunit reads it."""
    return read_stream(project.run("last", "--subunit", *args, check_rc=0).stdout)


class InitHelpUsage(unittest.TestCase):
    def test_init_makes_a_format_2_repository_once(self):
        p = Project(self)
        p.out("init")
        self.assertEqual(p.read(".testrepository/format"), "2\n")
        again = p.run("init", check_rc=ERROR)
        self.assertIn(".testrepository", again.stderr.decode())
        self.assertEqual(p.stats(), {"runs": "0"})

    def test_help_and_usage_errors(self):
        p = Project(self)
        overview = p.out("help")
        for command in ("init", "run", "plan", "last", "failing", "load", "list-tests", "slowest", "stats"):
            self.assertRegex(overview, r"(?m)^  %s " % command)
        self.assertIn("--until-failure", p.out("help", "run"))
        self.assertIn("--force-init", p.out("help", "load"))
        self.assertIn("--parallel", p.out("run", "--help"))
        self.assertIn("testr-mini init", p.out("quickstart"))
        p.out("commands")
        self.assertIn("no such command", p.run("help", "frobnicate", check_rc=USAGE).stderr.decode())
        p.run("run", "--no-such-option", check_rc=USAGE)
        p.run("run", "--concurrency", "many", check_rc=USAGE)
        p.run("frobnicate", check_rc=USAGE)
        p.run("load", "no-such-file", check_rc=USAGE)

    def test_help_lists_every_command_the_parser_knows(self):
        p = Project(self)
        overview = p.out("help")
        listed = re.findall(r"(?m)^  ([a-z-]+)  ", overview)
        known = re.findall(r"(?m)^  ([a-z-]+)\s", p.out("--help").split("Subcommands:")[-1])
        self.assertEqual(listed, known)  # the same commands, in the same order

    def test_each_command_accepts_only_its_own_options(self):
        p = Project(self)
        p.fake([("a", "pass")])
        p.out("init")
        for option in ("--subunit", "--until-failure", "--isolated", "--partial", "--timeout=1", "--retries=1"):
            r = p.run("plan", option, check_rc=USAGE)
            self.assertIn(option.split("=")[0], r.stderr.decode())
        p.run("slowest", "--list", check_rc=USAGE)

    def test_commands_without_a_repository_fail_with_3(self):
        p = Project(self)
        p.fake([("a", "pass")])
        for command in (["last"], ["failing"], ["slowest"], ["stats"], ["run"], ["load"]):
            err = p.run(*command, input=b"", check_rc=ERROR).stderr.decode()
            self.assertIn("No repository found", err, command)
        self.assertEqual(p.ran(), [], "run must not start the tests without a repository")


class Run(unittest.TestCase):
    def setUp(self):
        self.p = Project(self)
        self.p.out("init")

    def test_exit_codes_summary_and_failing_follow_the_results(self):
        p = self.p
        p.fake([("t.a", "pass"), ("t.b", "pass"), ("t.c", "skip")])
        out = p.out("run")
        self.assertEqual(summary_counts(out), (3, 0, 1, "PASSED"))
        self.assertIn("PASSED (id=0", out)
        p.fake([("t.a", "pass"), ("t.b", "fail"), ("t.c", "skip")])
        out = p.out("run", rc=FAILED)
        self.assertIn("FAIL: t.b", out)
        self.assertIn("Traceback: t.b failed on purpose", out)
        self.assertIn("FAILED (id=1, failures=1", out)
        self.assertEqual(p.out("failing", "--list", rc=FAILED), "t.b\n")
        self.assertIn("FAIL: t.b", p.out("last", rc=FAILED))
        p.fake([("t.a", "pass"), ("t.b", "pass"), ("t.c", "skip")])
        p.out("run")
        self.assertEqual(p.out("failing", "--list"), "")
        self.assertEqual(p.stats()["runs"], "3")

    def test_parallel_workers_are_tagged_and_separate_processes(self):
        p = self.p
        ids = ["t.%d" % i for i in range(6)]
        p.fake([(i, "pass") for i in ids])
        out = p.out("run", "--parallel", "--concurrency", "3", "--schedule", "dynamic")
        self.assertRegex(out, r"Workers\W+3\W+--concurrency")
        events = stored(p)
        self.assertEqual(sorted(events.status_of), ids)
        self.assertEqual(set(events.status_of.values()), {"success"})
        workers = {}
        for tid in ids:
            tags = [t for t in events.tags_of[tid] if t.startswith("worker-")]
            self.assertEqual(len(tags), 1, tid)
            workers.setdefault(tags[0], set()).add(tid)
        self.assertEqual(sorted(workers), ["worker-0", "worker-1", "worker-2"])
        # Every runner process belongs to one worker slot (the dynamic
        # schedule may start several in a slot, one after the other).
        slot_of = {tid: w for w, tids in workers.items() for tid in tids}
        by_pid = {}
        for pid, tid in p.ran():
            by_pid.setdefault(pid, set()).add(slot_of[tid])
        self.assertTrue(all(len(slots) == 1 for slots in by_pid.values()), by_pid)
        # --schedule static: a worker is exactly one process, as with testr.
        p.clear_logs()
        p.out("run", "--parallel", "--concurrency", "3", "--schedule", "static")
        events = stored(p)
        workers = {}
        for tid in ids:
            workers.setdefault([t for t in events.tags_of[tid] if t.startswith("worker-")][0], set()).add(tid)
        by_pid = {}
        for pid, tid in p.ran():
            by_pid.setdefault(pid, set()).add(tid)
        self.assertEqual(sorted(map(sorted, by_pid.values())), sorted(map(sorted, workers.values())))

    def test_parallel_takes_the_concurrency_callout(self):
        p = self.p
        p.fake([("t.%d" % i, "pass") for i in range(4)], extra_conf="test_run_concurrency=echo 2\n")
        out = p.out("run", "--parallel")
        self.assertRegex(out, r"Workers\W+2\W+test_run_concurrency")
        tags = {t for tags in stored(p).tags_of.values() for t in tags if t.startswith("worker-")}
        self.assertEqual(tags, {"worker-0", "worker-1"})

    def test_failing_and_partial_runs_keep_the_right_failures(self):
        p = self.p
        p.fake([("t.a", "fail"), ("t.b", "fail"), ("t.c", "pass")])
        p.out("run", rc=FAILED)
        self.assertEqual(p.out("failing", "--list", rc=FAILED).split(), ["t.a", "t.b"])
        p.fake([("t.a", "pass"), ("t.b", "fail"), ("t.c", "pass")])
        p.clear_logs()
        p.out("run", "--failing", rc=FAILED)
        self.assertEqual(p.ran_ids(), ["t.a", "t.b"], "--failing runs only the failing tests")
        self.assertEqual(p.out("failing", "--list", rc=FAILED).split(), ["t.b"])
        # A partial run resolves only what it ran; t.b stays failing.
        p.clear_logs()
        p.out("run", "--partial", "t\\.c")
        self.assertEqual(p.ran_ids(), ["t.c"])
        self.assertEqual(p.out("failing", "--list", rc=FAILED).split(), ["t.b"])
        # A full run replaces the failures, even when it ran only some tests.
        p.out("run", "t\\.c")
        self.assertEqual(p.out("failing", "--list"), "")

    def test_load_list_and_filters_select_tests(self):
        p = self.p
        p.fake([("pkg.alpha.one", "pass"), ("pkg.beta.two", "pass"), ("pkg.gamma.three", "pass"),
                ("pkg.beta.four", "pass")])
        p.write("some.list", "pkg.gamma.three\n\npkg.alpha.one\n")
        out = p.out("run", "--load-list", "some.list")
        self.assertEqual(summary_counts(out)[0], 2)
        self.assertEqual(p.ran_ids(), ["pkg.alpha.one", "pkg.gamma.three"])
        p.clear_logs()
        p.out("run", "beta", "^pkg\\.gam")
        self.assertEqual(p.ran_ids(), ["pkg.beta.four", "pkg.beta.two", "pkg.gamma.three"])
        p.clear_logs()
        p.out("run", "--load-list", "some.list", "alpha")
        self.assertEqual(p.ran_ids(), ["pkg.alpha.one"], "filters apply to --load-list too")
        p.run("run", "--load-list", "missing.list", check_rc=ERROR)
        p.run("run", "(unclosed", check_rc=USAGE)

    def test_subunit_output_is_a_v2_stream(self):
        p = self.p
        p.fake([("t.a", "pass"), ("t.b", "fail"), ("t.c", "skip")])
        got = p.run("run", "--subunit", "--parallel", "--concurrency", "2")
        # As testr: with --subunit the stream is the result; exit 0 once written.
        self.assertEqual(got.returncode, 0)
        events = read_stream(got.stdout)
        self.assertEqual(events.status_of, {"t.a": "success", "t.b": "fail", "t.c": "skip"})
        # subunit-ls exits 1 when the stream holds a failure.
        ls = subprocess.run(["subunit-ls", "--no-passthrough"], input=got.stdout, capture_output=True)
        self.assertEqual(ls.stderr, b"")
        self.assertEqual(sorted(ls.stdout.decode().split()), ["t.a", "t.b", "t.c"])
        self.assertEqual(got.stdout, p.run("last", "--subunit", check_rc=0).stdout,
                         "--subunit shows the bytes that were stored")

    def test_until_failure_repeats_until_a_test_fails(self):
        p = self.p
        p.fake([("t.flaky", "fail_on_run:3"), ("t.fine", "pass")])
        out = p.out("run", "--until-failure", rc=FAILED)
        self.assertIn("FAIL: t.flaky", out)
        self.assertEqual([i for _, i in p.ran()].count("t.flaky"), 3)
        self.assertEqual(p.stats()["runs"], "3")
        self.assertEqual(p.out("failing", "--list", rc=FAILED), "t.flaky\n")

    def test_isolated_until_failure_repeats_each_test_alone_until_it_fails(self):
        # As testr: each test again and again, in a runner of its own.
        p = self.p
        p.fake([("t.a", "fail_on_run:2"), ("t.b", "fail_on_run:3")])
        out = p.out("run", "--isolated", "--until-failure", "--junit", "j.xml", rc=FAILED)
        self.assertIn("FAIL: t.a", out)
        self.assertIn("FAIL: t.b", out)
        ran = p.ran()
        self.assertEqual([i for _, i in ran], ["t.a", "t.a", "t.b", "t.b", "t.b"])
        self.assertEqual(len({pid for pid, _ in ran}), 5)
        self.assertEqual(p.stats()["runs"], "5")
        # The report is the latest run's: t.b failing once, not t.a's
        # repeats shown as retries.
        cases = ET.parse(p.path("j.xml")).getroot().findall(".//testcase")
        self.assertEqual([(c.get("name"), [ch.tag for ch in c if ch.tag != "properties"]) for c in cases],
                         [("b", ["failure"])])

    def test_isolated_runs_each_test_in_its_own_runner(self):
        p = self.p
        p.fake([("t.a", "pass"), ("t.b", "fail"), ("t.c", "pass")])
        p.out("run", "--isolated", rc=FAILED)
        ran = p.ran()
        self.assertEqual(sorted(i for _, i in ran), ["t.a", "t.b", "t.c"])
        self.assertEqual(len({pid for pid, _ in ran}), 3)
        self.assertEqual(p.out("failing", "--list", rc=FAILED), "t.b\n")

    def test_arguments_after_double_dash_reach_the_test_command(self):
        p = self.p
        p.fake([("t.a", "pass")])
        p.out("run", "--", "--flag", "two words", "$(touch PWNED)")
        self.assertEqual(json.loads(p.read("args.log").splitlines()[-1]), ["--flag", "two words", "$(touch PWNED)"])
        p.out("list-tests", "--", "--extra")
        self.assertEqual(json.loads(p.read("args.log").splitlines()[-1]), ["--extra"])
        self.assertFalse(os.path.exists(p.path("PWNED")))


class Reports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # One run shared by the read-only report commands.
        cls.p = Project(cls, cleanup=cls.addClassCleanup)
        tests = [("r.slow", "pass", 0.4), ("r.medium", "fail", 0.05), ("r.skipped", "skip")]
        tests += [("r.quick%02d" % i, "pass") for i in range(10)]
        cls.p.fake(tests)
        cls.p.out("init")
        cls.p.out("run", rc=FAILED)

    def test_last_and_last_subunit(self):
        out = self.p.out("last", rc=FAILED)
        self.assertIn("FAIL: r.medium", out)
        self.assertEqual(summary_counts(out), (13, 1, 1, "FAILED"))
        events = stored(self.p)
        self.assertEqual(len(events.status_of), 13)
        self.assertEqual(events.status_of["r.medium"], "fail")
        self.assertEqual(events.status_of["r.skipped"], "skip")
        self.assertIn(b"failed on purpose", events.files[("r.medium", "traceback")])

    def test_last_id_shows_that_run(self):
        p = Project(self)
        p.fake([("t.a", "fail")])
        p.out("init")
        p.out("run", rc=FAILED)
        p.fake([("t.a", "pass")])
        p.out("run")
        self.assertIn("FAIL: t.a", p.out("last", "--id", "0", rc=FAILED))
        self.assertIn("PASSED (id=1)", p.out("last"))
        self.assertNotEqual(p.run("last", "--id", "0", "--subunit", check_rc=0).stdout,
                            p.run("last", "--subunit", check_rc=0).stdout)
        self.assertIn("99", p.run("last", "--id", "99", check_rc=ERROR).stderr.decode())

    def test_failing_list_and_subunit(self):
        self.assertEqual(self.p.out("failing", "--list", rc=FAILED), "r.medium\n")
        events = read_stream(self.p.run("failing", "--subunit", check_rc=0).stdout)
        self.assertEqual(events.status_of, {"r.medium": "fail"})
        self.assertIn("FAIL: r.medium", self.p.out("failing", rc=FAILED))

    def test_slowest_orders_by_duration(self):
        rows = self.p.out("slowest").splitlines()
        self.assertEqual(rows[0].split(), ["Test", "id", "Runtime", "(s)"])
        self.assertEqual(len(rows), 2 + 10)
        self.assertEqual(rows[2].split()[0], "r.slow")
        self.assertEqual(rows[3].split()[0], "r.medium")
        self.assertGreaterEqual(float(rows[2].split()[1]), 0.4)
        rows = self.p.out("slowest", "--all").splitlines()
        self.assertEqual(len(rows), 2 + 13)

    def test_stats(self):
        s = self.p.stats()
        self.assertEqual((s["runs"], s["latest"], s["latest_tests"], s["latest_failures"]), ("1", "0", "13", "1"))
        self.assertEqual(s["tests_with_history"], "13")

    def test_list_tests_with_filters(self):
        self.assertEqual(len(self.p.out("list-tests").split()), 13)
        self.assertEqual(self.p.out("list-tests", "slow|skip").split(), ["r.slow", "r.skipped"])

    def test_plan_runs_nothing_and_covers_every_test(self):
        before = len(self.p.ran())
        text = self.p.out("plan", "--concurrency", "2")
        self.assertTrue(text.startswith("Plan: 13 tests on 2 workers"), text)
        plan = json.loads(self.p.out("plan", "--json", "--concurrency", "3"))
        self.assertEqual(plan["concurrency"]["workers"], 3)
        self.assertEqual(len(plan["workers"]), 3)
        # Every test is in a worker's first batch or in the dynamic queue.
        planned = [t["id"] for w in plan["workers"] for t in w["tests"]] + [t["id"] for t in plan["queue"]]
        self.assertEqual(sorted(planned), sorted(self.p.out("list-tests").split()))
        estimate = {t["id"]: t["estimate"] for w in plan["workers"] for t in w["tests"]}
        estimate.update({t["id"]: t["estimate"] for t in plan["queue"]})
        self.assertGreaterEqual(estimate["r.slow"], 0.4, "history from the run feeds the plan")
        self.assertEqual(len(self.p.ran()), before, "plan must not run tests")


    def test_timeline_draws_one_bar_per_test_in_its_worker_lane(self):
        svg = self.p.path("run.svg")
        self.p.out("last", "--timeline", svg, "--id", "0")
        root = ET.parse(svg).getroot()
        ns = "{http://www.w3.org/2000/svg}"
        bars = [r for r in root.iter(ns + "rect") if "bar" in r.get("class", "").split()]
        titles = [r.find(ns + "title").text for r in bars]
        self.assertEqual(len(bars), 13)
        self.assertEqual(sum("status-fail" in r.get("class") for r in bars), 1)
        self.assertTrue(any(t.startswith("r.slow") and "(success)" in t for t in titles), titles)
        self.p.run("last", "--timeline", svg, "--id", "99", check_rc=3)


class Load(unittest.TestCase):
    def stream(self):
        t0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
        later = t0.replace(second=2)
        return encode([("l.ok", "inprogress", {"timestamp": t0}), ("l.ok", "success", {"timestamp": later}),
                       ("l.bad", "inprogress", {"timestamp": t0}),
                       ("l.bad", None, {"file_name": "traceback", "file_bytes": b"boom\n", "eof": True}),
                       ("l.bad", "fail", {"timestamp": later}),
                       ("l.skip", "skip", {})])

    def test_load_stores_the_stream_whatever_happens_to_stdout(self):
        p = Project(self)
        p.out("init")
        p.write("s.bin", "")
        with open(p.path("s.bin"), "wb") as f:
            f.write(self.stream())
        # stdout a full device: the run is stored, and the write error said.
        with open("/dev/full", "wb") as full:
            r = subprocess.run([p.bin, "load", "--subunit", "s.bin"], cwd=p.dir, stdout=full,
                               stderr=subprocess.PIPE, timeout=30)
        self.assertIn(b"No space left on device; the stream is stored all the same (run 0)", r.stderr)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(p.stats()["runs"], "1")
        self.assertEqual(read_stream(p.run("last", "--subunit", check_rc=0).stdout).status_of,
                         {"l.ok": "success", "l.bad": "fail", "l.skip": "skip"})

    def test_an_interrupt_stops_a_load_waiting_on_its_producer(self):
        p = Project(self)
        p.out("init")
        with open(p.path("in.subunit"), "wb") as f:
            f.write(self.stream())
        p.out("load", "in.subunit", rc=FAILED)  # l.bad failing
        # A producer that sends one test and never closes its end: the load
        # must stop at the interrupt, store what arrived as a partial run
        # (the failing list keeps l.bad), and say so.
        proc = subprocess.Popen([p.bin, "load"], cwd=p.dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            proc.stdin.write(encode([("l.new", "inprogress", {}), ("l.new", "success", {})]))
            proc.stdin.flush()
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)  # SIGINT may be ignored by a background job's children
            proc.wait(timeout=10)  # with the producer's end still open
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn(b"interrupted (SIGTERM) while reading '-': what had arrived is stored as partial run 1", err)
        self.assertEqual(read_stream(p.run("last", "--subunit", check_rc=0).stdout).status_of, {"l.new": "success"})
        self.assertEqual(p.out("failing", "--list", rc=FAILED).split(), ["l.bad"])

    def test_load_from_file_and_stdin(self):
        p = Project(self)
        p.out("init")
        with open(p.path("in.subunit"), "wb") as f:
            f.write(self.stream())
        out = p.out("load", "in.subunit", rc=FAILED)
        self.assertEqual(summary_counts(out), (3, 1, 1, "FAILED"))
        self.assertIn("boom", out)
        self.assertEqual(out.count("FAIL: "), 1, "only the failed test is shown, once")
        self.assertRegex(p.out("slowest"), r"l\.ok +2\.000")
        self.assertEqual(stored(p).status_of, {"l.ok": "success", "l.bad": "fail", "l.skip": "skip"})
        self.assertIn("worker-0", stored(p).tags_of["l.ok"])
        ok_only = encode([("l.ok", "success", {})])
        out = p.out("load", input=ok_only)
        self.assertIn("id=1", out)
        self.assertEqual(stored(p).status_of, {"l.ok": "success"})
        self.assertEqual(p.out("failing", "--list"), "", "a full load replaces the failures")
        p.out("load", "in.subunit", rc=FAILED)
        p.out("load", "--partial", input=ok_only)
        self.assertEqual(p.out("failing", "--list", rc=FAILED), "l.bad\n", "a partial load keeps them")
        self.assertEqual(p.stats()["runs"], "4")

    def test_load_force_init_and_corrupt_input(self):
        p = Project(self)
        p.run("load", input=self.stream(), check_rc=ERROR)
        self.assertFalse(os.path.exists(p.path(".testrepository")))
        p.out("load", "--force-init", "-q", input=self.stream(), rc=FAILED)
        self.assertEqual(p.read(".testrepository/format"), "2\n")
        self.assertEqual(p.stats()["latest_tests"], "3")
        # A packet with a broken checksum becomes a failing subunit.parser
        # test, as python-subunit's reader (and so testr) reports it.
        bad = bytearray(encode([("l.x", "success", {})]))
        bad[-1] ^= 0xFF
        out = p.out("load", input=bytes(bad), rc=FAILED)
        self.assertEqual(out.count("FAIL: subunit.parser"), 1)
        self.assertIn("Bad checksum", out)
        self.assertEqual(stored(p).status_of, {"subunit.parser": "fail"})


class BadConfiguration(unittest.TestCase):
    def setUp(self):
        self.p = Project(self)
        self.p.out("init")

    def test_missing_config(self):
        err = self.p.run("run", check_rc=ERROR).stderr.decode()
        self.assertIn(".testr.conf", err)
        self.p.run("list-tests", check_rc=ERROR)

    def test_missing_test_command(self):
        self.p.write(".testr.conf", "[DEFAULT]\ntest_list_option=--list\n")
        self.assertIn("No test_command option present in .testr.conf", self.p.run("run", check_rc=ERROR).stderr.decode())

    def test_syntax_error_names_file_and_line(self):
        self.p.write(".testr.conf", "[DEFAULT]\ntest_command=true\nthis is not ini\n")
        err = self.p.run("run", check_rc=ERROR).stderr.decode()
        self.assertRegex(err, r"\.testr\.conf:3:")
        self.assertIn("this is not ini", err)

    def test_failing_concurrency_callout_shows_code_and_stderr(self):
        self.p.fake([("t.a", "pass")], extra_conf="test_run_concurrency=echo nope-from-callout >&2; exit 7\n")
        err = self.p.run("run", "--parallel", check_rc=ERROR).stderr.decode()
        self.assertIn("test_run_concurrency", err)
        self.assertIn("7", err)
        self.assertIn("nope-from-callout", err)
        self.assertEqual(self.p.ran(), [])
        # --concurrency wins over the callout, which then is not consulted.
        self.p.out("run", "--parallel", "--concurrency", "1")

    def test_repository_of_testrepository_is_read_only(self):
        d = self.p.path("old")
        os.mkdir(d)
        subprocess.run(["testr", "init"], cwd=d, check=True, capture_output=True)
        old = Project(self)
        old.dir = d
        old.fake([("t.a", "pass")])
        for command in (["run"], ["load"]):
            err = old.run(*command, input=b"", check_rc=ERROR).stderr.decode()
            self.assertIn("testrepository (format 1", err)
            self.assertIn("testr-mini upgrade", err)
        err = old.run("last", check_rc=ERROR).stderr.decode()
        self.assertIn("No tests in repository", err)
        self.assertEqual(old.ran(), [])
        with open(os.path.join(d, ".testrepository", "format")) as f:
            self.assertEqual(f.read(), "1\n", "the old repository is left alone")


class Robustness(unittest.TestCase):
    def setUp(self):
        self.p = Project(self)
        self.p.out("init")

    def test_crashing_worker_is_recorded_with_its_signal(self):
        p = self.p
        # `exec`: the runner is the worker process itself, so the signal reaches us.
        p.fake([("c.a", "pass"), ("c.b", "segv"), ("c.c", "pass")])
        p.write(".testr.conf", p.read(".testr.conf").replace("test_command=", "test_command=exec "))
        out = p.out("run", rc=FAILED)
        self.assertIn("FAIL: process-returncode", out)
        self.assertIn("SIGSEGV", out)
        events = stored(p)
        self.assertEqual(events.status_of["process-returncode"], "fail")
        self.assertEqual(events.status_of["c.a"], "success")
        self.assertIn("process-returncode", p.out("failing", "--list", rc=FAILED).split())
        out = p.out("run", "--parallel", "--concurrency", "2", rc=FAILED)
        self.assertRegex(out, r"worker-\d: .*killed by SIGSEGV")

    def test_closed_or_broken_stdout_keeps_the_stored_run_whole(self):
        p = self.p
        p.fake([("o.a", "pass"), ("o.b", "fail"), ("o.c", "pass")])

        def closing(fd):
            return lambda: os.close(fd)
        # stdout closed: the run file must not take descriptor 1, or the
        # failure blocks would be written into the stored run.
        r = subprocess.run([p.bin, "run"], cwd=p.dir, preexec_fn=closing(1), stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(r.returncode, FAILED, r.stderr)
        self.assertIn(b"cannot write to stdout: Bad file descriptor; run 0 is stored all the same", r.stderr)
        self.assertEqual(stored(p).status_of, {"o.a": "success", "o.b": "fail", "o.c": "success"})
        self.assertEqual(summary_counts(p.out("last", rc=FAILED)), (3, 1, 0, "FAILED"))
        # A reader gone after the first line (`| head -1`): stored, and the
        # exit status is the run's, not 3 ("nothing was stored").
        proc = subprocess.Popen([p.bin, "run"], cwd=p.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
        self.assertEqual(proc.wait(timeout=60), FAILED, err)
        self.assertIn(b"stdout closed; run 1 is stored all the same", err)
        self.assertEqual(p.stats()["runs"], "2")
        # stdin closed: `load` says it cannot read it; it stores no empty run.
        r = subprocess.run([p.bin, "load"], cwd=p.dir, preexec_fn=closing(0), capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn(b"cannot read '-': Bad file descriptor", r.stderr)
        self.assertEqual(p.stats()["runs"], "2")
        self.assertEqual(summary_counts(p.out("last", "--id", "0", rc=FAILED)), (3, 1, 0, "FAILED"))

    def test_a_partial_run_never_merges_into_a_damaged_failing_list(self):
        p = self.p
        p.fake([("d.ok", "pass"), ("d.bad", "fail"), ("d.bad2", "fail")])
        p.out("run", rc=FAILED)
        path = p.path(".testrepository", "failing")
        with open(path, "r+b") as f:
            f.seek(40)
            byte = f.read(1)
            f.seek(40)
            f.write(bytes([byte[0] ^ 1]))
        r = p.run("run", "--partial", "d.ok", check_rc=3)
        self.assertIn(b"failing is damaged", r.stderr)
        self.assertIn(b"a run without --partial, --failing or --isolated rewrites it", r.stderr)
        self.assertEqual(p.stats()["runs"], "1")
        p.run("failing", "--list", check_rc=3)  # still said damaged, not emptied
        p.out("run", rc=FAILED)
        self.assertEqual(sorted(p.out("failing", "--list", rc=FAILED).split()), ["d.bad", "d.bad2"])

    def test_history_list_shows_every_run_when_one_is_damaged(self):
        p = self.p
        p.fake([("h.a", "pass"), ("h.b", "pass")])
        for _ in range(3):
            p.out("run")
        with open(p.path(".testrepository", "1"), "r+b") as f:
            f.seek(20)
            byte = f.read(1)
            f.seek(20)
            f.write(bytes([byte[0] ^ 1]))
        r = p.run("history", "list", "-f", "value", check_rc=3)
        rows = [line.split()[:2] for line in r.stdout.decode().splitlines()]
        self.assertEqual(rows, [["0", "True"], ["1", "---"], ["2", "True"]])
        self.assertIn(b"run 1 (", r.stderr)
        self.assertIn(b"is damaged", r.stderr)

    def test_interrupt_stores_completed_tests_and_stops_every_process(self):
        p = self.p
        p.fake([("s.%d" % i, "pass", 0.4) for i in range(8)], child=True)
        proc = p.popen("run", "--parallel", "--concurrency", "2")
        try:
            # 4 started = each worker finished at least one test.
            self.assertTrue(wait_for(lambda: len(p.ran()) >= 4, timeout=30), "tests never started")
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, INTERRUPTED, err.decode())
        self.assertIn(b"interrupted", err)
        runners = {int(pid) for pid, _ in p.ran()}
        children = {int(line.split("\t")[1]) for line in p.read("children.log").splitlines()}
        self.assertEqual(len(runners), 2)
        self.assertEqual(len(children), 2)
        self.assertTrue(wait_for(lambda: not any(alive(pid) for pid in runners | children), timeout=10),
                        "workers or their children survived the interrupt")
        events = stored(p)
        done = sorted(i for i, s in events.status_of.items() if s == "success")
        self.assertGreaterEqual(len(done), 2)
        self.assertLess(len(done), 8)
        self.assertLessEqual(set(events.tags_of), {i for _, i in p.ran()} | {"process-returncode"})
        self.assertEqual(p.stats()["runs"], "1")
        # Tests the interrupt kept from starting were the user's choice, not
        # failures: only those it cut off are failing.
        failing = set(p.run("failing", "--list").stdout.decode().split())
        self.assertLessEqual(failing, {i for _, i in p.ran()})

    def test_concurrent_runs_get_distinct_ids(self):
        p = self.p
        p.fake([("k.%d" % i, "pass", 0.1) for i in range(4)])
        procs = [p.popen("run") for _ in range(2)]
        outs = [proc.communicate(timeout=60)[0].decode() for proc in procs]
        self.assertEqual([proc.returncode for proc in procs], [0, 0])
        ids = sorted(int(o.split("PASSED (id=")[1].split(")")[0].split(",")[0]) for o in outs)
        self.assertEqual(ids, [0, 1])
        self.assertEqual(p.stats()["runs"], "2")
        for run_id in ("0", "1"):
            with open(p.path(".testrepository", run_id), "rb") as f:
                self.assertEqual(sorted(read_stream(f.read()).status_of), ["k.0", "k.1", "k.2", "k.3"])

    def test_ids_with_shell_metacharacters_are_never_executed(self):
        p = self.p
        nasty = ["has space", "$(touch PWNED1)", "semi;touch PWNED2", "`touch PWNED3`",
                 "quote'single", 'quote"double', "back\\slash", "glob*?[x]", "amp&&touch PWNED4|x"]
        p.fake([(i, "fail") for i in nasty])
        p.out("run", "--parallel", "--concurrency", "2", rc=FAILED)
        self.assertEqual(sorted(p.out("failing", "--list", rc=FAILED).splitlines()), sorted(nasty))
        self.assertEqual(sorted(p.out("list-tests").splitlines()), sorted(nasty))
        p.clear_logs()
        p.out("run", "--failing", rc=FAILED)
        self.assertEqual(p.ran_ids(), sorted(nasty))
        p.write("nasty.list", "\n".join(nasty[:3]) + "\n")
        p.clear_logs()
        p.out("run", "--load-list", "nasty.list", rc=FAILED)
        self.assertEqual(p.ran_ids(), sorted(nasty[:3]))
        self.assertEqual(sorted(stored(p).status_of), sorted(nasty[:3]))
        self.assertEqual([f for f in os.listdir(p.dir) if f.startswith("PWNED")], [])

    def test_worker_tag_pipeline_with_subunit_tools(self):
        p = self.p
        ids = ["w.%d" % i for i in range(6)]
        p.fake([(i, "pass") for i in ids] + [("w.failing", "fail")])
        p.out("run", "--parallel", "--concurrency", "2", rc=FAILED)
        events = stored(p)
        def of(worker):
            return sorted(i for i, tags in events.tags_of.items() if worker in tags)
        for worker in ("worker-0", "worker-1"):
            got = subprocess.run(
                "%s last --subunit | subunit-filter -s --xfail --with-tag=%s | subunit-ls" % (p.bin, worker),
                shell=True, cwd=p.dir, capture_output=True).stdout.decode()
            self.assertEqual(sorted(got.split()), of(worker))
            self.assertTrue(got.split())
        self.assertEqual(sorted(of("worker-0") + of("worker-1")), sorted(ids + ["w.failing"]))


class RealPythonSuite(unittest.TestCase):
    """A tiny real unittest package through `python3 -m subunit.run`."""

    def test_discover_run_parallel(self):
        p = Project(self)
        os.mkdir(p.path("pkg"))
        p.write("pkg/__init__.py", "")
        p.write("pkg/test_m.py",
                "import unittest\n"
                "class T(unittest.TestCase):\n"
                "    def test_ok(self): pass\n"
                "    def test_bad(self): self.assertEqual(1, 2)\n"
                "    @unittest.skip('why not')\n"
                "    def test_skip(self): pass\n"
                "    @unittest.expectedFailure\n"
                "    def test_xfail(self): self.assertEqual(1, 2)\n")
        p.write(".testr.conf", "[DEFAULT]\ntest_command=%s -m subunit.run discover -t . pkg $LISTOPT $IDOPTION\n"
                "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n" % PY)
        p.out("init")
        out = p.out("run", "--parallel", "--concurrency", "2", rc=FAILED)
        self.assertEqual(summary_counts(out), (4, 1, 1, "FAILED"))
        self.assertIn("AssertionError: 1 != 2", out)
        self.assertEqual(p.out("failing", "--list", rc=FAILED), "pkg.test_m.T.test_bad\n")
        self.assertEqual(stored(p).status_of["pkg.test_m.T.test_xfail"], "xfail")


if __name__ == "__main__":
    unittest.main(verbosity=2)
