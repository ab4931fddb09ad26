"""What a user reads: `plan` in plain words (internal names only with
--verbose), each failed life of a test shown on its own, live in `run`
(read through a pseudo-terminal), in `load` and in `last` (runners'
process-returncode failures are separate, as testr shows them), the live
line's last phase (storing the run), each worker's summary line in words, the
bundled example runnable without PYTHON, "No repository found" naming the
directory, and scripts/demo without the compiler's output.
"""
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import PY, Project, binary  # noqa: E402

SOURCE_ROOT = os.path.abspath(os.environ.get("TESTR_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", "..")))
INTERNAL = ("compat", "max_start_share", "cold_start_limit", "min_chunk", "hardware_concurrency", "ldm", "lpt")


class PlanWords(unittest.TestCase):
    def test_plain_by_default_internal_names_with_verbose(self):
        p = Project(self)
        p.fake([("w.%d" % i, "pass", 0.01) for i in range(6)])
        p.out("init")
        p.out("run", "--parallel", "--concurrency", "2")
        p.write(".testrepository/start-cost", "5\n")  # too dear for a queue
        plain = p.out("plan", "--concurrency", "2")
        for word in INTERNAL:
            self.assertNotIn(word, plain)
        self.assertIn("Plan: 6 tests on 2 workers (as --concurrency asks)", plain)
        self.assertIn("without a queue: starting another runner (5.000s) costs too much", plain)
        verbose = p.out("plan", "--concurrency", "2", "--verbose")
        self.assertIn("no queue: a runner start above max_start_share", verbose)
        self.assertRegex(verbose, r"Method: \w+")
        # The CI split too.
        shards = p.out("plan", "--shards", "2")
        self.assertIn("Shards: 6 tests over 2 shards", shards)
        for word in INTERNAL:
            self.assertNotIn(word, shards)
        self.assertRegex(p.out("plan", "--shards", "2", "--verbose"), r"\(method: [\w+]+\)")
        # No history: said in words, and which tests are guesses.
        q = Project(self)
        q.fake([("n.%d" % i, "pass") for i in range(3)])
        q.out("init")
        text = q.out("plan", "--concurrency", "2")
        self.assertIn("predicted unknown (no history yet)", text)
        self.assertIn("3 tests have no recorded time", text)
        for word in INTERNAL:
            self.assertNotIn(word, text)


class OptionsOfAnotherCommand(unittest.TestCase):
    def test_says_whose_option_it_is(self):
        p = Project(self)
        p.fake([("a", "pass")])
        p.out("init")
        err = p.run("plan", "--subunit", check_rc=2).stderr.decode()
        self.assertIn("plan does not take --subunit (an option of run, last, failing, load)", err)
        err = p.run("plan", "--timeout=1", check_rc=2).stderr.decode()
        self.assertIn("plan does not take --timeout (an option of run)", err)
        # An option no command has: the parser's own words.
        self.assertIn("--frobnicate", p.run("plan", "--frobnicate", check_rc=2).stderr.decode())


class Predictions(unittest.TestCase):
    def test_unknown_at_first_then_with_the_start_up(self):
        p = Project(self)
        p.fake([("w.%d" % i, "pass", 0.01) for i in range(4)])
        p.out("init")
        first = p.out("run", "--parallel", "--concurrency", "2")
        self.assertRegex(first, r"Workers: 2 \(--concurrency\); predicted unknown \(no history yet\), took [0-9.]+s")
        second = p.out("run", "--parallel", "--concurrency", "2")
        self.assertRegex(second, r"predicted [0-9.]+s \([0-9.]+s of tests \+ [0-9.]+s listing and runner start\)")
        # Seconds as a person writes them, not 2.2006069999999998.
        raw = p.out("plan", "--json", "--concurrency", "2")
        self.assertIsNone(re.search(r"\d\.\d{7,}", raw), raw)

    def test_each_workers_line_counts_in_words(self):
        p = Project(self)
        p.fake([("w.%d" % i, "pass", 0.01) for i in range(3)])
        p.out("init")
        out = p.out("run", "--parallel", "--concurrency", "2", "--schedule", "static")
        lines = sorted(re.findall(r"^  worker-\d: (\d+ tests?), [0-9.]+s in tests, [0-9.]+s idle, (\d+ runners?)", out, re.M))
        self.assertEqual(lines, [("1 test", "1 runner"), ("2 tests", "1 runner")], out)


