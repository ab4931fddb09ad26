"""End to end: hung tests, crashed runners, flaky tests and
interrupts, with real runner processes (fault_runner.py). Each test checks
the exact events stored (read back with python-subunit) and the exit code.
How soon each stop happens is measured by bench/stop_latency.py; the
timeouts given here only keep a broken build from hanging the suite.

Run with Debian's /usr/bin/python3; TESTR_MINI names the binary.
"""
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import PY, Project, alive, wait_for  # noqa: E402

import subunit  # noqa: E402
import testtools  # noqa: E402

FAULT_RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fault_runner.py")


class Log(testtools.StreamResult):
    """Every status event with a test id: (id, status, tags, files)."""

    def __init__(self):
        super().__init__()
        self.events = []
        self.files = {}

    def status(self, test_id=None, test_status=None, test_tags=None, file_name=None, file_bytes=None, **_):
        if test_id is None:
            return
        if file_name is not None:
            self.files[(test_id, file_name)] = self.files.get((test_id, file_name), b"") + bytes(file_bytes)
        if test_status is not None:
            self.events.append((test_id, test_status, frozenset(test_tags or ())))

    def final(self):
        out = {}
        for tid, st, _ in self.events:
            if st not in ("inprogress", "exists"):
                out[tid] = st
        return out

    def text(self, tid, name="traceback"):
        return self.files.get((tid, name), b"").decode("utf8", "replace")


def stored(project):
    data = project.run("last", "--subunit", check_rc=0).stdout
    log = Log()
    subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout").run(log)
    return log


def faulty(testcase, tests, conf=""):
    """A project running fault_runner.py with tests [(id, does)]."""
    p = Project(testcase)
    p.write("spec.json", json.dumps({"tests": [{"id": i, "does": d} for i, d in tests]}))
    p.write(".testr.conf", "[DEFAULT]\ntest_command=%s %s spec.json $LISTOPT $IDOPTION\n"
            "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n%s" % (PY, FAULT_RUNNER, conf))
    p.out("init")
    return p


def pids_of(project, test_id):
    return [int(pid) for pid, tid in (l.split("\t", 1) for l in project.read("ran.log").splitlines()) if tid == test_id]


class Timeouts(unittest.TestCase):
    def test_a_test_over_its_limit_fails_and_the_batch_goes_on(self):
        p = faulty(self, [("t.a", "pass"), ("t.b", "sleep:30"), ("t.c", "pass"), ("t.d", "pass")])
        r = p.run("run", "--parallel", "--concurrency", "1", "--timeout", "1", check_rc=1, timeout=60)
        log = stored(p)
        self.assertEqual(log.final(), {"t.a": "success", "t.b": "fail", "t.c": "success", "t.d": "success"})
        why = log.text("t.b")
        self.assertIn("timed out after", why)
        self.assertIn("worker-0", why)
        # c and d ran in a fresh runner, not the one that was stopped.
        self.assertNotEqual(pids_of(p, "t.c"), pids_of(p, "t.a"))
        self.assertNotIn("process-returncode", log.final())
        self.assertIn(b"1 test timed out", r.stdout)

    def test_a_test_far_beyond_its_estimate_is_flagged_live_before_any_timeout(self):
        p = faulty(self, [("t.usual", "sleep:0.05"), ("t.other", "pass")])
        p.run("run", check_rc=0)  # history: t.usual takes ~0.05 s
        p.write("spec.json", json.dumps({"tests": [{"id": "t.usual", "does": "sleep:6"}, {"id": "t.other", "does": "pass"}]}))
        proc = p.popen("run", "--parallel", "--concurrency", "1", "--timeout", "30")
        out, err = proc.communicate(timeout=40)
        self.assertEqual(proc.returncode, 0)
        self.assertRegex(err.decode(), r"slow: t\.usual has run [0-9.]+s on worker-0 \(usually 0\.[0-9]s\)")

    def test_a_runner_hanging_after_its_last_test_is_stopped_too(self):
        p = faulty(self, [("t.a", "pass")])
        spec = json.loads(p.read("spec.json"))
        spec["hang_after"] = True
        p.write("spec.json", json.dumps(spec))
        r = p.run("run", "--parallel", "--concurrency", "1", "--timeout", "1", check_rc=0, timeout=60)
        self.assertRegex(r.stderr.decode(), r"worker-0: the runner ran no test for [0-9.]+s \(limit 10\.0s outside tests\)")
        self.assertEqual(stored(p).final(), {"t.a": "success"})

    def test_the_timeout_can_come_from_testr_conf(self):
        p = faulty(self, [("t.slow", "sleep:30"), ("t.ok", "pass")], conf="test_timeout=1\n")
        p.run("run", check_rc=1, timeout=30)
        self.assertEqual(stored(p).final(), {"t.slow": "fail", "t.ok": "success"})

    def test_a_test_hanging_in_a_forked_child_is_stopped_with_its_child(self):
        p = faulty(self, [("t.hang", "hang_child"), ("t.after", "pass")])
        p.run("run", "--parallel", "--concurrency", "1", "--timeout", "1", check_rc=1, timeout=30)
        self.assertEqual(stored(p).final(), {"t.hang": "fail", "t.after": "success"})
        child = int(p.read("children.log").split()[0])
        self.assertTrue(wait_for(lambda: not alive(child), 10), "the hung test's child survived")

    def test_a_runner_ignoring_sigterm_is_killed_after_the_grace_period(self):
        p = faulty(self, [("t.stubborn", "ignore_term"), ("t.after", "pass")])
        p.run("run", "--parallel", "--concurrency", "1", "--timeout", "1", check_rc=1, timeout=60)
        self.assertEqual(stored(p).final(), {"t.stubborn": "fail", "t.after": "success"})
        pid = int(p.read("children.log").split()[0])
        self.assertFalse(alive(pid))


