#!/usr/bin/python3
"""bench/scale.py - every report command at 10^5 and 10^6 tests, beside testr.

Generates a subunit v2 stream of N tests (inprogress then success, one in a
thousand failing with a traceback, timestamps throughout), with packets
built here (checked byte for byte against python-subunit's encoder first).
For each N and each tool, in one fresh repository:

  load < stream, last, last --subunit > /dev/null, slowest, failing, stats

each timed once (wall seconds) with its peak RSS (/usr/bin/time -f %M), then the
growth factors from the smallest N to the largest, and an SVG plot of time
against tests (docs/scale.svg with --svg).

Usage: scripts/bench scale [--tests 100000,1000000] [--only-ours] [--testr-max N] [--svg PATH]
(TESTR_MINI: the binary, set by scripts/bench; runs with Debian's python3.)
"""
import argparse
import datetime
import io
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

COMMANDS = ["load", "last", "last --subunit", "slowest", "failing", "stats"]
TARGETS_1M = {"load": 0.8, "slowest": 0.15, "stats": 0.02}


# The bench runner's varint: its bytes are checked against python-subunit's
# (tests/bench_runner.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "adaptive"))
from fake_runner import varint  # noqa: E402


def packet(status, tid=None, ts=None, fname=None, fbytes=b"", mime=None, eof=False):
    flags = 0x2100 | status  # version 2, runnable
    body = b""
    if ts is not None:
        flags |= 0x0200
        body += struct.pack(">I", ts[0]) + varint(ts[1])
    if tid is not None:
        flags |= 0x0800
        t = tid.encode()
        body += varint(len(t)) + t
    if mime is not None:
        flags |= 0x0020
        m = mime.encode()
        body += varint(len(m)) + m
    if fname is not None:
        flags |= 0x0040
        f = fname.encode()
        body += varint(len(f)) + f + varint(len(fbytes)) + fbytes
    if eof:
        flags |= 0x0010
    base = 3 + len(body) + 4
    length = base + 1
    for limit, size in ((0x40, 2), (0x4000, 3), (0x400000, 4)):
        if length >= limit:
            length = base + size
    head = b"\xb3" + struct.pack(">H", flags) + varint(length) + body
    return head + struct.pack(">I", zlib.crc32(head) & 0xFFFFFFFF)


def tests(n):
    """(id, start, seconds, traceback or None) for each test."""
    rnd = random.Random(6)
    clock = 1704067200 * 10**6  # microseconds
    for i in range(n):
        tid = "pkg.module_%03d.TestCase%02d.test_%07d" % (i % 397, i % 23, i)
        took = rnd.randrange(1, 2_000_000)
        tb = None
        if i % 1000 == 999:
            tb = ("Traceback (most recent call last):\n  File \"t.py\", line %d\nAssertionError: %d != %d\n"
                  % (i, i, i + 1)).encode()
        yield tid, clock, took, tb
        clock += took


