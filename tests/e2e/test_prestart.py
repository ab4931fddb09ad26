"""Pre-started runners end to end (docs/prestart.md): runners that read
their ids from a pipe start while the tests are listed; whatever a runner
does with its pipe, every test runs exactly once and nothing is left behind.

Run with Debian's /usr/bin/python3; TESTR_MINI names the binary.
"""
import glob
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import PY, Project, alive, processes_in, read_stream, summary_counts, wait_for  # noqa: E402

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pipe_runner.py")


class PipeProject(Project):
    def __init__(self, testcase, tests, extra_conf="", **spec):
        super().__init__(testcase)
        self.tests = tests
        self.write("spec.json", json.dumps(dict(spec, tests=tests)))
        self.write(".testr.conf",
                   "[DEFAULT]\n"
                   "test_command=%s %s spec.json $LISTOPT $IDOPTION\n"
                   "test_id_option=--load-list $IDFILE\n"
                   "test_list_option=--list\n%s" % (PY, RUNNER, extra_conf))
        # Pipes go to a directory of the test's own, to see that none is left.
        self.tmp = tempfile.mkdtemp(prefix="testr-mini-tmp-")
        testcase.addCleanup(lambda: os.path.isdir(self.tmp) and os.rmdir(self.tmp))
        self.out("init")

    def run(self, *args, env=None, **kw):
        return super().run(*args, env=dict(env or {}, TMPDIR=self.tmp), **kw)

    def popen(self, *args):
        return subprocess.Popen([self.bin, *args], cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(os.environ, PYTHON=PY, TMPDIR=self.tmp))

    def processes(self):
        return processes_in(self.dir)

    def runners(self):
        return [json.loads(line) for line in self.read("runners.log").splitlines()]

    def ran_ids(self):
        return sorted(line.split("\t", 1)[1] for line in self.read("ran.log").splitlines())

    def reset_logs(self):
        for name in ("runners.log", "ran.log", "listing.log"):
            if os.path.exists(self.path(name)):
                os.unlink(self.path(name))

    def listing(self):
        return dict(line.split() for line in self.read("listing.log").splitlines())

    def assert_clean(self, testcase):
        testcase.assertEqual(os.listdir(self.tmp), [], "pipes left behind")
        for r in self.runners():
            testcase.assertTrue(wait_for(lambda: not alive(r["pid"]), 10), "runner %d still alive" % r["pid"])


def ids(n, prefix="pkg.mod.Case.test_"):
    return ["%s%03d" % (prefix, i) for i in range(n)]


class Overlap(unittest.TestCase):
    def test_runners_start_while_the_tests_are_listed_and_take_their_ids_from_a_pipe(self):
        p = PipeProject(self, ids(12), list_delay=3.0, start=0.5)  # long enough for a loaded machine
        out = p.out("run", "--parallel", "--concurrency", "2")
        self.assertEqual(summary_counts(out), (12, 0, 0, "PASSED"), out)
        self.assertEqual(p.ran_ids(), sorted(p.tests))  # each exactly once
        listing_end = float(p.listing()["end"])
        runners = p.runners()
        # The first runners were spawned before the listing had answered.
        self.assertTrue(any(r["spawned"] < listing_end for r in runners), (runners, listing_end))
        self.assertTrue(all(r["pipe"] for r in runners if r.get("ids")), runners)
        self.assertTrue(os.path.exists(p.path(".testrepository", "handoff-cost")))
        self.assertIn("runners pre-started", p.out("plan", "--concurrency", "2"))
        p.assert_clean(self)

    def test_without_prestart_the_runners_start_after_the_listing_with_a_plain_file(self):
        p = PipeProject(self, ids(6), list_delay=0.5)
        out = p.out("run", "--parallel", "--concurrency", "2", "--no-prestart")
        self.assertEqual(summary_counts(out), (6, 0, 0, "PASSED"), out)
        listing_end = float(p.listing()["end"])
        self.assertTrue(all(r["spawned"] > listing_end and not r["pipe"] for r in p.runners()), p.runners())
        self.assertIn("Runners not pre-started: run --no-prestart", p.out("plan", "--no-prestart"))

    def test_a_config_key_turns_it_off(self):
        p = PipeProject(self, ids(4), extra_conf="test_prestart=no\n")
        p.out("run", "--parallel", "--concurrency", "2")
        self.assertFalse(any(r["pipe"] for r in p.runners()), p.runners())
        self.assertIn("Runners not pre-started: test_prestart=no in .testr.conf", p.out("plan"))

    def test_idlist_and_instance_execute_keep_todays_behaviour(self):
        p = PipeProject(self, ids(4))
        p.write(".testr.conf", p.read(".testr.conf").replace("$IDOPTION", "$IDOPTION $IDLIST"))
        self.assertIn("($IDLIST)", p.out("plan"))
        q = PipeProject(self, ids(4), extra_conf="instance_provision=echo a b\n"
                                                 "instance_execute=$COMMAND\n")
        self.assertIn("instance_execute passes the id file", q.out("plan"))
        q.out("run", "--parallel", "--concurrency", "2")
        self.assertFalse(any(r["pipe"] for r in q.runners()), q.runners())