class Crashes(unittest.TestCase):
    def test_a_segfault_mid_batch_fails_that_test_and_the_rest_still_run(self):
        p = faulty(self, [("t.a", "pass"), ("t.b", "segv"), ("t.c", "pass"), ("t.d", "pass")])
        r = p.run("run", "--parallel", "--concurrency", "1", check_rc=1)
        log = stored(p)
        self.assertEqual(log.final(), {"t.a": "success", "t.b": "fail", "t.c": "success", "t.d": "success",
                                       "process-returncode": "fail"})
        self.assertIn("SIGSEGV", log.text("t.b"))
        self.assertIn("SIGSEGV", log.text("process-returncode"))
        self.assertIn(b"Re-ran 2 tests", r.stdout)
        self.assertNotIn(b"never ran", r.stdout)

    def test_a_runner_exiting_0_inside_a_test_died_all_the_same(self):
        p = faulty(self, [("t.a", "pass"), ("t.b", "exit0"), ("t.c", "pass"), ("t.d", "pass"), ("t.e", "pass")])
        r = p.run("run", "--parallel", "--concurrency", "2", "--schedule", "static", check_rc=1)
        out = r.stdout.decode()
        self.assertEqual(stored(p).final(), {"t.a": "success", "t.b": "fail", "t.c": "success", "t.d": "success",
                                             "t.e": "success"})
        self.assertIn("ended (exit code 0) while this test was running", stored(p).text("t.b"))
        self.assertIn("1 test was running when its runner died:\n  t.b\n", out)
        self.assertRegex(out, r"Re-ran (1 test whose runner died before reaching it|\d tests whose runner died before reaching them)\.")
        self.assertNotIn("never ran", out)
        # Every test is counted on the worker that ran it, the one its runner died in too.
        per_worker = [int(n) for n in re.findall(r"^  worker-\d: (\d+) tests?,", out, re.M)]
        self.assertEqual(sum(per_worker), 5, out)

    def test_a_second_crash_in_the_rerun_still_lets_the_others_run(self):
        p = faulty(self, [("t.a", "segv"), ("t.b", "segv"), ("t.c", "pass")])
        p.run("run", "--parallel", "--concurrency", "1", check_rc=1)
        final = stored(p).final()
        self.assertEqual((final["t.a"], final["t.b"], final["t.c"]), ("fail", "fail", "success"))

    def test_tests_a_runner_silently_skips_are_reported_as_never_run(self):
        p = faulty(self, [("t.a", "pass")])
        p.write("ids.txt", "t.a\nt.gone\n")
        r = p.run("run", "--load-list", "ids.txt", check_rc=1)
        self.assertIn(b"1 test never ran", r.stdout)
        self.assertIn(b"t.gone", r.stdout)
        # Read back, the run is what `run` said it was, not what its stream alone says.
        self.assertRegex(p.out("last", rc=1), r"^Ran 1 tests( in [0-9.]+s)?\nFAILED \(id=0\)\n1 test never ran\n$")
        doc = json.loads(p.out("last", "--json", rc=1))
        self.assertEqual((doc["failures"], doc["never_ran"], doc["runners_not_started"]), (0, 1, 0))
        # It stays failing, saying why, so that `run || run --failing` cannot
        # go green over it: `run --failing` runs it.
        self.assertEqual(p.out("failing", "--list", rc=1).split(), ["t.gone"])
        self.assertIn("testr-mini: this test never ran: its runner exited without reporting it.", p.out("failing", rc=1))
        p.write("spec.json", json.dumps({"tests": [{"id": "t.a", "does": "pass"}, {"id": "t.gone", "does": "pass"}]}))
        p.clear_logs()
        p.out("run", "--failing", rc=0)
        self.assertEqual(p.ran_ids(), ["t.gone"])
        self.assertEqual(p.out("failing", "--list", rc=0), "")


