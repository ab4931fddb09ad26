"""`last --junit` (both schemas) beside `last --subunit | subunit2junitxml`
on one stored run of N tests (default 100,000): wall time and peak RSS of
each, best of 3, interleaved.

    /usr/bin/python3 bench/junit_report.py build/tools/testr-mini/testr-mini [N]

The stream is python-subunit's: per test an inprogress and a final status
with timestamps, 0.2% failing with a 1.5 KB traceback, ids like
tests.test_mod042.TestThing7.test_04213.
"""
import datetime
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time

import subunit


def stream(n):
    buf = io.BytesIO()
    out = subunit.StreamResultToBytes(buf)
    t0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    tb = ("Traceback (most recent call last):\n" + "  line\n" * 200 + "AssertionError: boom\n").encode()
    for i in range(n):
        tid = "tests.test_mod%03d.TestThing%d.test_%05d" % (i % 1000, i % 10, i)
        start = t0 + datetime.timedelta(milliseconds=i)
        out.status(test_id=tid, test_status="inprogress", timestamp=start, test_tags={"worker-%d" % (i % 4)})
        if i % 500 == 0:
            out.status(test_id=tid, test_status="fail", timestamp=start + datetime.timedelta(microseconds=700),
                       file_name="traceback", file_bytes=tb, mime_type="text/plain", eof=True,
                       test_tags={"worker-%d" % (i % 4)})
        else:
            out.status(test_id=tid, test_status="success", timestamp=start + datetime.timedelta(microseconds=700),
                       test_tags={"worker-%d" % (i % 4)})
    return buf.getvalue()


def measure(cmd, cwd, stdin=None):
    """(seconds, peak RSS MiB) of a shell command and its children."""
    t = time.monotonic()
    p = subprocess.Popen(["/bin/sh", "-c", cmd], cwd=cwd, stdout=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    took = time.monotonic() - t
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit("failed: " + cmd)
    return took, usage.ru_maxrss / 1024


def main():
    binary = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    work = tempfile.mkdtemp(prefix="bench-junit-")
    try:
        data = stream(n)
        with open(os.path.join(work, "s.bin"), "wb") as f:
            f.write(data)
        subprocess.run([binary, "load", "--force-init", "-q", "s.bin"], cwd=work, check=False,
                       stdout=subprocess.DEVNULL)
        # Each side's pipeline as a user runs it; the sh around each is in both.
        sides = (("testr-mini last --junit", "%s last --junit ours.xml -q" % binary, "ours.xml"),
                 ("  --junit-schema jenkins", "%s last --junit strict.xml --junit-schema jenkins -q" % binary,
                  "strict.xml"),
                 ("last --subunit | subunit2junitxml", "%s last --subunit | subunit2junitxml > theirs.xml" % binary,
                  "theirs.xml"))
        runs = {name: [] for name, _, _ in sides}
        for _ in range(3):
            for name, cmd, _ in sides:
                runs[name].append(measure(cmd, work))
        print("%d tests, stream %.2f MB" % (n, len(data) / 1e6))
        for name, _, out in sides:
            secs, rss = min(r[0] for r in runs[name]), max(r[1] for r in runs[name])
            print("%-36s %7.3f s  peak RSS %7.1f MiB  %s %.2f MB" % (
                name, secs, rss, out, os.path.getsize(os.path.join(work, out)) / 1e6))
        ours, theirs = runs[sides[0][0]], runs[sides[2][0]]
        print("theirs / ours: time %.1fx, peak RSS %.2fx" % (
            min(r[0] for r in theirs) / min(r[0] for r in ours), max(r[1] for r in theirs) / max(r[1] for r in ours)))
    finally:
        shutil.rmtree(work, True)


if __name__ == "__main__":
    main()
