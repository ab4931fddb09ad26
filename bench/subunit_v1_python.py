"""Reference timing for bench/subunit_v1: python-subunit's v1 parser into
ExtendedToStreamDecorator(StreamResultToBytes), as subunit-1to2 and testr's
format-1 reading use it. Prints: seconds v2_bytes

Usage: subunit_v1_python.py V1_STREAM_FILE
"""
import io
import sys
import time

import subunit
from subunit.v2 import StreamResultToBytes
from testtools import ExtendedToStreamDecorator


def main():
    data = open(sys.argv[1], 'rb').read()
    out = io.BytesIO()
    start = time.perf_counter()
    result = ExtendedToStreamDecorator(StreamResultToBytes(out))
    result.startTestRun()
    subunit.ProtocolTestCase(io.BytesIO(data)).run(result)
    result.stopTestRun()
    print('%.6f %d' % (time.perf_counter() - start, len(out.getvalue())))


if __name__ == '__main__':
    main()
