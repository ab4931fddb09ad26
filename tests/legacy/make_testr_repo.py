"""Makes a project with a .testrepository written by the real testr.

Five runs: a full run (passes, failures, an error, a skip, an xfail, a
unicode id, text attachments), the same with one more failure, `--failing`,
a filtered partial run, and a filtered run on two workers (worker-0/worker-1
tags). testr's own `last`, `failing --list`, `slowest`, `stats` outputs are
saved beside it (testr-last.txt, ...) for the comparison tests.

Usage: make_testr_repo.py DIR   (DIR must not exist or be empty)
"""
import os
import subprocess
import sys

CONF = """[DEFAULT]
test_command=/usr/bin/python3 -m subunit.run discover -t . pkg $LISTOPT $IDOPTION
test_id_option=--load-list $IDFILE
test_list_option=--list
"""

TESTS = r'''import os, sys, time, unittest, testtools
from testtools.content import text_content
FLIP = os.path.exists(os.path.join(os.path.dirname(__file__), 'flip'))
class T(testtools.TestCase):
    def test_pass(self):
        pass
    def test_fail(self):
        self.addDetail('note', text_content('a note\nwith lines\n'))
        self.assertEqual(1, 2)
    def test_skip(self):
        self.skipTest('not today')
    def test_flip(self):
        if FLIP: self.fail('flipped')
    def test_slow(self):
        time.sleep(0.05)
    def test_error(self):
        raise RuntimeError('boom ]\n]')
    @unittest.expectedFailure
    def test_xfail(self):
        self.assertEqual(1, 2)
    def test_unicode_détail(self):
        self.addDetail('snow', text_content('\u00e9\u2603\n' * 3))
'''


def testr(project, *args):
    env = dict(os.environ, PYTHONHASHSEED='0')
    r = subprocess.run(['testr'] + list(args), cwd=project, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return r.returncode, r.stdout


def main():
    project = sys.argv[1]
    os.makedirs(os.path.join(project, 'pkg'), exist_ok=True)
    with open(os.path.join(project, '.testr.conf'), 'w') as f:
        f.write(CONF)
    open(os.path.join(project, 'pkg', '__init__.py'), 'w').close()
    with open(os.path.join(project, 'pkg', 'test_mix.py'), 'w') as f:
        f.write(TESTS)
    flip = os.path.join(project, 'pkg', 'flip')
    testr(project, 'init')
    testr(project, 'run')
    open(flip, 'w').close()
    testr(project, 'run')
    testr(project, 'run', '--failing')
    os.unlink(flip)
    testr(project, 'run', 'test_pass|test_slow')
    # Not the unicode id: testr writes the load list it is in as Latin-1.
    testr(project, 'run', '--parallel', '--concurrency', '2', r'T\.test_[a-t]')
    for name, args in [('last', ['last']), ('failing-list', ['failing', '--list']),
                       ('failing', ['failing']), ('slowest', ['slowest']),
                       ('slowest-all', ['slowest', '--all']), ('stats', ['stats']),
                       ('last-subunit', ['last', '--subunit'])]:
        code, out = testr(project, *args)
        with open(os.path.join(project, 'testr-%s.out' % name), 'wb') as f:
            f.write(out)
        with open(os.path.join(project, 'testr-%s.rc' % name), 'w') as f:
            f.write('%d\n' % code)


if __name__ == '__main__':
    main()
