"""A scriptable test runner that speaks subunit v2, for tests/e2e.

Usage (as a .testr.conf test_command):
    /usr/bin/python3 fake_runner.py SPEC.json [--list] [--load-list FILE] [ARGS...]

SPEC.json: {"tests": [{"id": ..., "outcome": ..., "sleep": s, "tags": [...]}, ...]}.
outcome is one of: pass, fail, skip, segv (the runner kills itself with
SIGSEGV when it reaches the test), fail_on_run:N (passes until the Nth run
of this test, counted in SPEC.json's directory, then fails).
"child": true starts a `sleep 60` child first (to check that an interrupt
stops a worker's whole process tree).
"between": s sleeps s seconds after each test's final event, outside any
test's timestamps (the runner's own work between tests).

Every test run appends "pid<TAB>id" to ran.log, and the runner appends
its extra arguments (JSON) to args.log, both beside SPEC.json, so a test
can see exactly what testr-mini asked for. The events are written with
python-subunit's own encoder (an independent implementation).
"""
import datetime
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

from subunit import StreamResultToBytes


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def log(path, line):
    # One write per line with O_APPEND: concurrent workers never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def bump_counter(base, test_id):
    path = os.path.join(base, "count-" + hashlib.sha1(test_id.encode()).hexdigest())
    n = int(open(path).read()) + 1 if os.path.exists(path) else 1
    with open(path, "w") as f:
        f.write(str(n))
    return n


def main(argv):
    spec_path = os.path.abspath(argv[0])
    base = os.path.dirname(spec_path)
    spec = json.load(open(spec_path))
    args = argv[1:]
    listing = False
    wanted = None
    extra = []
    i = 0
    while i < len(args):
        if args[i] == "--list":
            listing = True
        elif args[i] == "--load-list":
            i += 1
            with open(args[i], encoding="utf-8") as f:
                wanted = [line.rstrip("\n") for line in f if line.strip()]
        else:
            extra.append(args[i])
        i += 1
    log(os.path.join(base, "args.log"), json.dumps(extra))

    out = StreamResultToBytes(sys.stdout.buffer)
    tests = spec["tests"]
    if listing:
        for t in tests:
            out.status(test_id=t["id"], test_status="exists")
        sys.stdout.flush()
        return 0
    if wanted is not None:
        by_id = {t["id"]: t for t in tests}
        tests = [by_id[w] for w in wanted if w in by_id]
    if spec.get("child"):
        child = subprocess.Popen(["sleep", "60"])
        log(os.path.join(base, "children.log"), "%d\t%d" % (os.getpid(), child.pid))
    for t in tests:
        tid = t["id"]
        log(os.path.join(base, "ran.log"), "%d\t%s" % (os.getpid(), tid))
        out.status(test_id=tid, test_status="inprogress", timestamp=now())
        sys.stdout.flush()
        outcome = t.get("outcome", "pass")
        if outcome == "segv":
            os.kill(os.getpid(), signal.SIGSEGV)
        time.sleep(t.get("sleep", 0))
        if outcome.startswith("fail_on_run:"):
            outcome = "fail" if bump_counter(base, tid) >= int(outcome.split(":")[1]) else "pass"
        status = {"pass": "success", "fail": "fail", "skip": "skip"}[outcome]
        if status == "fail":
            out.status(test_id=tid, file_name="traceback", mime_type="text/plain;charset=utf8",
                       file_bytes=("Traceback: %s failed on purpose\n" % tid).encode(), eof=True)
        out.status(test_id=tid, test_status=status, timestamp=now(), test_tags=set(t.get("tags", [])) or None)
        sys.stdout.flush()
        time.sleep(spec.get("between", 0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
