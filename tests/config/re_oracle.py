"""What testrepository's group_callback gives: re.match(pattern, id).group(0)
for every pattern and id, for tests/test_group_regex.cpp to compare.

Reads {"patterns": [...], "ids": [...]} as JSON on stdin; prints one JSON
object per pattern: {"error": re.error's message} or {"groups": [group(0)
or null per id]}.
"""
import json
import re
import sys
import warnings


def main():
    warnings.simplefilter('ignore')  # "Possible nested set" FutureWarnings
    case = json.load(sys.stdin)
    for pattern in case['patterns']:
        try:
            regex = re.compile(pattern)
        except re.error as e:
            print(json.dumps({'error': str(e)}))
            continue
        groups = []
        for test_id in case['ids']:
            match = regex.match(test_id)
            groups.append(match.group(0) if match else None)
        print(json.dumps({'groups': groups}))


if __name__ == '__main__':
    main()
