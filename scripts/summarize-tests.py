"""Sum the results of every test program in a meson test log.

The doctest programs run as one suite through testr-mini (meson test
doctest_via_testr, tests/test_self_via_testr.py), which closes with
"doctest via testr-mini: P passed, F failed, S skipped" after a line
"skipped in <program>: <case>: <why>" per case that could not run here; its
counts are used and those lines echoed. doctest programs run alone print
"[doctest] test cases: N | P passed | F failed | S skipped"; Python
unittest programs print "Ran N tests" and "OK (skipped=S)" or "FAILED
(failures=F, errors=E, skipped=S)"; their counts are used. Any other
program counts as one test, passed or failed by its exit status. A program
that failed without a failing case in its summary (a crash, a timeout)
counts as one failure more, so a crash is never a pass.

Skips decided at run time. doctest 2.4.9 cannot skip a case once it runs,
so a doctest case that cannot run on this host (no right to create a cgroup
or mount a tmpfs) prints a line "SKIPPED: <test case>: <why>" and returns
(tests/skipped.hpp); doctest counts it as passed. Each such line in a
doctest program's output counts as one skipped case and one passed case
less. The lines themselves are echoed, so the reason is visible.
"""
import json
import re
import sys

SUMMARY = re.compile(
    r"\[doctest\] test cases:\s*(\d+) \|\s*(\d+) passed \|\s*(\d+) failed"
    r"(?: \|\s*(\d+) skipped)?")

SKIP_MARKER = re.compile(r"^SKIPPED: (.+)$", re.M)

VIA_TESTR = re.compile(r"^doctest via testr-mini: (\d+) passed, (\d+) failed, (\d+) skipped$", re.M)
VIA_TESTR_SKIP = re.compile(r"^skipped in .+$", re.M)

UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in ", re.M)
UNITTEST_END = re.compile(r"^(OK|FAILED)(?: \((.*)\))?\s*$", re.M)


def unittest_counts(text):
    """(passed, failed, skipped) from unittest's closing lines, or None."""
    ran = UNITTEST_RAN.findall(text)
    end = UNITTEST_END.findall(text)
    if not ran or not end:
        return None
    total = int(ran[-1])
    fields = dict(kv.split("=") for kv in end[-1][1].split(", ") if "=" in kv)
    failed = int(fields.get("failures", 0)) + int(fields.get("errors", 0)) + \
        int(fields.get("unexpected successes", 0))
    skip = int(fields.get("skipped", 0))
    return total - failed - skip, failed, skip


passed = failed = skipped = 0
try:
    lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
except OSError as e:
    sys.exit(f"summarize-tests: cannot read {sys.argv[1]}: {e.strerror}")
for line in lines:
    if not line.strip():
        continue
    t = json.loads(line)
    ok = t["result"] in ("OK", "EXPECTEDFAIL")
    if t["result"] == "SKIP":
        skipped += 1
        continue
    out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
    via = VIA_TESTR.findall(out)
    found = None if via else SUMMARY.findall(out)
    py = None if via or found else unittest_counts(out)
    if via:
        for why in VIA_TESTR_SKIP.findall(out):
            print(why)
        p, f, s = (int(n) for n in via[-1])
        passed += p
        failed += f
        skipped += s
        if not ok and f == 0:
            failed += 1  # testr-mini failed without a failing case: count it
    elif py:
        passed += py[0]
        failed += py[1]
        skipped += py[2]
        if not ok and py[1] == 0:
            failed += 1
    elif found:
        _, p, f, s = found[-1]
        marked = SKIP_MARKER.findall(out)
        for why in marked:
            print(f"skipped in {t['name']}: {why}")
        passed += int(p) - min(len(marked), int(p))
        failed += int(f)
        skipped += int(s or 0) + len(marked)
        if not ok and int(f) == 0:
            failed += 1  # exited non-zero without a failing case: count it
    elif ok:
        passed += 1
    else:
        failed += 1
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