class SeparateFailures(unittest.TestCase):
    def test_two_runners_returncode_failures_are_two_blocks(self):
        p = Project(self)
        p.fake([("a.one", "segv"), ("b.two", "segv"), ("c.three", "pass"), ("d.four", "pass")])
        p.out("init")
        p.run("run", "--parallel", "--concurrency", "2", "--schedule", "static", check_rc=1)
        last = p.out("last", rc=1)
        blocks = re.findall(r"FAIL: process-returncode\ntags: (worker-\d)\n-+\n(.*?)\n(?:=|Ran )", last, re.S)
        self.assertEqual(sorted(w for w, _ in blocks), ["worker-0", "worker-1"], last)
        for _, body in blocks:
            self.assertEqual(body.count("returncode 139"), 1, body)
        if shutil.which("testr", path="/usr/bin"):
            # testr shows the same two blocks for the same runs.
            t = Project(self)
            t.fake([("a.one", "segv"), ("b.two", "segv"), ("c.three", "pass"), ("d.four", "pass")])
            env = dict(os.environ, PYTHON=PY)
            subprocess.run(["testr", "init"], cwd=t.dir, env=env, capture_output=True)
            subprocess.run(["testr", "run", "--parallel", "--concurrency", "2"], cwd=t.dir, env=env,
                           capture_output=True)
            theirs = subprocess.run(["testr", "last"], cwd=t.dir, env=env, capture_output=True).stdout.decode()
            self.assertEqual(theirs.count("FAIL: process-returncode"), len(blocks))


