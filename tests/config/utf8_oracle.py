"""Python's strict "utf-8" codec as the oracle of tests/test_utf8.cpp.

Reads hex-encoded byte strings, one per line, on stdin; prints for each the
offset of the first byte that does not decode (UnicodeDecodeError.start),
or -1 when the whole string is valid UTF-8.
"""
import sys

for line in sys.stdin:
    data = bytes.fromhex(line.strip())
    try:
        data.decode('utf-8')
        print(-1)
    except UnicodeDecodeError as e:
        print(e.start)
