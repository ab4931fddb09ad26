"""Shared by the end-to-end tests: the binary under test, throwaway
projects, and a subunit v2 reader built on python-subunit (so our streams
are judged by an independent implementation)."""
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import subunit
import testtools

NON_SUBUNIT = "bytes outside subunit packets"
HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
FAKE_RUNNER = os.path.join(HERE, "fake_runner.py")


def binary():
    path = os.environ.get("TESTR_MINI")
    if not path:
        root = os.environ.get("TESTR_BUILD_ROOT", os.path.join(HERE, "..", "..", "build"))
        path = os.path.join(root, "tools", "testr-mini", "testr-mini")
    path = os.path.abspath(path)
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest("testr-mini not built: " + path)
    return path


class Events(testtools.StreamResult):
    """Every status event of a stream: final status and tags per test id."""

    def __init__(self):
        super().__init__()
        self.status_of = {}
        self.tags_of = {}
        self.files = {}
        self.non_subunit = b""

    def status(self, test_id=None, test_status=None, test_tags=None, file_name=None,
               file_bytes=None, **_):
        if test_id is None:
            if file_name == NON_SUBUNIT:
                self.non_subunit += bytes(file_bytes)
            return
        if test_tags:
            self.tags_of.setdefault(test_id, set()).update(test_tags)
        if file_name is not None:
            self.files.setdefault((test_id, file_name), b"")
            self.files[(test_id, file_name)] += bytes(file_bytes)
        if test_status in ("success", "fail", "skip", "xfail", "uxsuccess", "exists"):
            self.status_of[test_id] = test_status


def read_stream(data):
    """Parses subunit v2 bytes with python-subunit; fails on any non-v2 byte."""
    events = Events()
    case = subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name=NON_SUBUNIT)
    case.run(events)
    if events.non_subunit:
        raise AssertionError("stream holds non-subunit bytes: %r" % events.non_subunit[:200])
    return events


def encode(events):
    """A v2 stream from (id, status, extra-kwargs) triples, via python-subunit."""
    buf = io.BytesIO()
    out = subunit.StreamResultToBytes(buf)
    for test_id, status, extra in events:
        out.status(test_id=test_id, test_status=status, **extra)
    return buf.getvalue()


class Project:
    """A temporary project directory with a .testr.conf and a fake runner spec."""

    def __init__(self, testcase, cleanup=None):
        self.dir = tempfile.mkdtemp(prefix="testr-mini-e2e-")
        (cleanup or testcase.addCleanup)(shutil.rmtree, self.dir, True)
        self.bin = binary()

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)

    def read(self, name, default=""):
        try:
            with open(self.path(name)) as f:
                return f.read()
        except FileNotFoundError:
            return default

    def fake(self, tests, child=False, extra_conf="", between=0):
        """Configures the fake runner with `tests`: [(id, outcome[, sleep[, tags]])];
        `between`: seconds its runners spend after each test, outside it."""
        spec = {"tests": [{"id": t[0], "outcome": t[1], "sleep": t[2] if len(t) > 2 else 0,
                           "tags": list(t[3]) if len(t) > 3 else []} for t in tests],
                "child": child, "between": between}
        self.write("spec.json", json.dumps(spec))
        self.write(".testr.conf",
                   "[DEFAULT]\n"
                   "test_command=%s %s spec.json $LISTOPT $IDOPTION\n"
                   "test_id_option=--load-list $IDFILE\n"
                   "test_list_option=--list\n%s" % (PY, FAKE_RUNNER, extra_conf))

    def ran(self):
        """[(pid, id)] in the order the fake runner ran them."""
        return [tuple(line.split("\t", 1)) for line in self.read("ran.log").splitlines()]

    def ran_ids(self):
        return sorted(i for _, i in self.ran())

    def clear_logs(self):
        for name in ("ran.log", "args.log", "children.log"):
            if os.path.exists(self.path(name)):
                os.unlink(self.path(name))

    def run(self, *args, input=None, timeout=60, env=None, check_rc=None):
        """Runs the binary in the project; returns CompletedProcess (bytes)."""
        e = dict(os.environ, PYTHON=PY)
        e.update(env or {})
        p = subprocess.run([self.bin, *args], cwd=self.dir, input=input, capture_output=True,
                           timeout=timeout, env=e)
        if check_rc is not None and p.returncode != check_rc:
            raise AssertionError("testr-mini %s: exit %d, wanted %d\nstdout:\n%s\nstderr:\n%s" % (
                " ".join(args), p.returncode, check_rc, p.stdout.decode(errors="replace"),
                p.stderr.decode(errors="replace")))
        return p

    def out(self, *args, rc=0, **kw):
        """stdout text of a command that must exit with `rc`."""
        return self.run(*args, check_rc=rc, **kw).stdout.decode(errors="replace")

    def popen(self, *args):
        return subprocess.Popen([self.bin, *args], cwd=self.dir, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=dict(os.environ, PYTHON=PY))

    def stats(self):
        """`stats` as a dict of its key=value lines."""
        return dict(line.split("=", 1) for line in self.out("stats").splitlines())


def alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def processes_in(directory):
    """Pids of live processes working in `directory` (a project's runners)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink("/proc/%s/cwd" % pid) == os.path.realpath(directory) and alive(int(pid)):
                found.append(int(pid))
        except OSError:
            pass
    return found

def wait_for(predicate, timeout=20.0, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def summary_counts(text):
    """(ran, failures, skips, passed) from testr's summary lines."""
    ran = re.search(r"^Ran (\d+) tests? in ", text, re.M)
    tail = re.search(r"^(PASSED|FAILED) \((.*)\)$", text, re.M)
    fields = dict(kv.split("=") for kv in tail.group(2).split(", ")) if tail else {}
    return (int(ran.group(1)) if ran else None, int(fields.get("failures", 0)),
            int(fields.get("skips", 0)), tail.group(1) if tail else None)


__all__ = ["PY", "Project", "read_stream", "encode", "alive", "processes_in", "wait_for", "summary_counts", "binary"]
