"""A repository on a real filesystem that fills up: a small tmpfs mounted on
`.testrepository`, filled to leave exactly k pages free, for every k from
none to enough. Whatever runs out - the run file, the failing list, the
summary, next-stream, times.tsv - the user is told what was and was not
stored, the exit status says the same, every earlier run and the failing
list read back byte for byte, and the next run on freed space works.

Mounting needs root (CAP_SYS_ADMIN): elsewhere every test here is skipped,
and counted as skipped. Run with Debian's /usr/bin/python3.
"""
import io
import json
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import PY, Project, encode, read_stream  # noqa: E402

FAULT_RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fault_runner.py")
DURATIONS_LOST = 4  # "stored, but its durations were not saved"
PAGE = os.sysconf("SC_PAGE_SIZE")  # tmpfs counts its size in pages
FILLER = "filler"  # beside the repository's files, on the same tmpfs


def mount_tmpfs(testcase, directory, size):
    """Mounts a tmpfs of `size` on `directory` until the test ends, or skips."""
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d,mode=0755" % size, "tmpfs", directory],
                          capture_output=True)
    if proc.returncode != 0:
        raise unittest.SkipTest("cannot mount a tmpfs here (%s): %s"
                                % ("not root" if os.geteuid() else "mount refused",
                                   proc.stderr.decode(errors="replace").strip().splitlines()[0]))
    testcase.addCleanup(subprocess.run, ["umount", "-l", directory], capture_output=True)


def free_bytes(directory):
    s = os.statvfs(directory)
    return s.f_bavail * s.f_frsize


def fill(directory, pages):
    """Leaves exactly `pages` pages free on the filesystem of `directory`."""
    path = os.path.join(directory, FILLER)
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.write(b"\0" * (free_bytes(directory) - pages * PAGE))
    assert free_bytes(directory) == pages * PAGE, (free_bytes(directory), pages)


def snapshot(directory):
    """{name: bytes} of every file but the filler."""
    out = {}
    for name in os.listdir(directory):
        if name != FILLER:
            with open(os.path.join(directory, name), "rb") as f:
                out[name] = f.read()
    return out


class SmallDisk:
    """A project whose repository lives on its own tmpfs of `size` bytes.
    `base` is what the repository holds before each trial (a copy kept off
    the tmpfs), restored by reset()."""

    def __init__(self, testcase, tests, size=1 << 20):
        self.t = testcase
        self.p = Project(testcase)
        self.set_tests(tests)
        self.p.write(".testr.conf", "[DEFAULT]\ntest_command=%s %s spec.json $LISTOPT $IDOPTION\n"
                     "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n" % (PY, FAULT_RUNNER))
        self.p.out("init")
        self.repo = self.p.path(".testrepository")
        self.base = self.p.path("base")
        os.rename(self.repo, self.base)
        os.mkdir(self.repo)
        mount_tmpfs(testcase, self.repo, size)
        self.reset()

    def set_tests(self, tests):
        self.p.write("spec.json", json.dumps({"tests": [{"id": i, "does": d} for i, d in tests]}))

    def reset(self):
        """The repository as `base` holds it, nothing else on the tmpfs."""
        for name in os.listdir(self.repo):
            os.unlink(os.path.join(self.repo, name))
        for name in os.listdir(self.base):
            shutil.copy2(os.path.join(self.base, name), self.repo)

    def keep_as_base(self):
        shutil.rmtree(self.base)
        os.mkdir(self.base)
        for name, data in snapshot(self.repo).items():
            with open(os.path.join(self.base, name), "wb") as f:
                f.write(data)

    def free_all(self):
        if os.path.exists(os.path.join(self.repo, FILLER)):
            os.unlink(os.path.join(self.repo, FILLER))


def outcome(proc):
    """'lost', 'durations' or 'stored', from what testr-mini said."""
    err = proc.stderr.decode(errors="replace")
    if "could not be stored" in err:
        return "lost"
    if "durations were not saved" in err:
        return "durations"
    return "stored"


