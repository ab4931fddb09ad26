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


def _ts(seconds):
    import datetime
    return datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=seconds)


if __name__ == "__main__":
    unittest.main(verbosity=2)
