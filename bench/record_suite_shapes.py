#!/usr/bin/python3
"""Records the test durations of the real Python suites Debian ships, for
partition-bench's "real-suite shapes" family (bench/data/suites/*.json).

Each suite is run once, serially, a module at a time, by python-subunit's
own runner (`/usr/bin/python3 -m subunit.run MODULE`); a test's duration is the time
between its inprogress and final status events, as the runner stamps them.

    bench/record_suite_shapes.py [--out bench/data/suites] [SUITE...]
"""
import argparse
import datetime
import io
import json
import os
import platform
import subprocess
import sys

import subunit
import testtools

PY = "/usr/bin/python3"
PACKAGES = "/usr/lib/python3/dist-packages"
# suite name -> Debian package. Every tests/**/test_*.py module is named to
# subunit.run: some packages' load_tests read files Debian does not ship.
SUITES = {
    "testtools": "python3-testtools",
    "fixtures": "python3-fixtures",
    "subunit": "python3-subunit",
    "testrepository": "testrepository",
    "stestr": "python3-stestr",
}


def modules(name):
    found = []
    for root, _, files in os.walk(os.path.join(PACKAGES, name, "tests")):
        for f in files:
            if f.startswith("test_") and f.endswith(".py"):
                rel = os.path.relpath(os.path.join(root, f[:-3]), PACKAGES)
                found.append(rel.replace(os.sep, "."))
    return sorted(found)


class Durations(testtools.StreamResult):
    def __init__(self):
        super().__init__()
        self.start = {}
        self.seconds = {}
        self.outcome = {}

    def status(self, test_id=None, test_status=None, timestamp=None, **kwargs):
        if test_id is None or timestamp is None:
            return
        if test_status == "inprogress":
            self.start[test_id] = timestamp
        elif test_status in ("success", "fail", "skip", "xfail", "uxsuccess") and test_id in self.start:
            self.seconds[test_id] = (timestamp - self.start[test_id]).total_seconds()
            self.outcome[test_id] = test_status


def version(package):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True).stdout


def record(name, out_dir):
    package = SUITES[name]
    d = Durations()
    # One module per run: a module that does not import here (a missing
    # optional dependency) then costs its own tests only.
    missing = []
    for module in modules(name):
        p = subprocess.run([PY, "-m", "subunit.run", module], capture_output=True, cwd="/tmp", timeout=1800)
        before = len(d.seconds)
        subunit.ByteStreamToStreamResult(io.BytesIO(p.stdout), non_subunit_name="stdout").run(d)
        if any(i.startswith("unittest.loader.") for i in d.seconds) or len(d.seconds) == before:
            missing.append(module)
            d.seconds = {i: s for i, s in d.seconds.items() if not i.startswith("unittest.loader.")}
    ids = sorted(d.seconds)
    data = {
        "suite": name,
        "source": "%s %s (Debian), run once serially by `%s -m subunit.run %s.tests...test_X`, a module at a time (bench/"
                  "record_suite_shapes.py); seconds between each test's inprogress and final status as the "
                  "runner stamped them" % (package, version(package), PY, name),
        "modules_not_run": missing,
        "recorded": datetime.date.today().isoformat(),
        "machine": "%s, %d CPUs, load average %.1f" % (platform.machine(), os.cpu_count(), os.getloadavg()[0]),
        "outcomes": {o: [d.outcome[i] for i in ids].count(o) for o in sorted(set(d.outcome[i] for i in ids))},
        "ids": ids,
        "seconds": [round(d.seconds[i], 6) for i in ids],
    }
    path = os.path.join(out_dir, name + ".json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=0)
        f.write("\n")
    print("%s: %d tests, %.3f s in all -> %s" % (name, len(ids), sum(data["seconds"]), path))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "suites"))
    parser.add_argument("suites", nargs="*", default=list(SUITES))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in args.suites:
        record(name, args.out)


if __name__ == "__main__":
    sys.exit(main())
