"""`plan --compare` on a recorded repository, and the proof that its
prediction holds: a sleep-based suite is recorded by real runs, compared,
and then run as `run` plans it; the makespan the run's own subunit stream
shows must agree with the prediction within a stated tolerance.

Run with /usr/bin/python3 (python-subunit) through meson test.
"""
import io
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import Project  # noqa: E402

import jsonschema  # noqa: E402
import subunit  # noqa: E402
import testtools  # noqa: E402

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "schema", "plan-compare.json")

ALGORITHMS = ["compat", "lpt", "karmarkar-karp", "multifit", "balanced", "dynamic (simulated)"]
# Sleeps of 2.4 s in all, over 2 workers: uneven, so the algorithms differ.
SLEEPS = [0.45, 0.4, 0.3, 0.3, 0.25, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05]
# A loaded machine (2 cores, several builds) stretches a run: wake-ups are
# late and the runner's bookkeeping between tests takes longer. Prediction
# checks, not speed bounds: the measured span may be this far from the
# prediction either way.
RELATIVE, ABSOLUTE = 0.2, 0.15


class Spans(testtools.StreamResult):
    """Per worker tag: the first test's start and the last test's end."""

    def __init__(self):
        super().__init__()
        self.first, self.last = {}, {}

    def status(self, test_id=None, test_status=None, test_tags=None, timestamp=None, **_):
        if not test_id or timestamp is None:
            return
        for w in (t for t in (test_tags or ()) if t.startswith("worker-")):
            self.first[w] = min(self.first.get(w, timestamp), timestamp)
            self.last[w] = max(self.last.get(w, timestamp), timestamp)

    def makespan(self):
        return max((self.last[w] - self.first[w]).total_seconds() for w in self.first)


class AgainstARun:
    """What a run of the plan took, beside what was predicted."""

    def measured_makespan(self):
        s = Spans()
        stream = self.p.run("last", "--subunit", check_rc=0).stdout
        subunit.ByteStreamToStreamResult(io.BytesIO(stream)).run(s)
        self.assertEqual(sorted(s.first), ["worker-0", "worker-1"])
        return s.makespan()

    def assert_agrees(self, measured, predicted, what):
        tolerance = RELATIVE * predicted + ABSOLUTE
        sys.stderr.write("%s: measured %.3fs, predicted %.3fs\n" % (what, measured, predicted))
        self.assertLessEqual(abs(measured - predicted), tolerance,
                             "%s: measured %.3fs, predicted %.3fs (tolerance %.3fs)" % (what, measured, predicted, tolerance))


