"""Reads a subunit v2 stream with python-subunit's reader and prints one
canonical line per event (see canonical.py).

Usage: dump.py [FILE]   (stdin when no FILE)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canonical  # noqa: E402
from subunit.v2 import ByteStreamToStreamResult  # noqa: E402


class Printer(object):
    def __init__(self, out):
        self.out = out

    def startTestRun(self):
        pass

    def stopTestRun(self):
        pass

    def status(self, **kwargs):
        self.out.write(canonical.line(**kwargs) + '\n')


def main():
    source = open(sys.argv[1], 'rb') if len(sys.argv) > 1 else sys.stdin.buffer
    ByteStreamToStreamResult(source, non_subunit_name='stdout').run(Printer(sys.stdout))


if __name__ == '__main__':
    main()
