"""The project's own quick doctest programs, run through testr-mini as a
doctest suite (test_format=doctest, one test_binaries entry each): in
parallel by test case, history kept in the build directory, and the same
cases and counts as each program's direct run.

Run with Debian's /usr/bin/python3; TESTR_MINI and TESTR_BUILD_ROOT come
from tests/meson.build.
"""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e"))
from e2e_support import binary, summary_counts  # noqa: E402

# Quick, self-contained programs (no cgroups, no other binaries to build);
# not test_estimates, whose 200 ms speed bound fails on a loaded machine.
PROGRAMS = ["partition", "timesdb", "group_regex", "test_filter", "dynamic_schedule",
            "run_engine", "report_format", "worker_pool", "junit_report", "command_template", "concurrency"]
DIRECT = re.compile(r"\[doctest\] test cases:\s*(\d+) \|\s*(\d+) passed \|\s*(\d+) failed(?: \|\s*(\d+) skipped)?")


class SelfSuite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        build = os.environ.get("TESTR_BUILD_ROOT")
        if not build:
            raise unittest.SkipTest("TESTR_BUILD_ROOT not set")
        cls.bins = [os.path.join(build, "tests", "test_" + p) for p in PROGRAMS]
        missing = [b for b in cls.bins if not os.access(b, os.X_OK)]
        if missing:
            raise unittest.SkipTest("not built: %s" % missing)
        cls.tool = binary()
        # In the build tree, so each scripts/test run plans from the last.
        cls.project = os.path.join(build, "tests", "self-via-testr")
        os.makedirs(cls.project, exist_ok=True)
        with open(os.path.join(cls.project, ".testr.conf"), "w") as f:
            f.write("[DEFAULT]\ntest_format=doctest\ntest_command=$BINARY $LISTOPT $IDOPTION\n"
                    "test_binaries=%s\n" % " ".join(cls.bins))
        if not os.path.isdir(os.path.join(cls.project, ".testrepository")):
            cls.cli("init")

    @classmethod
    def cli(cls, *args, rc=0):
        p = subprocess.run([cls.tool, *args], cwd=cls.project, capture_output=True, timeout=240)
        out = p.stdout.decode(errors="replace")
        if p.returncode != rc:
            raise AssertionError("testr-mini %s: exit %d\n%s%s" % (" ".join(args), p.returncode, out,
                                                                  p.stderr.decode(errors="replace")))
        return out

    def test_every_case_runs_once_with_the_direct_runs_outcomes(self):
        expected_ran = expected_failed = 0
        for b in self.bins:
            direct = subprocess.run([b], capture_output=True, timeout=240, env=os.environ)
            m = DIRECT.findall(direct.stdout.decode(errors="replace"))
            self.assertTrue(m, b)
            _, passed, failed, _ = m[-1]
            expected_ran += int(passed) + int(failed)
            expected_failed += int(failed)
        out = self.cli("run", "--parallel", "--concurrency", "2", rc=1 if expected_failed else 0)
        print(out)
        # "Ran N (-M) tests": the change since the previous run may follow.
        ran = int(re.search(r"^Ran (\d+)", out, re.M).group(1))
        _, failures, _, verdict = summary_counts(out)
        self.assertEqual((ran, failures), (expected_ran, expected_failed), out)
        self.assertEqual(verdict, "PASSED" if not expected_failed else "FAILED")
        listed = self.cli("list-tests").split("\n")
        for prog in PROGRAMS:
            self.assertTrue(any(t.startswith("test_%s::" % prog) for t in listed), prog)

    def test_the_next_run_is_planned_from_the_stored_durations(self):
        # After the run above (unittest runs the methods in name order).
        out = self.cli("run", "--parallel", "--concurrency", "2")
        self.assertRegex(out, r"predicted [0-9.]+s", out)
        self.assertNotIn("no history yet", out)


if __name__ == "__main__":
    unittest.main()