def current_line(raw):
    """What a terminal shows on its last line: the text after the last
    carriage return or newline, with erase-to-end-of-line codes dropped."""
    text = raw.decode(errors="replace").replace("\x1b[K", "")
    return re.split(r"[\r\n]", text)[-1]


class LiveLine(unittest.TestCase):
    def test_the_terminal_says_what_happens_before_the_first_result(self):
        p = PipeProject(self, ids(4), list_delay=1.5, gate="go")
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(p.dir)
            os.execve(p.bin, [p.bin, "run", "--parallel", "--concurrency", "2"],
                      dict(os.environ, PYTHON=PY, TMPDIR=p.tmp, TERM="xterm"))
        raw = b""
        seen = {}

        def read_some():
            nonlocal raw
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    raw += os.read(fd, 65536)
                except OSError:  # EIO: the child closed the terminal
                    return False
            return True

        end = time.monotonic() + 60
        while time.monotonic() < end and read_some():
            listing = p.listing()
            if "start" in listing and "end" not in listing and current_line(raw):
                seen.setdefault("listing", current_line(raw))
            if "end" in listing and not p.read("ran.log") and current_line(raw).startswith("[0/"):
                seen.setdefault("starting", current_line(raw))
            if "starting" in seen or time.monotonic() > end - 40:
                p.write("go", "")  # the runners may take their tests now
        os.waitpid(pid, 0)
        self.assertEqual(seen.get("listing"), "listing tests; runners starting...", raw)
        self.assertRegex(seen.get("starting", ""), r"^\[0/4\] 0 failed, \d+s elapsed, ETA \d+s  starting runners$")
        self.assertIn(b"PASSED", raw)


class Misbehaving(unittest.TestCase):
    def test_a_runner_reading_its_id_file_twice_gets_the_same_ids(self):
        p = PipeProject(self, ids(10), mode="twice", start=0.2)
        out = p.out("run", "--parallel", "--concurrency", "2", timeout=60)
        self.assertEqual(summary_counts(out), (10, 0, 0, "PASSED"), out)
        self.assertEqual(p.ran_ids(), sorted(p.tests))
        self.assertFalse([r for r in p.runners() if "twice" in r], p.runners())
        p.assert_clean(self)

    def test_a_runner_opening_its_id_file_at_once_still_gets_its_ids(self):
        p = PipeProject(self, ids(10), mode="early", start=0.3)
        out = p.out("run", "--parallel", "--concurrency", "2")
        self.assertEqual(summary_counts(out), (10, 0, 0, "PASSED"), out)
        self.assertEqual(p.ran_ids(), sorted(p.tests))

    def test_a_runner_that_wants_a_regular_file_runs_everything_once_and_is_remembered(self):
        p = PipeProject(self, ids(10), mode="regular")
        r = p.run("run", "--parallel", "--concurrency", "2", check_rc=0)
        out, err = r.stdout.decode(), r.stderr.decode()
        self.assertEqual(summary_counts(out), (10, 0, 0, "PASSED"), out + err)
        self.assertEqual(p.ran_ids(), sorted(p.tests))
        self.assertNotIn("process-returncode", out)
        # A runner that refused its pipe is no crash: no runner "ended" with
        # exit code 3, no tests "re-run".
        self.assertNotIn("exit code 3", out)
        self.assertNotIn("re-running", err)
        self.assertIn("before opening its id pipe", err)
        self.assertIn("prestart-refused", err)
        stream = read_stream(p.run("last", "--subunit", check_rc=0).stdout)
        self.assertEqual(sorted(stream.status_of), sorted(p.tests))
        # Remembered: the next run goes straight to plain files, and says nothing.
        p.reset_logs()
        r = p.run("run", "--parallel", "--concurrency", "2", check_rc=0)
        self.assertNotIn(b"note:", r.stderr)
        self.assertFalse(any(x["pipe"] for x in p.runners()), p.runners())
        self.assertIn("did not read its id pipe before", p.out("plan"))
        p.assert_clean(self)

    def test_a_runner_that_never_opens_its_pipe_is_replaced_within_the_patience(self):
        p = PipeProject(self, ids(4), mode="never")
        began = time.monotonic()
        r = p.run("run", "--parallel", "--concurrency", "2", check_rc=0, timeout=120)
        out = r.stdout.decode()
        self.assertEqual(summary_counts(out), (4, 0, 0, "PASSED"), out + r.stderr.decode())
        self.assertEqual(p.ran_ids(), sorted(p.tests))
        self.assertIn(b"did not open its id pipe within", r.stderr)
        self.assertLess(time.monotonic() - began, 100)  # a hang guard: the patience is 10 s
        p.assert_clean(self)


