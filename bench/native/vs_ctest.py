"""A generated GoogleTest suite with lognormal test durations, run three
ways in the same session: `ctest -j W` with every test registered
(gtest_discover_tests: one process per test, ctest's cost data from a
previous run), each binary whole (W at a time), and `testr-mini run
--parallel --concurrency W` (history from a previous run). Prints wall time
and wall / ideal, where ideal = max(sum of durations / W, longest test).

  /usr/bin/python3 bench/native/vs_ctest.py --testr-mini build/tools/testr-mini/testr-mini \\
      [--tests 800,400,200,200] [--median-ms 5] [--sigma 1.0] [--workers 2,4] [--dir DIR]

--tests gives each binary's number of tests: unequal binaries are what a
whole-binary run cannot balance.

Tests sleep for their duration, so the figures measure scheduling and
per-process overhead, not CPU contention.
"""
import argparse
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

CMAKE = """cmake_minimum_required(VERSION 3.16)
project(native_bench CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(GTest REQUIRED)
include(GoogleTest)
enable_testing()
foreach(b RANGE 0 {last})
  add_executable(suite_${{b}} suite_${{b}}.cpp)
  target_link_libraries(suite_${{b}} GTest::gtest_main)
  gtest_discover_tests(suite_${{b}})
endforeach()
"""


def generate(d, sizes, median_ms, sigma, seed=16):
    rng = random.Random(seed)
    durations = {}
    binaries = len(sizes)
    for b, tests in enumerate(sizes):
        lines = ["#include <gtest/gtest.h>", "#include <chrono>", "#include <thread>",
                 "static void nap(long us) { std::this_thread::sleep_for(std::chrono::microseconds(us)); }"]
        for t in range(tests):
            us = int(rng.lognormvariate(math.log(median_ms * 1000), sigma))
            durations["suite_%d::S%d.T%d" % (b, t // 20, t)] = us / 1e6
            lines.append("TEST(S%d, T%d) { nap(%d); }" % (t // 20, t, us))
        write_if_changed(os.path.join(d, "suite_%d.cpp" % b), "\n".join(lines) + "\n")
    write_if_changed(os.path.join(d, "CMakeLists.txt"), CMAKE.format(last=binaries - 1))
    return durations


def write_if_changed(path, text):
    """Keeps the build of an earlier run with the same parameters."""
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w") as f:
        f.write(text)


def timed(cmd, cwd, ok=(0,)):
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, shell=isinstance(cmd, str))
    wall = time.monotonic() - t0
    if p.returncode not in ok:
        sys.exit("failed (%d): %s\n%s" % (p.returncode, cmd, p.stdout.decode(errors="replace")[-3000:]))
    return wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--testr-mini", required=True)
    ap.add_argument("--tests", default="800,400,200,200")
    ap.add_argument("--median-ms", type=float, default=5.0)
    ap.add_argument("--sigma", type=float, default=1.0)
    ap.add_argument("--workers", default="2,4")
    ap.add_argument("--dir")
    a = ap.parse_args()
    tool = os.path.abspath(a.testr_mini)
    d = a.dir or tempfile.mkdtemp(prefix="native-vs-ctest-")
    os.makedirs(d, exist_ok=True)
    sizes = [int(x) for x in a.tests.split(",")]
    a.binaries = len(sizes)
    durations = generate(d, sizes, a.median_ms, a.sigma)
    build = os.path.join(d, "build")
    if not os.path.exists(os.path.join(build, "CTestTestfile.cmake")):
        timed(["cmake", "-S", d, "-B", build, "-DCMAKE_BUILD_TYPE=Release"], d)
    timed(["cmake", "--build", build, "-j2"], d)
    bins = [os.path.join(build, "suite_%d" % b) for b in range(a.binaries)]
    proj = os.path.join(d, "testr")
    shutil.rmtree(proj, ignore_errors=True)
    os.makedirs(proj)
    with open(os.path.join(proj, ".testr.conf"), "w") as f:
        f.write("[DEFAULT]\ntest_format=gtest\ntest_command=$BINARY $LISTOPT $IDOPTION\ntest_binaries=%s\n"
                % " ".join(bins))
    timed([tool, "init"], proj)
    total = sum(durations.values())
    longest = max(durations.values())
    print("%d tests in %d binaries (%s), durations lognormal(median %.1f ms, sigma %.2f): sum %.2f s, longest %.3f s"
          % (len(durations), a.binaries, a.tests, a.median_ms, a.sigma, total, longest))
    print("%-8s %-28s %8s %8s" % ("workers", "runner", "wall s", "/ideal"))
    for w in [int(x) for x in a.workers.split(",")]:
        ideal = max(total / w, longest)
        # Warm-ups: ctest writes its cost data, testr-mini its history.
        timed(["ctest", "--test-dir", build, "-j", str(w), "-Q"], d)
        timed([tool, "run", "--parallel", "--concurrency", str(w)], proj)
        rows = [
            ("ctest -j%d (per test)" % w, timed(["ctest", "--test-dir", build, "-j", str(w), "-Q"], d)),
            ("each binary whole, %d at once" % w,
             timed("printf '%%s\\n' %s | xargs -P %d -n 1 sh -c '\"$0\" >/dev/null'" % (" ".join(bins), w), d)),
            ("testr-mini --concurrency %d" % w,
             timed([tool, "run", "--parallel", "--concurrency", str(w)], proj)),
        ]
        for name, wall in rows:
            print("%-8d %-28s %8.3f %8.3f" % (w, name, wall, wall / ideal))
        sys.stdout.flush()
    # Fixed cost per binary: a run that selects nothing but starts each binary.
    t_list = timed([tool, "list-tests"], proj)
    print("list-tests over %d binaries: %.3f s (%.3f s a binary)" % (a.binaries, t_list, t_list / a.binaries))


if __name__ == "__main__":
    main()
