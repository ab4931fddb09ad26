"""Faults around the repository, end to end: what a run stores and says when
its durations cannot be saved, waits that a signal must end, links planted
in the repository, and what a killed testr-mini leaves behind. Real
processes, real signals, real files and links.

Run with Debian's /usr/bin/python3; TESTR_MINI names the binary.
"""
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import PY, Project, alive, encode, processes_in, wait_for  # noqa: E402

import subunit  # noqa: E402
import testtools  # noqa: E402

FAULT_RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fault_runner.py")
DURATIONS_LOST = 4  # the exit status of "stored, but its durations were not saved"


def faulty(testcase, tests, conf="", spec_extra=None):
    """A project running fault_runner.py with tests [(id, does)]."""
    p = Project(testcase)
    spec = {"tests": [{"id": i, "does": d} for i, d in tests]}
    spec.update(spec_extra or {})
    p.write("spec.json", json.dumps(spec))
    p.write(".testr.conf", "[DEFAULT]\ntest_command=%s %s spec.json $LISTOPT $IDOPTION\n"
            "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n%s" % (PY, FAULT_RUNNER, conf))
    p.out("init")
    return p


class Final(testtools.StreamResult):
    def __init__(self):
        super().__init__()
        self.status_of = {}

    def status(self, test_id=None, test_status=None, **_):
        if test_id is not None and test_status not in (None, "inprogress", "exists"):
            self.status_of[test_id] = test_status


def stored_status(project, run_id=None):
    args = ["last", "--subunit"] + (["--id", str(run_id)] if run_id is not None else [])
    data = project.run(*args, check_rc=0).stdout
    final = Final()
    subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout").run(final)
    return final.status_of


def repo_names(project):
    return sorted(os.listdir(project.path(".testrepository")))


class DurationsAfterTheCommit(unittest.TestCase):
    """The commit point is next-stream; times.tsv is written after it."""

    def check_stored_but_not_durations(self, p, proc, status, ran_ids):
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, status, err)
        self.assertNotIn("could not be stored", err)
        self.assertIn("warning: run 0 was stored", err)
        self.assertIn("durations were not saved", err)
        self.assertIn("times.tsv", err)
        self.assertEqual(sorted(stored_status(p)), ran_ids)
        self.assertEqual(p.stats()["runs"], "1")

    def test_times_tsv_a_directory_stores_the_run_and_exits_4(self):
        p = faulty(self, [("t.a", "pass"), ("t.b", "pass")])
        os.mkdir(p.path(".testrepository", "times.tsv"))
        proc = p.run("run")
        self.check_stored_but_not_durations(p, proc, DURATIONS_LOST, ["t.a", "t.b"])
        self.assertIn("PASSED (id=0)", proc.stdout.decode())  # the summary is shown

    def test_a_failing_run_keeps_exit_1(self):
        p = faulty(self, [("t.a", "pass"), ("t.b", "fail")])
        os.mkdir(p.path(".testrepository", "times.tsv"))
        proc = p.run("run")
        self.check_stored_but_not_durations(p, proc, 1, ["t.a", "t.b"])
        self.assertEqual(p.out("failing", "--list", rc=1).split(), ["t.b"])

    def test_load_with_an_unusable_times_lock_exits_4(self):
        p = Project(self)
        p.out("init")
        os.mkdir(p.path(".testrepository", "times.tsv.lock"))
        stream = encode([("t.x", "inprogress", {"timestamp": _ts(0)}), ("t.x", "success", {"timestamp": _ts(1)})])
        proc = p.run("load", input=stream)
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, DURATIONS_LOST, err)
        self.assertIn("warning: run 0 was stored", err)
        self.assertIn("times.tsv.lock", err)
        self.assertEqual(stored_status(p), {"t.x": "success"})


