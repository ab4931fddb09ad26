"""What testrepository's filters and group_callback see: re.search or
re.match of every pattern on every test id, for tests/test_group_regex.cpp
and tests/test_test_filter.cpp to compare.

Reads {"mode": "match" or "search", "patterns_hex": [...], "ids_hex":
[...]} as JSON on stdin: patterns and ids as hex of their bytes, decoded
with surrogateescape as Python decodes bytes it cannot decode (sys.argv, a
runner's output read with errors='surrogateescape'). Prints one JSON object
per pattern: {"error": re.error's message} or {"spans": [[begin, end] of
the match in bytes of the id, or null, per id]}.
"""
import json
import re
import sys
import warnings


def text(hex_bytes):
    return bytes.fromhex(hex_bytes).decode('utf-8', 'surrogateescape')


def byte_offset(s, index):
    return len(s[:index].encode('utf-8', 'surrogateescape'))


def main():
    warnings.simplefilter('ignore')  # "Possible nested set" FutureWarnings
    case = json.load(sys.stdin)
    ids = [text(h) for h in case['ids_hex']]
    for pattern in case['patterns_hex']:
        try:
            regex = re.compile(text(pattern))
        except re.error as e:
            print(json.dumps({'error': str(e)}))
            continue
        find = regex.match if case['mode'] == 'match' else regex.search
        spans = []
        for test_id in ids:
            m = find(test_id)
            spans.append([byte_offset(test_id, m.start()), byte_offset(test_id, m.end())] if m else None)
        print(json.dumps({'spans': spans}))


if __name__ == '__main__':
    main()
