#!/usr/bin/python3
"""A real suite end to end: testtools' own tests (Debian's python3-testtools,
2600 tests, run by subunit.run), warm history, beside testrepository's testr
and stestr, runs interleaved (one of each tool in turn) so that the
machine's drift hits them all alike.

  testr              testr run --parallel --concurrency N
  stestr             stestr run --concurrency N
  testr-mini         testr-mini run --parallel --concurrency N (pre-started runners)
  testr-mini plain   the same with --no-prestart

Each project is warmed by two runs first. Figures: median and min wall time
of --repeat runs, and the ratio of medians to testr's.

    scripts/bench real_suite [--workers 2] [--repeat 7]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PY = "/usr/bin/python3"
PACKAGES = "/usr/lib/python3/dist-packages"
CONF = ("[DEFAULT]\n"
        "test_command=%s -m subunit.run $LISTOPT $IDOPTION testtools.tests.test_suite\n"
        "test_id_option=--load-list $IDFILE\n"
        "test_list_option=--list\n" % PY)
STESTR_CONF = "[DEFAULT]\ntest_path=%s/testtools/tests\ntop_dir=%s\n" % (PACKAGES, PACKAGES)


def find_testr_mini():
    path = os.environ.get("TESTR_MINI") or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                        "build", "tools", "testr-mini", "testr-mini")
    if not os.access(path, os.X_OK):
        sys.exit("error: no testr-mini at %s (set TESTR_MINI)" % path)
    return os.path.abspath(path)


def timed(cmd, cwd):
    start = time.monotonic()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    mini = find_testr_mini()
    n = str(args.workers)
    tools = {
        "testr": (["testr", "init"], ["testr", "run", "--parallel", "--concurrency", n]),
        "stestr": (["stestr", "init"], ["stestr", "run", "--concurrency", n]),
        "testr-mini": ([mini, "init"], [mini, "run", "--parallel", "--concurrency", n]),
        "testr-mini plain": ([mini, "init"], [mini, "run", "--parallel", "--concurrency", n, "--no-prestart"]),
    }
    root = tempfile.mkdtemp(prefix="testr-real-suite-")
    walls = {name: [] for name in tools}
    try:
        dirs = {}
        for name, (init, run) in tools.items():
            d = dirs[name] = os.path.join(root, name.replace(" ", "-"))
            os.makedirs(d)
            with open(os.path.join(d, ".stestr.conf" if name == "stestr" else ".testr.conf"), "w") as f:
                f.write(STESTR_CONF if name == "stestr" else CONF)
            subprocess.run(init, cwd=d, check=True, capture_output=True)
            for _ in range(2):
                timed(run, d)
        for _ in range(args.repeat):
            for name, (_, run) in tools.items():
                walls[name].append(timed(run, dirs[name]))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    base = statistics.median(walls["testr"])
    print("| tool (%d workers, warm) | median s | min s | median / testr's |" % args.workers)
    print("|---|---|---|---|")
    for name, w in walls.items():
        print("| %s | %.3f | %.3f | %.2f |" % (name, statistics.median(w), min(w), statistics.median(w) / base))


if __name__ == "__main__":
    main()
