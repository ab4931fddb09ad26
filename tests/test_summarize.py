"""scripts/summarize-tests.py on meson test logs written here: doctest and
unittest summaries, crashes, meson's own skips, and the "SKIPPED: " lines
of doctest cases that could not run on this host (tests/skipped.hpp).
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.environ.get('TESTR_SOURCE_ROOT', '.'), 'scripts', 'summarize-tests.py')


def doctest_out(cases, passed, failed, skipped=0):
    return (f"[doctest] test cases: {cases:5} | {passed:5} passed | {failed:5} failed | {skipped:5} skipped\n"
            f"[doctest] Status: {'SUCCESS' if failed == 0 else 'FAILURE'}!\n")


def summarize(*entries):
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, 'testlog.json')
        with open(log, 'w', encoding='utf-8') as f:
            for name, result, stdout in entries:
                f.write(json.dumps({'name': name, 'result': result, 'stdout': stdout}) + '\n')
        done = subprocess.run([sys.executable, SCRIPT, log], capture_output=True, text=True, check=False)
        return done.returncode, done.stdout.splitlines()


class Summarize(unittest.TestCase):
    def test_doctest_and_unittest_totals(self):
        code, lines = summarize(
            ('a', 'OK', doctest_out(5, 5, 0)),
            ('b', 'OK', 'Ran 4 tests in 0.1s\n\nOK (skipped=1)\n'),
            ('c', 'OK', 'no summary at all'))
        self.assertEqual(code, 0)
        self.assertEqual(lines[-1], '9 passed, 0 failed, 1 skipped')

    def test_skip_markers_turn_passes_into_skips(self):
        out = ('SKIPPED: real process in a cgroup: cannot create a cgroup: EACCES\n' +
               doctest_out(13, 13, 0))
        code, lines = summarize(('concurrency', 'OK', out), ('other', 'OK', doctest_out(2, 2, 0)))
        self.assertEqual(code, 0)
        self.assertEqual(lines[-1], '14 passed, 0 failed, 1 skipped')
        self.assertIn('skipped in concurrency: real process in a cgroup: cannot create a cgroup: EACCES', lines)

    def test_a_marker_inside_a_line_is_not_a_skip(self):
        code, lines = summarize(('x', 'OK', 'note: SKIPPED: not at a line start\n' + doctest_out(1, 1, 0)))
        self.assertEqual(lines[-1], '1 passed, 0 failed')

    def test_crash_and_failures_count(self):
        code, lines = summarize(
            ('crash', 'FAIL', doctest_out(3, 3, 0)),
            ('fails', 'FAIL', 'SKIPPED: t: why\n' + doctest_out(3, 1, 2)),
            ('meson-skip', 'SKIP', ''))
        self.assertEqual(code, 1)
        self.assertEqual(lines[-1], '3 passed, 3 failed, 2 skipped')

    def test_the_doctest_suite_through_testr_mini(self):
        via = ('FAIL: test_x::a case\n../tests/test_x.cpp:12: CHECK( 1 == 2 ) is NOT correct!\n'
               'Ran 40 tests in 1.0s\nFAILED (id=3, failures=2)\n'
               'skipped in test_c: cgroup: cannot create a cgroup: EACCES\n'
               'doctest via testr-mini: 37 passed, 2 failed, 1 skipped\n')
        code, lines = summarize(('doctest_via_testr', 'FAIL', via), ('b', 'OK', 'Ran 4 tests in 0.1s\n\nOK\n'))
        self.assertEqual(code, 1)
        self.assertEqual(lines[-1], '41 passed, 2 failed, 1 skipped')
        self.assertIn('skipped in test_c: cgroup: cannot create a cgroup: EACCES', lines)
        # testr-mini failing with no case failed (a program that cannot list) is a failure.
        code, lines = summarize(('doctest_via_testr', 'FAIL', 'doctest via testr-mini: 0 passed, 0 failed, 0 skipped\n'))
        self.assertEqual((code, lines[-1]), (1, '0 passed, 1 failed'))


if __name__ == '__main__':
    unittest.main()
