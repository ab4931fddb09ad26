"""Time testrepository's own partition_tests on one instance (bench helper).

argv[1]: JSON {"ids": [...], "durations": {id: s}, "concurrency": m}.
Prints the best of 3 CPU times (time.thread_time) in seconds, as bench/partition
measures its own. Run with /usr/bin/python3.
"""
import json
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/tests/partition")
from reference import Fixture  # noqa: E402
from testrepository.testcommand import TestListingFixture  # noqa: E402

inst = json.load(open(sys.argv[1], encoding="utf-8"))
fixture = Fixture(inst["durations"], None)
best = float("inf")
for _ in range(3):
    start = time.thread_time()
    TestListingFixture.partition_tests(fixture, inst["ids"], inst["concurrency"])
    best = min(best, time.thread_time() - start)
print(best)
