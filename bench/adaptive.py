#!/usr/bin/python3
"""Adaptive scheduling benchmark: wall time / ideal of real runs.

For each family of generated suite (bench/adaptive/families.py) and worker
count, a temporary project whose runner is bench/adaptive/fake_runner.py
(subunit v2, --list, --load-list, sleeps each test's duration) is run by
  original  testrepository's `testr run --parallel --concurrency N`
  static    `testr-mini run --parallel --concurrency N --schedule static`
  dynamic   `testr-mini run --parallel --concurrency N --schedule dynamic`
            (runners pre-started when the configuration allows: the default)
  no-prestart  the same with `--no-prestart`: each runner starts when its
            tests are handed out
each in a fresh copy of a project seeded by one run from the family's
history spec (none for cold); testr-mini's two columns share the seeding.
With --repeat N each figure is the shortest of N runs. The measured run uses the family's real
spec. Ratio = wall time of the whole `run` command / ideal, where ideal =
start delay + max(total / workers, largest test or group). A tool's fixed
overhead (its own start, the listing, one runner start, storing the run) is
measured on a suite of instant tests of the same size and shown separately.

When testr-mini has no --schedule option (`testr-mini help run`), the
static column runs plain `--parallel` and the dynamic column is skipped.

    scripts/bench adaptive [--families cold,warm] [--workers 4,8] [--ideal 3]
                           [--seed 1] [--repeat 1] [--imports subunit] [--json FILE]
                           [--plot FILE.svg] [--testr-mini PATH]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "adaptive"))
import adaptive_plot  # noqa: E402
import families  # noqa: E402

PYTHON = "/usr/bin/python3"
RUNNER = os.path.join(HERE, "adaptive", "fake_runner.py")
TOOLS = ["original", "static", "dynamic", "no-prestart"]


def find_testr_mini(explicit):
    candidates = [explicit, os.environ.get("TESTR_MINI")]
    root = os.path.dirname(HERE)
    for build in (os.environ.get("TESTR_BUILD_ROOT"), os.path.join(root, "build")):
        if build:
            candidates.append(os.path.join(build, "tools", "testr-mini", "testr-mini"))
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return os.path.abspath(c)
    sys.exit("error: no testr-mini binary; build it or pass --testr-mini PATH")


def has_option(testr_mini, option):
    out = subprocess.run([testr_mini, "help", "run"], capture_output=True, text=True)
    return option in out.stdout + out.stderr


def has_schedule_option(testr_mini):
    return has_option(testr_mini, "--schedule")


def write_project(directory, group_regex):
    os.makedirs(directory, exist_ok=True)
    conf = [
        "[DEFAULT]",
        "test_command=%s %s --spec spec.json $LISTOPT $IDOPTION" % (PYTHON, RUNNER),
        "test_id_option=--load-list $IDFILE",
        "test_list_option=--list",
    ]
    if group_regex:
        conf.append("group_regex=%s" % group_regex)
    with open(os.path.join(directory, ".testr.conf"), "w") as f:
        f.write("\n".join(conf) + "\n")


def write_spec(directory, spec):
    with open(os.path.join(directory, "spec.json"), "w") as f:
        json.dump(spec, f)


def command(tool, testr_mini, workers, schedule_option):
    if tool == "original":
        return ["testr", "run", "--parallel", "--concurrency", str(workers)]
    cmd = [testr_mini, "run", "--parallel", "--concurrency", str(workers)]
    if tool == "no-prestart":
        return cmd + ["--schedule", "dynamic", "--no-prestart"]
    if schedule_option:
        cmd += ["--schedule", tool]
    return cmd


def init_command(tool, testr_mini):
    return ["testr", "init"] if tool == "original" else [testr_mini, "init"]


def run(cmd, cwd):
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("error: %s in %s exited %d:\n%s%s" % (" ".join(cmd), cwd, proc.returncode,
                                                       proc.stdout[-3000:], proc.stderr[-3000:]))
    return wall, proc.stdout


def seeded_project(root, suite, tool, testr_mini, workers, schedule_option, seeded):
    """A project whose history was seeded from the family's history spec:
    one for testrepository, one shared by testr-mini's columns. Every
    measured run starts from a copy of it, so repetitions see the same
    history."""
    kind = "original" if tool == "original" else "testr-mini"
    if kind in seeded:
        return seeded[kind]
    directory = os.path.join(root, kind + ".seeded")
    write_project(directory, suite["group_regex"])
    subprocess.run(init_command(tool, testr_mini), cwd=directory, check=True, capture_output=True)
    if suite["seed_spec"] is not None:
        write_spec(directory, suite["seed_spec"])
        run(command("original" if kind == "original" else "static", testr_mini, workers, schedule_option), directory)
    write_spec(directory, suite["run_spec"])
    seeded[kind] = directory
    return directory


def measure(template, cmd, repeat):
    """The shortest wall time of `repeat` runs, each in a fresh copy of the
    seeded project (the shortest: other load on the machine only adds)."""
    walls = []
    for k in range(repeat):
        directory = "%s.run%d" % (template, k)
        shutil.copytree(template, directory)
        walls.append(run(cmd, directory)[0])
        shutil.rmtree(directory)
    return min(walls)


def overhead(root, tool, testr_mini, workers, schedule_option, tests, repeat, imports):
    """Wall time of a run of `tests` instant tests, history warm."""
    directory = os.path.join(root, "overhead-%s-%d" % (tool, workers))
    write_project(directory, None)
    subprocess.run(init_command(tool, testr_mini), cwd=directory, check=True, capture_output=True)
    spec = {"tests": [["pkg.mod.Class%d.test_%d" % (i // 10, i), 0.0] for i in range(tests)], "start_delay": 0,
            "imports": imports}
    write_spec(directory, spec)
    cmd = command(tool, testr_mini, workers, schedule_option)
    run(cmd, directory)
    return min(run(cmd, directory)[0] for _ in range(max(2, repeat)))


def runner_alone(root, tests, imports, repeat):
    """The shortest wall time of the runner listing `tests` instant tests,
    and of one runner started with an empty id list: the fixed overhead's
    target is the larger of the two plus 0.05 s."""
    directory = os.path.join(root, "runner-alone")
    write_project(directory, None)
    spec = {"tests": [["pkg.mod.Class%d.test_%d" % (i // 10, i), 0.0] for i in range(tests)], "start_delay": 0,
            "imports": imports}
    write_spec(directory, spec)
    with open(os.path.join(directory, "none.ids"), "w"):
        pass
    base = [PYTHON, RUNNER, "--spec", "spec.json"]

    def timed(cmd):
        began = time.monotonic()
        subprocess.run(cmd, cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return time.monotonic() - began

    listing = min(timed(base + ["--list"]) for _ in range(max(2, repeat)))
    start = min(timed(base + ["--load-list", "none.ids"]) for _ in range(max(2, repeat)))
    return listing, start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", default=",".join(families.FAMILIES))
    parser.add_argument("--workers", default="4,8")
    parser.add_argument("--ideal", type=float, default=3.0, help="ideal wall time of each suite, seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--imports", default="",
                        help="modules every runner imports first (e.g. subunit: ~0.2 s of CPU per start)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure, the shortest kept")
    parser.add_argument("--json", help="also write the figures as JSON to this file")
    parser.add_argument("--plot", help="also draw them as an SVG bar chart (bench/adaptive_plot.py) to this file")
    parser.add_argument("--testr-mini")
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects")
    args = parser.parse_args()
    testr_mini = find_testr_mini(args.testr_mini)
    if shutil.which("testr") is None:
        sys.exit("error: testrepository's testr is not on PATH (Debian: testrepository)")
    schedule_option = has_schedule_option(testr_mini)
    tools = TOOLS if schedule_option else ["original", "static"]
    if not has_option(testr_mini, "--no-prestart"):
        tools = [t for t in tools if t != "no-prestart"]
    if not schedule_option:
        print("note: %s has no --schedule option yet: static = plain --parallel, no dynamic column" % testr_mini,
              file=sys.stderr)
    worker_counts = [int(w) for w in args.workers.split(",")]
    chosen = args.families.split(",")

    root = tempfile.mkdtemp(prefix="testr-adaptive-")
    results = []
    try:
        imports = [m for m in args.imports.split(",") if m]
        fixed = {}
        alone = {}
        for workers in worker_counts:
            alone[workers] = runner_alone(root, 40 * workers, imports, args.repeat)
            for tool in tools:
                tests = 40 * workers
                fixed[(tool, workers)] = overhead(root, tool, testr_mini, workers, schedule_option, tests,
                                                  args.repeat, imports)
        for family in chosen:
            for workers in worker_counts:
                suite = families.make(family, workers, args.seed, args.ideal, imports=imports)
                cell = os.path.join(root, "%s-%d" % (family, workers))
                seeded = {}
                row = {"family": family, "workers": workers, "tests": suite["tests"], "ideal": suite["ideal"]}
                for tool in tools:
                    template = seeded_project(cell, suite, tool, testr_mini, workers, schedule_option, seeded)
                    wall = measure(template, command(tool, testr_mini, workers, schedule_option), args.repeat)
                    row[tool] = {"wall": wall, "ratio": wall / suite["ideal"],
                                 "overhead": fixed[(tool, workers)]}
                    print("%-9s %d workers %-8s %.2f s  ratio %.3f" % (family, workers, tool, wall,
                                                                     wall / suite["ideal"]),
                          file=sys.stderr, flush=True)
                results.append(row)
                if not args.keep:
                    shutil.rmtree(cell)
    finally:
        if args.keep:
            print("projects kept in %s" % root, file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)

    # Per tool: wall time, wall / ideal, and (wall - the tool's fixed
    # overhead) / ideal, which compares the schedules themselves.
    # bound: no test can start before a runner is ready and the tests are
    # known, so no schedule's ratio is below 1 + max(listing, start) / ideal
    # (each measured alone, uncontended: a lower bound on any machine).
    print("| family | workers | ideal s |" + "".join(" %s: wall s, ratio, net |" % t for t in tools) + " bound |")
    print("|---|---|---|" + "---|" * len(tools) + "---|")
    for row in results:
        line = "| %s | %d | %.2f |" % (row["family"], row["workers"], row["ideal"])
        for t in tools:
            r = row[t]
            r["net_ratio"] = (r["wall"] - r["overhead"]) / row["ideal"]
            line += " %.2f, %.3f, %.3f |" % (r["wall"], r["ratio"], r["net_ratio"])
        row["bound"] = 1 + max(alone[row["workers"]]) / row["ideal"]
        print(line + " %.3f |" % row["bound"])
    print()
    print("Fixed overhead (instant tests, same count, warm): " + ", ".join(
        "%s %d workers %.2f s" % (t, w, s) for (t, w), s in sorted(fixed.items(), key=lambda kv: (kv[0][1], kv[0][0]))))
    print("Alone (same tests): " + ", ".join(
        "%d workers: listing %.2f s, one runner start %.2f s, target max + 0.05 = %.2f s" %
        (w, listing, start, max(listing, start) + 0.05) for w, (listing, start) in sorted(alone.items())))
    figures = {"schedule_option": schedule_option, "fixed_overhead": {"%s-%d" % k: v for k, v in fixed.items()},
               "alone": {str(w): {"listing": l, "start": st} for w, (l, st) in alone.items()}, "results": results}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    if args.plot:
        with open(args.plot, "w") as f:
            f.write(adaptive_plot.draw(figures, "wall time / ideal, %s workers, %.0f s suites, lower is better"
                                       % (args.workers, args.ideal)))


if __name__ == "__main__":
    main()
