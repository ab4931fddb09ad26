"""`testr-mini run` over C++ test binaries (test_format=gtest|doctest|catch2):
googletest's own samples and tests built from Debian's sources, our doctest
and Catch2 fixtures, and a GoogleTest binary of known durations, run in
parallel through the real testr-mini; outcomes are read back from the stored
stream with python-subunit and compared with the binaries' own reports.

Run with Debian's /usr/bin/python3; TESTR_MINI names the binary, NATIVE_*
the fixtures (tests/meson.build).
"""
import json
import os
import xml.etree.ElementTree as ET
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import Project, read_stream, summary_counts  # noqa: E402


def bins(name):
    return [b for b in os.environ.get(name, "").split(":") if b]


def need(path):
    if not path or not os.access(path, os.X_OK):
        raise unittest.SkipTest("fixture not built: %r" % path)
    return path


def native_project(testcase, fmt, command, extra=""):
    p = Project(testcase)
    p.write(".testr.conf", "[DEFAULT]\ntest_format=%s\ntest_command=%s\n%s" % (fmt, command, extra))
    p.out("init")
    return p


def stored(p, run_id=None):
    args = ["last", "--subunit"] if run_id is None else ["last", "--subunit", "--id", str(run_id)]
    return read_stream(p.run(*args, check_rc=0).stdout)


