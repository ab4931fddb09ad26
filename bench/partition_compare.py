#!/usr/bin/python3
"""`testr-mini plan --compare` on a real suite, then runs of the plan it
chose, measured: does the prediction hold?

The suite is Debian's python3-testtools' own tests (as
bench/real_suite.py runs them, by subunit.run), recorded by --warm runs
of testr-mini first. Each measured run's makespan is read from its own subunit stream
(per worker, first test start to last test end: what the prediction
counts, the runner start and listing excluded) and set beside the
prediction `plan --compare` made just before it; "in tests" is the
slowest worker's sum of test durations, what the estimates cover, the
rest of the span is the runner's work between tests.

    bench/partition_compare.py [--workers 2] [--warm 2] [--repeat 3] [--schedule dynamic|static]
"""
import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import subunit
import testtools

PY = "/usr/bin/python3"
CONF = ("[DEFAULT]\n"
        "test_command=%s -m subunit.run $LISTOPT $IDOPTION %%s.tests.test_suite\n"
        "test_id_option=--load-list $IDFILE\n"
        "test_list_option=--list\n" % PY)


class Spans(testtools.StreamResult):
    def __init__(self):
        super().__init__()
        self.first, self.last, self.started, self.in_tests = {}, {}, {}, {}

    def status(self, test_id=None, test_status=None, test_tags=None, timestamp=None, **_):
        if not test_id or timestamp is None:
            return
        for w in (t for t in (test_tags or ()) if t.startswith("worker-")):
            self.first[w] = min(self.first.get(w, timestamp), timestamp)
            self.last[w] = max(self.last.get(w, timestamp), timestamp)
            if test_status == "inprogress":
                self.started[test_id] = timestamp
            elif test_id in self.started:
                self.in_tests[w] = self.in_tests.get(w, 0) + (timestamp - self.started.pop(test_id)).total_seconds()


def measured(mini, cwd):
    """(makespan, the slowest worker's seconds in tests)"""
    stream = subprocess.run([mini, "last", "--subunit"], cwd=cwd, capture_output=True, check=True).stdout
    s = Spans()
    subunit.ByteStreamToStreamResult(io.BytesIO(stream)).run(s)
    spans = {w: (s.last[w] - s.first[w]).total_seconds() for w in s.first}
    slowest = max(spans, key=spans.get)
    return spans[slowest], s.in_tests.get(slowest, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warm", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--schedule", choices=["dynamic", "static"], default="dynamic")
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    mini = os.environ.get("TESTR_MINI") or os.path.join(root, "build", "tools", "testr-mini", "testr-mini")
    d = tempfile.mkdtemp(prefix="partition-compare-")
    try:
        with open(os.path.join(d, ".testr.conf"), "w") as f:
            f.write(CONF % "testtools")
        subprocess.run([mini, "init"], cwd=d, check=True, capture_output=True)
        common = ["--concurrency", str(args.workers), "--schedule", args.schedule]
        for _ in range(args.warm):
            subprocess.run([mini, "run", "--parallel", *common], cwd=d, capture_output=True)
        print(subprocess.run([mini, "plan", "--compare", *common], cwd=d, capture_output=True, text=True).stdout)
        errors = []
        for _ in range(args.repeat):
            c = json.loads(subprocess.run([mini, "plan", "--compare", "--json", *common], cwd=d, check=True,
                                          capture_output=True).stdout)
            subprocess.run([mini, "run", "--parallel", *common], cwd=d, capture_output=True)
            (span, in_tests), predicted = measured(mini, d), c["chosen"]["predicted_seconds"]
            errors.append(span / predicted - 1)
            print("%s (%s, %d tests): predicted %.3fs, measured %.3fs (%+.1f%%), in tests %.3fs" % (
                c["chosen"]["method"], args.schedule, c["tests"], predicted, span, 100 * errors[-1], in_tests))
        print("median error %+.1f%%, largest %+.1f%%" % (100 * statistics.median(errors),
                                                          100 * max(errors, key=abs)))
    finally:
        shutil.rmtree(d, True)


if __name__ == "__main__":
    sys.exit(main())
