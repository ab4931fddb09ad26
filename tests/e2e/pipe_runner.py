"""A subunit v2 runner that shows how it was given its ids, for the
pre-started runner tests (tests/e2e/test_prestart.py).

Usage (as a .testr.conf test_command):
    /usr/bin/python3 pipe_runner.py SPEC.json [--list] [--load-list FILE]

SPEC.json: {"tests": [id, ...], "mode": ..., "start": s, "list_delay": s}
"start" seconds pass before the id file is opened (imports, discovery),
and then, with "gate": NAME, until a file NAME exists beside SPEC.json;
"list_delay" seconds before a listing answers. mode:
  "late"     open the id file after the start, as testtools.run does,
  "early"    open it at once, then pay the start,
  "twice"    read it, then read it again: both must hold the same ids,
  "regular"  exit 3 at once unless the id file is a regular file,
  "never"    if the id file is a pipe, sleep without opening it.
Beside SPEC.json it appends to runners.log a JSON line per runner
{"pid", "spawned" (time.time()), "pipe" (the id file was a FIFO), "ids"},
to listing.log the listing's start and end, and to ran.log "pid<TAB>id"
per test run.
"""
import json
import os
import stat
import sys
import time

from subunit import StreamResultToBytes

from fake_runner import log, now  # same directory: one copy of the helpers


def read_ids(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def main(argv):
    spawned = time.time()
    spec_path = os.path.abspath(argv[0])
    base = os.path.dirname(spec_path)
    spec = json.load(open(spec_path))
    out = StreamResultToBytes(sys.stdout.buffer)
    args = argv[1:]
    if "--list" in args:
        log(os.path.join(base, "listing.log"), "start %f" % spawned)
        time.sleep(spec.get("list_delay", 0))
        for tid in spec["tests"]:
            out.status(test_id=tid, test_status="exists")
        sys.stdout.flush()
        log(os.path.join(base, "listing.log"), "end %f" % time.time())
        return 0
    idfile = args[args.index("--load-list") + 1] if "--load-list" in args else None
    pipe = bool(idfile) and stat.S_ISFIFO(os.stat(idfile).st_mode)
    mode = spec.get("mode", "late")
    record = {"pid": os.getpid(), "spawned": spawned, "pipe": pipe}
    if mode == "regular" and idfile and not os.path.isfile(idfile):
        log(os.path.join(base, "runners.log"), json.dumps(dict(record, refused=True)))
        return 3
    if mode == "never" and pipe:
        log(os.path.join(base, "runners.log"), json.dumps(dict(record, never=True)))
        time.sleep(600)
        return 0
    ids = spec["tests"]
    if idfile and mode == "early":
        ids = read_ids(idfile)
    time.sleep(spec.get("start", 0))
    # "gate": a file the test creates when the runners may go on.
    while spec.get("gate") and not os.path.exists(os.path.join(base, spec["gate"])):
        time.sleep(0.02)
    if idfile and mode != "early":
        ids = read_ids(idfile)
        if mode == "twice" and read_ids(idfile) != ids:
            record["twice"] = "different"
    record["ids"] = ids
    log(os.path.join(base, "runners.log"), json.dumps(record))
    for tid in ids:
        log(os.path.join(base, "ran.log"), "%d\t%s" % (os.getpid(), tid))
        out.status(test_id=tid, test_status="inprogress", timestamp=now())
        time.sleep(spec.get("sleep", 0))
        out.status(test_id=tid, test_status="success" if tid in spec["tests"] else "fail", timestamp=now())
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