def ts(us):
    return (us // 10**6, (us % 10**6) * 1000)


def encode_ours(items):
    out = bytearray()
    for tid, start, took, tb in items:
        out += packet(2, tid, ts(start))
        if tb is not None:
            out += packet(0, tid, None, "traceback", tb, "text/x-traceback;charset=utf8", True)
        out += packet(6 if tb is not None else 3, tid, ts(start + took))
    return bytes(out)


def check_encoder():
    from subunit import StreamResultToBytes
    buf = io.BytesIO()
    ref = StreamResultToBytes(buf)
    items = list(tests(2000))
    utc = datetime.timezone.utc
    for tid, start, took, tb in items:
        at = lambda us: datetime.datetime.fromtimestamp(us // 10**6, utc) + datetime.timedelta(microseconds=us % 10**6)
        ref.status(test_id=tid, test_status="inprogress", timestamp=at(start))
        if tb is not None:
            ref.status(test_id=tid, file_name="traceback", mime_type="text/x-traceback;charset=utf8",
                       file_bytes=tb, eof=True)
        ref.status(test_id=tid, test_status="fail" if tb is not None else "success", timestamp=at(start + took))
    if buf.getvalue() != encode_ours(items):
        sys.exit("bench/scale.py: the generator's packets differ from python-subunit's")


def generate(path, n):
    with open(path, "wb") as f:
        chunk = []
        for item in tests(n):
            chunk.append(item)
            if len(chunk) == 50000:
                f.write(encode_ours(chunk))
                chunk = []
        f.write(encode_ours(chunk))


def timed(argv, cwd, stdin_path=None):
    """Wall seconds, peak RSS in bytes (GNU time's, which forks nothing as big
    as this script: a child's ru_maxrss from here would count the forked
    Python), exit code, and CPU seconds (user + system: on a shared machine
    the wall time of a command that fsyncs 200 MB is mostly the disk's)."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    fd, report = tempfile.mkstemp(prefix="rss-")
    os.close(fd)
    try:
        start = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-o", report, "-f", "%M %U %S"] + argv, cwd=cwd, stdin=stdin,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        took = time.perf_counter() - start
        with open(report) as f:
            fields = f.read().split()
        rss, cpu = int(fields[-3]) * 1024, float(fields[-2]) + float(fields[-1])
    finally:
        os.unlink(report)
        if stdin_path:
            stdin.close()
    if p.returncode not in (0, 1):
        sys.exit("%s failed (%d): %s" % (" ".join(argv), p.returncode, p.stderr.decode(errors="replace")))
    return took, rss, p.returncode, cpu


def bench_tool(name, binary, stream, workdir):
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    with open(os.path.join(workdir, ".testr.conf"), "w") as f:
        f.write("[DEFAULT]\ntest_command=true\n")
    subprocess.run([binary, "init"], cwd=workdir, check=True, stdout=subprocess.DEVNULL)
    results = {}
    for cmd in COMMANDS:
        args = cmd.split()
        results[cmd] = timed([binary] + args, workdir, stream if cmd == "load" else None)
    return results


def svg_plot(path, sizes, data):
    """Time against tests, log-log, one line per (tool, command)."""
    import math
    w, h, left, bottom, top, right = 760, 460, 70, 50, 20, 200
    series = [(tool, cmd) for tool in data for cmd in COMMANDS if data[tool]]
    values = [data[t][n][c][0] for t, c in series for n in sizes if n in data[t]]
    lo, hi = math.log10(min(values) * 0.8), math.log10(max(values) * 1.25)
    xs = {n: left + (w - left - right) * (i / max(1, len(sizes) - 1)) for i, n in enumerate(sizes)}
    y = lambda v: top + (h - top - bottom) * (1 - (math.log10(v) - lo) / (hi - lo))
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">' % (w, h),
           '<rect width="100%" height="100%" fill="white"/>']
    for e in range(math.floor(lo), math.ceil(hi) + 1):
        if lo <= e <= hi:
            out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (left, w - right, y(10**e), y(10**e)))
            out.append('<text x="%d" y="%.1f" text-anchor="end">%gs</text>' % (left - 5, y(10**e) + 4, 10**e))
    for n in sizes:
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d tests</text>' % (xs[n], h - bottom + 18, n))
    out.append('<text x="%d" y="%d" text-anchor="middle">wall time of one command (log scale)</text>' % ((left + w - right) / 2, h - 8))
    for k, (tool, cmd) in enumerate(series):
        color = colors[COMMANDS.index(cmd) % len(colors)]
        dash = '' if tool == "testr-mini" else ' stroke-dasharray="5,3"'
        pts = " ".join("%.1f,%.1f" % (xs[n], y(data[tool][n][cmd][0])) for n in sizes if n in data[tool])
        out.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>' % (pts, color, dash))
        for n in sizes:
            if n in data[tool]:
                out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (xs[n], y(data[tool][n][cmd][0]), color))
        ly = top + 14 * k + 10
        out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"%s/>' % (w - right + 10, w - right + 30, ly, ly, color, dash))
        out.append('<text x="%d" y="%d">%s %s</text>' % (w - right + 35, ly + 4, tool, cmd))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tests", default="100000,1000000")
    ap.add_argument("--only-ours", action="store_true")
    ap.add_argument("--binary", default=os.environ.get("TESTR_MINI", "build/tools/testr-mini/testr-mini"))
    ap.add_argument("--svg")
    ap.add_argument("--testr-max", type=int, default=10**9,
                    help="run testr only up to this many tests (its load of 10^6 takes tens of minutes)")
    args = ap.parse_args()
    sizes = [int(x) for x in args.tests.split(",")]
    check_encoder()
    tools = {"testr-mini": os.path.abspath(args.binary)}
    if not args.only_ours:
        tools["testr"] = "/usr/bin/testr"
    tmp = tempfile.mkdtemp(prefix="bench-scale-")
    data = {t: {} for t in tools}
    try:
        for n in sizes:
            stream = os.path.join(tmp, "stream-%d.bin" % n)
            generate(stream, n)
            size = os.path.getsize(stream)
            print("%d tests, stream %.1f MB" % (n, size / 1e6), flush=True)
            for tool, binary in tools.items():
                if tool == "testr" and n > args.testr_max:
                    continue
                data[tool][n] = bench_tool(tool, binary, stream, os.path.join(tmp, "repo-" + tool))
                for cmd in COMMANDS:
                    took, rss, code, cpu = data[tool][n][cmd]
                    note = ""
                    if tool == "testr-mini" and n == 1000000 and cmd in TARGETS_1M:
                        note = "  target <= %gs: %s" % (TARGETS_1M[cmd], "met" if took <= TARGETS_1M[cmd] else "MISSED")
                    if tool == "testr-mini" and cmd == "load":
                        note += "  peak/stream %.2fx" % (rss / size)
                    print("  %-10s %-15s %8.3f s %8.1f MB  exit %d  cpu %.3f s%s" % (tool, cmd, took, rss / 1e6, code, cpu, note),
                          flush=True)
            if n in data.get("testr", {}):
                for cmd in COMMANDS:
                    print("  ratio %-15s testr / testr-mini = %.1fx" % (cmd, data["testr"][n][cmd][0] / data["testr-mini"][n][cmd][0]))
        if len(sizes) > 1:
            a, b = sizes[0], sizes[-1]
            print("growth %d -> %d tests (time x, peak memory x):" % (a, b))
            for tool in tools:
                if b not in data[tool] or a not in data[tool]:
                    continue
                for cmd in COMMANDS:
                    ta, ra, _, _ = data[tool][a][cmd]
                    tb, rb, _, _ = data[tool][b][cmd]
                    print("  %-10s %-15s %6.1fx %6.1fx" % (tool, cmd, tb / ta, rb / ra))
        if args.svg:
            svg_plot(args.svg, sizes, data)
            print("plot written to", args.svg)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