def terminal_output(argv, cwd, env, timeout=60):
    """Everything a terminal shows while argv runs with a pseudo-terminal as
    its stdin, stdout and stderr, and its exit status."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execve(argv[0], argv, env)
    raw = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        raw += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return raw.decode(errors="replace").replace("\r\n", "\n"), os.waitstatus_to_exitcode(status)


class LiveFailures(unittest.TestCase):
    """While `run` goes on, each failed life of a test is its own block, as
    testr prints them: four runners that each exit 1 are four blocks of
    "returncode 1", not one that reads "returncode 1returncode 1..."."""

    def test_each_runners_returncode_is_its_own_block_on_the_terminal(self):
        p = Project(self)
        p.fake([("t.%d" % i, "pass") for i in range(8)])
        # The listing exits 0, every runner 1 after passing its tests.
        conf = p.read(".testr.conf").replace("$IDOPTION\n", '$IDOPTION; test "x$LISTOPT" = "x--list"\n')
        p.write(".testr.conf", conf)
        p.out("init")
        env = dict(os.environ, PYTHON=PY, TERM="xterm")
        shown, rc = terminal_output([p.bin, "run", "--parallel", "--concurrency", "4", "--schedule", "static"],
                                    p.dir, env)
        self.assertEqual(rc, 1, shown)
        blocks = re.findall(r"FAIL: process-returncode\ntags: (worker-\d)\n-+\n(.*?)\n", shown)
        self.assertEqual(sorted(w for w, _ in blocks), ["worker-%d" % i for i in range(4)], shown)
        for _, body in blocks:
            self.assertEqual(body, "returncode 1", shown)
        self.assertNotIn("returncode 1returncode", shown)
        # Four failures in the summary too, as testr counts them.
        self.assertIn("FAILED (id=0, failures=4)", shown)
        # The live line's last phase: storing, after the results, before the summary.
        self.assertRegex(shown, r"(?s)FAIL: process-returncode.*storing the run\.\.\..*Ran \d+ tests")
        # `last` reads the same four from the stored run.
        last = p.out("last", rc=1)
        self.assertEqual(last.count("FAIL: process-returncode"), 4, last)
        self.assertIn("FAILED (id=0, failures=4)", last)
        self.assertNotIn("returncode 1returncode", last)
        # And so does `load` as the stream comes in.
        q = Project(self)
        q.out("init")
        loaded = q.out("load", input=p.run("last", "--subunit").stdout, rc=1)
        self.assertEqual(re.findall(r"FAIL: process-returncode\n.*\n-+\n(.*?)\n", loaded), ["returncode 1"] * 4, loaded)
        if shutil.which("testr", path="/usr/bin"):
            t = Project(self)
            t.write("spec.json", p.read("spec.json"))
            t.write(".testr.conf", conf)
            subprocess.run(["testr", "init"], cwd=t.dir, env=env, capture_output=True)
            theirs = subprocess.run(["testr", "run", "--parallel", "--concurrency", "4"], cwd=t.dir, env=env,
                                    capture_output=True).stdout.decode()
            self.assertEqual(re.findall(r"FAIL: process-returncode\ntags: worker-\d\n-+\n(.*?)\n", theirs),
                             [b for _, b in blocks], theirs)
            self.assertIn("FAILED (id=0, failures=4)", theirs)


class Example(unittest.TestCase):
    def test_runs_without_python_with_another_python3_first_on_path(self):
        p = Project(self)
        shutil.copytree(os.path.join(SOURCE_ROOT, "examples"), p.dir, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".testrepository", "__pycache__", "custom-runner"))
        # A python3 without python-subunit, first on PATH, as pyenv's or a venv's would be.
        os.makedirs(p.path("bin"))
        p.write("bin/python3", "#!/bin/sh\necho \"No module named 'subunit'\" >&2\nexit 1\n")
        os.chmod(p.path("bin/python3"), 0o755)
        env = {k: v for k, v in os.environ.items() if k != "PYTHON"}
        env["PATH"] = p.path("bin") + ":/usr/bin:/bin"
        got = subprocess.run([p.bin, "list-tests"], cwd=p.dir, env=env, capture_output=True, timeout=60)
        self.assertEqual(got.returncode, 0, got.stderr.decode())
        self.assertEqual(len(got.stdout.split()), 24)


class Wording(unittest.TestCase):
    def test_no_repository_names_the_directory(self):
        p = Project(self)
        real = os.path.realpath(p.dir)
        err = p.run("last", check_rc=3).stderr.decode()
        self.assertIn("No repository found in the current directory, %s (no .testrepository there)" % real, err)
        self.assertNotIn("in ..", err)
        other = subprocess.run([p.bin, "last", "-d", p.dir], cwd="/", capture_output=True).stderr.decode()
        self.assertIn('"testr-mini init -d %s"' % p.dir, other)


class TimelineToTheRunsEnd(unittest.TestCase):
    def test_axis_spans_runner_start_and_exit(self):
        import xml.etree.ElementTree as ET
        p = Project(self)
        p.fake([("t.a", "pass"), ("t.b", "fail")])
        # Runners that take 1 s to start and 1 s to exit around tests that
        # take no time: the tests' own events span a few milliseconds.
        conf = p.read(".testr.conf").replace("test_command=", "test_command=sleep 1 && ")
        conf = conf.replace("$IDOPTION\n", "$IDOPTION && sleep 1\n")
        p.write(".testr.conf", conf)
        p.out("init")
        ran = p.run("run", "--parallel", "--concurrency", "2", check_rc=1).stdout.decode()
        took = float(re.search(r"took ([0-9.]+)s", ran).group(1))
        said = p.out("last", "--timeline", p.path("run.svg"))
        seconds = float(re.search(r", ([0-9.]+) s\)", said).group(1))
        # The whole run, as `run` timed it: a second of start-up before the
        # first test event and a second of exit after the last are in.
        self.assertGreaterEqual(seconds, 2.0, said)
        self.assertAlmostEqual(seconds, took, delta=0.3)
        # The picture's axis reaches it: a tick at 2 s or beyond.
        root = ET.parse(p.path("run.svg")).getroot()
        ticks = [float(t.text) for t in root.iter("{http://www.w3.org/2000/svg}text")
                 if "tick" in t.get("class", "").split() and re.fullmatch(r"[0-9.]+", t.text or "")]
        self.assertGreaterEqual(max(ticks), 2.0, ticks)
        # A run stored by `load` has no span of its own: its events' span.
        q = Project(self)
        q.out("init")
        q.run("load", input=p.run("last", "--subunit").stdout, check_rc=1)
        said = q.out("last", "--timeline", q.path("run.svg"))
        self.assertLess(float(re.search(r", ([0-9.]+) s\)", said).group(1)), seconds - 0.9)


def readme_blocks():
    """The ```sh blocks of README.md, each a list of lines."""
    with open(os.path.join(SOURCE_ROOT, "README.md")) as f:
        text = f.read()
    return [block.splitlines() for block in re.findall(r"```sh\n(.*?)```", text, re.S)]


class ReadmeCommands(unittest.TestCase):
    """Every command of the README's usage section, pasted into a fresh
    shell (no PYTHON, nothing on PATH but the system's) from a clone with
    a build, on the bundled example: each runs (exit 0, or 1 for the
    example's failing test), none is "not found"."""

    def test_each_pastes_into_a_fresh_shell(self):
        build = os.path.dirname(os.path.dirname(os.path.dirname(binary())))
        p = Project(self)
        os.symlink(build, p.path("build"))  # the clone's build/, as scripts/demo leaves it
        shutil.copytree(os.path.join(SOURCE_ROOT, "examples"), p.path("examples"),
                        ignore=shutil.ignore_patterns(".testrepository", "__pycache__", "*.svg", "*.xml"))
        blocks = readme_blocks()
        path_block = next(b for b in blocks if any(line.startswith("export PATH=") for line in b))
        usage = next(b for b in blocks if b and b[0].startswith("testr-mini init"))
        commands = [line.split("  #")[0].strip() for line in path_block + usage]
        commands = [c for c in commands if c and not c.startswith("#")]
        self.assertGreater(len(commands), 10, commands)
        script = "set -o pipefail\n" + commands[0] + "\ncd examples\n"
        for c in commands[1:]:
            script += "%s >/dev/null 2>err.txt; echo \"rc=$? $(tr '\\n' ' ' <err.txt | head -c 300)\"\n" % c
        env = {"HOME": p.dir, "PATH": "/usr/local/bin:/usr/bin:/bin", "TERM": "dumb", "LANG": "C.UTF-8"}
        got = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], cwd=p.dir, env=env,
                             capture_output=True, timeout=240)
        lines = got.stdout.decode().splitlines()
        self.assertEqual(len(lines), len(commands) - 1, got.stdout.decode() + got.stderr.decode())
        for command, line in zip(commands[1:], lines):
            rc = int(line.split()[0][3:])
            self.assertIn(rc, (0, 1), (command, line))
            self.assertNotIn("not found", line, command)
            self.assertNotIn("No such file", line, command)


class Demo(unittest.TestCase):
    def test_no_compiler_output(self):
        # The build the binary under test comes from: build/tools/testr-mini/testr-mini.
        build = os.path.dirname(os.path.dirname(os.path.dirname(binary())))
        if not os.path.exists(os.path.join(build, "build.ninja")):
            self.skipTest("no configured build at " + build)
        p = Project(self)
        for d in ("scripts", "examples"):
            shutil.copytree(os.path.join(SOURCE_ROOT, d), p.path(d),
                            ignore=shutil.ignore_patterns(".testrepository", "__pycache__"))
        env = dict(os.environ, TESTR_BUILD_DIR=os.path.abspath(build))
        env.pop("PYTHON", None)
        got = subprocess.run(["bash", p.path("scripts", "demo")], env=env, capture_output=True, timeout=240)
        out = got.stdout.decode() + got.stderr.decode()
        self.assertEqual(got.returncode, 0, out)
        self.assertNotIn("ninja", out)
        self.assertNotIn("warning:", out)
        self.assertIn("$ testr-mini run --parallel", out)
        self.assertIn("FAIL: tests.test_inventory.TestInventory.test_restock_return", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