class FullDisk(unittest.TestCase):
    def sweep(self, disk, command, stored_rc, check_stored, input=None):
        """Runs `command` with k pages free: none, then every k from a page
        less than its run file needs until it stores its run whole; checks
        each trial and the run after it on freed space. Returns {outcome:
        [k...]} and the messages of lost runs."""
        before = snapshot(disk.repo)
        next_id = int(before["next-stream"])
        # A trial with room to spare, for the size of the run file.
        disk.reset()
        disk.p.run(*command, input=input, check_rc=stored_rc)
        run_pages = -(-os.path.getsize(os.path.join(disk.repo, str(next_id))) // PAGE)
        seen, messages, causes = {}, [], set()
        for k in [0] + list(range(max(1, run_pages - 1), run_pages + 40)):
            disk.reset()
            fill(disk.repo, k)
            proc = disk.p.run(*command, input=input)
            err = proc.stderr.decode(errors="replace")
            what = outcome(proc)
            seen.setdefault(what, []).append(k)
            after = snapshot(disk.repo)
            # Every committed run, its summary and the format unchanged, byte for byte.
            for name, data in before.items():
                if name.isdigit() or name.endswith(".summary") or name == "format":
                    self.assertEqual(after.get(name), data, "k=%d: %s changed\n%s" % (k, name, err))
            self.assertEqual([n for n in after if ".tmp" in n], [], "k=%d: temporaries left\n%s" % (k, err))
            if what == "lost":
                self.assertEqual(proc.returncode, 3, "k=%d\n%s" % (k, err))
                self.assertIn("nothing of it was kept", err)
                self.assertIn("No space left on device", err)
                self.assertEqual(after["next-stream"], before["next-stream"], "k=%d: %s" % (k, err))
                self.assertEqual(after.get("failing"), before.get("failing"), "k=%d" % k)
                self.assertEqual(sorted(after), sorted(before), "k=%d: %s" % (k, err))
                messages.append(err)
            else:
                self.assertNotIn("could not be stored", err)
                self.assertEqual(after["next-stream"], b"%d\n" % (next_id + 1), "k=%d: %s" % (k, err))
                check_stored(disk, next_id)
                if what == "durations":
                    self.assertIn("warning: run %d was stored (its results and the failing list), but its "
                                  "durations were not saved" % next_id, err)
                    self.assertIn("times.tsv", err)
                    self.assertIn("No space left on device", err)
                    self.assertEqual(proc.returncode, DURATIONS_LOST if stored_rc == 0 else stored_rc, err)
                else:
                    self.assertEqual(proc.returncode, stored_rc, "k=%d\n%s" % (k, err))
            # The repository still reads, and the next run on freed space
            # stores (once for each file that ran out, for a quick test).
            for name in before:
                if name.isdigit():
                    self.assertEqual(disk.p.run("last", "--subunit", "--id", name, check_rc=0).stdout,
                                     before[name])
            disk.p.out("stats")
            cause = (what, re.sub(r"[0-9]+", "N", " ".join(re.findall(r"'\./\.testrepository/([^']+)'", err))))
            if cause in causes:
                continue
            causes.add(cause)
            disk.free_all()
            again = disk.p.run(*command, input=input)
            self.assertEqual(again.returncode, stored_rc, again.stderr.decode(errors="replace"))
            self.assertEqual(outcome(again), "stored", again.stderr.decode(errors="replace"))
            if what == "stored" and "warning" not in err:
                break
        print("%s, pages free -> outcome: %s" % (" ".join(command), seen), file=sys.stderr)
        return seen, messages

    def test_run_with_every_amount_of_space_left(self):
        # Many tests with long ids: the durations need pages of their own.
        tests = [("t.%03d.%s" % (i, "x" * 100), "pass") for i in range(200)]
        disk = SmallDisk(self, tests[:3] + [("t.gone", "fail")])
        disk.p.run("run", check_rc=1)
        disk.keep_as_base()
        earlier_failing = snapshot(disk.repo)["failing"]
        self.assertIn(b"t.gone", earlier_failing)
        disk.set_tests(tests)

        def check_stored(d, run_id):
            self.assertEqual(set(read_stream(d.p.run("last", "--subunit", check_rc=0).stdout).status_of.values()),
                             {"success"})
            self.assertEqual(d.p.out("failing", "--list", rc=0).split(), [])

        seen, messages = self.sweep(disk, ["run"], 0, check_stored)
        self.assertIn("lost", seen)
        self.assertIn("durations", seen, seen)
        self.assertIn("stored", seen)
        self.assertLess(max(seen["lost"]), min(seen["durations"]), seen)
        # Each file of the commit ran out in some trial: the run file, the
        # summary, next-stream.
        said = "\n".join(messages)
        for name in (".tmp-run.", "1.summary", "next-stream"):
            self.assertIn(name, said, seen)
        self.assertIn("testr-mini: the run could not be stored (nothing of it was kept; the repository is as "
                      "it was): cannot write run file './.testrepository/.tmp-run.", said)

    def test_load_with_every_amount_of_space_left(self):
        disk = SmallDisk(self, [("t.ok", "pass"), ("t.bad", "fail")])
        disk.p.run("run", check_rc=1)
        disk.keep_as_base()
        events = []
        for i in range(200):
            tid = "l.%03d.%s" % (i, "y" * 100)
            events += [(tid, "inprogress", {"timestamp": _ts(i)}),
                       (tid, "fail" if i % 50 == 7 else "success", {"timestamp": _ts(i + 0.5)})]
        stream = encode(events)
        failing = sorted(t for t, s, _ in events if s == "fail")
        statuses = {t: s for t, s, _ in events if s != "inprogress"}

        def check_stored(d, run_id):
            self.assertEqual(read_stream(d.p.run("last", "--subunit", check_rc=0).stdout).status_of, statuses)
            self.assertEqual(d.p.out("failing", "--list", rc=1).split(), failing)

        seen, messages = self.sweep(disk, ["load"], 1, check_stored, input=stream)
        self.assertIn("lost", seen)
        self.assertIn("durations", seen, seen)
        said = "\n".join(messages)
        for name in (".tmp-run.", "failing-1", "1.summary", "next-stream"):
            self.assertIn(name, said, seen)
        self.assertIn("testr-mini: the stream could not be stored (nothing of it was kept; the repository is as "
                      "it was)", said)

    def test_a_run_that_fills_the_disk_while_its_tests_run(self):
        # More output than the disk holds: the run file runs out mid-run.
        disk = SmallDisk(self, [("t.a", "pass"), ("t.b", "fail")], size=2 << 20)
        disk.p.run("run", check_rc=1)
        disk.keep_as_base()
        before = snapshot(disk.repo)
        disk.set_tests([("t.a", "pass"), ("t.spew", "spew:3"), ("t.c", "pass")])
        proc = disk.p.run("run")
        err = proc.stderr.decode(errors="replace")
        self.assertEqual(proc.returncode, 3, err)
        self.assertIn("the run could not be stored (nothing of it was kept; the repository is as it was): cannot "
                      "write run file './.testrepository/.tmp-run.", err)
        self.assertIn("No space left on device", err)
        self.assertEqual(snapshot(disk.repo), before)  # its temporary is gone too
        self.assertGreater(free_bytes(disk.repo), 1 << 20)
        self.assertEqual(disk.p.out("failing", "--list", rc=1).split(), ["t.b"])
        disk.set_tests([("t.a", "pass"), ("t.b", "pass")])
        self.assertIn("PASSED (id=1)", disk.p.out("run"))


class ReadOnlyRepository(unittest.TestCase):
    def test_a_read_only_repository_is_found_before_the_tests_run(self):
        disk = SmallDisk(self, [("t.a", "pass"), ("t.b", "fail")])
        disk.p.run("run", check_rc=1)
        before = snapshot(disk.repo)
        subprocess.run(["mount", "-o", "remount,ro", disk.repo], check=True)
        os.unlink(disk.p.path("ran.log"))
        for command in (["run"], ["run", "--parallel"], ["load"]):
            proc = disk.p.run(*command, input=b"")
            err = proc.stderr.decode()
            self.assertEqual(proc.returncode, 3, err)
            self.assertIn("Read-only file system", err)
            self.assertEqual(disk.p.read("ran.log"), "", "the tests ran before the check")
        # Reading still works.
        self.assertEqual(disk.p.out("failing", "--list", rc=1).split(), ["t.b"])
        self.assertIn("runs=1", disk.p.out("stats"))
        self.assertEqual(snapshot(disk.repo), before)


def _ts(seconds):
    import datetime
    return datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=seconds)


if __name__ == "__main__":
    unittest.main(verbosity=2)
