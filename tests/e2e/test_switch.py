"""Switching from stestr and testr: the spellings stestr users type into
`run` (--exclude-regex, --exclude-list, --include-list, --serial, --random),
stestr's `history list|show|remove`, and the upgrade offer of `run` on a testr/stestr repository. Each compared with
the real stestr (Debian's python3-stestr) or testr where they have an answer.
`run --analyze-isolation` is in test_isolation.py.
"""
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import PY, Project, read_stream  # noqa: E402

ENV = dict(os.environ, PYTHON=PY, PATH="/usr/bin:" + os.environ.get("PATH", ""))

# A real unittest suite: B.test_b2_victim fails only after A.test_a2_pollute
# ran in the same process; B.test_b4_alone_fails fails anywhere.
ISOLATION_SUITE = '''import unittest
STATE = {}
class A(unittest.TestCase):
    def test_a1(self): pass
    def test_a2_pollute(self): STATE['dirty'] = True
    def test_a3(self): pass
    def test_a4(self): pass
    def test_a5(self): pass
class B(unittest.TestCase):
    def test_b1(self): pass
    def test_b2_victim(self): self.assertNotIn('dirty', STATE)
    def test_b3(self): pass
    def test_b4_alone_fails(self): self.fail("always")
'''

SELECTION_SUITE = '''import unittest
class Alpha(unittest.TestCase):
    def test_one(self): pass
    def test_two(self): pass
    def test_slow_three(self): pass
class Beta(unittest.TestCase):
    def test_one(self): pass
    def test_two(self): pass
    def test_flaky(self): pass
class Gamma(unittest.TestCase):
    def test_one(self): pass
    def test_two(self): pass
'''


def tool(name):
    path = shutil.which(name, path="/usr/bin")
    if not path:
        raise unittest.SkipTest("%s is not installed" % name)
    return path


def python_project(p, module, text, stestr=False):
    os.makedirs(p.path("pkg"))
    p.write("pkg/__init__.py", "")
    p.write("pkg/%s.py" % module, text)
    if stestr:
        p.write(".stestr.conf", "[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")
    else:
        p.write(".testr.conf", "[DEFAULT]\ntest_command=%s -m subunit.run discover . $LISTOPT $IDOPTION\n"
                "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n" % PY)


def run_in(p, argv, **kw):
    return subprocess.run(argv, cwd=p.dir, capture_output=True, env=ENV, timeout=240, **kw)


def ids_run(p, argv):
    """The ids the latest run stored, read back with python-subunit."""
    got = run_in(p, argv + ["last", "--subunit"])
    if got.returncode != 0:
        raise AssertionError("last --subunit: %s" % got.stderr.decode())
    return {i for i, s in read_stream(got.stdout).status_of.items() if s != "exists"}


class StestrSelection(unittest.TestCase):
    """The same command line under stestr and testr-mini, on one suite
    each: the same tests run."""

    def twin(self):
        ours, theirs = Project(self), Project(self)
        for p in (ours, theirs):
            python_project(p, "test_sel", SELECTION_SUITE, stestr=True)
            p.write("exclude.txt", "slow # too slow for CI\n\n  Beta\\.test_fl  \n")
            p.write("include.txt", "# only these\nGamma\n")
        return ours, theirs

    def same_selection(self, args):
        ours, theirs = self.twin()
        mine = run_in(ours, [ours.bin, "run"] + args)
        stestr = run_in(theirs, [tool("stestr"), "run"] + args)
        self.assertEqual(mine.returncode, stestr.returncode, (mine.stderr, stestr.stdout))
        got, want = ids_run(ours, [ours.bin]), ids_run(theirs, [tool("stestr")])
        self.assertEqual(got, want)
        return got

    def test_exclude_list(self):
        got = self.same_selection(["--exclude-list", "exclude.txt"])
        self.assertEqual(len(got), 6)
        self.assertFalse(any("slow" in i or "flaky" in i for i in got))

    def test_exclude_regex_with_filters_and_include_list(self):
        got = self.same_selection(["-E", "two", "-i", "include.txt", "Alpha"])
        self.assertEqual(got, {"pkg.test_sel.Alpha.test_one", "pkg.test_sel.Alpha.test_slow_three",
                               "pkg.test_sel.Gamma.test_one"})

    def test_old_names(self):
        got = self.same_selection(["--blacklist-file", "exclude.txt", "--black-regex", "one", "-w", "include.txt"])
        self.assertEqual(got, {"pkg.test_sel.Gamma.test_two"})

    def test_serial_and_random(self):
        ours, _ = self.twin()
        self.assertEqual(run_in(ours, [ours.bin, "run", "--serial"]).returncode, 0)
        self.assertEqual(len(ids_run(ours, [ours.bin])), 8)
        bad = run_in(ours, [ours.bin, "run", "--serial", "--parallel"])
        self.assertEqual(bad.returncode, 2)
        self.assertIn(b"excludes", bad.stderr)

    def test_bad_pattern_in_a_list_names_file_and_line(self):
        ours, _ = self.twin()
        ours.write("bad.txt", "fine\n(unclosed\n")
        got = run_in(ours, [ours.bin, "run", "--exclude-list", "bad.txt"])
        self.assertEqual(got.returncode, 2)
        self.assertIn(b"bad.txt:2:", got.stderr)


