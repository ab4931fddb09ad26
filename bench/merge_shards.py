#!/usr/bin/python3
"""bench/merge_shards.py - merging CI shards: `load --shards` beside testr.

Generates K shard streams (python-subunit's encoder) of N tests in all,
each test `inprogress` then `success` (one in a thousand `fail` with a
traceback), tagged worker-0/1 as a shard's own parallel run tags them.
Then, best of R, each into a fresh repository:

  testr load S1..SK                  testrepository's load of several files
  testr-mini load S1..SK             the same, testr's semantics (worker-N by position)
  testr-mini load --shards S1..SK    one run of K shards (shard-K tags, bookkeeping)
  testr-mini times export / import   the resulting N-record duration store

Both loads must store the same number of tests and exit alike, or it stops.

Usage: TESTR_MINI=build/tools/testr-mini/testr-mini /usr/bin/python3 bench/merge_shards.py [--tests N] [--shards K] [--repeat R]
"""
import argparse
import datetime
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

from subunit import StreamResultToBytes


def generate(paths, n):
    rnd = random.Random(14)
    files = [open(p, "wb") for p in paths]
    outs = [StreamResultToBytes(f) for f in files]
    clocks = [datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)] * len(paths)
    for i in range(n):
        k = i % len(paths)
        out = outs[k]
        tid = "pkg.module_%03d.TestCase%02d.test_%06d" % (i % 397, i % 23, i)
        tags = {"worker-%d" % (i // len(paths) % 2)}
        out.status(test_id=tid, test_status="inprogress", timestamp=clocks[k], test_tags=tags)
        clocks[k] += datetime.timedelta(microseconds=rnd.randrange(1, 2_000_000))
        status = "success"
        if i % 1000 == 999:
            out.status(test_id=tid, file_name="traceback", mime_type="text/x-traceback;charset=utf8",
                       file_bytes=b"Traceback (most recent call last):\nAssertionError\n", eof=True, test_tags=tags)
            status = "fail"
        out.status(test_id=tid, test_status=status, timestamp=clocks[k], test_tags=tags)
    for f in files:
        f.close()


def timed(argv, cwd, want_rc=None):
    t = time.perf_counter()
    p = subprocess.run(argv, cwd=cwd, capture_output=True)
    took = time.perf_counter() - t
    if want_rc is not None and p.returncode != want_rc:
        sys.exit("%s: exit %d\n%s" % (" ".join(argv), p.returncode, p.stderr.decode(errors="replace")))
    return took, p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tests", type=int, default=20000)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    mini = os.path.abspath(os.environ.get("TESTR_MINI", "build/tools/testr-mini/testr-mini"))
    work = tempfile.mkdtemp(prefix="merge-shards-")
    try:
        streams = [os.path.join(work, "shard-%d.subunit" % (k + 1)) for k in range(a.shards)]
        generate(streams, a.tests)
        best = {}

        def run(name, argv, init, rc=1):
            d = tempfile.mkdtemp(dir=work)
            with open(os.path.join(d, ".testr.conf"), "w") as f:
                f.write("[DEFAULT]\ntest_command=true\n")  # testr's load insists on one
            if init:
                subprocess.run(init, cwd=d, check=True, capture_output=True)
            took, p = timed(argv, d, rc)
            best[name] = min(best.get(name, took), took)
            return d, p

        for _ in range(a.repeat):
            # Interleaved, so the machine's load falls on every tool alike.
            run("testr load", ["testr", "load", *streams], ["testr", "init"])
            run("testr-mini load", [mini, "load", *streams], [mini, "init"])
            d, p = run("testr-mini load --shards", [mini, "load", "--shards", *streams], [mini, "init"])
            stats = dict(line.split("=", 1) for line in subprocess.run(
                [mini, "stats"], cwd=d, capture_output=True, text=True).stdout.splitlines())
            if stats.get("latest_tests") != str(a.tests):
                sys.exit("load --shards stored %s tests, not %d" % (stats.get("latest_tests"), a.tests))
            out = os.path.join(work, "times.tsv")
            took, _ = timed([mini, "times", "export", out], d, 0)
            best["times export"] = min(best.get("times export", took), took)
            took, _ = timed([mini, "times", "import", "--force-init", out], tempfile.mkdtemp(dir=work), 0)
            best["times import"] = min(best.get("times import", took), took)
        ref = best["testr load"]
        print("%d tests in %d shard streams, best of %d" % (a.tests, a.shards, a.repeat))
        for name, s in best.items():
            print("  %-26s %8.3f s   %6.3f x testr load" % (name, s, s / ref))
    finally:
        shutil.rmtree(work, True)


if __name__ == "__main__":
    main()
