#!/usr/bin/python3
"""A test runner for generated suites that speaks subunit v2 on stdout.

    fake_runner.py [--spec FILE] [--list | --load-list FILE]

The spec (--spec, else $FAKE_RUNNER_SPEC) is JSON:
    {"tests": [["pkg.mod.Class.test_x", seconds], ...], "start_delay": seconds,
     "imports": ["subunit"]}
--list writes an `exists` event per test; otherwise the runner sleeps
`start_delay` (the cost of starting a heavy runner), then runs the listed
tests (all of them without --load-list) in the order given, each an
`inprogress` and a `success` event around a sleep of its duration, as
python-subunit's own runner would report them. "imports" names modules to
import first, every time: a start that costs CPU as a real suite's does. Ids it does not know fail
at once, so a scheduling mistake shows up in the results.

The packets are written here rather than through python-subunit: importing
it (and testtools) costs 0.2 s of CPU per process on the bench machine, a
start cost the `expensive` family models on purpose and the others should
not carry. The bytes are the same as python-subunit's for these events.
"""
import json
import os
import struct
import sys
import time
import zlib

STATUS = {"exists": 1, "inprogress": 2, "success": 3, "fail": 6}


def varint(n):
    if n < 0x40:
        return bytes([n])
    if n < 0x4000:
        return struct.pack(">H", n | 0x4000)
    if n < 0x400000:
        return struct.pack(">I", n | 0x800000)[1:]
    return struct.pack(">I", n | 0xC0000000)


def packet(test_id, status, stamp=None):
    flags = 0x2000 | 0x0800 | 0x0100 | STATUS[status]  # test id, runnable
    body = b""
    if stamp is not None:
        flags |= 0x0200
        micros = round(stamp * 1e6)  # python-subunit's datetimes hold microseconds
        body += struct.pack(">I", micros // 10**6) + varint(micros % 10**6 * 1000)
    name = test_id.encode("utf-8")
    body += varint(len(name)) + name
    size = 1 + 2 + len(body) + 4
    size += len(varint(size + len(varint(size))))  # the length counts itself
    head = b"\xb3" + struct.pack(">H", flags) + varint(size) + body
    return head + struct.pack(">I", zlib.crc32(head) & 0xFFFFFFFF)


def main(argv):
    spec_path = os.environ.get("FAKE_RUNNER_SPEC")
    listing, load_list = False, None
    args = iter(argv)
    for arg in args:
        if arg == "--spec":
            spec_path = next(args)
        elif arg == "--list":
            listing = True
        elif arg == "--load-list":
            load_list = next(args)
        else:
            sys.exit("fake_runner.py: unknown argument %r" % arg)
    if not spec_path:
        sys.exit("fake_runner.py: no spec: give --spec FILE or set FAKE_RUNNER_SPEC")
    with open(spec_path) as f:
        spec = json.load(f)
    for module in spec.get("imports", []):
        __import__(module)
    out = sys.stdout.buffer
    if listing:
        out.write(b"".join(packet(test_id, "exists") for test_id, _ in spec["tests"]))
        out.flush()
        return 0
    durations = dict(spec["tests"])
    if load_list:
        with open(load_list) as f:
            ids = [line.strip() for line in f if line.strip()]
    else:
        ids = [test_id for test_id, _ in spec["tests"]]
    time.sleep(float(spec.get("start_delay", 0)))
    for test_id in ids:
        out.write(packet(test_id, "inprogress", time.time()))
        out.flush()
        seconds = durations.get(test_id)
        if seconds is not None:
            time.sleep(seconds)
        out.write(packet(test_id, "fail" if seconds is None else "success", time.time()))
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