class RandomOrder(unittest.TestCase):
    def test_random_shuffles_each_worker(self):
        p = Project(self)
        tests = [("t.%02d" % i, "pass") for i in range(40)]
        p.fake(tests)
        p.out("init")
        plan = json.loads(p.out("plan", "--json", "--schedule", "static", "--concurrency", "2"))
        planned = [[t["id"] for t in w["tests"]] for w in plan["workers"]]
        p.out("run", "--parallel", "--concurrency", "2", "--random")
        ran = p.ran()
        self.assertEqual(sorted(i for _, i in ran), [t for t, _ in tests], "every test once")
        workers = [[i for q, i in ran if q == pid] for pid in sorted({pid for pid, _ in ran})]
        # The same split as the static plan, each worker's order shuffled.
        self.assertEqual(sorted(sorted(w) for w in workers), sorted(sorted(w) for w in planned))
        for w in workers:
            plan_order = next(x for x in planned if sorted(x) == sorted(w))
            self.assertNotEqual(w, plan_order)


class History(unittest.TestCase):
    """`history` on stestr's own repository, beside stestr on the same one."""

    def setUp(self):
        self.stestr = tool("stestr")
        self.p = Project(self)
        python_project(self.p, "test_h", "import unittest\nclass T(unittest.TestCase):\n"
                       "    def test_ok(self): pass\n    def test_bad(self): self.fail('no')\n", stestr=True)
        run_in(self.p, [self.stestr, "run"])
        run_in(self.p, [self.stestr, "run", "test_ok"])

    def test_list_is_stestrs_table(self):
        for fmt in ([], ["-f", "csv"], ["-f", "value"]):
            want = run_in(self.p, [self.stestr, "history", "list"] + fmt)
            got = run_in(self.p, [self.p.bin, "history", "list"] + fmt)
            self.assertEqual(got.returncode, want.returncode)
            self.assertEqual(got.stdout.decode(), want.stdout.decode(), fmt)
        self.assertIn("| 0      | False  |", got_table(self.p))

    def test_show_exit_codes_match(self):
        for run_id, rc in (("0", 1), ("1", 0)):
            self.assertEqual(run_in(self.p, [self.stestr, "history", "show", run_id]).returncode, rc)
            got = run_in(self.p, [self.p.bin, "history", "show", run_id])
            self.assertEqual(got.returncode, rc)
        got = run_in(self.p, [self.p.bin, "history", "show", "0"]).stdout.decode()
        self.assertIn("FAIL: pkg.test_h.T.test_bad", got)

    def test_remove(self):
        # stestr's own repository is read, never written.
        got = run_in(self.p, [self.p.bin, "history", "remove", "0"])
        self.assertEqual(got.returncode, 3)
        self.assertTrue(os.path.exists(self.p.path(".stestr", "0")))
        self.assertEqual(run_in(self.p, [self.p.bin, "upgrade"]).returncode, 0)
        self.assertEqual(run_in(self.p, [self.p.bin, "history", "remove", "0"]).returncode, 0)
        self.assertEqual(run_in(self.p, [self.stestr, "history", "remove", "0"]).returncode, 0)
        listed = run_in(self.p, [self.p.bin, "history", "list", "-f", "value"]).stdout.decode()
        self.assertEqual([line.split()[0] for line in listed.splitlines()], ["1"])
        self.assertEqual(listed, run_in(self.p, [self.stestr, "history", "list", "-f", "value"]).stdout.decode())
        self.assertFalse(os.path.exists(self.p.path(".testrepository", "0.summary")))
        missing = run_in(self.p, [self.p.bin, "history", "remove", "0"])
        self.assertEqual(missing.returncode, 1)
        self.assertIn(b"No run 0 in repository", missing.stderr)
        self.assertEqual(run_in(self.p, [self.p.bin, "history", "remove", "all"]).returncode, 0)
        self.assertEqual(run_in(self.p, [self.p.bin, "history", "list"]).stdout, b"")


def got_table(p):
    return run_in(p, [p.bin, "history", "list"]).stdout.decode()


class UpgradeOffer(unittest.TestCase):
    def testr_project(self):
        testr = tool("testr")
        p = Project(self)
        p.fake([("u.a", "pass"), ("u.b", "fail")])
        run_in(p, [testr, "init"])
        run_in(p, [testr, "run"])
        p.clear_logs()
        return p

    def test_not_at_a_terminal_it_says_what_to_run(self):
        p = self.testr_project()
        got = run_in(p, [p.bin, "run"], stdin=subprocess.DEVNULL)
        self.assertEqual(got.returncode, 3)
        self.assertIn(b"testr-mini upgrade", got.stderr)
        self.assertEqual(p.read("args.log"), "", "nothing listed or run before saying so")
        self.assertEqual(p.read(".testrepository/format"), "1\n")

    def at_terminal(self, p, answer):
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(p.dir)
            os.execve(p.bin, [p.bin, "run"], ENV)
        out = b""
        end = time.monotonic() + 60
        answered = False
        while time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], 1)
            if not r:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if not answered and b"[y/N]" in out:
                os.write(fd, answer)
                answered = True
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        return os.waitstatus_to_exitcode(status), out.decode(errors="replace")

    def test_yes_upgrades_and_runs(self):
        p = self.testr_project()
        rc, out = self.at_terminal(p, b"y\n")
        self.assertIn("Upgrade now? [y/N]", out)
        self.assertIn("Upgraded .testrepository to format 2", out)
        self.assertEqual(rc, 1, out)  # the run went on: u.b fails
        self.assertEqual(p.read(".testrepository/format"), "2\n")
        self.assertEqual(p.read(".testrepository/next-stream"), "2\n", "testr's run 0 kept, this run is 1")
        # Once upgraded there is nothing to offer.
        rc, out = self.at_terminal(p, b"y\n")
        self.assertNotIn("[y/N]", out)

    def test_no_leaves_it(self):
        p = self.testr_project()
        rc, out = self.at_terminal(p, b"\n")
        self.assertEqual(rc, 3)
        self.assertIn("not upgraded", out)
        self.assertEqual(p.read(".testrepository/format"), "1\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
