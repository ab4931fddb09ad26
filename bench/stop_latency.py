#!/usr/bin/python3
"""How soon testr-mini stops what it must stop: the timing claims of the
reliability and fault tests (tests/e2e/test_reliability.py,
tests/e2e/test_faults.py check only what happens; how long it takes is
measured here). Each scenario runs the real binary on a throwaway project
with tests/e2e/fault_runner.py, as those tests do:

  timeout      4 tests, one sleeping 30 s, --timeout 1: the whole run
               (the limit, a staged stop that is honoured, a fresh runner);
  grace        a runner ignoring SIGTERM at --timeout 1: the whole run
               (the limit plus the 5 s grace before SIGKILL);
  second ^C    a runner ignoring SIGTERM, two Ctrl-Cs 0.3 s apart: from
               the second to testr-mini's exit (no grace waited);
  lock ^C      Ctrl-C while the run waits for another process's
               repository lock: from the signal to the exit;
  fifo TERM    SIGTERM while reading a .testr.conf that is a FIFO without
               a writer: from the signal to the exit;
  leak         a test leaving a grandchild that holds the runner's stdout
               for 600 s: the whole run (after the runner exits, its pipes
               get a 0.5 s drain period; then the grandchild's group is
               killed).
Each figure is the median of --repeat runs, beside the bound the tests used
to assert.

    scripts/bench stop_latency [--repeat 3]
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from e2e_support import PY, binary, processes_in, wait_for  # noqa: E402

FAULT_RUNNER = os.path.join(HERE, "..", "tests", "e2e", "fault_runner.py")


class project:
    def __init__(self, tests):
        self.dir = tempfile.mkdtemp(prefix="testr-stop-latency-")
        self.bin = binary()
        self.write("spec.json", json.dumps({"tests": [{"id": i, "does": d} for i, d in tests]}))
        self.write(".testr.conf", "[DEFAULT]\ntest_command=%s %s spec.json $LISTOPT $IDOPTION\n"
                   "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n" % (PY, FAULT_RUNNER))
        self.call("init")

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)

    def read(self, name):
        try:
            with open(self.path(name)) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def call(self, *args, timeout=120):
        return subprocess.run([self.bin, *args], cwd=self.dir, capture_output=True, timeout=timeout)

    def popen(self, *args):
        return subprocess.Popen([self.bin, *args], cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def whole_run(tests, *args):
    p = project(tests)
    try:
        start = time.monotonic()
        p.call("run", *args)
        return time.monotonic() - start
    finally:
        p.close()


def second_ctrl_c():
    p = project([("t.stubborn", "ignore_term")])
    try:
        proc = p.popen("run")
        if not wait_for(lambda: p.read("children.log").strip() != "", 30):
            raise RuntimeError("the stubborn test did not start")
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
        return time.monotonic() - start
    finally:
        p.close()


def lock_ctrl_c():
    p = project([("t.a", "sleep:1"), ("t.b", "pass")])
    holder = proc = None
    try:
        proc = p.popen("run")
        if not wait_for(lambda: "t.a" in p.read("ran.log"), 30):
            raise RuntimeError("t.a did not start")
        holder = subprocess.Popen([PY, "-c", "import fcntl, sys, time\n"
                                   "f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX)\n"
                                   "print('held', flush=True); time.sleep(600)", p.path(".testrepository/lock")],
                                  stdout=subprocess.PIPE)
        holder.stdout.readline()
        # Both tests ran and the runner is gone: the run waits to commit.
        wait_for(lambda: len(p.read("ran.log").splitlines()) == 2, 30)
        wait_for(lambda: processes_in(p.dir) == [proc.pid], 30)
        time.sleep(0.5)
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
        return time.monotonic() - start
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        if holder:
            holder.kill()
            holder.wait()
            holder.stdout.close()
        p.close()


def fifo_term():
    p = project([])
    try:
        os.unlink(p.path(".testr.conf"))
        os.mkfifo(p.path(".testr.conf"))
        proc = p.popen("run")
        time.sleep(0.5)
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
        return time.monotonic() - start
    finally:
        p.close()


SCENARIOS = [
    ("timeout", 15, lambda: whole_run([("t.a", "pass"), ("t.b", "sleep:30"), ("t.c", "pass"), ("t.d", "pass")],
                                      "--parallel", "--concurrency", "1", "--timeout", "1")),
    ("grace", 25, lambda: whole_run([("t.stubborn", "ignore_term"), ("t.after", "pass")],
                                    "--parallel", "--concurrency", "1", "--timeout", "1")),
    ("second ^C", 3, second_ctrl_c),
    ("lock ^C", 3, lock_ctrl_c),
    ("fifo TERM", 3, fifo_term),
    ("leak", 20, lambda: whole_run([("t.leaky", "leak_child"), ("t.b", "pass")])),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print("%-10s %10s %8s %s" % ("scenario", "median s", "bound s", "runs"))
    over = 0
    for name, bound, run in SCENARIOS:
        runs = [run() for _ in range(args.repeat)]
        median = statistics.median(runs)
        over += median >= bound
        print("%-10s %10.2f %8d %s%s" % (name, median, bound, " ".join("%.2f" % r for r in runs),
                                         "" if median < bound else "  OVER"))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
