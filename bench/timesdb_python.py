"""bench/timesdb_python.py - the reference: testrepository's dbm duration store.

Run by bench/timesdb with Debian's /usr/bin/python3:

    timesdb_python.py IDS_TSV WORKDIR REPEATS [WANTED]

IDS_TSV holds "id<TAB>seconds" lines (ids without tabs or newlines). Records
them into WORKDIR/times.dbm exactly as testrepository's _Inserter.stopTestRun
does, then loads them the way `testr run` does before partitioning, through
the real Repository._get_test_times: all of them, or the ids listed one a
line in WANTED. Prints one JSON object of timings (ms).
"""
import dbm
import json
import os
import statistics
import sys
import time

from testrepository.repository.file import Repository


def record(base, times):
    # Same steps as _Inserter.stopTestRun (testrepository/repository/file.py).
    db = dbm.open(os.path.join(base, 'times.dbm'), 'c')
    try:
        db_times = {}
        for key, value in times.items():
            db_times[key] = value
        if getattr(db, 'update', None):
            db.update(db_times)
        else:
            for key, value in db_times.items():
                db[key] = value
    finally:
        db.close()


def main():
    ids_path, base, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    times = {}
    with open(ids_path, encoding='utf-8') as f:
        for line in f:
            test_id, seconds = line.rstrip('\n').split('\t')
            times[test_id] = str(float(seconds))
    ids = list(times)
    if len(sys.argv) > 4:
        with open(sys.argv[4], encoding='utf-8') as f:
            ids = [line.rstrip('\n') for line in f]
    known = len([i for i in ids if i in times])

    start = time.perf_counter()
    record(base, times)
    record_ms = (time.perf_counter() - start) * 1e3

    repo = Repository(base)
    load_ms = []
    for _ in range(repeats):
        start = time.perf_counter()
        found = repo._get_test_times(ids)
        load_ms.append((time.perf_counter() - start) * 1e3)
        assert len(found) == known, (len(found), known)
    json.dump({
        'backend': dbm.whichdb(os.path.join(base, 'times.dbm')),
        'python': sys.version.split()[0],
        'records': len(times),
        'looked_up': len(ids),
        'record_ms': record_ms,
        'load_ms_median': statistics.median(load_ms),
        'load_ms_min': min(load_ms),
    }, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
