"""Sum the results of every test program in a meson test log.

doctest programs print "[doctest] test cases: N | P passed | F failed | S
skipped"; their counts are used. Any other program counts as one test,
passed or failed by its exit status. A doctest program that crashed before
its summary counts as one failure more, so a crash is never a pass.
"""
import json
import re
import sys

SUMMARY = re.compile(
    r"\[doctest\] test cases:\s*(\d+) \|\s*(\d+) passed \|\s*(\d+) failed"
    r"(?: \|\s*(\d+) skipped)?")

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
    found = SUMMARY.findall(t.get("stdout") or "")
    if found:
        _, p, f, s = found[-1]
        passed += int(p)
        failed += int(f)
        skipped += int(s or 0)
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
