"""CI shards end to end: N shards as N `testr-mini run` processes, each in
its own fresh copy of a project (no .testrepository) whose only history is
a duration file another run exported (`times import`, or .testr.conf's
test_times_file), as N CI jobs that restored one cache; checked on what
the runners ran and on the stored streams (python-subunit); the CI
systems' variables; the errors.

Run with Debian's /usr/bin/python3; TESTR_MINI names the binary.
"""
import io
import json
import os
import random
import shutil
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import Project, encode, read_stream, summary_counts  # noqa: E402

import jsonschema  # noqa: E402
import subunit  # noqa: E402
import testtools  # noqa: E402

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "schema")

# Every variable a source reads: cleared (empty counts as unset), so a
# CI job running these tests does not shard them by accident.
CI_VARS = ["CI_NODE_INDEX", "CI_NODE_TOTAL", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", "BUILDKITE_PARALLEL_JOB",
           "BUILDKITE_PARALLEL_JOB_COUNT", "JOB_COMPLETION_INDEX", "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS",
           "TEST_SHARD_STATUS_FILE"]


def ci_env(**values):
    env = {v: "" for v in CI_VARS}
    env.update({k: str(v) for k, v in values.items()})
    return env


MARKER = "testr-mini.shard"  # the pseudo-test a shard's stream starts with (docs/remote.md)


def outcomes(stream, shard=None):
    """A stream's tests and their statuses, without the marker; `shard`
    (K, N, tests): the marker must say so."""
    if shard is not None:
        assert stream.status_of.get(MARKER) == "exists", stream.status_of.get(MARKER)
        assert "%s=%d/%d,tests=%d" % ((MARKER,) + shard) in stream.tags_of[MARKER], stream.tags_of[MARKER]
    return {i: s for i, s in stream.status_of.items() if i != MARKER}


def suite():
    """26 tests in 6 classes: short ones, and two long ones (seconds scaled down)."""
    rng = random.Random(5)
    tests = []
    for i in range(26):
        sleep = 0.25 if i in (3, 17) else round(rng.lognormvariate(-4, 0.8), 3)
        tests.append(("pkg.C%d.test_%02d" % (i % 6, i), "pass", sleep))
    return tests


def checkout(testcase, source, history, via_conf=False):
    """One CI job's fresh checkout of `source` (its files, not its
    .testrepository) given the exported duration file `history`: imported
    into a new repository, or (via_conf) named by test_times_file."""
    p = Project(testcase)
    for name in ("spec.json", ".testr.conf"):
        shutil.copy(source.path(name), p.path(name))
    shutil.copy(history, p.path("times.tsv"))
    if via_conf:
        p.write(".testr.conf", p.read(".testr.conf") + "test_times_file=times.tsv\n")
        p.out("init")
    else:
        p.out("times", "import", "--force-init", "times.tsv")
    testcase.assertEqual(p.stats()["runs"], "0")  # no run of its own: the file is all it knows
    return p