class Flaky(unittest.TestCase):
    def test_a_test_that_fails_then_passes_is_flaky_and_does_not_fail_the_run(self):
        p = faulty(self, [("t.flaky", "flaky"), ("t.ok", "pass")])
        r = p.run("run", "--retries", "2", check_rc=0)
        self.assertIn(b"1 flaky test ", r.stdout)
        log = stored(p)
        attempts = [(st, "flaky" in tags) for tid, st, tags in log.events if tid == "t.flaky" and st != "inprogress"]
        self.assertEqual(attempts, [("fail", False), ("success", True)])
        self.assertEqual(p.out("failing", "--list"), "")
        # Read back, the run is counted as `run` counted it: each test once,
        # by its last attempt (the stream holds both attempts).
        self.assertRegex(p.out("last", rc=0), r"^Ran 2 tests( in [0-9.]+s)?\nPASSED \(id=0\)\n$")
        doc = json.loads(p.out("last", "--json", rc=0))
        self.assertEqual((doc["tests"], doc["failures"], doc["successes"]), (2, 0, 2))
        self.assertEqual((p.stats()["latest_tests"], p.stats()["latest_failures"]), ("2", "0"))
        # The next run's deltas are against those counts.
        self.assertRegex(p.out("run", "t.ok", rc=0), r"Ran 1 \(-1\) tests")

    def test_fail_on_flaky_makes_it_fail_the_run(self):
        p = faulty(self, [("t.flaky", "flaky")])
        p.run("run", "--retries", "1", "--fail-on-flaky", check_rc=1)

    def test_a_test_failing_every_time_stays_failed(self):
        p = faulty(self, [("t.bad", "fail")])
        r = p.run("run", "--retries", "2", check_rc=1)
        self.assertEqual([st for tid, st, _ in stored(p).events if tid == "t.bad" and st != "inprogress"],
                         ["fail", "fail", "fail"])
        self.assertIn(b"none passed", r.stdout)
        self.assertRegex(p.out("last", rc=1), r"\nRan 1 tests( in [0-9.]+s)?\nFAILED \(id=0, failures=1\)\n$")


class StartFailures(unittest.TestCase):
    """Runners that cannot be started fail the run, say why, and never empty
    the failing list."""

    def failing_first(self, conf=""):
        p = faulty(self, [("t.%02d" % i, "fail" if i < 3 else "pass") for i in range(40)], conf)
        p.run("run", "--parallel", "--concurrency", "2", check_rc=1)
        self.assertEqual(len(p.out("failing", "--list", rc=1).split()), 3)
        return p

    def run_out_of_descriptors(self, p):
        """`run` on 8 workers with 12 descriptors: most runners cannot start."""
        import resource
        limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (12, 12))
        r = subprocess.run([p.bin, "run", "--parallel", "--concurrency", "8"], cwd=p.dir, capture_output=True,
                           preexec_fn=limit, timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"could not be started: cannot create a pipe: Too many open files", r.stdout)
        self.assertIn(b"never ran", r.stdout)
        self.assertNotIn(b"PASSED", r.stdout)
        return r

    def test_out_of_descriptors(self):
        p = self.failing_first()
        self.run_out_of_descriptors(p)
        # Every earlier failure is still known, whatever this run managed.
        self.assertGreaterEqual(len(p.out("failing", "--list", rc=1).split()), 3)

    def test_a_run_that_missed_tests_is_not_called_passed(self):
        # Every test that runs passes, so only the missed ones can make the
        # summary's word FAILED, as the exit status already is.
        p = faulty(self, [("t.%02d" % i, "pass") for i in range(40)])
        r = self.run_out_of_descriptors(p)
        self.assertRegex(r.stdout, rb"(^|\n)FAILED \(id=0\)\n")
        # `last` says it too, with the counts `run` gave.
        never = int(re.search(rb"(\d+) tests? never ran", r.stdout).group(1))
        runners = int(re.search(rb"(\d+) runners? could not be started", r.stdout).group(1))
        last = p.out("last", rc=1)
        self.assertRegex(last, r"\nFAILED \(id=0\)\n%d runners? could not be started\n%d tests? never ran\n$" % (runners, never))

    def test_a_command_line_over_the_kernels_limit(self):
        p = self.failing_first()
        # $IDLIST of 40 ids of 4 KiB each: one argument over 128 KiB.
        spec = {"tests": [{"id": "t.%02d.%s" % (i, "x" * 4096), "does": "pass"} for i in range(40)]}
        p.write("spec.json", json.dumps(spec))
        p.write(".testr.conf", "[DEFAULT]\ntest_command=%s %s spec.json $LISTOPT $IDLIST\n"
                "test_list_option=--list\n" % (PY, FAULT_RUNNER))
        r = p.run("run", "--parallel", "--concurrency", "1", check_rc=1)
        self.assertIn(b"Argument list too long", r.stdout)
        self.assertIn(b"40 tests never ran", r.stdout)
        # The earlier failures are kept, and the tests that never ran join
        # them, for `run --failing` to run.
        failing = p.out("failing", "--list", rc=1).split()
        self.assertEqual(len(failing), 43)
        self.assertLessEqual({"t.00", "t.01", "t.02"}, set(failing))


