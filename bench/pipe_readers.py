#!/usr/bin/python3
"""Which real runners read their --load-list late enough for pre-started
runners to gain (docs/prestart.md).

For each runner, on testtools' own suite (Debian's python3-testtools):
  list   seconds from spawning `--list` to its first output: imports and
         discovery, the start a pre-started runner hides;
  open   seconds from spawning it with `--load-list PIPE` to its opening
         the pipe (a FIFO opens for writing once its reader is in open()).
A runner gains when `open` is close to `list` (it imports first, then
blocks on the pipe); one whose `open` is near zero reads the file before
its imports, and gains nothing (it is still correct). Each figure is the
median of --repeat runs.

    scripts/bench pipe_readers [--repeat 5]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

PY = "/usr/bin/python3"
SUITE = "testtools.tests.test_suite"
RUNNERS = {
    "subunit.run": [PY, "-m", "subunit.run", "{opt}", SUITE],
    "testtools.run": [PY, "-m", "testtools.run", "{opt}", SUITE],
    "stestr subunit_runner": [PY, "-m", "stestr.subunit_runner.run", "{opt}", SUITE],
}


def argv(template, opt):
    out = []
    for word in template:
        out += opt if word == "{opt}" else [word]
    return out


def until_listed(template):
    start = time.monotonic()
    proc = subprocess.Popen(argv(template, ["--list"]), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.stdout.read(1)
    took = time.monotonic() - start
    proc.stdout.read()
    proc.wait()
    return took


def until_opened(template, directory):
    fifo = os.path.join(directory, "ids")
    if os.path.exists(fifo):
        os.unlink(fifo)
    os.mkfifo(fifo)
    start = time.monotonic()
    proc = subprocess.Popen(argv(template, ["--load-list", fifo]), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:
            if proc.poll() is not None:
                return None
            time.sleep(0.002)
    took = time.monotonic() - start
    os.close(fd)  # an empty list: the runner runs nothing and exits
    proc.wait()
    return took


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("| runner | list s (start) | open s (pipe opened) | open / list | gains |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as directory:
        for name, template in RUNNERS.items():
            lists, opens = [], []
            for _ in range(args.repeat):
                lists.append(until_listed(template))
                opens.append(until_opened(template, directory))
            if None in opens:
                print("| %s | %.3f | never | - | no |" % (name, statistics.median(lists)))
                continue
            listed, opened = statistics.median(lists), statistics.median(opens)
            print("| %s | %.3f | %.3f | %.2f | %s |" % (name, listed, opened, opened / listed,
                                                       "yes" if opened > 0.5 * listed else "no"))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