class InterruptibleWaits(unittest.TestCase):
    """A signal ends every wait outside the process loop: promptly, with a
    message, and nothing half-written."""

    def hold_lock(self, path):
        """A separate process holding flock(path) until killed."""
        holder = subprocess.Popen([PY, "-c", "import fcntl, sys, time\n"
                                   "f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX)\n"
                                   "print('held', flush=True); time.sleep(600)", path],
                                  stdout=subprocess.PIPE)
        self.addCleanup(holder.stdout.close)
        self.addCleanup(lambda: holder.poll() is None and (holder.kill(), holder.wait()))
        self.assertEqual(holder.stdout.readline(), b"held\n")
        return holder

    def interrupt_while_waiting(self, proc, holder, sig, settle, waits_for):
        """Sends sig once proc has waited `settle` seconds on holder's lock;
        then releases it. proc's (stdout, stderr), a few lines each."""
        time.sleep(settle)
        self.assertIsNone(proc.poll(), waits_for)
        proc.send_signal(sig)
        proc.wait(timeout=60)  # a hang guard
        holder.kill()
        holder.wait()
        out, err = proc.stdout.read(), proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
        return out, err

    def run_with_lock_taken_during_its_tests(self, p, lock, *options):
        """`run` of p's two tests, the first sleeping; another process takes
        .testrepository/<lock> while the tests run (a run checks the locks
        before them too). Returns (run, holder) once both tests ran and the
        runner is gone: a signal before that would interrupt the run itself."""
        proc = p.popen("run", *options)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.assertTrue(wait_for(lambda: "t.a" in p.read("ran.log"), 20))
        holder = self.hold_lock(p.path(".testrepository", lock))
        self.assertTrue(wait_for(lambda: len(p.read("ran.log").splitlines()) == 2, 20))
        self.assertTrue(wait_for(lambda: processes_in(p.dir) == [proc.pid], 20), processes_in(p.dir))
        return proc, holder

    def test_ctrl_c_while_another_process_holds_the_repository_lock(self):
        p = faulty(self, [("t.a", "sleep:1"), ("t.b", "pass")])
        proc, holder = self.run_with_lock_taken_during_its_tests(p, "lock")
        time.sleep(0.5)
        self.assertIsNone(proc.poll(), "the run should wait for the lock")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)  # a hang guard; how soon: bench/stop_latency.py
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn(b"could not be stored", err)
        self.assertIn(b"interrupted (SIGINT) while waiting for another process to release it", err)
        holder.kill()
        holder.wait()
        # Nothing half-written: no run, no temporary, next-stream untouched.
        self.assertEqual(p.read(".testrepository/next-stream"), "0\n")
        self.assertEqual([n for n in repo_names(p) if n.startswith(".tmp") or n[0].isdigit()], [])
        self.assertIn("PASSED (id=0)", p.out("run"))  # the next run commits as run 0

    def test_a_run_waits_for_the_lock_and_then_commits(self):
        p = faulty(self, [("t.a", "pass")])
        holder = self.hold_lock(p.path(".testrepository", "lock"))
        proc = p.popen("run")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        time.sleep(1)
        self.assertIsNone(proc.poll())
        self.assertEqual(p.read("ran.log"), "", "the lock is checked before the tests run")
        holder.kill()
        holder.wait()
        out, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn(b"PASSED (id=0)", out)

    def test_ctrl_c_while_the_durations_wait_for_their_lock_stores_the_run_and_exits_130(self):
        # Past the commit point the run is kept, but the user asked to stop:
        # `run || run --failing` must not go on as if the run had failed.
        p = faulty(self, [("t.a", "sleep:1"), ("t.b", "fail")])
        proc, holder = self.run_with_lock_taken_during_its_tests(p, "times.tsv.lock", "--events", "ev.jsonl")
        out, err = self.interrupt_while_waiting(proc, holder, signal.SIGINT, 0.5,
                                                "the durations should wait for their lock")
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn(b"FAILED (id=0, failures=1)", out)
        self.assertIn(b"warning: run 0 was stored (its results and the failing list), but its durations were not saved",
                      err)
        self.assertIn(b"interrupted (SIGINT) while storing the run: run 0 is stored whole", err)
        # The events say it too: the tests were not interrupted, the command was.
        finished, stored = [json.loads(l) for l in p.read("ev.jsonl").splitlines()[-2:]]
        self.assertEqual((finished["event"], finished["interrupted"]), ("run_finished", False))
        self.assertEqual({k: stored.get(k) for k in ("event", "run", "durations_saved", "exit_status")},
                         {"event": "run_stored", "run": 0, "durations_saved": False, "exit_status": 130})
        self.assertEqual(stored_status(p), {"t.a": "success", "t.b": "fail"})
        self.assertEqual(p.out("failing", "--list", rc=1).split(), ["t.b"])

    def test_sigterm_while_load_waits_for_the_durations_lock_stores_the_stream_and_exits_130(self):
        p = Project(self)
        p.out("init")
        proc = subprocess.Popen([p.bin, "load"], cwd=p.dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        # Past the check of the lock once the run's temporary is there.
        self.assertTrue(wait_for(lambda: any(n.startswith(".tmp") for n in repo_names(p)), 20), repo_names(p))
        holder = self.hold_lock(p.path(".testrepository", "times.tsv.lock"))
        proc.stdin.write(encode([("t.x", "inprogress", {"timestamp": _ts(0)}),
                                 ("t.x", "success", {"timestamp": _ts(1)})]))
        proc.stdin.close()
        out, err = self.interrupt_while_waiting(proc, holder, signal.SIGTERM, 1,
                                                "the durations should wait for their lock")
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn(b"PASSED (id=0)", out)
        self.assertIn(b"interrupted (SIGTERM) while storing the run: run 0 is stored whole", err)
        self.assertEqual(stored_status(p), {"t.x": "success"})

    def test_ctrl_c_while_the_durations_lock_is_held_before_anything_begins_stops_run_and_load(self):
        # The lock is tried before the tests run, so that a store that cannot
        # take durations is said while the user can still stop; an interrupt
        # during that wait stops the command then, not a run later.
        for command in (["run"], ["load", "in.subunit"]):
            p = faulty(self, [("t.a", "pass")])
            with open(p.path("in.subunit"), "wb") as f:
                f.write(encode([("t.x", "success", {"timestamp": _ts(1)})]))
            holder = self.hold_lock(p.path(".testrepository", "times.tsv.lock"))
            proc = p.popen(*command)
            self.addCleanup(lambda: proc.poll() is None and proc.kill())
            out, err = self.interrupt_while_waiting(proc, holder, signal.SIGINT, 1,
                                                    "the check should wait for the lock")
            self.assertEqual(proc.returncode, 130, (command, err))
            self.assertIn(b"interrupted (SIGINT) while waiting for another process to release it; nothing was stored",
                          err)
            self.assertEqual(p.read("ran.log"), "", "no test may run after the interrupt")
            self.assertEqual(p.read(".testrepository/next-stream"), "0\n")

    def test_sigterm_while_reading_a_fifo_named_testr_conf(self):
        p = Project(self)
        p.out("init")
        os.mkfifo(p.path(".testr.conf"))
        proc = p.popen("run")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        time.sleep(0.5)
        self.assertIsNone(proc.poll(), "reading the FIFO should wait for a writer")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)  # a hang guard; how soon: bench/stop_latency.py
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn(b"interrupted (SIGTERM) while reading", err)
        self.assertIn(b".testr.conf", err)
        self.assertEqual(p.read(".testrepository/next-stream"), "0\n")

    def test_a_fifo_testr_conf_that_gets_written_is_read(self):
        p = faulty(self, [("t.a", "pass")])
        conf = p.read(".testr.conf")
        os.unlink(p.path(".testr.conf"))
        os.mkfifo(p.path(".testr.conf"))
        proc = p.popen("list-tests")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        time.sleep(0.3)
        with open(p.path(".testr.conf"), "w") as f:
            f.write(conf)
        out, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(out.split(), [b"t.a"])