# What is stored for a test an interrupt stopped, beside its inprogress.
INTERRUPTED_NOTE = (r"testr-mini: the run was interrupted while this test was running, after \d+\.\d s on worker-[01]; "
                    r"its runner was stopped \(killed by SIGTERM \(interrupted\)\), so the test did not complete\.")


class Interrupts(unittest.TestCase):
    def interrupted_run(self, signals):
        p = faulty(self, [("t.a", "pass"), ("t.b", "pass"), ("t.slow1", "sleep:30"), ("t.slow2", "sleep:30")])
        # Static: both slow tests surely run at once, one per worker.
        proc = p.popen("run", "--parallel", "--concurrency", "2", "--schedule", "static")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.assertTrue(wait_for(lambda: len(pids_of(p, "t.slow1")) and len(pids_of(p, "t.slow2")), 20))
        workers = pids_of(p, "t.slow1") + pids_of(p, "t.slow2")
        for sig in signals:
            proc.send_signal(sig)
            time.sleep(0.2)
        out, err = proc.communicate(timeout=20)
        return p, proc.returncode, out, err, workers

    def test_ctrl_c_stores_what_completed_as_a_partial_run(self):
        p, rc, out, err, workers = self.interrupted_run([signal.SIGINT])
        self.assertEqual(rc, 130)
        self.assertIn(b"interrupted", err)
        self.assertIn(b"partial run 0", err)
        log = stored(p)
        final = log.final()
        self.assertEqual((final.get("t.a"), final.get("t.b")), ("success", "success"))
        # The tests the interrupt stopped: stored without an outcome, with
        # the reason, which `last` and `failing` show in their blocks.
        for tid in ("t.slow1", "t.slow2"):
            self.assertNotIn(tid, final)
            self.assertRegex(log.text(tid), "^" + INTERRUPTED_NOTE)
        for command in ("last", "failing"):
            shown = p.out(command, rc=1)
            block = shown[shown.index("FAIL: t.slow1"):]
            self.assertRegex(block[:block.index("=" * 70) if "=" * 70 in block else None], INTERRUPTED_NOTE)
        for pid in workers:
            self.assertTrue(wait_for(lambda: not alive(pid), 5), "worker %d survived" % pid)
        # Each test in one category, and the categories add up to the selection.
        text = out.decode()
        running = re.search(r"^(\d+) tests? (?:was|were) running when the run was interrupted:", text, re.M)
        never = re.search(r"^(\d+) tests? never ran \(interrupted\):", text, re.M)
        completed = re.search(r"the (\d+) tests? that completed (?:was|were) stored", err.decode())
        self.assertTrue(running and completed, text + err.decode())
        self.assertEqual(running.group(1), "2")
        self.assertEqual(int(completed.group(1)) + 2 + (int(never.group(1)) if never else 0), 4)
        self.assertIn("t.slow1", text[running.start():never.start() if never else None])

    def test_ctrl_c_in_a_serial_run_names_the_test_it_stopped(self):
        # Serial and unfiltered: the whole suite in one runner, not listed
        # first, so the test in progress is known by its events alone.
        p = faulty(self, [("t.a", "pass"), ("t.slow1", "sleep:30"), ("t.b", "pass")])
        proc = p.popen("run")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.assertTrue(wait_for(lambda: len(pids_of(p, "t.slow1")), 20))
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn("1 test was running when the run was interrupted:\n  t.slow1\n", out.decode())
        self.assertIn(b"the 1 test that completed was stored as partial run 0", err)
        log = stored(p)
        self.assertEqual(log.final(), {"t.a": "success"})
        self.assertRegex(log.text("t.slow1"), "^" + INTERRUPTED_NOTE.replace("worker-[01]", "worker-0"))

    def test_sigterm_behaves_like_the_first_ctrl_c(self):
        p, rc, out, err, workers = self.interrupted_run([signal.SIGTERM])
        self.assertEqual(rc, 130)
        self.assertEqual(stored(p).final().get("t.a"), "success")

    def test_sighup_the_terminal_closing_keeps_the_partial_run_too(self):
        p, rc, out, err, workers = self.interrupted_run([signal.SIGHUP])
        self.assertEqual(rc, 130)
        self.assertIn(b"partial run 0", err)
        self.assertEqual(stored(p).final().get("t.a"), "success")

    def test_ctrl_c_in_a_dynamic_run_reports_the_queue_as_never_run(self):
        tests = [("t.slow%d" % i, "sleep:30") for i in range(4)] + [("t.q%d" % i, "pass") for i in range(6)]
        # History first (without it the plan may be static, when the runner
        # starts slowly): every test quick. The dynamic schedule is the default.
        p = faulty(self, [(tid, "sleep:1" if tid.startswith("t.slow") else "pass") for tid, _ in tests])
        p.run("run", check_rc=0)
        # A runner start as cheap as the bench's (a loaded machine's would
        # make the plan static: see max_start_share).
        p.write(".testrepository/start-cost", "0.01\n")
        plan = p.out("plan", "--concurrency", "2")
        self.assertIn("queue:", plan)
        self.assertRegex(plan, r"Runner start: [0-9.]+s \(measured in earlier runs\)")
        self.assertNotIn("queue:", p.out("plan", "--concurrency", "2", "--schedule", "static"))
        # A runner that takes 5 s to start is not worth a queue when each
        # chunk pays it: the plan is the static one.
        p.write(".testrepository/start-cost", "5\n")
        plan = p.out("plan", "--concurrency", "2", "--no-prestart")
        self.assertIn("without a queue: starting another runner (5.000s) costs too much", plan)
        self.assertNotIn("max_start_share", plan)
        self.assertIn("Runners not pre-started: run --no-prestart", plan)
        plan = p.out("plan", "--concurrency", "2", "--verbose", "--no-prestart")
        self.assertIn("no queue: a runner start above max_start_share", plan)
        self.assertNotIn("\nqueue:", plan)
        plan = json.loads(p.out("plan", "--concurrency", "2", "--json", "--no-prestart"))
        self.assertEqual(plan["start_cost"], 5)
        self.assertIn("max_start_share", plan["no_queue"])
        self.assertEqual(plan["queue"], [])
        # Pre-started, a chunk costs its hand-out; but it must be a start
        # long, so that the next runner is warm when it ends: 2 s of work
        # a worker leave no such chunk.
        plan = json.loads(p.out("plan", "--concurrency", "2", "--json"))
        self.assertEqual(plan["prestart"], {"on": True})
        self.assertIn("min_chunk", plan["no_queue"])
        p.write(".testrepository/start-cost", "0.01\n")
        p.write("spec.json", json.dumps({"tests": [{"id": i, "does": d} for i, d in tests]}))
        os.unlink(p.path("ran.log"))
        proc = p.popen("run", "--parallel", "--concurrency", "2", "--schedule", "dynamic")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.assertTrue(wait_for(lambda: p.read("ran.log").count("t.slow") >= 2, 20))
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 130)
        self.assertIn(b"never ran (interrupted)", out)
        started = {tid for _, tid in (l.split("\t", 1) for l in p.read("ran.log").splitlines())}
        final = stored(p).final()
        # Everything that was never started is accounted for, nothing runs on.
        for tid, _ in tests:
            if tid not in started:
                self.assertIn(tid.encode(), out)
        self.assertFalse(any(v == "success" for k, v in final.items() if k.startswith("t.slow")))
        for pid in {int(x) for x, _ in (l.split("\t", 1) for l in p.read("ran.log").splitlines())}:
            self.assertTrue(wait_for(lambda: not alive(pid), 5))

    def test_a_second_ctrl_c_stops_at_once(self):
        p = faulty(self, [("t.stubborn", "ignore_term")])
        proc = p.popen("run")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.assertTrue(wait_for(lambda: p.read("children.log").strip() != "", 20))
        pid = int(p.read("children.log").split()[0])
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130)
        self.assertTrue(wait_for(lambda: not alive(pid), 5))
        p.out("last", "--subunit")  # the repository is consistent: the run is there


if __name__ == "__main__":
    unittest.main(verbosity=2)
