"""Partition instances with testrepository's own partition_tests.

Reads a JSON list of instances from argv[1], writes a JSON list of
partitions (lists of ids) to stdout. Each instance: {"ids": [...],
"durations": {id: seconds}, "groups": {id: key} or null, "concurrency": m}.
Run with Debian's /usr/bin/python3 (python3-testrepository).
"""
import json
import sys

from testrepository.testcommand import TestListingFixture


class FakeRepository:
    def __init__(self, durations):
        self.durations = durations

    def get_test_times(self, test_ids):
        known = {t: self.durations[t] for t in test_ids if t in self.durations}
        return {"known": known, "unknown": set(test_ids) - set(known)}


class Fixture:
    """Just the state partition_tests reads from its fixture."""

    def __init__(self, durations, groups):
        self.repository = FakeRepository(durations)
        self._group_callback = (lambda t: groups.get(t)) if groups is not None else None


def main():
    out = []
    for inst in json.load(open(sys.argv[1], encoding="utf-8")):
        fixture = Fixture(inst["durations"], inst["groups"])
        out.append(TestListingFixture.partition_tests(fixture, inst["ids"], inst["concurrency"]))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