class Shards(unittest.TestCase):
    """One project runs the suite and exports its timings; each shard runs
    in a fresh checkout holding only that exported file."""

    @classmethod
    def setUpClass(cls):
        cls.source = Project(cls, cleanup=lambda *a: None)  # removed by tearDownClass
        cls.tests = suite()
        cls.ids = sorted(t[0] for t in cls.tests)
        cls.source.fake(cls.tests)
        cls.source.out("init")
        cls.source.run("run", "--parallel", check_rc=0, env=ci_env())
        cls.source.out("times", "export", "exported.tsv")
        cls.history = cls.source.path("exported.tsv")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.source.dir, True)

    def copy(self, via_conf=False):
        """A fresh checkout with only the exported history: one CI job."""
        return checkout(self, self.source, self.history, via_conf)

    def shard_run(self, index, total, *extra, env=None, rc=0, via_conf=False):
        """Runs shard index/total in a fresh copy; (ids the runners ran, the copy, stderr)."""
        p = self.copy(via_conf)
        got = p.run("run", "--parallel", "--shard", "%d/%d" % (index, total), *extra, env=env or ci_env(), check_rc=rc)
        return p.ran_ids(), p, got.stderr.decode()

    plain = {}  # (index, total) -> (ran ids, stderr, stored stream), shared by the tests of the class

    def plain_run(self, index, total):
        """shard_run without options, once per class: several tests read the same run."""
        if (index, total) not in self.plain:
            ran, p, err = self.shard_run(index, total)
            self.plain[(index, total)] = (ran, err, p.run("last", "--subunit", check_rc=0).stdout)
        return self.plain[(index, total)]

    def plan(self, total, project=None):
        return json.loads((project or self.copy()).out("plan", "--shards", str(total), "--json", env=ci_env()))

    def test_union_is_every_test_once_and_each_shard_is_deterministic(self):
        shards = [self.plain_run(k, 3)[0] for k in (1, 2, 3)]
        self.assertEqual(sorted(i for s in shards for i in s), self.ids)  # every test, none twice
        self.assertTrue(all(shards), shards)
        # A retried job (a fresh copy, the same history) on a machine with
        # another CPU count runs exactly the same tests.
        for k in (1, 2, 3):
            self.assertEqual(self.shard_run(k, 3, "--concurrency", "1")[0], shards[k - 1])
            self.assertEqual(self.shard_run(k, 3, "--concurrency", "3")[0], shards[k - 1])
            # The file named by test_times_file instead of imported: the same split.
            self.assertEqual(self.shard_run(k, 3, "--concurrency", "2", via_conf=True)[0], shards[k - 1])
        # 4 shards: the plan's union, and one shard run as the plan says.
        plan = self.plan(4)
        self.assertEqual(sorted(t["id"] for s in plan["shards"] for t in s["tests"]), self.ids)
        self.assertEqual(self.shard_run(4, 4)[0], sorted(t["id"] for t in plan["shards"][3]["tests"]))

    def test_the_listing_order_does_not_matter(self):
        reference = [sorted(t["id"] for t in s["tests"]) for s in self.plan(3)["shards"]]
        for k in (1, 2, 3):
            p = self.copy()
            spec = json.loads(p.read("spec.json"))
            spec["tests"].reverse()
            p.write("spec.json", json.dumps(spec))
            p.run("run", "--parallel", "--shard", "%d/3" % k, env=ci_env(), check_rc=0)
            self.assertEqual(p.ran_ids(), reference[k - 1])

    def test_the_split_is_time_balanced_from_history(self):
        plan = self.plan(3)
        self.assertTrue(plan["history"])
        self.assertEqual(plan["unknown_tests"], 0)
        # The two long tests (0.25 s each, more than a third of the suite
        # together) cannot share a shard in a balanced split.
        home = {t["id"]: s["shard"] for s in plan["shards"] for t in s["tests"]}
        self.assertNotEqual(home["pkg.C3.test_03"], home["pkg.C5.test_17"])
        self.assertLessEqual(plan["predicted_makespan"], 1.25 * plan["predicted_mean"])

    def test_plan_shards_shows_what_each_shard_runs(self):
        p = self.copy()
        plan = self.plan(3, p)
        with open(os.path.join(SCHEMA_DIR, "plan-shards.json")) as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.Draft202012Validator(schema).validate(plan)
        with self.assertRaises(jsonschema.ValidationError):  # the schema is not vacuous
            jsonschema.Draft202012Validator(schema).validate(dict(plan, shards=[{"shard": 0}]))
        self.assertEqual(plan["version"], 1)
        self.assertEqual(plan["total"], 3)
        self.assertEqual([s["shard"] for s in plan["shards"]], [1, 2, 3])
        for s in plan["shards"]:
            self.assertEqual(sorted(t["id"] for t in s["tests"]), self.plain_run(s["shard"], 3)[0])
            self.assertAlmostEqual(s["predicted_seconds"], sum(t["estimate"] for t in s["tests"]), places=4)
        text = p.out("plan", "--shards", "3", env=ci_env())
        self.assertIn("Shards: 26 tests over 3 shards", text)
        for s in plan["shards"]:
            self.assertIn("shard-%d: %d tests, predicted" % (s["shard"], len(s["tests"])), text)
        self.assertEqual(len(p.ran()), 0)  # plan runs no test

    def test_events_are_tagged_with_their_shard(self):
        ran, err, stored = self.plain_run(2, 3)
        self.assertIn("shard 2/3 (--shard 2/3): %d of 26 tests" % len(ran), err)
        stream = read_stream(stored)
        self.assertEqual(sorted(outcomes(stream, (2, 3, len(ran)))), ran)
        for test_id in ran:
            tags = stream.tags_of[test_id]
            self.assertIn("shard-2", tags)
            self.assertTrue(any(t.startswith("worker-") for t in tags), tags)

    def test_adding_a_test_without_history_moves_no_other_test(self):
        before = self.plan(4)
        p = self.copy()
        spec = json.loads(p.read("spec.json"))
        spec["tests"].insert(5, {"id": "pkg.New.test_added", "outcome": "pass", "sleep": 0, "tags": []})
        p.write("spec.json", json.dumps(spec))
        after = self.plan(4, p)
        home = {t["id"]: s["shard"] for s in after["shards"] for t in s["tests"]}
        added = [t for s in after["shards"] for t in s["tests"] if t["id"] == "pkg.New.test_added"]
        self.assertEqual(added[0]["hashed"], True)
        self.assertEqual(added[0]["recorded"], False)
        del home["pkg.New.test_added"]
        self.assertEqual(home, {t["id"]: s["shard"] for s in before["shards"] for t in s["tests"]})

    def test_group_regex_keeps_a_class_in_one_shard(self):
        p = self.copy()
        p.write(".testr.conf", p.read(".testr.conf") + "group_regex=([^.]+\\.[^.]+)\\.\n")
        plan = self.plan(4, p)
        home = {}
        for s in plan["shards"]:
            for t in s["tests"]:
                self.assertEqual(home.setdefault(t["id"].rsplit(".", 1)[0], s["shard"]), s["shard"], t["id"])
        self.assertEqual(len(home), 6)
        self.assertGreater(len({shard for shard in home.values()}), 1)
        # And the run keeps to the plan.
        busiest = max(plan["shards"], key=lambda s: len(s["tests"]))
        p.run("run", "--parallel", "--shard", "%d/4" % busiest["shard"], env=ci_env(), check_rc=0)
        self.assertEqual(p.ran_ids(), sorted(t["id"] for t in busiest["tests"]))

    def test_the_shards_loaded_together_equal_one_machine_running_it_all(self):
        # The suite as it is now (a failure, a skip); one machine runs it
        # all with the exported history, the shards run it from the same file.
        whole = self.copy()
        spec = json.loads(whole.read("spec.json"))
        spec["tests"][4]["outcome"] = "fail"
        spec["tests"][11]["outcome"] = "skip"
        failing_id = spec["tests"][4]["id"]
        whole.write("spec.json", json.dumps(spec))
        streams, ran = {}, {}
        for k in (1, 2, 3):
            p = checkout(self, whole, self.history)
            streams[k] = p.path("shard-%d.subunit" % k)
            with open(streams[k], "wb") as f:
                f.write(p.run("run", "--parallel", "--shard", "%d/3" % k, "--subunit", env=ci_env(), check_rc=0).stdout)
            with open(streams[k], "rb") as f:
                stream = read_stream(f.read())
            ran[k] = p.ran_ids()
            self.assertEqual(sorted(outcomes(stream, (k, 3, len(ran[k])))), ran[k])
            self.assertTrue(all("shard-%d" % k in stream.tags_of[i] for i in stream.status_of))
            # A shard knows only its own results: the failure is in one shard's list.
            self.assertEqual(p.out("failing", "--list", rc=1 if failing_id in ran[k] else 0).split(),
                             [failing_id] if failing_id in ran[k] else [])
        self.assertEqual(sorted(i for k in ran for i in ran[k]), self.ids)
        whole.run("run", "--parallel", env=ci_env(), check_rc=1)
        merged = Project(self)
        merged.fake(self.tests)
        merged.out("init")
        # Uploaded artifacts come back in any order: each stream says which shard it is.
        out = merged.out("load", "--shards", streams[3], streams[1], streams[2], env=ci_env(), rc=1)
        self.assertIn("Shards: 3 (shard-1: %d results, shard-2: %d results, shard-3: %d results)"
                      % tuple(len(ran[k]) for k in (1, 2, 3)), out)
        m, w = (read_stream(x.run("last", "--subunit", check_rc=0).stdout) for x in (merged, whole))
        for k in ran:
            for test_id in ran[k]:
                self.assertEqual({t for t in m.tags_of[test_id] if t.startswith("shard-")}, {"shard-%d" % k})
        self.assertEqual(outcomes(m), outcomes(w))
        self.assertEqual(len(outcomes(m)), 26)
        self.assertNotIn(MARKER, w.status_of)  # a run of all is no shard
        counts = [json.loads(x.out("last", "--json", rc=1)) for x in (merged, whole)]
        for c in counts:  # timings and workers differ between machines, nothing else may
            del c["run"], c["seconds"]
            c["failing"] = [(f["id"], f["status"]) for f in c["failing"]]
        self.assertEqual(counts[0], counts[1])
        self.assertEqual(merged.out("failing", "--list", rc=1).split(), [failing_id])
        self.assertEqual(whole.out("failing", "--list", rc=1).split(), [failing_id])

    def test_a_failing_test_fails_only_its_shard(self):
        spec = json.loads(self.source.read("spec.json"))
        spec["tests"][7]["outcome"] = "fail"
        rcs = []
        for k in (1, 2, 3):
            p = self.copy()
            p.write("spec.json", json.dumps(spec))
            got = p.run("run", "--parallel", "--shard", "%d/3" % k, env=ci_env())
            rcs.append((got.returncode, spec["tests"][7]["id"] in p.ran_ids()))
        self.assertEqual(sorted(rcs), [(0, False), (0, False), (1, True)])


