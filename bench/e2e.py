#!/usr/bin/python3
"""bench/e2e.py - end-to-end figures for testr-mini beside the original testr.

Generates one large subunit v2 stream (python-subunit's encoder): N tests,
each `inprogress` then `success` with timestamps, one in a thousand failing
with a traceback. Then, for each tool, best of R:

  load        `TOOL load < stream` into a fresh repository
  last        `TOOL last --subunit > /dev/null`
  slowest     `TOOL slowest`

and prints seconds, ratios and whether testr-mini met its target. Both
tools must agree on the exit code of each command and on the ten slowest
ids, or the benchmark stops.

Usage: scripts/bench e2e [--tests N] [--repeat R] [--binary PATH] [--only-ours]
(TESTR_MINI: the binary, set by scripts/bench; runs with Debian's python3.)
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

TARGETS = {"load": 0.25, "last --subunit": 0.1, "slowest": 0.05}


def generate(path, n):
    rnd = random.Random(6)
    t0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    clock = t0
    with open(path, "wb") as f:
        out = StreamResultToBytes(f)
        for i in range(n):
            tid = "pkg.module_%03d.TestCase%02d.test_%06d" % (i % 397, i % 23, i)
            took = datetime.timedelta(microseconds=rnd.randrange(1, 2_000_000))
            out.status(test_id=tid, test_status="inprogress", timestamp=clock)
            clock += took
            if i % 1000 == 999:
                out.status(test_id=tid, file_name="traceback", mime_type="text/x-traceback;charset=utf8",
                           file_bytes=("Traceback (most recent call last):\n  File \"t.py\", line %d\n"
                                       "AssertionError: %d != %d\n" % (i, i, i + 1)).encode(), eof=True)
                out.status(test_id=tid, test_status="fail", timestamp=clock)
            else:
                out.status(test_id=tid, test_status="success", timestamp=clock)


def timed(argv, cwd, stdin_path=None, stdout=subprocess.DEVNULL):
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        p = subprocess.run(argv, cwd=cwd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE)
        took = time.perf_counter() - start
    finally:
        if stdin_path:
            stdin.close()
    return took, p


def project(base, name):
    d = os.path.join(base, name)
    os.mkdir(d)
    with open(os.path.join(d, ".testr.conf"), "w") as f:
        f.write("[DEFAULT]\ntest_command=false\n")  # testr's load reads the configuration
    return d


def measure(tool, base, stream, repeat):
    """{operation: (best seconds, exit code, stdout of the last slowest)}."""
    results = {}
    loads = []
    for r in range(repeat):
        d = project(base, "%s-%d" % (os.path.basename(tool[0]), r))
        subprocess.run(tool + ["init"], cwd=d, check=True, stdout=subprocess.DEVNULL)
        took, p = timed(tool + ["load"], d, stdin_path=stream)
        loads.append(took)
        results["load"] = (min(loads), p.returncode, None)
    for op, args in (("last --subunit", ["last", "--subunit"]), ("slowest", ["slowest"])):
        best, p = None, None
        for _ in range(repeat):
            took, p = timed(tool + args, d, stdout=subprocess.PIPE if op == "slowest" else subprocess.DEVNULL)
            best = took if best is None else min(best, took)
        results[op] = (best, p.returncode, p.stdout)
    return results


def slowest_ids(text):
    return [line.split()[0] for line in text.decode().splitlines()[2:]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tests", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--binary", default=os.environ.get("TESTR_MINI", "build/tools/testr-mini/testr-mini"))
    ap.add_argument("--only-ours", action="store_true", help="skip the original testr")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit("bench/e2e.py: no testr-mini at %s (--binary)" % binary)

    base = tempfile.mkdtemp(prefix="testr-mini-bench-e2e-")
    try:
        stream = os.path.join(base, "stream.subunit")
        start = time.perf_counter()
        generate(stream, args.tests)
        print("stream: %d tests, %.1f MB, generated in %.1fs; best of %d" % (
            args.tests, os.path.getsize(stream) / 1e6, time.perf_counter() - start, args.repeat))
        ours = measure([binary], base, stream, args.repeat)
        theirs = None if args.only_ours else measure(["testr"], base, stream, args.repeat)
        print("%-16s %10s %12s %8s %10s" % ("operation", "testr (s)", "testr-mini (s)", "ratio", "target"))
        missed = []
        for op, target in TARGETS.items():
            mine = ours[op][0]
            if theirs:
                if ours[op][1] != theirs[op][1]:
                    sys.exit("%s: exit codes differ: testr-mini %d, testr %d" % (op, ours[op][1], theirs[op][1]))
                ratio = "%7.1fx" % (theirs[op][0] / mine)
                orig = "%10.3f" % theirs[op][0]
            else:
                ratio, orig = "%8s" % "-", "%10s" % "-"
            ok = mine <= target
            if not ok:
                missed.append(op)
            print("%-16s %s %14.4f %s %7.2fs %s" % (op, orig, mine, ratio, target, "ok" if ok else "MISSED"))
        if theirs and slowest_ids(ours["slowest"][2]) != slowest_ids(theirs["slowest"][2]):
            sys.exit("slowest: the tools disagree on the ten slowest tests")
        return 1 if missed else 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