def dead_pid():
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


class PlantedLinks(unittest.TestCase):
    def test_a_lock_linked_to_a_missing_path_is_refused_and_nothing_is_created(self):
        for name in ("lock", "times.tsv.lock"):
            p = faulty(self, [("t.a", "pass")])
            target = p.path("planted-" + name)
            path = p.path(".testrepository", name)
            if os.path.exists(path):
                os.unlink(path)
            os.symlink(target, path)
            proc = p.run("run")
            err = proc.stderr.decode()
            self.assertEqual(proc.returncode, 3, err)
            self.assertIn(".testrepository/%s is a symbolic link" % name, err)
            self.assertFalse(os.path.lexists(target), "the link was followed: %s created" % target)
            self.assertEqual(p.read("ran.log"), "", "the tests should not run before the check")

    def test_init_never_follows_a_link_planted_at_an_init_name(self):
        p = Project(self)
        victim = p.path("victim")
        os.mkdir(victim)
        for name in ("format", "next-stream"):
            with open(os.path.join(victim, name), "w") as f:
                f.write("keep\n")
        # Every pid the init may get soon: the old name was .testrepository.init.<pid>.
        for pid in range(os.getpid(), os.getpid() + 200):
            os.symlink(victim, p.path(".testrepository.init.%d" % pid))
        p.out("init")
        for name in ("format", "next-stream"):
            with open(os.path.join(victim, name)) as f:
                self.assertEqual(f.read(), "keep\n")
        self.assertEqual(p.read(".testrepository/next-stream"), "0\n")


