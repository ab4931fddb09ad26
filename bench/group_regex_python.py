"""Times testrepository's group_callback (re.match(...).group(0)) for
bench/group_regex: argv = ids file (one per line), repeats, patterns...
Prints {pattern: best milliseconds for all ids}."""
import json
import re
import sys
import time


def main():
    with open(sys.argv[1], encoding='utf-8') as f:
        ids = f.read().split('\n')[:-1]
    repeats = int(sys.argv[2])
    out = {}
    for pattern in sys.argv[3:]:
        regex = re.compile(pattern)

        def group_callback(test_id):
            match = regex.match(test_id)
            if match:
                return match.group(0)

        best = None
        for _ in range(repeats):
            start = time.perf_counter()
            for test_id in ids:
                group_callback(test_id)
            elapsed = (time.perf_counter() - start) * 1e3
            best = elapsed if best is None else min(best, elapsed)
        out[pattern] = best
    print(json.dumps(out))


if __name__ == '__main__':
    main()
