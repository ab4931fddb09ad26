"""tools/partition-bench, run as a user would: named families, a times.tsv
written by the real adapters_runner example, a JSON list, bad input.
Run with /usr/bin/python3 through meson test.
"""
import json
import os
import subprocess
import tempfile
import unittest

BUILD = os.environ["TESTR_BUILD_ROOT"]
TOOL = os.path.join(BUILD, "tools", "partition-bench", "partition-bench")
RUNNER = os.path.join(BUILD, "examples", "custom-runner", "adapters_runner")
ALGORITHMS = ["compat", "lpt", "karmarkar-karp", "multifit", "balanced", "dynamic (simulated)"]


def run(*args):
    p = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def rows(*args):
    rc, out, err = run(*args, "--json", "-")
    assert rc == 0, err
    return json.loads(out)


class PartitionBench(unittest.TestCase):
    def test_lpt_worst_case_is_four_thirds_minus_one_over_3m(self):
        for m in (3, 4, 8):
            r = {x["algorithm"]: x for x in rows("--family", "lpt worst case", "--workers", str(m), "--seeds", "2")}
            self.assertEqual(sorted(r), sorted(ALGORITHMS))
            self.assertAlmostEqual(r["lpt"]["mean_ratio"], 4 / 3 - 1 / (3 * m), places=9)
            self.assertEqual(r["lpt"]["exact_optimum_known"], 2)
            self.assertAlmostEqual(r["balanced"]["max_ratio"], 1.0, places=9)

    def test_every_family_balanced_never_worse_than_compat(self):
        r = rows("--workers", "4,16", "--seeds", "3")
        by = {(x["source"], x["workers"], x["algorithm"]): x for x in r}
        families = {x["source"] for x in r}
        self.assertEqual(families, {"uniform", "lognormal", "few per worker", "lpt worst case", "one dominant", "grouped"})
        for (source, m, algorithm), x in by.items():
            if algorithm == "dynamic (simulated)":
                continue
            self.assertEqual(x["invalid"], 0, (source, m, algorithm))
            self.assertGreaterEqual(x["mean_ratio"], 1 - 1e-9)
            self.assertLessEqual(by[(source, m, "balanced")]["max_ratio"], by[(source, m, "compat")]["max_ratio"] + 1e-12)

    def test_table(self):
        rc, out, err = run("--family", "lognormal", "--workers", "8", "--seeds", "2")
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertTrue(lines[1].startswith("source"), lines)
        self.assertEqual(len(lines), 2 + len(ALGORITHMS))
        self.assertIn("balanced", lines[6])

    def test_a_suites_own_times_tsv_and_a_json_list(self):
        with tempfile.TemporaryDirectory() as d:
            for _ in range(2):  # the runner example records real durations
                subprocess.run([RUNNER, d, "3"], check=True, capture_output=True, timeout=60)
            times = os.path.join(d, "times.tsv")
            r = {x["algorithm"]: x for x in rows("--times", times, "--workers", "3")}
            self.assertEqual(r["balanced"]["source"], times)
            self.assertEqual(r["balanced"]["instances"], 1)
            self.assertEqual(r["balanced"]["invalid"], 0)
            durations = os.path.join(d, "durations.json")
            with open(durations, "w", encoding="utf-8") as f:
                json.dump([5, 4, 3, 3, 3], f)  # 2 workers: optimum 9, 5+4 | 3+3+3
            r = {x["algorithm"]: x for x in rows("--durations", durations, "--workers", "2")}
            self.assertAlmostEqual(r["balanced"]["mean_ratio"], 1.0)
            self.assertEqual(r["balanced"]["exact_optimum_known"], 1)
            self.assertAlmostEqual(r["lpt"]["mean_ratio"], 10 / 9)  # LPT: 5+3 | 4+3+3

    def test_bad_input_names_the_file(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "bad.json")
            with open(bad, "w", encoding="utf-8") as f:
                f.write('[1, "two", 3]')
            rc, _, err = run("--durations", bad)
            self.assertEqual(rc, 1)
            self.assertIn(bad + ": element 1 is not a duration", err)
            rc, _, err = run("--times", os.path.join(d, "missing", "times.tsv"))
            self.assertEqual(rc, 1)
            self.assertIn(os.path.join(d, "missing"), err)
            rc, _, err = run("--family", "nonsense")
            self.assertEqual(rc, 1)
            self.assertIn("no family named 'nonsense'", err)
            rc, _, err = run("--frobnicate")
            self.assertEqual(rc, 2)
            self.assertIn("usage: partition-bench", err)


if __name__ == "__main__":
    unittest.main()
