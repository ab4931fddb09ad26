"""python-subunit's own reading of a subunit v1 stream, as canonical lines.

The conversion is subunit-1to2's (and testr's for a format-1 run):
ProtocolTestCase into ExtendedToStreamDecorator into StreamResultToBytes,
non-protocol lines passed through into the same output, which is then read
back with ByteStreamToStreamResult. Three choices make the output comparable:
non-protocol lines are written as "stdout" packets rather than raw (raw, the
v2 reader can take a cut character and the next packet's signature byte for
one character),
an event before any `time:` line gets no timestamp (the reference stamps it
with the wall clock of the conversion), and consecutive stdout events are
merged (the reference splits them where its reads happen to end).

Usage: v1_oracle.py dump FILE     one canonical line per event
       v1_oracle.py cuts FILE     for every prefix length n: "== n", then its
                                  lines, or "ERROR <exception type>" when the
                                  reference raises on that prefix
"""
import io
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'subunit'))
import canonical  # noqa: E402
import subunit  # noqa: E402
from subunit.v2 import ByteStreamToStreamResult, StreamResultToBytes  # noqa: E402
from testtools import ExtendedToStreamDecorator  # noqa: E402


class NoClockDecorator(ExtendedToStreamDecorator):
    def _now(self):
        return self._ExtendedToStreamDecorator__now


class Passthrough(object):
    def __init__(self, result):
        self.result = result

    def write(self, data):
        self.result.status(file_name='stdout', file_bytes=bytes(data))


class Collector(object):
    def __init__(self):
        self.events = []

    def startTestRun(self):
        pass

    def stopTestRun(self):
        pass

    def status(self, **kwargs):
        self.events.append(kwargs)


def convert(data):
    out = io.BytesIO()
    writer = StreamResultToBytes(out)
    result = NoClockDecorator(writer)
    result.startTestRun()
    subunit.ProtocolTestCase(io.BytesIO(data), passthrough=Passthrough(writer)).run(result)
    result.stopTestRun()
    collector = Collector()
    ByteStreamToStreamResult(io.BytesIO(out.getvalue()), non_subunit_name='stdout').run(collector)
    merged = []
    for e in collector.events:
        plain = e.get('file_name') == 'stdout' and e.get('test_id') is None
        if plain and merged and merged[-1].get('file_name') == 'stdout' and merged[-1].get('test_id') is None:
            merged[-1]['file_bytes'] = bytes(merged[-1]['file_bytes']) + bytes(e['file_bytes'])
        else:
            merged.append(dict(e))
    return [canonical.line(**e) for e in merged]


def main():
    mode, path = sys.argv[1], sys.argv[2]
    data = open(path, 'rb').read()
    out = sys.stdout
    if mode == 'dump':
        for line in convert(data):
            out.write(line + '\n')
        return
    for n in range(len(data) + 1):
        out.write('== %d\n' % n)
        try:
            lines = convert(data[:n])
        except Exception as e:  # the reference gives up on some prefixes
            out.write('ERROR %s\n' % type(e).__name__)
            continue
        for line in lines:
            out.write(line + '\n')


if __name__ == '__main__':
    main()