class PlanCompare(AgainstARun, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # One recorded repository for every test: each run adds history,
        # which only refines the durations the next comparison reads.
        cls.p = Project(cls, cleanup=cls.addClassCleanup)
        cls.p.fake([("suite.mod%d.test_%02d" % (i % 4, i), "pass", s) for i, s in enumerate(SLEEPS)])
        cls.p.out("init")
        for _ in range(2):  # real durations in the repository
            cls.p.out("run", "--parallel", "--concurrency", "2")

    def compare(self, *args):
        return json.loads(self.p.out("plan", "--compare", "--json", "--concurrency", "2", *args))

    def test_the_table_scores_every_algorithm_against_the_optimum(self):
        c = self.compare()
        with open(SCHEMA, encoding="utf-8") as f:
            jsonschema.Draft202012Validator(json.load(f)).validate(c)
        self.assertEqual([a["name"] for a in c["algorithms"]], ALGORITHMS)
        self.assertEqual((c["tests"], c["workers"], c["history"], c["guessed_estimates"]), (12, 2, True, 0))
        self.assertIsNotNone(c["optimum"], "12 tests on 2 workers: the exact search settles it")
        total = sum(SLEEPS)
        # The recorded durations are the sleeps and a little more.
        self.assertGreaterEqual(c["lower_bound"], total / 2 - 1e-3)
        for a in c["algorithms"]:
            self.assertGreaterEqual(a["predicted_seconds"], c["optimum"] - 1e-6, a)
            self.assertAlmostEqual(a["ratio"], a["predicted_seconds"] / c["optimum"], places=4)
            self.assertGreater(a["noisy_seconds"], 0)
        # Less noise, a smaller noisy makespan for a static plan: the
        # noise only ever adds to the slowest worker's expected total.
        quiet = {a["name"]: a for a in self.compare("--noise", "0")["algorithms"]}
        for a in c["algorithms"]:
            self.assertAlmostEqual(quiet[a["name"]]["noisy_seconds"], a["predicted_seconds"], places=5)
        text = self.p.out("plan", "--compare", "--concurrency", "2")
        self.assertTrue(text.startswith("Compare: 12 tests on 2 workers, lower bound "), text)
        for name in ALGORITHMS:
            self.assertIn("\n" + name + " ", text)
        self.assertIn("\nrun uses: ", text)

    def test_a_static_run_of_the_chosen_plan_takes_what_compare_predicted(self):
        c = self.compare("--schedule", "static")
        rows = {a["name"]: a for a in c["algorithms"]}
        # run --schedule static runs testr::partition's balanced plan.
        self.assertAlmostEqual(c["chosen"]["predicted_seconds"], rows["balanced"]["predicted_seconds"], places=5)
        self.p.out("run", "--parallel", "--concurrency", "2", "--schedule", "static")
        self.assert_agrees(self.measured_makespan(), c["chosen"]["predicted_seconds"], "static")

    def test_a_dynamic_run_takes_what_compare_predicted(self):
        c = self.compare()
        self.p.out("run", "--parallel", "--concurrency", "2")
        self.assert_agrees(self.measured_makespan(), c["chosen"]["predicted_seconds"], "dynamic")

    def test_groups_stay_whole_as_run_keeps_them(self):
        conf = self.p.read(".testr.conf")
        self.addCleanup(self.p.write, ".testr.conf", conf)
        self.p.write(".testr.conf", conf + "group_regex=suite\\.mod\\d\n")
        c = self.compare("--schedule", "static")
        rows = {a["name"]: a for a in c["algorithms"]}
        self.assertAlmostEqual(c["chosen"]["predicted_seconds"], rows["balanced"]["predicted_seconds"], places=5)
        # Four modules of at least 0.8, 0.65, 0.5 and 0.45 s kept whole: no
        # split of them beats 0.8 + 0.45; the tests alone could do 1.2.
        sums = [sum(SLEEPS[i] for i in range(len(SLEEPS)) if i % 4 == k) for k in range(4)]
        best = min(max(sum(x for k, x in enumerate(sums) if mask >> k & 1),
                       sum(x for k, x in enumerate(sums) if not mask >> k & 1)) for mask in range(16))
        self.assertGreaterEqual(c["optimum"], best - 1e-3)
        self.p.write(".testr.conf", conf)
        self.assertLess(self.compare("--schedule", "static")["optimum"], c["optimum"] - 0.01)

    def test_bad_noise_and_shards_are_usage_errors(self):
        for cmd in (["plan", "--compare", "--noise", "-1"], ["plan", "--compare", "--shards", "2"],
                    ["plan", "--noise", "0.2"]):
            p = self.p.run(*cmd)
            self.assertEqual(p.returncode, 2, (cmd, p.stderr))


class RunnerTimeBetweenTests(AgainstARun, unittest.TestCase):
    """Tests that take no time in a runner that takes some between them:
    the recorded durations say nothing, and only the runner's measured time
    between tests predicts the run."""

    TESTS, BETWEEN = 60, 0.02

    @classmethod
    def setUpClass(cls):
        cls.p = Project(cls, cleanup=cls.addClassCleanup)
        cls.p.fake([("suite.mod%d.test_%02d" % (i % 3, i), "pass") for i in range(cls.TESTS)], between=cls.BETWEEN)
        cls.p.out("init")
        for _ in range(2):
            cls.p.out("run", "--parallel", "--concurrency", "2")

    def test_the_time_between_tests_is_measured_and_predicts_the_run(self):
        c = json.loads(self.p.out("plan", "--compare", "--json", "--concurrency", "2", "--schedule", "static"))
        with open(SCHEMA, encoding="utf-8") as f:
            jsonschema.Draft202012Validator(json.load(f)).validate(c)
        # The runner sleeps BETWEEN after each test; a loaded machine wakes it late.
        self.assertGreaterEqual(c["between_tests"], self.BETWEEN * 0.9, c)
        self.assertLess(c["between_tests"], self.BETWEEN * 4, c)
        per_worker = self.TESTS / 2 * c["between_tests"]
        rows = {a["name"]: a for a in c["algorithms"]}
        for name in ("compat", "balanced"):
            self.assertGreaterEqual(rows[name]["predicted_seconds"], per_worker - 1e-6, rows[name])
        self.assertAlmostEqual(c["chosen"]["predicted_seconds"], rows["balanced"]["predicted_seconds"], places=5)
        plan = json.loads(self.p.out("plan", "--json", "--concurrency", "2", "--schedule", "static"))
        self.assertAlmostEqual(plan["between_tests"], c["between_tests"], places=5)
        self.assertEqual(sorted(len(w["tests"]) for w in plan["workers"]), [30, 30])
        self.assertIn("Between tests a runner spends ", self.p.out("plan", "--concurrency", "2"))
        self.p.out("run", "--parallel", "--concurrency", "2", "--schedule", "static")
        self.assert_agrees(self.measured_makespan(), c["chosen"]["predicted_seconds"], "static, runner time between tests")


if __name__ == "__main__":
    unittest.main()
