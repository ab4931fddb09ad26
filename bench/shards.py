#!/usr/bin/python3
"""CI shards: how even testr-mini's split is beside count, hash and
round-robin splits, on generated suites with history.

    /usr/bin/python3 bench/shards.py --testr-mini build/tools/testr-mini/testr-mini \\
        [--tests 2000] [--shards 3,8] [--seeds 1,...,20] [--json FILE] [--plot FILE.svg]

Per seed: a suite of --tests tests in modules of 20 (package pkgSEED),
durations lognormal
(median 0.4 s, sigma 1.2) and six long tests (40-90 s): three side by
side in one module, three anywhere. The
history is a subunit v2 stream with those durations (python-subunit's
writer), loaded into a real repository with `testr-mini load`; our split is
`testr-mini plan --shards N --json` on that project. The baselines split the
same ids sorted by name: count (N contiguous blocks of equal size, as
"split by name"), round-robin (i % N) and hash (sha1 of the id % N).

Each split is scored on the suite's true durations as slowest shard / mean
shard (1.0 is perfect; the table gives mean ± standard deviation over the
seeds, and the worst seed), in four scenarios:
  history    every test has history; scored on the recorded durations
  next-run   the same split, scored on durations that drifted by a
             lognormal factor (sigma 0.15) since they were recorded
  new-tests  10% of the tests have no history yet
  no-history none has: our split is then by FNV-1a hash
"""
import argparse
import datetime
import hashlib
import io
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile

import subunit

SCENARIOS = ("history", "next-run", "new-tests", "no-history")
METHODS = ("testr-mini", "count", "round-robin", "hash")