class Leftovers(unittest.TestCase):
    """What a testr-mini killed with SIGKILL leaves is found, removed and
    reported by the next run; every committed run stays as it was."""

    def test_the_run_after_a_kill_9_cleans_up_and_says_so(self):
        # Pre-started runners: the killed run's id pipes.
        self.kill_9_case([], "testr-mini-pipes-", "id pipes")

    def test_the_run_after_a_kill_9_cleans_up_its_id_files_too(self):
        self.kill_9_case(["--no-prestart"], "testr-mini-ids-", "id files")

    def kill_9_case(self, extra, prefix, what):
        p = faulty(self, [("t.a", "pass"), ("t.b", "fail"), ("t.c", "sleep:30"), ("t.d", "pass")])
        tmpdir = p.path("tmp")
        os.mkdir(tmpdir)
        env = {"TMPDIR": tmpdir}
        p.run("run", "t.a", "t.b", check_rc=1, env=env)
        before = p.run("last", "--subunit", check_rc=0).stdout
        failing_before = p.out("failing", "--list", rc=1)
        proc = subprocess.Popen([p.bin, "run", "--parallel", "--concurrency", "2", *extra], cwd=p.dir,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=dict(os.environ, PYTHON=PY, **env))
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.assertTrue(wait_for(lambda: "t.c" in p.read("ran.log"), 20))
        temps = [n for n in repo_names(p) if n.startswith(".tmp-run.%d." % proc.pid)]
        self.assertEqual(len(temps), 1, repo_names(p))
        self.assertEqual(len([n for n in os.listdir(tmpdir) if n.startswith("%s%d-" % (prefix, proc.pid))]), 1)
        proc.kill()
        proc.wait()
        runner_pids = {int(pid) for pid, tid in (l.split("\t", 1) for l in p.read("ran.log").splitlines())}
        for pid in runner_pids:  # the orphaned runners that ran tests, for a quiet test
            try:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        # Leftovers of writers killed inside an atomic write, by dead pids.
        gone = dead_pid()
        planted = ["start-cost.tmp.%d.0" % gone, "history-count.tmp.%d.2" % gone, "0.summary.tmp.%d.0" % gone,
                   "next-stream.tmp.%d.0" % gone]
        for name in planted:
            with open(p.path(".testrepository", name), "w") as f:
                f.write("x")
        proc2 = p.run("run", "--parallel", "--partial", "t.a", env=env)
        err = proc2.stderr.decode()
        self.assertEqual(proc2.returncode, 0, err)
        # Runners of the killed run still waiting for their ids were let go.
        self.assertTrue(wait_for(lambda: not processes_in(p.dir), 10), processes_in(p.dir))
        self.assertIn("note: removed the unfinished run of a testr-mini killed before it could store it "
                      "(./.testrepository/%s, " % temps[0], err)
        for name in planted:
            self.assertIn("note: removed a temporary file left by a process that is gone (./.testrepository/%s, "
                          % name, err)
        self.assertEqual([n for n in repo_names(p) if ".tmp" in n], [])
        self.assertEqual([n for n in os.listdir(tmpdir)], [], "the killed run's id directory is removed")
        self.assertIn("note: removed the %s of a run killed before it could (%s/%s%d-"
                      % (what, tmpdir, prefix, proc.pid), err)
        # Nothing recorded lost: run 0 byte for byte, its failure still listed.
        self.assertEqual(p.run("last", "--subunit", "--id", "0", check_rc=0).stdout, before)
        self.assertIn("t.b", failing_before)
        self.assertEqual(p.out("failing", "--list", rc=1), failing_before)
        self.assertIn("id=1", p.out("last"))

    def test_a_commit_cut_short_after_its_commit_point_is_finished_and_reported(self):
        p = faulty(self, [("t.a", "pass"), ("t.b", "fail")])
        p.run("run", check_rc=1)
        # As a committer killed between next-stream and the failing rename leaves it.
        os.rename(p.path(".testrepository", "failing"), p.path(".testrepository", "failing-0"))
        p.write("spec.json", json.dumps({"tests": [{"id": "t.a", "does": "pass"}]}))
        proc = p.run("run", "--partial", "t.a")
        err = proc.stderr.decode()
        self.assertIn("note: finished the commit of run 0, cut short after its commit point", err)
        self.assertEqual(p.out("failing", "--list", rc=1).split(), ["t.b"])