class EmptyShards(unittest.TestCase):
    """More shards than tests: a shard whose share is empty still reports,
    and a merge tells it from one that never did."""

    TOTAL = 4

    def test_an_empty_share_reports_and_the_merge_knows_it(self):
        source = Project(self)
        source.fake([("e.t%d" % i, "pass") for i in range(3)])
        source.out("init")
        plan = json.loads(source.out("plan", "--shards", str(self.TOTAL), "--json", env=ci_env()))
        empty = [s["shard"] for s in plan["shards"] if not s["tests"]]
        self.assertTrue(empty)  # 3 tests, 4 shards
        streams = {}
        for k in range(1, self.TOTAL + 1):
            p = Project(self)
            for name in ("spec.json", ".testr.conf"):
                shutil.copy(source.path(name), p.path(name))
            p.out("init")
            got = p.run("run", "--parallel", "--shard", "%d/%d" % (k, self.TOTAL), "--subunit", env=ci_env(),
                        check_rc=0)
            streams[k] = source.path("shard-%d.subunit" % k)
            with open(streams[k], "wb") as f:
                f.write(got.stdout)
            self.assertEqual(len(p.ran()), len(plan["shards"][k - 1]["tests"]))
        k = empty[0]
        with open(streams[k], "rb") as f:
            data = f.read()
        self.assertTrue(data)  # not nothing: the marker
        self.assertEqual(outcomes(read_stream(data), (k, self.TOTAL, 0)), {})
        # python-subunit's tools read it as a stream of no test, and pass
        # nothing of it through to what they write.
        stats = subprocess.run(["subunit-stats"], input=data, capture_output=True, check=True).stdout.decode()
        self.assertIn("Total tests:       0\n", stats)
        self.assertNotIn("shard", stats)
        junit = subprocess.run(["subunit2junitxml"], input=data, capture_output=True, check=True).stdout
        self.assertEqual(ET.fromstring(junit).get("tests"), "0")
        busy = [j for j in streams if j != k][0]
        with open(streams[busy], "rb") as f:
            busy_data = f.read()
        junit = subprocess.run(["subunit2junitxml"], input=busy_data, capture_output=True, check=True).stdout
        self.assertEqual(ET.fromstring(junit).get("tests"), str(len(plan["shards"][busy - 1]["tests"])))
        stats = subprocess.run(["subunit-stats"], input=busy_data, capture_output=True, check=True).stdout.decode()
        self.assertIn("Total tests:       %d\n" % len(plan["shards"][busy - 1]["tests"]), stats)
        # testr itself counts the marker as no test either.
        if shutil.which("testr"):
            t = Project(self)
            t.write(".testr.conf", "[DEFAULT]\ntest_command=true\n")
            subprocess.run(["testr", "init"], cwd=t.dir, capture_output=True, check=True)
            for data_, n in ((data, None), (busy_data, len(plan["shards"][busy - 1]["tests"]))):
                got = subprocess.run(["testr", "load"], cwd=t.dir, input=data_, capture_output=True, check=True)
                if n is not None:
                    self.assertRegex(got.stdout.decode(), r"Ran %d (\(\+\d+\) )?tests? in " % n)
                self.assertIn("PASSED", got.stdout.decode())
        # Stamped (testr would stamp it with the time it reads it).
        stamps = []

        class Stamps(testtools.StreamResult):
            def status(self, test_id=None, timestamp=None, **_):
                if test_id == MARKER:
                    stamps.append(timestamp)

        subunit.ByteStreamToStreamResult(io.BytesIO(data)).run(Stamps())
        self.assertEqual(len(stamps), 1)
        self.assertIsNotNone(stamps[0])
        # The merge: all of them, in reverse order; the empty one ran nothing and that is fine.
        m = Project(self)
        r = m.run("load", "--force-init", "--shards", *[streams[j] for j in sorted(streams, reverse=True)],
                  env=ci_env(), check_rc=0)
        self.assertEqual(r.stderr.decode(), "")
        self.assertIn("shard-%d: ran nothing, its share was empty" % k, r.stdout.decode())
        self.assertEqual(summary_counts(r.stdout.decode())[0], 3)
        # The empty shard's file left out: named by the index no stream has.
        rest = [streams[j] for j in streams if j != k]
        r = m.run("load", "--shards", *rest, env=ci_env(), check_rc=1)
        self.assertIn("shard %d/%d never reported: no stream read says it is shard %d" % (k, self.TOTAL, k),
                      r.stderr.decode())
        # Read back in a later step, the merge is still what load said: failed, a shard short.
        self.assertRegex(m.out("last", rc=1), r"\nFAILED \(id=1\)\n1 shard never reported\n$")
        self.assertEqual(json.loads(m.out("last", "--json", rc=1))["shards_not_reported"], 1)
        # One shard twice, and a stream of another split (python-subunit's
        # writer: the marker is a plain exists event).
        r = m.run("load", "--shards", *rest, streams[k], streams[k], env=ci_env(), check_rc=1)
        self.assertIn("shard %d is given 2 times (%s, %s)" % (k, streams[k], streams[k]), r.stderr.decode())
        other = source.path("other.subunit")
        with open(other, "wb") as f:
            f.write(encode([(MARKER, "exists", {"test_tags": {"shard-1", MARKER + "=1/5,tests=0"}})]))
        r = m.run("load", "--shards", streams[k], other, env=ci_env(), check_rc=1)
        self.assertIn("the shards disagree on how many shards there are (shard %d (%s) says %d; shard 1 (%s) says 5)"
                      % (k, streams[k], self.TOTAL, other), r.stderr.decode())
        # An upload that is empty (the job died first) is not an empty share.
        with open(streams[k], "wb"):
            pass
        r = m.run("load", "--shards", *[streams[j] for j in sorted(streams)], env=ci_env(), check_rc=1)
        self.assertIn("shard %d (%s) never reported: the stream is empty" % (k, streams[k]), r.stderr.decode())
        self.assertNotIn("no stream read says", r.stderr.decode())  # one problem, said once
        self.assertIn("shard-%d: never reported" % k, r.stdout.decode())
        # Given where another shard's file would be, its position means nothing.
        order = list(rest)
        order.insert(0 if k != 1 else 1, streams[k])
        r = m.run("load", "--shards", *order, env=ci_env(), check_rc=1)
        self.assertIn("shard ? (%s) never reported: the stream is empty" % streams[k], r.stderr.decode())
        self.assertIn("shard %d/%d never reported: no stream read says it is shard %d" % (k, self.TOTAL, k),
                      r.stderr.decode())
        self.assertRegex(m.out("last", rc=1), r"\n1 shard never reported\n$")  # named twice, one shard


