"""Reference timing for bench/subunit: python-subunit's reader and writer on
the same stream file. Prints: read_seconds events write_seconds written_bytes

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
        start = time.perf_counter()
        ByteStreamToStreamResult(source, non_subunit_name='stdout').run(collect)
        read = time.perf_counter() - start
    out = io.BytesIO()
    writer = StreamResultToBytes(out)
    start = time.perf_counter()
    for event in collect.events:
        writer.status(**event)
    write = time.perf_counter() - start
    print('%.6f %d %.6f %d' % (read, len(collect.events), write, len(out.getvalue())))


if __name__ == '__main__':
    main()