class BoundedOutput(unittest.TestCase):
    """Output outside subunit packets is stored as received, but kept in
    memory only as a bounded head and tail."""

    def test_a_runner_printing_150_mib_costs_testr_mini_little_memory(self):
        p = faulty(self, [("t.a", "spew:150"), ("t.b", "fail")])
        # A wrapper, so that RUSAGE_CHILDREN is testr-mini's (and its runner's) alone.
        code = ("import resource, subprocess, sys\n"
                "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
                "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        out = subprocess.run([PY, "-c", code, p.bin, "run"], cwd=p.dir, capture_output=True, timeout=120,
                             env=dict(os.environ, PYTHON=PY)).stdout.split()
        rc, peak_kib = int(out[0]), int(out[1])
        self.assertEqual(rc, 1)
        self.assertLess(peak_kib, 100 * 1024, "testr-mini peaked at %d KiB for 150 MiB of output" % peak_kib)
        stored = p.run("last", "--subunit", "--stray", check_rc=0).stdout
        self.assertGreater(len(stored), 150 << 20)  # every byte kept in the run file
        # Output of no test is left out of the stream a filter reads.
        self.assertLess(len(p.run("last", "--subunit", check_rc=0).stdout), 1 << 20)

    def test_a_big_attachment_is_shown_as_head_and_tail_and_stored_whole(self):
        p = Project(self)
        p.out("init")
        size = 5 << 20
        # Printable lines: text is shown (binary attachments are only named).
        body = bytes(10 if i % 81 == 80 else 33 + (i * 7 + i // 4096) % 94 for i in range(size))
        chunk = 65536
        events = [("t.big", "inprogress", {})]
        for at in range(0, size, chunk):
            events.append(("t.big", None, {"file_name": "stdout", "file_bytes": body[at:at + chunk],
                                           "mime_type": "text/plain;charset=utf8", "eof": at + chunk >= size}))
        events.append(("t.big", "fail", {}))
        proc = p.run("load", input=encode(events))
        self.assertEqual(proc.returncode, 1, proc.stderr.decode())
        out = proc.stdout
        mark = out.index(b"[testr-mini: ")
        head_start = out.index(b"stdout: {{{\n") + len(b"stdout: {{{\n")
        self.assertEqual(out[head_start:mark].rstrip(b"\n"), body[:1 << 20].rstrip(b"\n"))
        line_end = out.index(b"\n", mark)
        dropped = int(out[mark:line_end].split()[1])
        self.assertIn(b"bytes of stdout left out here; the stored run has them all: testr-mini last --subunit]",
                      out[mark:line_end])
        tail_start = line_end + 1
        tail = out[tail_start:out.index(b"}}}", tail_start)].rstrip(b"\n")
        kept = (1 << 20) + len(tail)
        self.assertTrue(body.rstrip(b"\n").endswith(tail))
        self.assertLess(abs(kept + dropped - size), 4)  # give or take the newlines around the marker
        self.assertLess(len(out), 4 << 20)
        # The run holds all of it.
        log = subunit.ByteStreamToStreamResult(io.BytesIO(p.run("last", "--subunit", check_rc=0).stdout))
        got = Collect()
        log.run(got)
        self.assertEqual(got.files[("t.big", "stdout")], body)


class Collect(testtools.StreamResult):
    def __init__(self):
        super().__init__()
        self.files = {}

    def status(self, test_id=None, file_name=None, file_bytes=None, **_):
        if file_name is not None:
            self.files[(test_id, file_name)] = self.files.get((test_id, file_name), b"") + bytes(file_bytes)


class LeakedProcesses(unittest.TestCase):
    def test_a_grandchild_holding_the_runners_output_is_killed_and_named(self):
        p = faulty(self, [("t.leaky", "leak_child"), ("t.b", "pass")])
        # The grandchild holds the output for 600 s: the hang guard fails a
        # run that waits for it. How soon it is killed: bench/stop_latency.py.
        proc = p.run("run", timeout=120)
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, 0, err)
        children = [int(x) for x in p.read("children.log").split()]
        self.assertEqual(len(children), 1)
        leaked = children[0]
        self.assertTrue(wait_for(lambda: not alive(leaked), 5), "the leaked grandchild %d survived" % leaked)
        self.assertRegex(err, r"worker-0: the runner exited, but its output was still held open [0-9.]+s later by "
                              r"process %d \(python3?[^)]*\); its process group was killed" % leaked)
        self.assertEqual(stored_status(p), {"t.leaky": "success", "t.b": "success"})

    def test_a_grandchild_that_left_the_process_group_is_found_by_the_output_it_holds(self):
        p = faulty(self, [("t.daemon", "leak_setsid"), ("t.b", "pass")])
        proc = p.run("run", timeout=120)
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, 0, err)
        leaked = int(p.read("children.log").split()[0])
        self.addCleanup(lambda: alive(leaked) and os.kill(leaked, signal.SIGKILL))
        self.assertTrue(wait_for(lambda: not alive(leaked), 5), "the setsid grandchild %d survived" % leaked)
        self.assertRegex(err, r"worker-0: the runner exited, but its output was still held open [0-9.]+s later by "
                              r"process %d \(python3?[^)]*\); its process group was killed, and %d \(python3?[^)]*\) "
                              r"outside it" % (leaked, leaked))
        self.assertEqual(stored_status(p), {"t.daemon": "success", "t.b": "success"})


