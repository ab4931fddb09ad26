"""History that travels and results from many machines, end to end:
`times export` / `times import`, .testr.conf's test_times_file, and
`load --shards` of several CI jobs' streams making one run.

Real processes throughout: the fake runner (python-subunit's encoder) runs
the tests, each shard in its own copy of the project; python-subunit reads
the stored streams back. Run with Debian's /usr/bin/python3.
"""
import os
import re
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import Project, read_stream, summary_counts  # noqa: E402

FAILED, USAGE, ERROR = 1, 2, 3

# A suite with every outcome, a few classes, and some tests slow enough
# that a split by count would be lopsided.
SUITE = ([("pkg.a.A.t%02d" % i, "pass", 0.01) for i in range(8)] +
         [("pkg.b.B.t%02d" % i, "fail" if i % 3 == 0 else "pass", 0.01) for i in range(7)] +
         [("pkg.c.C.slow%d" % i, "pass", 0.15) for i in range(3)] +
         [("pkg.d.D.skip%d" % i, "skip") for i in range(2)])
IDS = sorted(t[0] for t in SUITE)


def v1_file(records):
    """A hand-written duration file (format v1): [(id, estimate, last, runs, status)]."""
    lines = ["# testr-mini times v1", "# estimate_s\tlast_s\truns\tlast_status\ttest_id"]
    lines += ["%s\t%s\t%d\t%s\t%s" % (est, last, runs, status, tid) for tid, est, last, runs, status in records]
    return "\n".join(lines) + "\n"


def store_records(project):
    """The repository's durations, via `times export -`: {id: (estimate, last, runs, status)}."""
    out = project.out("times", "export", "-")
    self_check = out.splitlines()
    assert self_check[0] == "# testr-mini times v2", self_check[:1]
    records = {}
    for line in self_check:
        if line.startswith("#") or re.fullmatch(r"[0-9a-f]{10}", line):
            continue
        est, last, runs, status, tid = line.split("\t")
        records[tid] = (float(est), float(last), int(runs), status)
    return records


def packet_offsets(data):
    """Where each subunit v2 packet of `data` starts (framing only)."""
    offsets, at = [], 0
    while at < len(data):
        assert data[at] == 0xB3, "not a packet at %d" % at
        first = data[at + 3]
        width = 1 + (first >> 6)
        length = first & 0x3F
        for b in data[at + 4:at + 3 + width]:
            length = length << 8 | b
        offsets.append(at)
        at += length
    return offsets


