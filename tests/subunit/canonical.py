"""Canonical one-line-per-event text for subunit events.

Shared by dump.py and the C++ test (tests/test_subunit_v2.cpp prints the
same format): every field, strings percent-encoded bytewise, tags sorted and
deduplicated (the reference reader keeps them in a set), timestamps at the
microsecond precision the reference reader keeps.
"""
import datetime

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def quote(data):
    """Bytes or str -> text: printable ASCII stays, the rest becomes %XX."""
    if isinstance(data, str):
        data = data.encode('utf-8')
    return ''.join(chr(b) if 0x21 <= b <= 0x7e and b not in b'%,[]' else '%%%02X' % b
                   for b in data)


def opt(value):
    return '-' if value is None else '"' + quote(value) + '"'


def line(test_id=None, test_status=None, test_tags=None, runnable=True,
         file_name=None, file_bytes=None, eof=False, mime_type=None,
         route_code=None, timestamp=None):
    tags = '[' + ','.join(quote(t) for t in sorted(test_tags or ())) + ']'
    if timestamp is None:
        when = '-'
    else:
        delta = timestamp - EPOCH
        when = '%d.%06d' % (delta.days * 86400 + delta.seconds, delta.microseconds)
    return ' '.join([
        'id=' + opt(test_id),
        'status=' + (test_status or 'none'),
        'tags=' + tags,
        'time=' + when,
        'mime=' + opt(mime_type),
        'file=' + opt(file_name),
        'bytes=' + opt(None if file_name is None else bytes(file_bytes)),
        'eof=%d' % bool(eof),
        'route=' + opt(route_code),
        'runnable=%d' % bool(runnable),
    ])
