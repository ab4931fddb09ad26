"""The run pipeline end to end: what .testr.conf asks of `run` and `plan`
reaches the runners and the results (filter_tags, group_regex,
instance_execute), checked on the stored stream with python-subunit.

Run with Debian's /usr/bin/python3; TESTR_MINI names the binary.
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import Project, read_stream, summary_counts  # noqa: E402


def grouped_project(testcase, extra_conf=""):
    """Two classes of four tests each; group_regex keeps a class together."""
    p = Project(testcase)
    tests = [("pkg.A.t%d" % i, "pass", 0.05) for i in range(4)] + [("pkg.B.t%d" % i, "pass", 0.05) for i in range(4)]
    p.fake(tests, extra_conf=extra_conf)
    p.out("init")
    return p


class FilterTags(unittest.TestCase):
    def test_filter_tags_take_tagged_passes_out_of_the_run_count(self):
        p = Project(self)
        p.fake([("t.quarantined", "pass", 0, ["quarantine"]), ("t.plain", "pass"), ("t.other", "pass")],
               extra_conf="filter_tags=quarantine\n")
        p.out("init")
        out = p.out("run")
        self.assertEqual(summary_counts(out)[0], 2, out)
        # The stored stream keeps the test and its tag: only the count leaves it out.
        stream = read_stream(p.run("last", "--subunit", check_rc=0).stdout)
        self.assertIn("quarantine", stream.tags_of["t.quarantined"])
        self.assertEqual(summary_counts(p.out("last"))[0], 2)

    def test_without_filter_tags_every_test_counts(self):
        p = Project(self)
        p.fake([("t.quarantined", "pass", 0, ["quarantine"]), ("t.plain", "pass")])
        p.out("init")
        self.assertEqual(summary_counts(p.out("run"))[0], 2)


class GroupRegex(unittest.TestCase):
    CONF = "group_regex=([^.]+\\.[^.]+)\\.\n"

    def workers_of_groups(self, stream):
        groups = {}
        for tid, tags in stream.tags_of.items():
            workers = {t for t in tags if t.startswith("worker-")}
            groups.setdefault(tid.rsplit(".", 1)[0], set()).update(workers)
        return groups

    def test_a_group_runs_in_one_worker(self):
        p = grouped_project(self, self.CONF)
        p.out("run", "--parallel", "--concurrency", "2", "--schedule", "static")
        groups = self.workers_of_groups(read_stream(p.run("last", "--subunit", check_rc=0).stdout))
        self.assertEqual(len(groups["pkg.A"]), 1, groups)
        self.assertEqual(len(groups["pkg.B"]), 1, groups)
        self.assertNotEqual(groups["pkg.A"], groups["pkg.B"])

    def test_the_dynamic_schedule_keeps_groups_whole_too(self):
        p = grouped_project(self, self.CONF)
        p.out("run", "--parallel", "--concurrency", "2")
        p.out("run", "--parallel", "--concurrency", "2")  # with history
        groups = self.workers_of_groups(read_stream(p.run("last", "--subunit", check_rc=0).stdout))
        self.assertEqual(len(groups["pkg.A"]), 1, groups)
        self.assertEqual(len(groups["pkg.B"]), 1, groups)

    def test_without_group_regex_a_class_is_split(self):
        p = grouped_project(self)
        p.out("run", "--parallel", "--concurrency", "2", "--schedule", "static")
        groups = self.workers_of_groups(read_stream(p.run("last", "--subunit", check_rc=0).stdout))
        self.assertEqual(groups["pkg.A"], {"worker-0", "worker-1"}, groups)

    def test_plan_keeps_a_group_in_one_worker(self):
        p = grouped_project(self, self.CONF)
        plan = json.loads(p.out("plan", "--json", "--concurrency", "2", "--schedule", "static"))
        where = {t["id"].rsplit(".", 1)[0]: set() for w in plan["workers"] for t in w["tests"]}
        for w in plan["workers"]:
            for t in w["tests"]:
                where[t["id"].rsplit(".", 1)[0]].add(w["worker"])
        self.assertEqual({k: len(v) for k, v in where.items()}, {"pkg.A": 1, "pkg.B": 1})


class InstanceExecute(unittest.TestCase):
    def test_runners_and_listing_run_through_instance_execute(self):
        p = Project(self)
        p.fake([("t.%d" % i, "pass") for i in range(4)], extra_conf=(
            "instance_provision=echo box-a box-b\n"
            "instance_execute=echo $INSTANCE_ID >> instances.log; $COMMAND\n"
            "instance_dispose=echo $INSTANCE_IDS > disposed.log\n"))
        p.out("init")
        out = p.out("run", "--parallel", "--concurrency", "2")
        self.assertEqual(summary_counts(out)[0], 4)
        used = p.read("instances.log").split()
        # The listing and every runner went through an instance; both were used.
        self.assertGreaterEqual(len(used), 3, used)
        self.assertEqual(set(used), {"box-a", "box-b"})
        self.assertEqual(p.read("disposed.log").split(), ["box-a", "box-b"])

    def test_instance_execute_without_provision_is_an_error_naming_the_file(self):
        p = Project(self)
        p.fake([("t.a", "pass")], extra_conf="instance_execute=$COMMAND\n")
        p.out("init")
        r = p.run("run", check_rc=3)
        self.assertIn(b".testr.conf: instance_execute is set but instance_provision is not", r.stderr)


class ErrorsAreMessages(unittest.TestCase):
    def test_a_non_utf8_id_in_plan_json_is_an_error_not_an_abort(self):
        p = Project(self)
        p.write("list.py", "import sys\nsys.stdout.buffer.write(b'good.one\\n\\xffbad.one\\n')\n")
        p.write(".testr.conf", "[DEFAULT]\ntest_command=/usr/bin/python3 list.py $LISTOPT $IDOPTION\n"
                "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n")
        p.out("init")
        r = p.run("plan", "--json")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn(b"not valid UTF-8", r.stderr)
        # The text plan has no such limit.
        self.assertIn(b"bad.one", p.run("plan", check_rc=0).stdout)

    def test_filters_select_a_non_utf8_id_as_python_would(self):
        p = Project(self)
        p.write("list.py", "import sys\nsys.stdout.buffer.write(b'good.one\\n\\xffbad.one\\nother\\n')\n")
        p.write(".testr.conf", "[DEFAULT]\ntest_command=/usr/bin/python3 list.py $LISTOPT $IDOPTION\n"
                "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n")
        self.assertEqual(p.run("list-tests", check_rc=0).stdout, b"good.one\n\xffbad.one\nother\n")
        self.assertEqual(p.run("list-tests", "one", check_rc=0).stdout, b"good.one\n\xffbad.one\n")
        self.assertEqual(p.run("list-tests", "^.bad", check_rc=0).stdout, b"\xffbad.one\n")


class ListingFailures(unittest.TestCase):
    def test_a_failed_listing_shows_what_the_runner_said_decoded(self):
        p = Project(self)
        p.write(".testr.conf", "[DEFAULT]\ntest_command=/usr/bin/python3 -m subunit.run $LISTOPT $IDOPTION nosuchmod\n"
                "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n")
        p.out("init")
        for command in (["list-tests"], ["run", "--parallel"]):
            r = p.run(*command, check_rc=3)
            self.assertNotIn(b"\xb3", r.stderr, "raw subunit packets on the terminal")
            self.assertIn(b"the test listing failed (exit code", r.stderr)
            self.assertIn(b"-m subunit.run --list", r.stderr)  # the command that failed
            self.assertIn(b"No module named 'nosuchmod'", r.stderr)  # its traceback, decoded


class FailingAfterACrash(unittest.TestCase):
    def test_run_failing_reruns_the_tests_not_the_runners_pseudo_test(self):
        p = Project(self)
        p.fake([("t.ok", "pass"), ("t.bad", "fail"), ("t.crash", "segv"), ("t.after", "pass")])
        p.out("init")
        p.run("run", check_rc=1)
        failing = p.out("failing", "--list", rc=1).split()
        self.assertIn("process-returncode", failing)
        r = p.run("run", "--failing", check_rc=1)
        self.assertNotIn(b"never ran", r.stdout)
        # As testr's _find_failing: tests whose status is fail (t.crash never
        # reached one; the whole-suite run never knew of t.after).
        self.assertEqual(sorted(i for _, i in p.ran()), ["t.bad", "t.bad", "t.crash", "t.ok"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