def gtest_json(binary):
    """{id: status} from the binary's own --gtest_output=json report."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "r.json")
        subprocess.run([binary, "--gtest_output=json:" + path], capture_output=True, timeout=120)
        with open(path) as f:
            text = f.read()
    # GoogleTest 1.12 writes the suite of failures outside any test without
    # the comma before it.
    report = json.loads(text.replace("}    {", "},{"))
    out = {}
    for suite in report["testsuites"]:
        for t in suite["testsuite"]:
            tid = suite["name"] + "." + t["name"]
            out[tid] = "fail" if "failures" in t else "success" if t.get("result") == "COMPLETED" else "skip"
    return out


class GoogleTestSuites(unittest.TestCase):
    def test_several_binaries_in_parallel_give_the_binaries_own_outcomes(self):
        third_party = [b for b in bins("NATIVE_GTEST_BINS") if not b.endswith("native_gtest_ours")]
        if not third_party:
            self.skipTest("googletest sources not built")
        p = native_project(self, "gtest", "$BINARY $LISTOPT $IDOPTION",
                           "test_binaries=%s\n" % " ".join(third_party))
        expected = {}
        for b in third_party:
            for tid, s in gtest_json(b).items():
                expected[os.path.basename(b) + "::" + tid] = s
        out = p.out("run", "--parallel", "--concurrency", "3", rc=1 if "fail" in expected.values() else 0)
        stream = stored(p)
        self.assertEqual(stream.status_of, expected)
        self.assertEqual(summary_counts(out)[:3], (len(expected), sum(s == "fail" for s in expected.values()),
                                                   sum(s == "skip" for s in expected.values())), out)
        # Each test once, in the list-tests names.
        listed = p.out("list-tests").split()
        self.assertEqual(sorted(listed), sorted(expected))
        workers = {t for tags in stream.tags_of.values() for t in tags if t.startswith("worker-")}
        self.assertEqual(workers, {"worker-0", "worker-1", "worker-2"})

    def test_a_crash_fails_its_test_and_the_rest_run_again(self):
        ours = [b for b in bins("NATIVE_GTEST_BINS") if b.endswith("native_gtest_ours")]
        if not ours:
            self.skipTest("gtest fixture not built")
        p = native_project(self, "gtest", "%s $LISTOPT $IDOPTION" % ours[0])
        out = p.out("run", "--parallel", "--concurrency", "2", rc=1)
        stream = stored(p)
        self.assertEqual(stream.status_of["Crash.Segv"], "fail")
        tb = stream.files[("Crash.Segv", "traceback")].decode()
        self.assertIn("SIGABRT", tb)
        self.assertIn(b"before crash", stream.files[("Crash.Segv", "stdout")])
        self.assertEqual(stream.status_of["Crash.After"], "success")
        self.assertEqual(stream.status_of["Basic.DISABLED_Off"], "skip")
        self.assertEqual(stream.status_of["Basic.Fails"], "fail")
        self.assertIn("gtest_ours.cpp:11: Failure", stream.files[("Basic.Fails", "traceback")].decode())
        self.assertIn(b"hello from test", stream.files[("Basic.Passes", "stdout")])
        # The crash is blamed on its test, not on a pseudo-test.
        self.assertNotIn("process-returncode", stream.status_of)
        self.assertEqual(sorted(stream.status_of), sorted(p.out("list-tests").split()))
        self.assertEqual(summary_counts(out)[0], len(stream.status_of), out)

    def test_failing_runs_exactly_the_failed_tests_of_each_binary(self):
        ours = [b for b in bins("NATIVE_GTEST_BINS") if b.endswith("native_gtest_ours")]
        sample1 = [b for b in bins("NATIVE_GTEST_BINS") if b.endswith("native_gtest_sample1")]
        if not ours or not sample1:
            self.skipTest("fixtures not built")
        p = native_project(self, "gtest", "$BINARY $LISTOPT $IDOPTION",
                           "test_binaries=%s %s\n" % (ours[0], sample1[0]))
        p.out("run", "--parallel", "--concurrency", "2", rc=1)
        failed = sorted(t for t, s in stored(p).status_of.items() if s == "fail")
        self.assertIn("native_gtest_ours::Crash.Segv", failed)
        p.out("run", "--failing", rc=1)
        self.assertEqual(sorted(stored(p).status_of), failed)


class Timing(unittest.TestCase):
    def setUp(self):
        self.bin = need(os.environ.get("NATIVE_GTEST_RUN"))

    def test_durations_are_recorded_and_the_next_run_is_planned_from_them(self):
        p = native_project(self, "gtest", "%s $LISTOPT $IDOPTION" % self.bin)
        first = p.out("run", "--parallel", "--concurrency", "2", rc=1)
        self.assertIn("no history yet", first)
        slowest = p.out("slowest", "--all")
        times = dict((m.group(1), float(m.group(2)))
                     for m in re.finditer(r"^(\S+)\s+([0-9.]+)", slowest, re.M))
        self.assertGreaterEqual(times["Timing.Sleep300"], 0.29, slowest)
        self.assertLess(times["Timing.Sleep300"], 3.0, slowest)
        self.assertGreaterEqual(times["Timing.Sleep100"], 0.09, slowest)
        self.assertLess(times.get("Timing.Quick", 0.0), times["Timing.Sleep100"], slowest)
        second = p.out("run", "--parallel", "--concurrency", "2", rc=1)
        m = re.search(r"predicted ([0-9.]+)s", second)
        self.assertIsNotNone(m, second)
        self.assertGreater(float(m.group(1)), 0.2, second)

    def test_a_test_past_the_timeout_is_stopped_and_failed_and_the_rest_run(self):
        p = native_project(self, "gtest", "%s $LISTOPT $IDOPTION" % self.bin)
        p.write("hang", "")
        out = p.out("run", "--parallel", "--concurrency", "2", "--timeout", "2", rc=1, timeout=120)
        stream = stored(p)
        self.assertEqual(stream.status_of["Ctl.MaybeHang"], "fail", out)
        self.assertIn("timed out", stream.files[("Ctl.MaybeHang", "traceback")].decode())
        self.assertIn(b"about to hang", stream.files[("Ctl.MaybeHang", "stdout")])
        listed = p.out("list-tests").split()
        self.assertEqual(sorted(stream.status_of), sorted(listed))
        others = {t: s for t, s in stream.status_of.items() if t not in ("Ctl.MaybeHang", "Ctl.Fails")}
        self.assertEqual(set(others.values()), {"success"}, others)

    def test_an_abort_fails_that_test_and_the_tests_after_it_pass(self):
        p = native_project(self, "gtest", "%s $LISTOPT $IDOPTION" % self.bin)
        p.write("abort", "")
        p.out("run", "--parallel", "--concurrency", "1", rc=1)
        stream = stored(p)
        self.assertEqual(stream.status_of["Ctl.MaybeAbort"], "fail")
        self.assertIn("SIGABRT", stream.files[("Ctl.MaybeAbort", "traceback")].decode())
        after = [t for t in p.out("list-tests").split() if t.startswith("Gen/Work.")]
        self.assertEqual({stream.status_of[t] for t in after}, {"success"})


class LongSelections(unittest.TestCase):
    def test_five_thousand_ids_in_one_runner_are_each_run_once(self):
        many = need(os.environ.get("NATIVE_GTEST_MANY"))
        p = native_project(self, "gtest", "%s $LISTOPT $IDOPTION" % many)
        # One worker: its selection (~90 KB of filter) needs the script file.
        out = p.out("run", "--parallel", "--concurrency", "1")
        stream = stored(p)
        self.assertEqual(len(stream.status_of), 5000)
        self.assertEqual(set(stream.status_of.values()), {"success"})
        self.assertEqual(stream.files[("Gen/Many.Case/4321", "stdout")], b"case 4321\n")
        self.assertEqual(summary_counts(out)[0], 5000)


class DoctestAndCatch2(unittest.TestCase):
    EXPECTED = {
        "doctest": {"passes, with a comma": "success", "fails": "fail", "in suite *star*": "fail",
                    "throws": "fail", "skipped": "skip", "back\\slash <&>": "success", "crash": "fail",
                    "after": "success"},
        "catch2": {"passes, with comma [x]": "success", "fails": "fail", "sections": "fail", "throws": "fail",
                   "odd? \"quoted\" *star* back\\slash ~": "success", "crash": "fail", "after": "success"},
    }

    def check(self, fmt):
        b = bins("NATIVE_%s_BINS" % fmt.upper())
        if not b:
            self.skipTest(fmt + " fixture not built")
        p = native_project(self, fmt, "%s $LISTOPT $IDOPTION" % b[0])
        p.out("run", "--parallel", "--concurrency", "2", rc=1)
        stream = stored(p)
        expected = dict(self.EXPECTED[fmt])
        if fmt == "doctest":
            # doctest neither lists nor runs a skip-decorated case, as
            # its direct run does not.
            expected.pop("skipped")
            self.assertNotIn("skipped", p.out("list-tests").splitlines())
        self.assertEqual(stream.status_of, expected)
        self.assertIn("SIGSEGV", stream.files[("crash", "traceback")].decode())
        self.assertNotIn("process-returncode", stream.status_of)

    def test_doctest(self):
        self.check("doctest")

    def test_catch2(self):
        self.check("catch2")


def xml_outcomes(binary, args, end_tag):
    """{name: status} from a doctest / Catch2 binary's own XML report, and
    the names that occur more than once (they select each other)."""
    p = subprocess.run([binary, *args], capture_output=True, timeout=120)
    text = p.stdout.decode(errors="replace")
    # What main() prints after the report is not part of it.
    root = ET.fromstring(text[text.index("<?xml"):text.index(end_tag) + len(end_tag)])
    out, seen, twice = {}, set(), set()
    for tc in root.iter("TestCase"):
        name = tc.get("name")
        (twice if name in seen else seen).add(name)
        if tc.get("skipped") == "true":
            continue
        overall = tc.find("OverallResultsAsserts")
        if overall is not None:
            ok = overall.get("test_case_success") == "true"
        else:
            ok = tc.find("OverallResult").get("success") == "true"
        out[name] = "success" if ok else "fail"
    return out, twice


class PackagedExamples(unittest.TestCase):
    """doctest's and Catch2's own example suites, as Debian ships them."""

    def check(self, fmt, env_name, args, end_tag):
        b = need(os.environ.get(env_name))
        expected, twice = xml_outcomes(b, args, end_tag)
        p = native_project(self, fmt, "%s $LISTOPT $IDOPTION" % b)
        p.out("run", "--parallel", "--concurrency", "3", rc=1 if "fail" in expected.values() else 0)
        got = stored(p).status_of
        for name in twice:
            expected.pop(name, None)
            got.pop(name, None)
        self.assertGreater(len(expected), 10)
        self.assertEqual(got, expected)

    def test_doctest_examples(self):
        self.check("doctest", "NATIVE_DOCTEST_EXAMPLES", ["--reporters=xml", "--no-version=true"], "</doctest>")

    def test_catch2_examples(self):
        self.check("catch2", "NATIVE_CATCH2_EXAMPLES", ["--reporter", "xml"], "</Catch>")


class SerialRuns(unittest.TestCase):
    def test_a_serial_run_lists_so_a_crash_is_followed_by_the_rest(self):
        ours = [b for b in bins("NATIVE_GTEST_BINS") if b.endswith("native_gtest_ours")]
        if not ours:
            self.skipTest("gtest fixture not built")
        p = native_project(self, "gtest", "%s $LISTOPT $IDOPTION" % ours[0])
        p.out("run", rc=1)
        stream = stored(p)
        self.assertEqual(stream.status_of["Crash.Segv"], "fail")
        self.assertEqual(stream.status_of["Crash.After"], "success")
        self.assertEqual(stream.status_of["Basic.DISABLED_Off"], "skip")

    def test_a_binary_that_cannot_run_is_a_failing_returncode(self):
        p = native_project(self, "gtest", "./missing $IDOPTION")
        # No $LISTOPT: a whole-suite run would still need a listing, so
        # give the ids (--load-list does not list).
        p.write("ids", "Suite.Test\n")
        p.out("run", "--load-list", "ids", rc=1)
        stream = stored(p)
        self.assertEqual(stream.status_of.get("process-returncode"), "fail")
        self.assertIn(b"returncode 127", stream.files[("process-returncode", "traceback")])


class Configuration(unittest.TestCase):
    def test_an_unknown_format_names_the_file_and_line(self):
        p = native_project(self, "boost", "true $LISTOPT $IDOPTION")
        r = p.run("run", "--parallel")
        self.assertEqual(r.returncode, 3)
        self.assertRegex(r.stderr.decode(), r"\.testr\.conf:2: test_format must be subunit, gtest, doctest or catch2")

    def test_test_binaries_need_binary_in_the_command(self):
        p = native_project(self, "gtest", "true $LISTOPT $IDOPTION", "test_binaries=a b\n")
        r = p.run("run", "--parallel")
        self.assertEqual(r.returncode, 3)
        self.assertIn("$BINARY", r.stderr.decode())

    def test_a_listing_that_is_not_the_format_is_an_error(self):
        p = native_project(self, "gtest", "printf 'Suite.\\n  two words\\n' $LISTOPT $IDOPTION")
        r = p.run("run", "--parallel")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("is not a gtest listing: gtest listing line 2", r.stderr.decode())


if __name__ == "__main__":
    unittest.main()
