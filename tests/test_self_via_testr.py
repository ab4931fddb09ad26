"""The project's doctest programs, run through testr-mini as one doctest suite.

Run by meson test `doctest_via_testr` (tests/meson.build), with Debian's
/usr/bin/python3 and TESTR_MINI / TESTR_BUILD_ROOT from there. The programs
are the meson tests in suite `doctest`, read from meson's own list of tests
(meson-info/intro-tests.json), so a program registered there is run here with
nothing else to update; scripts/test leaves that suite out of its meson run.

In $TESTR_BUILD_ROOT/self-test: a .testr.conf with test_format=doctest and
every program in test_binaries, run from the build directory as meson would
with the union of their environments (tests/meson.build only ever adds
variables, so a clash is an error here), each case limited to the longest
timeout a program had. The repository there keeps the history, so each run is
planned from the durations of the last. `testr-mini run --parallel` prints
each failure with its test case (`test_PROGRAM::case`) and the FILE:LINE of
the failing check.

Then one closing line for scripts/summarize-tests.py, from the run just
stored (`last --subunit --id N`, read with python-subunit):
    doctest via testr-mini: P passed, F failed, S skipped
A case that passed but printed a line "SKIPPED: <case>: <why>" could not run
on this host (tests/skipped.hpp) and counts as skipped; its reason is echoed.
A listed case that never ran (`never_ran` of the run's --events) is a failure.

Exit status: testr-mini run's (0 all passed, 1 a case failed or never ran,
anything else its own error), or 1 when the stored run holds a failure or
no run was stored (then the closing line counts nothing, and the summary
counts the failed program as one failure).
"""
import io
import json
import os
import re
import shlex
import subprocess
import sys

import subunit
import testtools

SKIP_MARKER = re.compile(rb"^SKIPPED: (.+)$", re.M)


def doctest_programs(build):
    """(binaries, environment, longest timeout) of the meson tests in suite doctest."""
    path = os.path.join(build, "meson-info", "intro-tests.json")
    with open(path, encoding="utf-8") as f:
        tests = json.load(f)
    binaries, env, timeout = [], {}, 0
    for t in tests:
        if not any(s == "doctest" or s.endswith(":doctest") for s in t["suite"]):
            continue
        if len(t["cmd"]) != 1 or t["workdir"] is not None:
            sys.exit(f"{path}: meson test {t['name']}: a doctest program runs as its binary alone, "
                     f"from the build directory (cmd {t['cmd']}, workdir {t['workdir']})")
        for k, v in t["env"].items():
            if env.setdefault(k, v) != v:
                sys.exit(f"{path}: meson test {t['name']} sets {k}={v!r}, another one {env[k]!r}")
        binaries.append(t["cmd"][0])
        timeout = max(timeout, t["timeout"] or 0)
    if not binaries:
        sys.exit(f"{path}: no meson test in suite doctest")
    return binaries, env, timeout


class Outcomes(testtools.StreamResult):
    """Each test's last status and its stdout, from a subunit v2 stream."""

    def __init__(self):
        super().__init__()
        self.status_of, self.stdout_of = {}, {}

    def status(self, test_id=None, test_status=None, file_name=None, file_bytes=None, **_):
        if test_id is None:
            return
        if file_name == "stdout" and file_bytes:
            self.stdout_of[test_id] = self.stdout_of.get(test_id, b"") + bytes(file_bytes)
        if test_status not in (None, "exists", "inprogress"):
            self.status_of[test_id] = test_status


def next_run_id(project):
    """The id the repository gives its next run (docs/repository.md)."""
    with open(os.path.join(project, ".testrepository", "next-stream"), encoding="ascii") as f:
        return f.read().strip()


def main():
    build = os.environ["TESTR_BUILD_ROOT"]
    tool = os.environ["TESTR_MINI"]
    binaries, env, timeout = doctest_programs(build)
    project = os.path.join(build, "self-test")
    os.makedirs(project, exist_ok=True)
    conf = ("[DEFAULT]\ntest_format=doctest\n"
            f"test_command=cd {shlex.quote(build)} && $BINARY $LISTOPT $IDOPTION\n"
            f"test_binaries={' '.join(binaries)}\n")
    if timeout:
        conf += f"test_timeout={timeout}\n"
    with open(os.path.join(project, ".testr.conf"), "w", encoding="utf-8") as f:
        f.write(conf)
    run_env = dict(os.environ, **env)
    if not os.path.isdir(os.path.join(project, ".testrepository")):
        subprocess.run([tool, "-q", "init"], cwd=project, env=run_env, check=True)
    jobs = os.environ.get("TESTR_TEST_JOBS", "2")
    run_id = next_run_id(project)
    sys.stdout.flush()
    events = os.path.join(project, "events.jsonl")
    code = subprocess.run([tool, "run", "--parallel", "--concurrency", jobs, "--events", events],
                          cwd=project, env=run_env).returncode
    if next_run_id(project) == run_id:
        # Nothing stored (a program that cannot list its cases, say): the
        # last run is an earlier one, whose counts are not this run's.
        print(f"testr-mini run stored no run (exit {code})")
        print("doctest via testr-mini: 0 passed, 0 failed, 0 skipped")
        return code or 1

    stream = subprocess.run([tool, "last", "--subunit", "--id", run_id], cwd=project, env=run_env,
                            capture_output=True)
    if stream.returncode != 0:
        sys.exit(f"testr-mini last --subunit: exit {stream.returncode}\n"
                 f"{stream.stderr.decode(errors='replace')}")
    outcomes = Outcomes()
    subunit.ByteStreamToStreamResult(io.BytesIO(stream.stdout)).run(outcomes)
    passed = failed = skipped = 0
    for test_id, status in sorted(outcomes.status_of.items()):
        if status in ("success", "xfail"):
            marked = SKIP_MARKER.findall(outcomes.stdout_of.get(test_id, b""))
            if marked:
                for why in marked:  # "<case>: <why>"
                    print(f"skipped in {test_id.split('::')[0]}: {why.decode(errors='replace')}")
                skipped += 1
            else:
                passed += 1
        elif status == "skip":
            skipped += 1
        else:
            failed += 1
    # Listed but not in the stream (their runner died before them, twice):
    # failures too, so every listed case is counted.
    with open(events, encoding="utf-8") as f:
        finished = [json.loads(line) for line in f if '"run_finished"' in line]
    never_ran = finished[-1]["never_ran"] if finished else 0
    if never_ran:
        print(f"{never_ran} test cases never ran")
        failed += never_ran
    print(f"doctest via testr-mini: {passed} passed, {failed} failed, {skipped} skipped")
    return code if code != 0 else (1 if failed else 0)


if __name__ == "__main__":
    sys.exit(main())
