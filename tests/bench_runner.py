#!/usr/bin/python3
"""bench/adaptive/fake_runner.py writes subunit v2 itself (importing
python-subunit would cost every runner start 0.2 s of CPU): its packets must
be python-subunit's, byte for byte, and a whole run must read back with
python-subunit's own parser."""
import datetime
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

import subunit
import testtools

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
RUNNER = os.path.join(ROOT, "bench", "adaptive", "fake_runner.py")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(RUNNER))
import fake_runner  # noqa: E402


class Packets(unittest.TestCase):
    def test_same_bytes_as_python_subunit(self):
        # Ids whose length crosses each varint size and the length field's own
        # size changes; every status the runner writes; with and without a time.
        lengths = list(range(1, 80)) + [16370, 16375, 16380, 16390, 20000]
        stamps = [None, 1764128000.123456, 1764128000.5, 1.0]
        for n in lengths:
            for status in fake_runner.STATUS:
                for stamp in stamps:
                    test_id = "é" * (n // 2) + "t" * (n % 2)
                    buf = io.BytesIO()
                    kw = {}
                    if stamp is not None:
                        kw["timestamp"] = datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc)
                    subunit.StreamResultToBytes(buf).status(test_id=test_id, test_status=status, **kw)
                    self.assertEqual(fake_runner.packet(test_id, status, stamp), buf.getvalue(),
                                     (n, status, stamp))

    def test_a_run_reads_back(self):
        with tempfile.TemporaryDirectory() as d:
            spec = os.path.join(d, "spec.json")
            ids = os.path.join(d, "ids")
            with open(spec, "w") as f:
                json.dump({"tests": [["a.A.test_1", 0.01], ["a.A.test_2", 0.0]]}, f)
            with open(ids, "w") as f:
                f.write("a.A.test_2\nnot.known\n")
            out = subprocess.run([sys.executable, RUNNER, "--spec", spec, "--load-list", ids],
                                 capture_output=True, check=True).stdout
        result = testtools.StreamSummary()
        case = subunit.ByteStreamToStreamResult(io.BytesIO(out), non_subunit_name="stdout")
        result.startTestRun()
        case.run(result)
        result.stopTestRun()
        self.assertEqual(result.testsRun, 2)
        # testtools files a subunit `fail` under errors; the known test passed.
        self.assertEqual([t.id() for t, _ in result.errors], ["not.known"])
        self.assertFalse(result.wasSuccessful())


if __name__ == "__main__":
    unittest.main(verbosity=2)