class Sources(unittest.TestCase):
    """Each CI system's variables pick the same shard as --shard would."""

    @classmethod
    def setUpClass(cls):
        cls.p = Project(cls, cleanup=lambda *a: None)  # removed by tearDownClass
        cls.tmp = cls.p.dir
        cls.p.fake([("t.%02d" % i, "pass") for i in range(12)])
        cls.p.out("init")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def ran_with(self, *args, env, rc=0):
        """Runs in a fresh copy: a run records durations, and the next split would use them."""
        p = Project(self)
        shutil.copytree(self.p.dir, p.dir, dirs_exist_ok=True)
        got = p.run("run", "--parallel", *args, env=ci_env(**env), check_rc=rc)
        return p.ran_ids(), got.stderr.decode()

    def test_each_source_names_itself_and_picks_the_shard(self):
        expected = {k: self.ran_with("--shard", "%d/3" % k, env={})[0] for k in (1, 2, 3)}
        self.assertEqual(sorted(i for k in expected for i in expected[k]), ["t.%02d" % i for i in range(12)])
        cases = [  # (env, the shard it means, what the run says)
            ({"CI_NODE_INDEX": 3, "CI_NODE_TOTAL": 3}, 3, "(GitLab: CI_NODE_INDEX=3, CI_NODE_TOTAL=3)"),
            ({"CIRCLE_NODE_INDEX": 0, "CIRCLE_NODE_TOTAL": 3}, 1, "(CircleCI: CIRCLE_NODE_INDEX=0, CIRCLE_NODE_TOTAL=3)"),
            ({"BUILDKITE_PARALLEL_JOB": 1, "BUILDKITE_PARALLEL_JOB_COUNT": 3}, 2,
             "(Buildkite: BUILDKITE_PARALLEL_JOB=1, BUILDKITE_PARALLEL_JOB_COUNT=3)"),
            ({"TEST_SHARD_INDEX": 2, "TEST_TOTAL_SHARDS": 3}, 3, "(Bazel: TEST_SHARD_INDEX=2, TEST_TOTAL_SHARDS=3)"),
        ]
        for env, shard, said in cases:
            with self.subTest(env=env):
                ran, err = self.ran_with(env=env)
                self.assertEqual(ran, expected[shard])
                self.assertIn("shard %d/3 %s" % (shard, said), err)
        ran, err = self.ran_with("--shard-total", "3", env={"JOB_COMPLETION_INDEX": 1})
        self.assertEqual(ran, expected[2])
        self.assertIn("shard 2/3 (Kubernetes: JOB_COMPLETION_INDEX=1, --shard-total 3)", err)
        # The option wins over the environment.
        ran, err = self.ran_with("--shard", "1/3", env={"CI_NODE_INDEX": 3, "CI_NODE_TOTAL": 3})
        self.assertEqual(ran, expected[1])

    def test_kubernetes_total_from_testr_conf(self):
        conf = self.p.read(".testr.conf")
        self.addCleanup(self.p.write, ".testr.conf", conf)
        self.p.write(".testr.conf", conf + "shard_total=3\n")
        ran, err = self.ran_with(env={"JOB_COMPLETION_INDEX": 0})
        self.assertEqual(ran, self.ran_with("--shard", "1/3", env={})[0])
        self.assertIn("(Kubernetes: JOB_COMPLETION_INDEX=0, shard_total=3 in ", err)
        self.p.write(".testr.conf", conf + "shard_total=three\n")
        _, err = self.ran_with(env={"JOB_COMPLETION_INDEX": 0}, rc=2)
        self.assertIn(".testr.conf:5: shard_total must be a whole number >= 1, not 'three'", err)

    def test_bazel_status_file_is_touched(self):
        status = os.path.join(self.tmp, "shard-status")
        self.assertFalse(os.path.exists(status))
        self.ran_with(env={"TEST_SHARD_INDEX": 0, "TEST_TOTAL_SHARDS": 2, "TEST_SHARD_STATUS_FILE": status})
        self.assertTrue(os.path.exists(status))
        _, err = self.ran_with(env={"TEST_SHARD_INDEX": 0, "TEST_TOTAL_SHARDS": 2,
                                    "TEST_SHARD_STATUS_FILE": os.path.join(self.tmp, "no", "such", "dir")}, rc=3)
        self.assertIn("TEST_SHARD_STATUS_FILE", err)

    def test_without_any_source_the_run_is_whole(self):
        ran, err = self.ran_with(env={})
        self.assertEqual(len(ran), 12)
        self.assertNotIn("shard", err)
        # A single shard (CircleCI without parallelism) is the whole suite.
        ran, err = self.ran_with(env={"CIRCLE_NODE_INDEX": 0, "CIRCLE_NODE_TOTAL": 1})
        self.assertEqual(len(ran), 12)
        self.assertIn("shard 1/1", err)

    def test_an_empty_shard_passes_with_no_test(self):
        plan = json.loads(self.p.out("plan", "--shards", "20", "--json", env=ci_env()))
        self.assertEqual(plan["method"], "hash")  # no history here
        empty = [s["shard"] for s in plan["shards"] if not s["tests"]]
        self.assertGreaterEqual(len(empty), 8)
        ran, err = self.ran_with("--shard", "%d/20" % empty[0], env={})
        self.assertEqual(ran, [])
        self.assertIn("0 of 12 tests", err)

    def test_bad_values_name_the_variable(self):
        cases = [
            ({"CI_NODE_INDEX": 0, "CI_NODE_TOTAL": 3}, "CI_NODE_INDEX=0 is out of range: GitLab counts from 1, "
                                                      "so with CI_NODE_TOTAL=3 it must be 1..3"),
            ({"CIRCLE_NODE_INDEX": 3, "CIRCLE_NODE_TOTAL": 3}, "CIRCLE_NODE_INDEX=3 is out of range: CircleCI counts "
                                                              "from 0, so with CIRCLE_NODE_TOTAL=3 it must be 0..2"),
            ({"CI_NODE_INDEX": "two", "CI_NODE_TOTAL": 3}, "CI_NODE_INDEX='two' is not a whole number"),
            ({"BUILDKITE_PARALLEL_JOB": 1}, "BUILDKITE_PARALLEL_JOB is set (Buildkite) but BUILDKITE_PARALLEL_JOB_COUNT "
                                           "is not"),
            ({"TEST_SHARD_INDEX": 0, "TEST_TOTAL_SHARDS": 0}, "TEST_TOTAL_SHARDS=0: the number of shards must be at "
                                                             "least 1"),
            ({"JOB_COMPLETION_INDEX": 1}, "JOB_COMPLETION_INDEX=1 is set (a Kubernetes Indexed Job) but not the "
                                          "number of shards: give --shard-total N"),
        ]
        for env, said in cases:
            with self.subTest(env=env):
                ran, err = self.ran_with(env=env, rc=2)
                self.assertIn(said, err)
                self.assertEqual(ran, [])

    def test_bad_options(self):
        for args, said in [
            (["--shard", "0/3"], "--shard '0/3': INDEX counts from 1, so it must be 1..3"),
            (["--shard", "4/3"], "--shard '4/3': INDEX counts from 1"),
            (["--shard", "3"], "--shard '3' is not INDEX/TOTAL"),
            (["--shard", "1/0"], "the number of shards must be at least 1"),
            (["--shard", "1/3", "--shard-total", "4"], "--shard-total 4 disagrees with --shard 1/3"),
            (["--shard-total", "3"], "--shard-total 3 needs a shard index"),
        ]:
            with self.subTest(args=args):
                _, err = self.ran_with(*args, env={}, rc=2)
                self.assertIn(said, err)
        got = self.p.run("plan", "--shards", "2", "--shard", "1/2", env=ci_env())
        self.assertEqual(got.returncode, 2)
        self.assertIn("does not go with --shard", got.stderr.decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
