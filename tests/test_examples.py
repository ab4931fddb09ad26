"""The custom-runner examples (examples/custom-runner/), run as a user would.

core_runner: the header-only core driving its own runner processes.
adapters_runner: process + subunit + timesdb adapters as a library; its
runner's stream is also read by the real python-subunit (subunit-stats).
Run with Debian's /usr/bin/python3 through meson test.
"""
import os
import subprocess
import tempfile
import unittest

BUILD = os.environ["TESTR_BUILD_ROOT"]
CORE = os.path.join(BUILD, "examples", "custom-runner", "core_runner")
ADAPTERS = os.path.join(BUILD, "examples", "custom-runner", "adapters_runner")


def run(*argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout.splitlines(), p.stderr


class CoreRunner(unittest.TestCase):
    def test_three_cpus(self):
        rc, out, err = run(CORE, "3")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out[0], "workers: 3 (cpu count)")
        # 40 tests, every third without history: estimated from the class.
        self.assertEqual(out[1], "estimated: 27 recorded, 13 from their class")
        self.assertTrue(out[2].startswith("static plan: predicted makespan "), out)
        self.assertRegex(out[3], r"^ran 40/40 tests once each in \d+ runner processes, [0-9.]+ s$")
        runners = int(out[3].split(" in ")[1].split()[0])
        self.assertGreaterEqual(runners, 3)  # at least one per worker
        self.assertEqual(out[4], "group pkg.db.Fixture: 1 runner process")
        # 1.1 s of sleeping on 3 workers: well under the serial time.
        self.assertLess(float(out[3].split(", ")[-1].split()[0]), 1.0)

    def test_unknown_cpu_count_falls_back_to_one_worker(self):
        rc, out, err = run(CORE, "0")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out[0], "workers: 1 (default)")
        self.assertEqual(out[3].split(" in ")[1].split()[0], "1")

    def test_usage(self):
        rc, _, err = run(CORE)
        self.assertEqual(rc, 2)
        self.assertIn("usage: core_runner CPUS", err)


class AdaptersRunner(unittest.TestCase):
    def test_history_carries_over(self):
        with tempfile.TemporaryDirectory() as d:
            rc, out, err = run(ADAPTERS, d, "3")
            self.assertEqual(rc, 0, err)
            self.assertEqual(out[0], "history: 0 of 12 tests known")
            self.assertEqual(out[2], "ran: 12 tests, 1 failed")
            self.assertEqual(out[3], "recorded: 12 new, 0 updated")
            rc, out, err = run(ADAPTERS, d, "3")
            self.assertEqual(rc, 0, err)
            self.assertEqual(out[0], "history: 12 of 12 tests known")
            self.assertEqual(out[3], "recorded: 0 new, 12 updated")
            # Predicted from real durations now: tens of ms, not 1 s per test.
            self.assertLess(float(out[1].split("predicted ")[1].split()[0]), 0.2)
            with open(os.path.join(d, "times.tsv"), encoding="utf-8") as f:
                # The store's sorted section and its log, the last record per id winning.
                rows = {}
                for line in f:
                    r = line.rstrip("\n").split("\t")
                    if not line.startswith("#") and len(r) == 5:
                        rows[r[4]] = r
                rows = list(rows.values())
            self.assertEqual(len(rows), 12)
            status = {r[4]: r[3] for r in rows}
            self.assertEqual(status["suite.Case9.test_broken"], "fail")
            self.assertEqual(sum(1 for s in status.values() if s == "pass"), 11)
            self.assertTrue(all(r[2] == "2" for r in rows))

    def test_missing_directory_is_an_error_naming_it(self):
        rc, _, err = run(ADAPTERS, "/nonexistent/dir", "2")
        self.assertEqual(rc, 1)
        self.assertIn("/nonexistent/dir", err)

    def test_runner_stream_reads_in_python_subunit(self):
        child = subprocess.run([ADAPTERS, "--child", "a.B.test_1", "a.B.test_broken"],
                               capture_output=True, timeout=30)
        stats = subprocess.run(["subunit-stats"], input=child.stdout, capture_output=True, timeout=30)
        text = stats.stdout.decode()
        self.assertIn("Total tests:       2", text)
        self.assertIn("Failed tests:      1", text)


if __name__ == "__main__":
    unittest.main()
