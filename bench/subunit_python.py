"""Reference timing for bench/subunit: python-subunit's reader and writer on
the same stream file. Prints: read_seconds events write_seconds written_bytes
read_cpu_seconds write_cpu_seconds (wall, then the thread's CPU time)

Usage: subunit_python.py STREAM_FILE
"""
import io
import sys
import time

from subunit.v2 import ByteStreamToStreamResult, StreamResultToBytes


class Collect(object):
    def __init__(self):
        self.events = []

    def startTestRun(self):
        pass

    def stopTestRun(self):
        pass

    def status(self, **kwargs):
        self.events.append(kwargs)


def main():
    with open(sys.argv[1], 'rb') as source:
        collect = Collect()
        start, start_cpu = time.perf_counter(), time.thread_time()
        ByteStreamToStreamResult(source, non_subunit_name='stdout').run(collect)
        read, read_cpu = time.perf_counter() - start, time.thread_time() - start_cpu
    out = io.BytesIO()
    writer = StreamResultToBytes(out)
    start, start_cpu = time.perf_counter(), time.thread_time()
    for event in collect.events:
        writer.status(**event)
    write, write_cpu = time.perf_counter() - start, time.thread_time() - start_cpu
    print('%.6f %d %.6f %d %.6f %.6f' % (read, len(collect.events), write, len(out.getvalue()), read_cpu, write_cpu))


if __name__ == '__main__':
    main()
