"""A subunit v2 test runner whose tests misbehave on purpose (tests/e2e).

Usage (as a .testr.conf test_command):
    /usr/bin/python3 fault_runner.py SPEC.json [--list] [--load-list FILE]

SPEC.json: {"tests": [{"id": ..., "does": ...}, ...]} where `does` is
  "pass", "fail",
  "sleep:S"        sleep S seconds, then pass,
  "hang_child"     fork a child that holds stdout open and sleeps, record
                   its pid in children.log, and wait for it forever,
  "ignore_term"    ignore SIGTERM, record the pid in children.log, sleep 60 s,
  "segv"           the runner kills itself with SIGSEGV,
  "spew:M"         write M MiB of non-subunit bytes ("x"s) to stdout, then pass,
  "leak_child"     start a grandchild in the runner's process group that keeps
                   stdout open for 600 s (pid in children.log), then pass and exit,
  "leak_setsid"    the same, the grandchild in a session of its own (setsid),
                   out of the runner's process group,
  "flaky"          fail on the first run, pass on every later one (a marker
                   file beside SPEC.json remembers).
SPEC.json may also say "hang_after": true: the runner sleeps 600 s after
its last test instead of exiting.
Every test started appends "pid<TAB>id" to ran.log beside SPEC.json.
"""
import json
import os
import signal
import sys
import time

from subunit import StreamResultToBytes

from fake_runner import log as append, now  # same directory: one copy of the helpers


def main(argv):
    spec_path = os.path.abspath(argv[1])
    here = os.path.dirname(spec_path)
    tests = json.load(open(spec_path))["tests"]
    out = StreamResultToBytes(sys.stdout.buffer)
    args = argv[2:]
    if "--list" in args:
        for t in tests:
            out.status(test_id=t["id"], test_status="exists")
        sys.stdout.flush()
        return 0
    wanted = None
    if "--load-list" in args:
        with open(args[args.index("--load-list") + 1]) as f:
            wanted = {line.strip() for line in f if line.strip()}
    for t in tests:
        if wanted is not None and t["id"] not in wanted:
            continue
        tid, does = t["id"], t["does"]
        append(os.path.join(here, "ran.log"), "%d\t%s" % (os.getpid(), tid))
        out.status(test_id=tid, test_status="inprogress", timestamp=now())
        sys.stdout.flush()
        status = "success"
        if does == "fail":
            status = "fail"
        elif does.startswith("sleep:"):
            time.sleep(float(does.split(":", 1)[1]))
        elif does == "hang_child":
            pid = os.fork()
            if pid == 0:
                time.sleep(600)  # holds the inherited stdout pipe
                os._exit(0)
            append(os.path.join(here, "children.log"), str(pid))
            os.waitpid(pid, 0)
        elif does == "ignore_term":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            append(os.path.join(here, "children.log"), str(os.getpid()))
            time.sleep(60)
        elif does.startswith("spew:"):
            chunk = b"x" * (1 << 20)
            for _ in range(int(does.split(":", 1)[1])):
                sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
        elif does in ("leak_child", "leak_setsid"):
            pid = os.fork()
            if pid == 0:
                os.closerange(3, 256)
                if does == "leak_setsid":
                    os.setsid()
                time.sleep(600)  # holds the inherited stdout pipe, unwaited
                os._exit(0)
            append(os.path.join(here, "children.log"), str(pid))
        elif does == "segv":
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGSEGV)
        elif does == "exit0":
            sys.stdout.flush()
            os._exit(0)  # the test takes its runner with it, exit status 0
        elif does == "flaky":
            marker = os.path.join(here, "flaky-" + tid)
            if not os.path.exists(marker):
                open(marker, "w").close()
                status = "fail"
        if status == "fail":
            out.status(test_id=tid, file_name="traceback", file_bytes=b"deliberate failure\n",
                       mime_type="text/plain;charset=utf8", eof=True)
        out.status(test_id=tid, test_status=status, timestamp=now())
        sys.stdout.flush()
    if json.load(open(spec_path)).get("hang_after"):
        time.sleep(600)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
