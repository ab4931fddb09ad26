"""Faults around the repository, end to end: what a run stores and says when
its durations cannot be saved, waits that a signal must end, links planted
in the repository, and what a killed testr-mini leaves behind. Real
processes, real signals, real files and links.

Run with Debian's /usr/bin/python3; TESTR_MINI names the binary.
"""
import io
import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import PY, Project, alive, encode, wait_for  # noqa: E402

import subunit  # noqa: E402
import testtools  # noqa: E402

FAULT_RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fault_runner.py")
DURATIONS_LOST = 4  # the exit status of "stored, but its durations were not saved"


def faulty(testcase, tests, conf="", spec_extra=None):
    """A project running fault_runner.py with tests [(id, does)]."""
    p = Project(testcase)
    spec = {"tests": [{"id": i, "does": d} for i, d in tests]}
    spec.update(spec_extra or {})
    p.write("spec.json", json.dumps(spec))
    p.write(".testr.conf", "[DEFAULT]\ntest_command=%s %s spec.json $LISTOPT $IDOPTION\n"
            "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n%s" % (PY, FAULT_RUNNER, conf))
    p.out("init")
    return p


class Final(testtools.StreamResult):
    def __init__(self):
        super().__init__()
        self.status_of = {}

    def status(self, test_id=None, test_status=None, **_):
        if test_id is not None and test_status not in (None, "inprogress", "exists"):
            self.status_of[test_id] = test_status


def stored_status(project, run_id=None):
    args = ["last", "--subunit"] + (["--id", str(run_id)] if run_id is not None else [])
    data = project.run(*args, check_rc=0).stdout
    final = Final()
    subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout").run(final)
    return final.status_of


def repo_names(project):
    return sorted(os.listdir(project.path(".testrepository")))


class DurationsAfterTheCommit(unittest.TestCase):
    """The commit point is next-stream; times.tsv is written after it."""

    def check_stored_but_not_durations(self, p, proc, status, ran_ids):
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, status, err)
        self.assertNotIn("could not be stored", err)
        self.assertIn("warning: run 0 was stored", err)
        self.assertIn("durations were not saved", err)
        self.assertIn("times.tsv", err)
        self.assertEqual(sorted(stored_status(p)), ran_ids)
        self.assertEqual(p.stats()["runs"], "1")

    def test_times_tsv_a_directory_stores_the_run_and_exits_4(self):
        p = faulty(self, [("t.a", "pass"), ("t.b", "pass")])
        os.mkdir(p.path(".testrepository", "times.tsv"))
        proc = p.run("run")
        self.check_stored_but_not_durations(p, proc, DURATIONS_LOST, ["t.a", "t.b"])
        self.assertIn("PASSED (id=0)", proc.stdout.decode())  # the summary is shown

    def test_a_failing_run_keeps_exit_1(self):
        p = faulty(self, [("t.a", "pass"), ("t.b", "fail")])
        os.mkdir(p.path(".testrepository", "times.tsv"))
        proc = p.run("run")
        self.check_stored_but_not_durations(p, proc, 1, ["t.a", "t.b"])
        self.assertEqual(p.out("failing", "--list", rc=1).split(), ["t.b"])

    def test_load_with_an_unusable_times_lock_exits_4(self):
        p = Project(self)
        p.out("init")
        os.mkdir(p.path(".testrepository", "times.tsv.lock"))
        stream = encode([("t.x", "inprogress", {"timestamp": _ts(0)}), ("t.x", "success", {"timestamp": _ts(1)})])
        proc = p.run("load", input=stream)
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, DURATIONS_LOST, err)
        self.assertIn("warning: run 0 was stored", err)
        self.assertIn("times.tsv.lock", err)
        self.assertEqual(stored_status(p), {"t.x": "success"})


class InterruptibleWaits(unittest.TestCase):
    """A signal ends every wait outside the process loop: promptly, with a
    message, and nothing half-written."""

    def hold_lock(self, path):
        """A separate process holding flock(path) until killed."""
        holder = subprocess.Popen([PY, "-c", "import fcntl, sys, time\n"
                                   "f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX)\n"
                                   "print('held', flush=True); time.sleep(600)", path],
                                  stdout=subprocess.PIPE)
        self.addCleanup(holder.stdout.close)
        self.addCleanup(lambda: holder.poll() is None and (holder.kill(), holder.wait()))
        self.assertEqual(holder.stdout.readline(), b"held\n")
        return holder

    def test_ctrl_c_while_another_process_holds_the_repository_lock(self):
        p = faulty(self, [("t.a", "pass"), ("t.b", "pass")])
        holder = self.hold_lock(p.path(".testrepository", "lock"))
        proc = p.popen("run")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        # Both tests ran: the run is now waiting to commit.
        self.assertTrue(wait_for(lambda: len(p.read("ran.log").splitlines()) == 2, 20))
        time.sleep(0.5)
        self.assertIsNone(proc.poll(), "the run should wait for the lock")
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        self.assertLess(time.monotonic() - start, 3)
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn(b"could not be stored", err)
        self.assertIn(b"interrupted (SIGINT) while waiting for another process to release it", err)
        holder.kill()
        holder.wait()
        # Nothing half-written: no run, no temporary, next-stream untouched.
        self.assertEqual(p.read(".testrepository/next-stream"), "0\n")
        self.assertEqual([n for n in repo_names(p) if n.startswith(".tmp") or n[0].isdigit()], [])
        self.assertIn("PASSED (id=0)", p.out("run"))  # the next run commits as run 0

    def test_a_run_waits_for_the_lock_and_then_commits(self):
        p = faulty(self, [("t.a", "pass")])
        holder = self.hold_lock(p.path(".testrepository", "lock"))
        proc = p.popen("run")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.assertTrue(wait_for(lambda: len(p.read("ran.log").splitlines()) == 1, 20))
        time.sleep(0.3)
        self.assertIsNone(proc.poll())
        holder.kill()
        holder.wait()
        out, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn(b"PASSED (id=0)", out)

    def test_sigterm_while_reading_a_fifo_named_testr_conf(self):
        p = Project(self)
        p.out("init")
        os.mkfifo(p.path(".testr.conf"))
        proc = p.popen("run")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        time.sleep(0.5)
        self.assertIsNone(proc.poll(), "reading the FIFO should wait for a writer")
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        self.assertLess(time.monotonic() - start, 3)
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn(b"interrupted (SIGTERM) while reading", err)
        self.assertIn(b".testr.conf", err)
        self.assertEqual(p.read(".testrepository/next-stream"), "0\n")

    def test_a_fifo_testr_conf_that_gets_written_is_read(self):
        p = faulty(self, [("t.a", "pass")])
        conf = p.read(".testr.conf")
        os.unlink(p.path(".testr.conf"))
        os.mkfifo(p.path(".testr.conf"))
        proc = p.popen("list-tests")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        time.sleep(0.3)
        with open(p.path(".testr.conf"), "w") as f:
            f.write(conf)
        out, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(out.split(), [b"t.a"])


def _ts(seconds):
    import datetime
    return datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=seconds)


if __name__ == "__main__":
    unittest.main(verbosity=2)
