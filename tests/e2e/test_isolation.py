"""`run --analyze-isolation` beside the real testr: testr's table on the
same suite (a small one, and testtools' own, a real case), and the
smallest set of tests that makes a test fail, which testr does not find
when it takes two.
"""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import PY, Project  # noqa: E402
from test_switch import ENV, ISOLATION_SUITE, python_project, run_in, tool  # noqa: E402

# B.test_b03 and A.test_a07 ... C.test_victim: it fails only after both.
TWO_CAUSE_SUITE = "import unittest\nSTATE = {}\n" + "".join(
    "class %s(unittest.TestCase):\n" % c + "".join(
        "    def test_%s%02d(self): %s\n" % (c.lower(), i, "STATE[%r] = True" % c if i == setter else "pass")
        for i in range(12)) for c, setter in (("A", 7), ("B", 3))) + (
    "class C(unittest.TestCase):\n"
    "    def test_victim(self): self.assertFalse('A' in STATE and 'B' in STATE)\n"
    "    def test_z(self): pass\n")


def testr_table(out):
    """testr's table in `run --analyze-isolation`'s output."""
    text = out.decode()
    return text[text.index("failing test"):].split("\nThe smallest set", 1)[0]


def smallest_sets(out):
    """{failing test: [the tests of its smallest set, in order]} from the
    report after testr's table."""
    text = out.decode().split("The smallest set of tests that makes each fail:\n", 1)[1]
    sets, current = {}, None
    for line in text.splitlines()[2:]:
        failing, _, cause = line.partition("  ")
        if failing.strip():
            current = failing.strip()
        sets.setdefault(current, []).append(cause.strip())
    return sets