class Limits(unittest.TestCase):
    def test_an_id_list_larger_than_a_pipe_buffer_passes_whole(self):
        many = ids(3000, prefix="pkg.a_rather_long_module_name.SomeTestCase.test_with_a_long_name_")
        p = PipeProject(self, many)
        out = p.out("run", "--parallel", "--concurrency", "2", "--schedule", "static", timeout=120)
        self.assertEqual(summary_counts(out)[0], 3000, out)
        self.assertEqual(p.ran_ids(), sorted(many))
        self.assertGreater(sum(len(t) + 1 for t in many) / 2, 65536)  # each worker's list outgrows a pipe

    def test_unused_runners_are_stopped_without_a_trace(self):
        p = PipeProject(self, ids(16), sleep=0.05, start=0.2)
        p.out("run", "--parallel", "--concurrency", "2")  # history: a dynamic queue next
        p.reset_logs()
        out = p.out("run", "--parallel", "--concurrency", "2")
        self.assertEqual(summary_counts(out), (16, 0, 0, "PASSED"), out)
        stream = read_stream(p.run("last", "--subunit", check_rc=0).stdout)
        self.assertEqual(sorted(stream.status_of), sorted(p.tests))  # no process-returncode, nothing extra
        self.assertEqual(p.ran_ids(), sorted(p.tests))
        p.assert_clean(self)

    def test_ctrl_c_while_listing_stops_the_runners_already_started(self):
        p = PipeProject(self, ids(4), list_delay=30)
        proc = p.popen("run", "--parallel", "--concurrency", "2")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.assertTrue(wait_for(lambda: "start" in p.listing(), 20))
        # The runners are spawned with the listing; they log once they have
        # read their pipe, which they never get: find them by their pipes.
        self.assertTrue(wait_for(lambda: glob.glob(os.path.join(p.tmp, "testr-mini-pipes-*", "ids-*")), 20))
        self.assertTrue(wait_for(lambda: len(p.processes()) >= 3, 20))  # the listing and two runners
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, err)
        self.assertTrue(wait_for(lambda: not p.processes(), 10), p.processes())
        self.assertIn(b"interrupted while listing tests", err)
        self.assertEqual(os.listdir(p.tmp), [])
        self.assertFalse(os.path.exists(p.path("ran.log")))

    def test_runners_of_a_killed_run_are_let_go_by_the_next_one(self):
        p = PipeProject(self, ids(4), list_delay=30)
        proc = p.popen("run", "--parallel", "--concurrency", "2")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.assertTrue(wait_for(lambda: len(p.processes()) >= 3, 20))  # the listing and two runners
        proc.kill()  # -9: nobody is left to write their pipes
        proc.wait()
        time.sleep(0.5)
        listing = [pid for pid in p.processes() if "--list" in open("/proc/%d/cmdline" % pid).read()]
        for pid in listing:
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        self.assertTrue(wait_for(lambda: len(p.processes()) >= 2 and not [x for x in listing if alive(x)], 10))
        waiting = p.processes()
        p.write("spec.json", json.dumps({"tests": p.tests}))
        r = p.run("run", "--parallel", "--concurrency", "2", check_rc=0)
        self.assertIn(b"removed the id pipes of a run killed", r.stderr)
        self.assertTrue(wait_for(lambda: not [x for x in waiting if alive(x)], 10), waiting)
        self.assertEqual(os.listdir(p.tmp), [])

    def test_ctrl_c_with_spares_warming_remembers_no_refusal(self):
        p = PipeProject(self, ids(8), sleep=2, start=0.2)
        p.out("run", "--parallel", "--concurrency", "2", "--no-prestart")  # history, so a dynamic queue
        p.reset_logs()
        proc = p.popen("run", "--parallel", "--concurrency", "2")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.assertTrue(wait_for(lambda: len(p.read("ran.log").splitlines()) >= 2, 30))
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, err)
        self.assertNotIn(b"note:", err)
        self.assertFalse(os.path.exists(p.path(".testrepository", "prestart-refused")))
        self.assertTrue(wait_for(lambda: not p.processes(), 10), p.processes())
        self.assertEqual(os.listdir(p.tmp), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