def make_suite(n, seed):
    rng = random.Random(seed)
    ids, seconds = [], {}
    # Three long tests side by side in one module, three anywhere.
    long_tests = {0, 1, 2} | set(rng.sample(range(20, n), 3))
    for i in range(n):
        module = "integration" if i < 20 else "mod%03d" % (i // 20)
        # The package is the seed's: every seed's ids are new to the
        # hashes, so the seeds sample where a hash puts a suite's long
        # tests instead of repeating one draw for the same three ids.
        test_id = "pkg%d.%s.Test.test_%05d" % (seed, module, i)
        d = rng.lognormvariate(math.log(0.4), 1.2)
        if i in long_tests:
            d = rng.uniform(40, 90)
        ids.append(test_id)
        seconds[test_id] = d
    return ids, seconds


def history_stream(seconds):
    buf = io.BytesIO()
    out = subunit.StreamResultToBytes(buf)
    t = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    for test_id, d in seconds.items():
        out.status(test_id=test_id, test_status="inprogress", timestamp=t)
        t += datetime.timedelta(seconds=d)
        out.status(test_id=test_id, test_status="success", timestamp=t)
    return buf.getvalue()


def project(tmp, ids, history, binary):
    """A project whose listing prints `ids`, with `history` loaded."""
    d = tempfile.mkdtemp(dir=tmp)
    with open(os.path.join(d, "ids.txt"), "w") as f:
        f.write("\n".join(ids) + "\n")
    with open(os.path.join(d, ".testr.conf"), "w") as f:
        f.write("[DEFAULT]\ntest_command=cat $LISTOPT\n"
                "test_list_option=ids.txt\n")
    subprocess.run([binary, "init"], cwd=d, check=True, capture_output=True)
    if history:
        path = os.path.join(d, "history.subunit")
        with open(path, "wb") as f:
            f.write(history_stream(history))
        subprocess.run([binary, "load", "history.subunit"], cwd=d, check=True, capture_output=True)
    return d


def ours(d, binary, n):
    env = dict(os.environ)
    for v in ("CI_NODE_INDEX", "CIRCLE_NODE_INDEX", "BUILDKITE_PARALLEL_JOB", "JOB_COMPLETION_INDEX", "TEST_SHARD_INDEX"):
        env.pop(v, None)
    out = subprocess.run([binary, "plan", "--shards", str(n), "--json"], cwd=d, check=True, capture_output=True,
                         env=env).stdout
    return [[t["id"] for t in s["tests"]] for s in json.loads(out)["shards"]]


def baseline(method, ids, n):
    ordered = sorted(ids)
    if method == "count":
        size = len(ordered) / n
        return [ordered[round(k * size):round((k + 1) * size)] for k in range(n)]
    if method == "round-robin":
        return [ordered[k::n] for k in range(n)]
    if method == "hash":
        shards = [[] for _ in range(n)]
        for t in ordered:
            shards[int(hashlib.sha1(t.encode()).hexdigest(), 16) % n].append(t)
        return shards
    raise ValueError(method)


def ratio(shards, seconds):
    loads = [sum(seconds[t] for t in s) for s in shards]
    return max(loads) / (sum(loads) / len(loads))


def bound(seconds, n):
    """No split beats this slowest / mean: the longest test or the mean."""
    total = sum(seconds.values())
    return max(1.0, max(seconds.values()) / (total / n))


def measure(args):
    binary = os.path.abspath(args.testr_mini)
    results = []
    tmp = tempfile.mkdtemp(prefix="testr-mini-bench-shards-")
    try:
        for seed in args.seeds:
            ids, seconds = make_suite(args.tests, seed)
            rng = random.Random(seed * 7919)
            drifted = {t: d * rng.lognormvariate(0, 0.15) for t, d in seconds.items()}
            new = set(rng.sample(ids, len(ids) // 10))
            projects = {
                "history": project(tmp, ids, seconds, binary),
                "new-tests": project(tmp, ids, {t: d for t, d in seconds.items() if t not in new}, binary),
                "no-history": project(tmp, ids, None, binary),
            }
            projects["next-run"] = projects["history"]
            for n in args.shards:
                row = {"seed": seed, "shards": n, "bound": bound(seconds, n)}
                for scenario in SCENARIOS:
                    truth = drifted if scenario == "next-run" else seconds
                    row[scenario] = {"testr-mini": ratio(ours(projects[scenario], binary, n), truth)}
                    for m in METHODS[1:]:
                        row[scenario][m] = ratio(baseline(m, ids, n), truth)
                results.append(row)
    finally:
        shutil.rmtree(tmp, True)
    return results


def mean_sd(v):
    m = sum(v) / len(v)
    return m, math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else 0.0


def table(results, shards):
    lines = ["| shards | scenario | " + " | ".join(METHODS) + " |",
             "|---|---|" + "---|" * len(METHODS)]
    for n in shards:
        rows = [r for r in results if r["shards"] == n]
        for scenario in SCENARIOS:
            cells = []
            for m in METHODS:
                v = [r[scenario][m] for r in rows]
                cells.append("%.3f ± %.3f (worst %.3f)" % (*mean_sd(v), max(v)))
            lines.append("| %d | %s | %s |" % (n, scenario, " | ".join(cells)))
    return "\n".join(lines)


def paired(results, shards, scenario="no-history", a="testr-mini", b="hash"):
    """Per seed a - b: its mean, the standard error of that mean, and how
    many seeds a wins, to tell a difference of method from one of luck."""
    lines = []
    for n in shards:
        d = [r[scenario][a] - r[scenario][b] for r in results if r["shards"] == n]
        m, sd = mean_sd(d)
        lines.append("%s, %d shards: %s - %s = %+.3f ± %.3f (standard error over %d seeds); %s better on %d"
                     % (scenario, n, a, b, m, sd / math.sqrt(len(d)), len(d), a, sum(x < 0 for x in d)))
    return "\n".join(lines)


def plot(results, shards, path):
    """Mean slowest/mean per scenario and shard count, one bar per method."""
    colours = {"testr-mini": "#e8833a", "count": "#9e9e9e", "round-robin": "#7cb342", "hash": "#4a90d9"}
    groups = [(n, s) for n in shards for s in SCENARIOS]
    bar, gap, left, top, height = 12, 22, 56, 40, 240
    width = left + len(groups) * (len(METHODS) * bar + gap) + 150
    means = {}
    for n, s in groups:
        rows = [r for r in results if r["shards"] == n]
        means[(n, s)] = {m: sum(r[s][m] for r in rows) / len(rows) for m in METHODS}
    low, high = 0.95, max(1.3, max(v for g in means.values() for v in g.values())) + 0.05

    def y(v):
        return top + height * (1 - (min(v, high) - low) / (high - low))

    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">'
           % (width, top + height + 60),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-size="13">Slowest shard / mean shard (1.0 = perfect), mean of %d seeds</text>'
           % (left, len({r["seed"] for r in results}))]
    tick = 1.0
    while tick <= high:
        svg.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (left, width - 150, y(tick), y(tick)))
        svg.append('<text x="%d" y="%.1f" text-anchor="end">%.2f</text>' % (left - 4, y(tick) + 4, tick))
        tick = round(tick + 0.1, 10)
    svg.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#c00" stroke-dasharray="4 3"/>'
               % (left, width - 150, y(1.05), y(1.05)))
    x = left + gap / 2
    for n, s in groups:
        for i, m in enumerate(METHODS):
            v = means[(n, s)][m]
            svg.append('<rect x="%.1f" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s %d shards %s: %.3f</title></rect>'
                       % (x + i * bar, y(v), bar - 1, top + height - y(v), colours[m], s, n, m, v))
        cx = x + len(METHODS) * bar / 2
        svg.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (cx, top + height + 14, s))
        svg.append('<text x="%.1f" y="%d" text-anchor="middle">%d shards</text>' % (cx, top + height + 28, n))
        x += len(METHODS) * bar + gap
    for i, m in enumerate(METHODS):
        svg.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/>' % (width - 140, top + i * 16, colours[m]))
        svg.append('<text x="%d" y="%d">%s</text>' % (width - 125, top + i * 16 + 9, m))
    svg.append('<text x="%d" y="%d" fill="#c00">1.05 target</text>' % (width - 140, top + len(METHODS) * 16 + 9))
    svg.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(svg) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--testr-mini", default=os.environ.get("TESTR_MINI", "build/tools/testr-mini/testr-mini"))
    ap.add_argument("--tests", type=int, default=2000)
    ap.add_argument("--shards", default="3,8")
    ap.add_argument("--seeds", default=",".join(str(s) for s in range(1, 21)))
    ap.add_argument("--json")
    ap.add_argument("--plot")
    args = ap.parse_args()
    args.shards = [int(s) for s in args.shards.split(",")]
    args.seeds = [int(s) for s in args.seeds.split(",")]
    results = measure(args)
    print(table(results, args.shards))
    print()
    print(paired(results, args.shards))
    worst_bound = max(r["bound"] for r in results)
    print("\nlower bound on slowest/mean (longest test vs mean shard): worst %.3f" % worst_bound)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"tests": args.tests, "results": results}, f, indent=1)
    if args.plot:
        plot(results, args.shards, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