class ConcurrentForceInit(unittest.TestCase):
    def test_loads_racing_to_create_the_repository_all_store_their_run(self):
        p = Project(self)
        for k in range(8):
            with open(p.path("s%d.bin" % k), "wb") as f:
                f.write(encode([("t.%d" % k, "inprogress", {}), ("t.%d" % k, "success", {})]))
        procs = [subprocess.Popen([p.bin, "load", "--force-init", "s%d.bin" % k], cwd=p.dir,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for k in range(8)]
        results = [(proc.wait(timeout=60), proc.stdout.read(), proc.stderr.read()) for proc in procs]
        for proc in procs:
            proc.stdout.close()
            proc.stderr.close()
        for rc, out, err in results:
            self.assertEqual(rc, 0, err.decode())
        ids = sorted(int(re.search(rb"id=(\d+)", out).group(1)) for _, out, _ in results)
        self.assertEqual(ids, list(range(8)))
        self.assertEqual([n for n in os.listdir(p.dir) if n.startswith(".testrepository.")], [])


class ChecksBeforeTheTests(unittest.TestCase):
    """What would keep a run from being stored is found before its tests run."""

    def test_a_broken_next_stream_or_lock_stops_the_run_before_its_tests(self):
        def garbage(p):
            p.write(".testrepository/next-stream", "x\n")

        def missing(p):
            os.unlink(p.path(".testrepository", "next-stream"))

        def directory(name):
            def make(p):
                path = p.path(".testrepository", name)
                if os.path.exists(path):
                    os.unlink(path)
                os.mkdir(path)
            return make

        cases = [(garbage, "corrupt next-stream file './.testrepository/next-stream': expected a run number"),
                 (missing, "cannot read './.testrepository/next-stream': No such file or directory"),
                 (directory("next-stream"), "cannot read './.testrepository/next-stream': Is a directory"),
                 (directory("lock"), "cannot open lock file './.testrepository/lock': Is a directory")]
        for harm, said in cases:
            for command in (["run"], ["run", "--parallel"]):
                p = faulty(self, [("t.a", "pass")])
                harm(p)
                proc = p.run(*command)
                err = proc.stderr.decode()
                self.assertEqual(proc.returncode, 3, err)
                self.assertIn("testr-mini: cannot store a run in ./.testrepository: " + said, err)
                self.assertEqual(p.read("ran.log"), "", "%s: the tests ran before the check" % said)

    def test_durations_that_cannot_be_saved_are_said_before_the_tests(self):
        p = faulty(self, [("t.a", "pass"), ("t.b", "fail")])
        os.mkdir(p.path(".testrepository", "times.tsv.lock"))
        proc = subprocess.run([p.bin, "run"], cwd=p.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=dict(os.environ, PYTHON=PY), timeout=60)
        out = proc.stdout.decode()
        self.assertEqual(proc.returncode, 1, out)
        early = out.index("warning: this run's results can be stored, but not its durations: cannot open lock file "
                          "'./.testrepository/times.tsv.lock': Is a directory")
        self.assertLess(early, out.index("FAIL: t.b"))
        self.assertLess(out.index("FAIL: t.b"), out.index("warning: run 0 was stored"))


class StatsAndLastAgree(unittest.TestCase):
    """A latest run whose file is missing or damaged is named by every
    reader alike: `stats` never reports an older run as the latest."""

    def test_missing_and_damaged_latest_runs(self):
        for harm, said in ((os.unlink, "run 1 (./.testrepository/1) is missing: it was committed, but its file is gone"),
                           (lambda path: open(path, "w").close(),
                            "run 1 (./.testrepository/1) is damaged: its file is empty where its commit recorded")):
            p = faulty(self, [("t.a", "pass")])
            p.run("run", check_rc=0)
            p.run("run", check_rc=0)
            harm(p.path(".testrepository", "1"))
            last = p.run("last")
            stats = p.run("stats")
            for proc in (last, stats):
                self.assertEqual(proc.returncode, 3, proc.stderr)
                self.assertIn(said, proc.stderr.decode())
            self.assertEqual(stats.stdout.decode(), "runs=%d\nlatest=1\n" % (1 if harm is os.unlink else 2))
            self.assertIn("id=0", p.out("last", "--id", "0"))  # the older run still reads


class TinyTimeout(unittest.TestCase):
    def test_a_tiny_test_timeout_is_honoured_and_shown_as_set(self):
        p = faulty(self, [("t.a", "sleep:2")], conf="test_timeout=0.0001\n")
        proc = p.run("run")
        out = proc.stdout.decode()
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertRegex(out, r"timed out after 0\.[0-9] s on worker-0 \(limit 0\.0001 s, checked every 0\.1 s\); "
                              r"its runner was stopped")
        self.assertNotIn("limit 0.0 s", out)
        for bad in ("inf", "nan", "-1", "1s"):
            p.write(".testr.conf", p.read(".testr.conf").rsplit("test_timeout=", 1)[0] + "test_timeout=%s\n" % bad)
            proc = p.run("run")
            self.assertEqual(proc.returncode, 3, bad)
            self.assertIn("test_timeout must be a number of seconds >= 0, not '%s'" % bad, proc.stderr.decode())


class CalloutDeadline(unittest.TestCase):
    def test_a_concurrency_callout_past_its_deadline_is_named_so(self):
        p = faulty(self, [("t.a", "pass")], conf="test_run_concurrency=sleep 300\n")
        start = time.monotonic()
        proc = p.run("run", "--parallel", timeout=120)
        took = time.monotonic() - start
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, 3, err)
        self.assertGreater(took, 59)
        self.assertLess(took, 90)
        self.assertIn("test_run_concurrency 'sleep 300' did not answer within its 60 s deadline; it was stopped "
                      "(killed by SIGTERM (deadline exceeded))", err)
        self.assertEqual(p.read("ran.log"), "")