class AnalyzeIsolation(unittest.TestCase):
    def test_finds_the_polluter_as_testr_does(self):
        testr = tool("testr")
        ours, theirs = Project(self), Project(self)
        results = []
        for p, argv in ((ours, [ours.bin]), (theirs, [testr])):
            python_project(p, "test_iso", ISOLATION_SUITE)
            run_in(p, argv + ["init"])
            self.assertEqual(run_in(p, argv + ["run"]).returncode, 1)
            got = run_in(p, argv + ["run", "--analyze-isolation"])
            results.append(got)
        mine, testrs = results
        self.assertEqual(mine.returncode, 3)
        self.assertEqual(mine.returncode, testrs.returncode)
        self.assertEqual(testr_table(mine.stdout), testr_table(testrs.stdout))
        self.assertIn("pkg.test_iso.B.test_b2_victim  pkg.test_iso.A.test_a2_pollute\n", mine.stdout.decode())
        self.assertEqual(smallest_sets(mine.stdout), {"pkg.test_iso.B.test_b2_victim": ["pkg.test_iso.A.test_a2_pollute"]})
        # The same number of probes: the next run id is the same.
        self.assertEqual(ours.read(".testrepository/next-stream"), theirs.read(".testrepository/next-stream"))

    def test_testtools_own_pair(self):
        """A real case: in testtools' own suite (Debian's python3-testtools),
        test_run_list_failed_import leaves an import error in the shared
        unittest.defaultTestLoader (its list() exits before clearing it),
        and the next real -l run in that process exits 2. In one serial
        runner test_run_list_with_loader, which runs between them, clears
        it; testr's first run on two workers deals the listing out in
        turn, so the pair shares worker-1 without it."""
        testr = tool("testr")
        theirs, ours = Project(self), Project(self)
        theirs.write(".testr.conf", "[DEFAULT]\ntest_command=%s -m subunit.run $LISTOPT $IDOPTION "
                     "testtools.tests.test_suite\ntest_id_option=--load-list $IDFILE\ntest_list_option=--list\n" % PY)
        run_in(theirs, [testr, "init"])
        self.assertEqual(run_in(theirs, [testr, "run", "--parallel", "--concurrency", "2"]).returncode, 1)
        victim = "testtools.tests.test_run.TestRun.test_run_load_list"
        cause = "testtools.tests.test_run.TestRun.test_run_list_failed_import"
        failing = run_in(theirs, [testr, "failing", "--list"]).stdout.decode().split()
        self.assertIn(victim, failing)
        # The same stored run for both: a switching user's upgraded copy.
        shutil.copytree(theirs.dir, ours.dir, dirs_exist_ok=True)
        self.assertEqual(run_in(ours, [ours.bin, "upgrade"]).returncode, 0)
        both = [subprocess.Popen(argv, cwd=p.dir, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for p, argv in ((ours, [ours.bin, "run", "--analyze-isolation"]),
                                (theirs, [testr, "run", "--analyze-isolation"]))]
        (mine, _), (testrs, _) = [proc.communicate(timeout=300) for proc in both]
        self.assertEqual([proc.returncode for proc in both], [3, 3], mine.decode()[-3000:])
        # testr's rows come in a set's order: compared as sets.
        rows = lambda out: {tuple(row.split()) for row in testr_table(out).splitlines()[2:]}
        self.assertEqual(rows(mine), rows(testrs))
        self.assertIn((victim, cause), rows(mine))
        self.assertEqual(smallest_sets(mine).get(victim), [cause])
        self.assertEqual(ours.read(".testrepository/next-stream"), theirs.read(".testrepository/next-stream"))
        # And the pair alone, in one process, outside any runner of ours.
        pair = ours.path("pair.list")
        ours.write("pair.list", cause + "\n" + victim + "\n")
        alone = subprocess.run([PY, "-m", "testtools.run", "--load-list", pair, "testtools.tests.test_suite"],
                               capture_output=True)
        self.assertEqual(alone.returncode, 1)
        self.assertIn(b"-l --load-list tried to exit. SystemExit(2)", alone.stdout + alone.stderr)

    def test_smallest_set_of_two_among_many(self):
        """The victim fails only after both A.test_a07 and B.test_b03 ran:
        testr's bisection cannot find that (each half alone passes); the
        smallest set is named after its table."""
        testr = tool("testr")
        ours, theirs = Project(self), Project(self)
        for p, argv in ((ours, [ours.bin]), (theirs, [testr])):
            python_project(p, "test_two", TWO_CAUSE_SUITE)
            run_in(p, argv + ["init"])
            self.assertEqual(run_in(p, argv + ["run"]).returncode, 1)
        both = [subprocess.Popen(argv + ["run", "--analyze-isolation"], cwd=p.dir, env=ENV, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE) for p, argv in ((ours, [ours.bin]), (theirs, [testr]))]
        (mine, _), (testrs, _) = [proc.communicate(timeout=300) for proc in both]
        self.assertEqual([proc.returncode for proc in both], [3, 3], mine.decode())
        self.assertEqual(testr_table(mine), testr_table(testrs))
        self.assertIn("pkg.test_two.C.test_victim  unknown - no conflicts", testr_table(mine))
        want = ["pkg.test_two.A.test_a07", "pkg.test_two.B.test_b03"]
        self.assertEqual(smallest_sets(mine), {"pkg.test_two.C.test_victim": want})
        # Checked outside testr-mini: both make it fail, neither alone does.
        for before, rc in ((want, 1), (want[:1], 0), (want[1:], 0)):
            ours.write("ids.list", "\n".join(before + ["pkg.test_two.C.test_victim"]) + "\n")
            got = subprocess.run([PY, "-m", "testtools.run", "discover", "--load-list", "ids.list", "."],
                                 cwd=ours.dir, capture_output=True)
            self.assertEqual(got.returncode, rc, (before, got.stdout.decode(), got.stderr.decode()))

    def test_failures_of_their_own_are_no_isolation_problem(self):
        p = Project(self)
        python_project(p, "test_iso", ISOLATION_SUITE.replace("STATE['dirty'] = True", "pass"))
        p.out("init")
        p.out("run", rc=1)
        got = p.run("run", "--analyze-isolation")
        self.assertEqual(got.returncode, 0)
        self.assertNotIn(b"caused by test", got.stdout)


    def test_a_test_that_repairs_the_state_does_not_mislead_it(self):
        """The victim fails after test_1_pollute unless test_2_repair runs
        between, or after test_3_c and test_4_b together. Searched from
        the end, test_4_b looks needed until test_1_pollute is found; the
        check one test at a time leaves the one that is enough."""
        p = Project(self)
        python_project(p, "test_fix", "import unittest\nSTATE = {}\nclass A(unittest.TestCase):\n"
                       "    def test_1_pollute(self): STATE['p'] = True\n"
                       "    def test_2_repair(self): STATE.pop('p', None)\n"
                       "    def test_3_c(self): STATE['c'] = True\n"
                       "    def test_4_b(self): STATE['b'] = True\n"
                       "class V(unittest.TestCase):\n"
                       "    def test_victim(self): self.assertFalse(STATE.get('p') or ('c' in STATE and 'b' in STATE))\n")
        run_in(p, [p.bin, "init"])
        self.assertEqual(run_in(p, [p.bin, "run"]).returncode, 1)
        got = run_in(p, [p.bin, "run", "--analyze-isolation"])
        self.assertEqual(got.returncode, 3, got.stdout.decode())
        self.assertIn("pkg.test_fix.V.test_victim  unknown - no conflicts", testr_table(got.stdout))
        self.assertEqual(smallest_sets(got.stdout), {"pkg.test_fix.V.test_victim": ["pkg.test_fix.A.test_1_pollute"]})


if __name__ == "__main__":
    unittest.main(verbosity=2)
