"""Reference for bench/process: the same workloads with Python's subprocess,
as testrepository starts its workers (Popen, shell=True, pipes).

argv: SCENARIO N CONCURRENCY BYTES. Prints seconds (one float).
Run with /usr/bin/python3.
"""
import os
import selectors
import subprocess
import sys
import time

scenario, n, conc, nbytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cmd = "echo x" if scenario == "spawn" else f"head -c {nbytes} /dev/zero"

start = time.perf_counter()
sel = selectors.DefaultSelector()
started = finished = total = 0


def launch():
    global started
    p = subprocess.Popen(cmd, shell=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.set_blocking(p.stdout.fileno(), False)
    os.set_blocking(p.stderr.fileno(), False)
    sel.register(p.stdout, selectors.EVENT_READ, p)
    sel.register(p.stderr, selectors.EVENT_READ, p)
    p.open_pipes = 2
    started += 1


for _ in range(min(n, conc)):
    launch()
while finished < n:
    for key, _ in sel.select():
        data = os.read(key.fileobj.fileno(), 65536)
        if data:
            total += len(data)
            continue
        sel.unregister(key.fileobj)
        key.fileobj.close()
        p = key.data
        p.open_pipes -= 1
        if p.open_pipes == 0:
            p.wait()
            finished += 1
            if started < n:
                launch()
assert total == (2 * n if scenario == "spawn" else nbytes * n), total
print(time.perf_counter() - start)