class DuplicateIds(unittest.TestCase):
    """A listing naming a test twice runs as under testr: every copy the
    runner has, in one runner; testr-mini says it saw the repeat."""

    def test_a_repeated_id_runs_as_under_testr(self):
        tests = [("t.a", "pass"), ("t.b", "fail"), ("t.a", "pass"), ("t.c", "pass")]
        ours = faulty(self, tests)
        proc = ours.run("run", "--parallel", "--concurrency", "2")
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, 1, err)
        self.assertIn("note: the test listing repeats test ids (1 repeat; the first: 't.a'); each id is given to "
                      "its runner once, as testr gives every copy to the same runner", err)
        theirs = faulty(self, tests)
        shutil.rmtree(theirs.path(".testrepository"))
        ref = subprocess.run(["testr", "init"], cwd=theirs.dir, capture_output=True)
        self.assertEqual(ref.returncode, 0, ref.stderr)
        ref = subprocess.run(["testr", "run", "--parallel", "--concurrency", "2"], cwd=theirs.dir,
                             capture_output=True, env=dict(os.environ, PYTHON=PY))
        self.assertEqual(ref.returncode, 1, ref.stderr)
        # The same tests ran, both copies of t.a by one runner, with the same counts.
        for p in (ours, theirs):
            by_runner = {}
            for pid, tid in (line.split("\t") for line in p.read("ran.log").splitlines()):
                by_runner.setdefault(pid, []).append(tid)
            self.assertEqual(sorted(t for ts in by_runner.values() for t in ts), ["t.a", "t.a", "t.b", "t.c"])
            self.assertEqual([ts.count("t.a") for ts in by_runner.values() if "t.a" in ts], [2])
        self.assertIn(b"Ran 4 tests", proc.stdout)
        self.assertIn(b"Ran 4 tests", ref.stdout)
        self.assertEqual(ours.out("failing", "--list", rc=1).split(), ["t.b"])


def _ts(seconds):
    import datetime
    return datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=seconds)


if __name__ == "__main__":
    unittest.main(verbosity=2)
