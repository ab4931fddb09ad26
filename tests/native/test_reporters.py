"""The streaming reporters (reporters/testr/*_subunit.hpp) run by the real
testr (Debian's testrepository): `--list` read by python-subunit, a parallel
`testr run` (which selects with --load-list), `testr last --subunit` read back,
and `testr run --failing`, which must run exactly the failed tests again.

Binaries come from NATIVE_REPORTER_BINS (built by meson); each one's expected
outcomes are below, keyed by the binary's name.
"""
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import subunit
from testtools.testresult.doubles import StreamResult

EXPECTED = {
    "native_gtest_reporter": {
        "tests": {"Rep.Passes": "success", "Rep.Fails": "fail", "Rep.Skips": "skip",
                  "Rep.DISABLED_Off": "skip", "Rep.Dies": "success",
                  "Nums/P.Even/0": "success", "Nums/P.Even/1": "fail"},
        "printing": "Rep.Passes", "failing": "Rep.Fails", "where": "gtest_reporter.cpp:9: Failure",
    },
    "native_doctest_reporter": {
        "tests": {"passes, with a comma": "success", "fails": "fail", "throws": "fail",
                  "back\\slash": "success"},
        "printing": "passes, with a comma", "failing": "fails",
        "where": "doctest_reporter.cpp:10: CHECK( a == 2 ) is NOT correct!",
    },
    "native_catch2_reporter": {
        "tests": {"passes, with comma [x]": "success", "fails": "fail", "throws": "fail",
                  'odd? "quoted" *star*': "success"},
        "printing": "passes, with comma [x]", "failing": "fails",
        "where": "catch2_reporter.cpp:10: CHECK( a == 2 ) is NOT correct!",
    },
}


def events(stream_bytes):
    result = StreamResult()
    subunit.ByteStreamToStreamResult(io.BytesIO(stream_bytes), non_subunit_name="stdout").run(result)
    return result._events


def outcomes(stream_bytes):
    """{id: status}, {(id, file name): bytes}; each test's final status once."""
    final, files = {}, {}
    for e in events(stream_bytes):
        _, test_id, status, _tags, _runnable, file_name, file_bytes = e[:7]
        if file_name and test_id:
            files[(test_id, file_name)] = files.get((test_id, file_name), b"") + file_bytes
        if status in ("success", "fail", "skip"):
            assert test_id not in final, "two results for " + test_id
            final[test_id] = status
    return final, files


class Reporters(unittest.TestCase):
    def bins(self):
        found = [b for b in os.environ.get("NATIVE_REPORTER_BINS", "").split(":") if b]
        self.assertIn("native_gtest_reporter", [os.path.basename(b) for b in found])
        self.assertIn("native_doctest_reporter", [os.path.basename(b) for b in found])
        return found

    def test_list_is_exists_events(self):
        for b in self.bins():
            with self.subTest(binary=b):
                want = EXPECTED[os.path.basename(b)]["tests"]
                out = subprocess.run([b, "--list"], stdout=subprocess.PIPE, check=True).stdout
                listed = [e[1] for e in events(out) if e[2] == "exists"]
                self.assertEqual(sorted(listed), sorted(want))
                self.assertEqual(len(listed), len(set(listed)))

    def test_run_by_real_testr(self):
        for b in self.bins():
            with self.subTest(binary=b):
                want = EXPECTED[os.path.basename(b)]
                work = tempfile.mkdtemp(prefix="testr-native-")
                try:
                    with open(os.path.join(work, ".testr.conf"), "w") as f:
                        f.write("[DEFAULT]\ntest_command=%s $LISTOPT $IDOPTION\n"
                                "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n" % b)
                    run = lambda *a: subprocess.run(["testr"] + list(a), cwd=work,
                                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                    self.assertEqual(run("init").returncode, 0)
                    r = run("run", "--parallel", "--concurrency=2")
                    self.assertNotEqual(r.returncode, 0, r.stdout)  # some tests fail
                    last = run("last", "--subunit").stdout
                    final, files = outcomes(last)
                    self.assertEqual(final, want["tests"])
                    printed = files.get((want["printing"], "stdout"), b"").decode()
                    self.assertIn("printed by printf\n", printed)
                    self.assertIn("and by cout\n", printed)
                    tb = files.get((want["failing"], "traceback"), b"").decode()
                    self.assertIn(want["where"], tb)
                    failing = sorted(t for t, s in want["tests"].items() if s == "fail")
                    self.assertEqual(sorted(run("failing", "--list").stdout.decode().split("\n")[:-1]), failing)
                    # --failing selects through --load-list: exactly those run again.
                    run("run", "--failing")
                    again, _ = outcomes(run("last", "--subunit").stdout)
                    self.assertEqual(sorted(again), failing)
                finally:
                    shutil.rmtree(work)


if __name__ == "__main__":
    unittest.main(verbosity=2)
