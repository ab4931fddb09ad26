"""Writes a mixed subunit v2 stream with python-subunit's writer: every
field, tags, a file in chunks, route codes, unicode ids, non-subunit bytes
between packets (with 0xB3 inside UTF-8 characters), a packet with a bad
CRC, and more than 1 MiB of plain text.

Usage: write_fixture.py OUT
"""
import datetime
import io
import sys

from subunit.v2 import StreamResultToBytes

UTC = datetime.timezone.utc


def at(seconds, micro=0):
    return datetime.datetime.fromtimestamp(seconds, UTC).replace(microsecond=micro)


def main():
    out = io.BytesIO()
    w = StreamResultToBytes(out)
    w.status(test_id='pkg.test_a.TestA.test_one', test_status='exists')
    w.status(test_id='pkg.test_a.TestA.test_one', test_status='inprogress',
             timestamp=at(1700000000, 123456), test_tags={'worker-0'})
    out.write('runner chatter: caf\u00e9 \u00f3\u00b3 \u2033 \U0001f600\n'.encode('utf-8'))
    w.status(test_id='pkg.test_a.TestA.test_one', file_name='traceback',
             file_bytes=b'Traceback (most recent call last):\n  part 1\n',
             mime_type='text/x-traceback;charset=utf8', test_tags={'worker-0'})
    w.status(test_id='pkg.test_a.TestA.test_one', file_name='traceback',
             file_bytes=b'  part 2\nAssertionError\n', eof=True,
             mime_type='text/x-traceback;charset=utf8', test_tags={'worker-0'})
    w.status(test_id='pkg.test_a.TestA.test_one', test_status='fail',
             timestamp=at(1700000001, 654321), test_tags={'worker-0'})
    statuses = ['success', 'uxsuccess', 'skip', 'xfail', None]
    for i, st in enumerate(statuses):
        tid = 'pkg.\u00fcnicode.\u6d4b\u8bd5_%d' % i
        w.status(test_id=tid, test_status='inprogress', timestamp=at(1700000100 + i),
                 route_code='0/%d' % i, test_tags={'worker-1', 'slow', 'tag\u00e9'})
        w.status(test_id=tid, test_status=st, timestamp=at(1700000100 + i, 999999),
                 route_code='0/%d' % i, runnable=(i % 2 == 0),
                 test_tags={'worker-1', 'slow'})
    w.status(file_name='stderr', file_bytes=b'\x00\xff\xb3 binary', eof=True,
             mime_type='application/octet-stream')
    w.status(test_id='not.runnable', test_status='exists', runnable=False)
    good = io.BytesIO()
    StreamResultToBytes(good).status(test_id='corrupt.me', test_status='success')
    bad = bytearray(good.getvalue())
    bad[-1] ^= 0xFF  # a bad CRC
    out.write(bytes(bad))
    w.status(test_id='after.corruption', test_status='success', timestamp=at(1700000200))
    out.write(b'x' * (1024 * 1024 + 4321))  # more than one 1 MiB batch
    w.status(test_id='last', test_status='success')
    out.write('trailing text \u00e9'.encode('utf-8'))
    with open(sys.argv[1], 'wb') as f:
        f.write(out.getvalue())


if __name__ == '__main__':
    main()