class ExportImport(unittest.TestCase):
    def ran_project(self):
        p = Project(self)
        p.fake(SUITE)
        p.out("init")
        p.out("run", "--parallel", "--concurrency", "2", rc=FAILED)
        return p

    def test_round_trip_keeps_every_record_exactly(self):
        p = self.ran_project()
        p.out("times", "export", "h.tsv")
        before = store_records(p)
        self.assertEqual(sorted(before), IDS)
        q = Project(self)
        shutil.copy(p.path("h.tsv"), q.path("h.tsv"))
        out = q.out("times", "import", "--force-init", "h.tsv")
        self.assertIn("Imported %d records from 1 file: %d new" % (len(IDS), len(IDS)), out)
        self.assertEqual(store_records(q), before)
        # The same bytes back: an export is the store itself, compacted.
        q.out("times", "export", "again.tsv")
        self.assertEqual(q.read("again.tsv"), p.read("h.tsv"))
        # Written atomically: nothing left beside it.
        self.assertEqual([f for f in os.listdir(q.dir) if f.startswith("again.tsv")], ["again.tsv"])

    def test_import_merges_by_runs_then_file_order(self):
        p = Project(self)
        p.out("init")
        p.write("old.tsv", v1_file([("t.a", 1, 1, 5, "pass"), ("t.b", 2, 2, 2, "pass"), ("t.c", 3, 3, 1, "fail")]))
        p.out("times", "import", "old.tsv")
        # A shard's file: the old history plus its own run of t.a and t.c.
        p.write("s1.tsv", v1_file([("t.a", 1.5, 3, 6, "pass"), ("t.b", 2, 2, 2, "pass"), ("t.c", 4, 4, 2, "pass")]))
        # Another shard's: ran t.b; its t.a is the old record (fewer runs: kept out).
        p.write("s2.tsv", v1_file([("t.a", 1, 1, 5, "pass"), ("t.b", 2.5, 4, 3, "fail"), ("t.new", 7, 7, 1, "pass")]))
        out = p.out("times", "import", "s1.tsv", "s2.tsv")
        self.assertIn("Imported 6 records from 2 files: 1 new, 4 replaced, 1 kept", out)
        got = store_records(p)
        self.assertEqual(got, {"t.a": (1.5, 3.0, 6, "pass"), "t.b": (2.5, 4.0, 3, "fail"),
                               "t.c": (4.0, 4.0, 2, "pass"), "t.new": (7.0, 7.0, 1, "pass")})
        # Equal runs: the later file wins, as a later log record does.
        p.write("tie1.tsv", v1_file([("t.new", 8, 8, 1, "pass")]))
        p.write("tie2.tsv", v1_file([("t.new", 9, 9, 1, "fail")]))
        p.out("times", "import", "tie1.tsv", "tie2.tsv")
        self.assertEqual(store_records(p)["t.new"], (9.0, 9.0, 1, "fail"))

    def test_bad_files_name_file_and_line_and_import_nothing(self):
        p = self.ran_project()
        p.out("times", "export", "good.tsv")
        store = p.path(".testrepository", "times.tsv")
        with open(store, "rb") as f:
            before = f.read()
        p.write("bad.tsv", v1_file([("t.x", 1, 1, 1, "pass"), ("t.y", 1, "oops", 1, "pass")]))
        good = p.read("good.tsv")
        p.write("cut.tsv", good[:len(good) // 2])
        p.write("empty.tsv", "")
        p.write("foreign.tsv", "id,seconds\nt.x,1\n")
        # An appended batch whose size line does not match its records.
        p.write("batch.tsv", good + "0.100000\t0.100000\t1\tpass\tt.z\n# end 5 00000000\n")
        cases = {"bad.tsv": "cannot import times from 'bad.tsv': line 4: bad last duration (field 2)",
                 "cut.tsv": "cannot import times from 'cut.tsv': line 3: the layout line does not match the file (cut short",
                 "empty.tsv": "cannot import times from 'empty.tsv': the file is empty",
                 "foreign.tsv": "cannot import times from 'foreign.tsv': line 1 is not the signature",
                 "missing.tsv": "missing.tsv': No such file or directory",
                 "batch.tsv": "cannot import times from 'batch.tsv': line %d: skipped a batch of appended records"
                              % (good.count("\n") + 1)}
        for name, message in cases.items():
            with self.subTest(name):
                # A good file beside the bad one is not imported either.
                err = p.run("times", "import", "good.tsv", name, check_rc=ERROR).stderr.decode()
                self.assertIn(message, err)
                self.assertIn("nothing was imported", err)
                with open(store, "rb") as f:
                    self.assertEqual(f.read(), before)

    def test_export_needs_a_repository_and_import_can_make_one(self):
        p = Project(self)
        self.assertIn("No repository", p.run("times", "export", "x.tsv", check_rc=ERROR).stderr.decode())
        self.assertFalse(os.path.exists(p.path("x.tsv")))
        p.write("h.tsv", v1_file([("t.a", 1, 1, 1, "pass")]))
        p.run("times", "import", "h.tsv", check_rc=ERROR)
        p.out("times", "import", "--force-init", "h.tsv")
        self.assertEqual(store_records(p), {"t.a": (1.0, 1.0, 1, "pass")})


class TimesFile(unittest.TestCase):
    """.testr.conf's test_times_file plans the tests the repository has no history for."""

    def estimates(self, p):
        out = p.out("plan", "--concurrency", "2")
        return out, {m.group(1): float(m.group(2)) for m in re.finditer(r"^  (\S+)  ([0-9.]+)s$", out, re.M)}

    def test_file_timings_plan_a_fresh_checkout_and_history_comes_first(self):
        p = Project(self)
        p.fake([("t.a", "pass"), ("t.b", "pass"), ("t.c", "pass")], extra_conf="test_times_file=ci/times.tsv\n")
        os.mkdir(p.path("ci"))
        p.write("ci/times.tsv", v1_file([("t.a", 9, 9, 4, "pass"), ("t.b", 3, 3, 1, "pass")]))
        p.out("init")
        out, est = self.estimates(p)
        self.assertEqual((est["t.a"], est["t.b"]), (9.0, 3.0))
        self.assertIn("2 tests take their time from test_times_file", out)
        # The repository's own record of t.a wins over the file's.
        p.write("mine.tsv", v1_file([("t.a", 5, 5, 1, "pass")]))
        p.out("times", "import", "mine.tsv")
        out, est = self.estimates(p)
        self.assertEqual((est["t.a"], est["t.b"]), (5.0, 3.0))
        self.assertIn("1 test takes its time from test_times_file", out)
        # An exported file works the same (the format of the store).
        p.out("times", "export", "ci/times.tsv")
        shutil.rmtree(p.path(".testrepository"))
        p.out("init")
        out, est = self.estimates(p)
        self.assertEqual(est["t.a"], 5.0)

    def test_a_missing_or_bad_file_is_a_warning(self):
        p = Project(self)
        p.fake([("t.a", "pass"), ("t.b", "pass")], extra_conf="test_times_file=nope.tsv\n")
        p.out("init")
        r = p.run("plan", check_rc=0)
        self.assertIn(".testr.conf:5: test_times_file: cannot open", r.stderr.decode())
        self.assertIn("planning without it", r.stderr.decode())
        p.write("nope.tsv", "something else\n")
        r = p.run("plan", check_rc=0)
        self.assertIn("not a testr-mini times file", r.stderr.decode())
        p.out("run", rc=0)  # a run plans with it too


class Shards(unittest.TestCase):
    """N shards, each a CI job in its own copy of the project, merged."""

    def split(self, n):
        # Any split will do here (the time-balanced one is `run --shard`'s):
        # round-robin over the sorted ids.
        return [IDS[k::n] for k in range(n)]

    def single_machine(self):
        p = Project(self)
        p.fake(SUITE)
        p.out("init")
        out = p.out("run", "--parallel", "--concurrency", "2", rc=FAILED)
        return p, out

    def shard_streams(self, n, where, projects=None):
        paths = []
        for k, ids in enumerate(self.split(n), 1):
            s = Project(self)
            s.fake(SUITE)
            s.out("init")
            s.write("mine.txt", "".join(i + "\n" for i in ids))
            stream = s.run("run", "--parallel", "--concurrency", "2", "--load-list", "mine.txt", "--subunit",
                           check_rc=0).stdout
            # Each shard ran exactly its tests, in its own copy.
            self.assertEqual(s.ran_ids(), ids)
            path = os.path.join(where.dir, "shard-%d.subunit" % k)
            with open(path, "wb") as f:
                f.write(stream)
            paths.append(path)
            if projects is not None:
                projects.append(s.dir)
        return paths

    def test_merged_shards_equal_a_single_machine_run(self):
        one, one_out = self.single_machine()
        for n in (2, 3):
            with self.subTest(shards=n):
                m = Project(self)
                dirs = []
                paths = self.shard_streams(n, m, dirs)
                out = m.out("load", "--force-init", "--shards", *paths, rc=FAILED)
                self.assertEqual(summary_counts(out), summary_counts(one_out))
                self.assertIn("Shards: %d (shard-1: " % n, out)
                merged, single = read_stream(m.run("last", "--subunit", check_rc=0).stdout), \
                    read_stream(one.run("last", "--subunit", check_rc=0).stdout)
                self.assertEqual(merged.status_of, single.status_of)
                self.assertEqual(sorted(merged.status_of), IDS)
                # The same set (the order is the streams', as between two parallel runs).
                self.assertEqual(sorted(m.out("failing", "--list", rc=FAILED).splitlines()),
                                 sorted(one.out("failing", "--list", rc=FAILED).splitlines()))
                self.assertEqual(m.stats()["runs"], "1")
                # Every event is tagged with its shard, beside its worker.
                for k, ids in enumerate(self.split(n), 1):
                    for tid in ids:
                        tags = merged.tags_of[tid]
                        self.assertIn("shard-%d" % k, tags)
                        self.assertTrue(any(re.fullmatch(r"worker-\d+", t) for t in tags), tags)
                # The durations of every test are recorded.
                self.assertEqual(sorted(store_records(m)), IDS)
                # Attachments survive: a failure's traceback is in the stored run.
                self.assertIn(b"failed on purpose", merged.files[("pkg.b.B.t00", "traceback")])
                # The shards' repositories (their latest runs) merge the same.
                r = Project(self)
                out = r.out("load", "--force-init", "--shards", *dirs, rc=FAILED)
                self.assertEqual(summary_counts(out), summary_counts(one_out))
                from_repos = read_stream(r.run("last", "--subunit", check_rc=0).stdout)
                self.assertEqual(from_repos.status_of, single.status_of)
                self.assertIn("shard-%d" % n, from_repos.tags_of[self.split(n)[-1][0]])

    def test_a_shard_that_never_reported_is_named_and_its_tests_listed(self):
        m = Project(self)
        m.fake(SUITE)  # the merging job has the project: --expect-listed can list it
        paths = self.shard_streams(3, m)
        missing = self.split(3)[1]
        os.unlink(paths[1])
        r = m.run("load", "--force-init", "--shards", "--expect-listed", *paths, check_rc=FAILED)
        err, out = r.stderr.decode(), r.stdout.decode()
        self.assertIn("shard 2 (%s) never reported: cannot open it: No such file or directory" % paths[1], err)
        self.assertIn("shard-2: never reported", out)
        self.assertIn("%d tests never ran (in the expected list, in no shard's stream):" % len(missing), out)
        listed = re.findall(r"^  (\S+)$", out.split("never ran")[1], re.M)
        self.assertEqual(listed, sorted(missing))
        # The others' results are stored, the run is partial: the failing
        # list keeps what the lost shard's tests had.
        self.assertEqual(sorted(read_stream(m.run("last", "--subunit", check_rc=0).stdout).status_of),
                         sorted(set(IDS) - set(missing)))
        # An empty stream (a job that uploaded nothing), with --expect-ids.
        with open(paths[1], "wb"):
            pass
        m.write("all.txt", "\n".join(IDS) + "\n")
        r = m.run("load", "--shards", "--expect-ids", "all.txt", *paths, check_rc=FAILED)
        self.assertIn("shard 2 (%s) never reported: the stream is empty" % paths[1], r.stderr.decode())
        self.assertIn("%d tests never ran" % len(missing), r.stdout.decode())
        # A project directory whose repository holds no run.
        empty = Project(self)
        empty.out("init")
        r = m.run("load", "--shards", paths[0], empty.dir, paths[2], check_rc=FAILED)
        self.assertIn("shard 2 (%s) never reported: its repository holds no run" % empty.dir, r.stderr.decode())

    def test_a_test_no_shard_ran_fails_the_merged_run(self):
        m = Project(self)
        passing = [t for t in SUITE if t[1] == "pass"]
        ids = sorted(t[0] for t in passing)
        paths = []
        for k, part in enumerate((ids[0::2], ids[1::2]), 1):
            s = Project(self)
            s.fake(passing)
            s.out("init")
            s.write("mine.txt", "\n".join(part) + "\n")
            paths.append(m.path("s%d" % k))
            with open(paths[-1], "wb") as f:
                f.write(s.run("run", "--load-list", "mine.txt", "--subunit", check_rc=0).stdout)
        m.write("all.txt", "\n".join(ids) + "\n")
        out = m.out("load", "--force-init", "--shards", "--expect-ids", "all.txt", *paths, rc=0)
        self.assertNotIn("never ran", out)
        # A test the split left out: in the listing, in no stream.
        m.write("all.txt", "\n".join(ids + ["pkg.z.Z.forgotten"]) + "\n")
        r = m.run("load", "--shards", "--expect-ids", "all.txt", *paths, check_rc=FAILED)
        self.assertIn("1 test never ran (in the expected list, in no shard's stream):\n  pkg.z.Z.forgotten\n",
                      r.stdout.decode())
        self.assertRegex(r.stdout.decode(), r"(^|\n)FAILED \(id=1\)\n")  # every test in the streams passed
        # The merged run stays failed when read back: the miss is in its summary.
        last = m.out("last", rc=FAILED)
        self.assertRegex(last, r"\nFAILED \(id=1\)\n1 test never ran\n$")
        self.assertEqual(r.stderr.decode(), "")  # every shard delivered whole
        # ...and it is failing, for `run --failing` to run.
        self.assertEqual(m.out("failing", "--list", rc=FAILED).split(), ["pkg.z.Z.forgotten"])
        self.assertIn("never ran: it was expected, and no stream reported it.", m.out("failing", rc=FAILED))
        # Overlapping shards: said, with the test and both shards.
        r = m.run("load", "--shards", paths[0], paths[1], paths[0], check_rc=0)
        self.assertIn("testr-mini: warning: %d tests ran in more than one shard (the shards overlap):\n  %s (shard 1 and "
                      "shard 3)\n" % (len(ids[0::2]), ids[0]), r.stderr.decode())

    def test_a_truncated_shard_is_named_with_the_byte_offset(self):
        m = Project(self)
        paths = self.shard_streams(2, m)
        with open(paths[0], "rb") as f:
            data = f.read()
        last = packet_offsets(data)[-1]
        with open(paths[0], "wb") as f:
            f.write(data[:last + 5])  # inside the last packet
        r = m.run("load", "--force-init", "--shards", *paths, check_rc=FAILED)
        self.assertIn("shard 1 (%s): corrupt or truncated stream: Truncated packet: " % paths[0], r.stderr.decode())
        self.assertIn("(packet at byte offset %d)" % last, r.stderr.decode())
        # Cut at a packet boundary: no parser error, but a test left started.
        starts = packet_offsets(data)
        # The last packet is a final status: cutting it leaves its test started.
        with open(paths[0], "wb") as f:
            f.write(data[:starts[-1]])
        r = m.run("load", "--shards", *paths, check_rc=FAILED)
        self.assertRegex(r.stderr.decode(), r"shard 1 \(%s\): 1 test started and never finished \(the stream ends at "
                         r"byte %d\):\n  pkg\." % (re.escape(paths[0]), starts[-1]))

    def test_usage(self):
        m = Project(self)
        m.run("load", "--shards", check_rc=USAGE)
        m.run("load", "--expect-ids", "x", "s", check_rc=USAGE)
        m.run("load", "no-such-file", check_rc=USAGE)  # without --shards, as before
        self.assertIn("--shards", m.out("help", "load"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
