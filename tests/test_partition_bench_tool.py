"""tools/partition-bench, run as a user would: named families, the
recorded real suites, a times.tsv written by the real adapters_runner
example, a JSON list, the SVG (rendered by rsvg-convert), bad input.
Run with /usr/bin/python3 through meson test.
"""
import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

BUILD = os.environ["TESTR_BUILD_ROOT"]
TOOL = os.path.join(BUILD, "tools", "partition-bench", "partition-bench")
RUNNER = os.path.join(BUILD, "examples", "custom-runner", "adapters_runner")
SUITES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "data", "suites")
SVG = "{http://www.w3.org/2000/svg}"
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
        recorded = {"suite:" + f[:-5] for f in os.listdir(SUITES) if f.endswith(".json")}
        self.assertEqual(families, {"uniform", "lognormal", "few per worker", "lpt worst case", "one dominant",
                                    "grouped"} | recorded)
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

    def test_the_recorded_suites_are_real_and_say_where_they_come_from(self):
        names = sorted(f[:-5] for f in os.listdir(SUITES) if f.endswith(".json"))
        self.assertGreaterEqual(set(names), {"testtools", "fixtures", "subunit", "testrepository", "stestr"})
        for name in names:
            with open(os.path.join(SUITES, name + ".json"), encoding="utf-8") as f:
                suite = json.load(f)
            self.assertEqual(suite["suite"], name)
            self.assertIn("subunit.run", suite["source"])
            self.assertEqual(len(suite["ids"]), len(suite["seconds"]))
            self.assertGreater(len(suite["seconds"]), 100, name)
            self.assertEqual(sum(suite["outcomes"].values()), len(suite["seconds"]))
            self.assertTrue(all(i.startswith(name + ".tests.") for i in suite["ids"]), name)
            self.assertTrue(all(s >= 0 for s in suite["seconds"]))
        r = rows("--family", "real suites", "--workers", "4", "--seeds", "2")
        self.assertEqual(sorted({x["source"] for x in r}), ["suite:" + n for n in names])
        self.assertTrue(all(x["instances"] == 2 for x in r))
        by = {(x["source"], x["algorithm"]): x for x in r}
        for n in names:
            self.assertLessEqual(by[("suite:" + n, "balanced")]["max_ratio"], by[("suite:" + n, "compat")]["max_ratio"] + 1e-12)

    def test_a_suite_family_at_seed_0_is_its_recording(self):
        path = os.path.join(SUITES, "stestr.json")
        family = {x["algorithm"]: x for x in rows("--family", "suite:stestr", "--workers", "3", "--seeds", "1")}
        recording = {x["algorithm"]: x for x in rows("--durations", path, "--workers", "3")}
        for a in ALGORITHMS[:-1]:
            self.assertAlmostEqual(family[a]["mean_ratio"], recording[a]["mean_ratio"], places=12)
        reruns = {x["algorithm"]: x for x in rows("--family", "suite:stestr", "--workers", "3", "--seeds", "3")}
        self.assertNotAlmostEqual(reruns["lpt"]["mean_ratio"], family["lpt"]["mean_ratio"], places=9)
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "mine.json"), "w", encoding="utf-8") as f:
                json.dump({"seconds": [5, 4, 3, 3, 3]}, f)
            r = {x["algorithm"]: x for x in rows("--suites", d, "--family", "suite:mine", "--workers", "2",
                                                  "--seeds", "1")}
            self.assertAlmostEqual(r["lpt"]["mean_ratio"], 10 / 9)
            rc, _, err = run("--suites", d, "--family", "suite:stestr")
            self.assertEqual(rc, 1)
            self.assertIn("no family named 'suite:stestr' in '%s'" % d, err)
            with open(os.path.join(d, "broken.json"), "w", encoding="utf-8") as f:
                f.write('{"seconds": [1, -2]}')
            rc, _, err = run("--suites", d)
            self.assertEqual(rc, 1)
            self.assertIn(os.path.join(d, "broken.json") + ": element 1 is not a duration", err)

    def test_the_svg_draws_every_figure_and_renders(self):
        with tempfile.TemporaryDirectory() as d:
            svg = os.path.join(d, "p.svg")
            r = rows("--family", "lpt worst case", "--family", "uniform", "--workers", "4,8", "--seeds", "2",
                     "--svg", svg)
            bars = [b for b in ET.parse(svg).getroot().iter(SVG + "rect") if b.get("class") == "bar"]
            # Per worker count: 2 families x 5 static algorithms, then x 6 with the dynamic schedule.
            self.assertEqual(len(bars), 2 * (2 * 5 + 2 * 6))
            by = {(x["source"], x["workers"], x["algorithm"]): x for x in r}
            panels = {}
            for b in bars:
                x = by[(b.get("data-source"), int(b.get("data-workers")), b.get("data-algorithm"))]
                field = "mean_ratio" if b.get("data-panel") == "exact" else "noisy_makespan_over_bound"
                self.assertAlmostEqual(float(b.get("data-value")), x[field], places=5)
                panels.setdefault((b.get("data-workers"), b.get("data-panel")), []).append(b)
            for key, panel in panels.items():
                # One baseline per panel, and the taller bar the larger figure.
                bottoms = {round(float(b.get("y")) + float(b.get("height")), 1) for b in panel}
                self.assertEqual(len(bottoms), 1, key)
                ranked = sorted(panel, key=lambda b: float(b.get("data-value")))
                heights = [float(b.get("height")) for b in ranked]
                self.assertEqual(heights, sorted(heights), key)
            exact4 = {b.get("data-source") + "/" + b.get("data-algorithm"): float(b.get("height"))
                      for b in panels[("4", "exact")]}
            self.assertEqual(max(exact4, key=exact4.get).split("/")[0], "lpt worst case")
            if not shutil.which("rsvg-convert"):
                self.skipTest("rsvg-convert not installed")
            png = subprocess.run(["rsvg-convert", "--format=png", svg], check=True, capture_output=True).stdout
            self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
            width, height = struct.unpack(">II", png[16:24])
            self.assertEqual(width, 1400)
            self.assertGreater(height, 4 * 200)

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
