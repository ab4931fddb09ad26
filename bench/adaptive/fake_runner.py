#!/usr/bin/python3
"""A test runner for generated suites that speaks subunit v2 on stdout.

    fake_runner.py [--spec FILE] [--list | --load-list FILE]

The spec (--spec, else $FAKE_RUNNER_SPEC) is JSON:
    {"tests": [["pkg.mod.Class.test_x", seconds], ...], "start_delay": seconds}
--list writes an `exists` event per test; otherwise the runner sleeps
`start_delay` (the cost of starting a heavy runner), then runs the listed
tests (all of them without --load-list) in the order given, each an
`inprogress` and a `success` event around a sleep of its duration, as
python-subunit's own runner would report them. Ids it does not know fail
at once, so a scheduling mistake shows up in the results.
"""
import argparse
import datetime
import json
import os
import sys
import time

import subunit


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", default=os.environ.get("FAKE_RUNNER_SPEC"))
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--load-list")
    args = parser.parse_args()
    if not args.spec:
        parser.error("no spec: give --spec FILE or set FAKE_RUNNER_SPEC")
    with open(args.spec) as f:
        spec = json.load(f)
    durations = dict(spec["tests"])
    out = subunit.StreamResultToBytes(sys.stdout.buffer)
    if args.list:
        for test_id, _ in spec["tests"]:
            out.status(test_id=test_id, test_status="exists")
        sys.stdout.flush()
        return 0
    if args.load_list:
        with open(args.load_list) as f:
            ids = [line.strip() for line in f if line.strip()]
    else:
        ids = [test_id for test_id, _ in spec["tests"]]
    time.sleep(float(spec.get("start_delay", 0)))
    for test_id in ids:
        out.status(test_id=test_id, test_status="inprogress", timestamp=now())
        sys.stdout.flush()
        seconds = durations.get(test_id)
        if seconds is None:
            out.status(test_id=test_id, test_status="fail", timestamp=now())
            continue
        time.sleep(seconds)
        out.status(test_id=test_id, test_status="success", timestamp=now())
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
