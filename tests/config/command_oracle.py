"""Builds test commands with testrepository's own code, for
tests/test_command_template.cpp to compare against.

With --quote: reads a JSON list of strings, prints shlex.quote of each as a
JSON list (the rule shell_quote follows).

Otherwise reads a JSON list of cases on stdin:
  {"conf": {key: value}, "ids": [..] or null, "args": [..],
   "provision_output": "id1 id2" (optional)}
For each, writes .testr.conf into a fresh directory and runs the real
TestCommand.get_run_command / TestListingFixture (oldschool: the id file is
<dir>/failing.list) with a UI that records the commands instead of running
them. Prints one JSON object per case:
  {"dir", "error" (get_run_command's ValueError) or
   "run", "list" or "list_error", "idfile" (content or null),
   "ran": every command the UI was asked to run, in order}
"""
import io
import json
import os
import shlex
import shutil
import sys
import tempfile

from testrepository.testcommand import TestCommand


class FakeProcess:
    def __init__(self, out=b''):
        self.stdin = io.BytesIO()
        self.returncode = 0
        self._out = out

    def communicate(self):
        return self._out, b''

    def wait(self):
        return 0


class RecordingUI:
    """What TestCommand needs of a UI: where .testr.conf is, and somewhere
    to announce and start commands. No `options`, so runs are serial."""

    def __init__(self, here, provision_output):
        self.here = here
        self.ran = []
        self._provision_output = provision_output

    def output_values(self, values):
        self.ran.extend(value for key, value in values if key == 'running')

    def output_stream(self, stream):
        pass

    def subprocess_Popen(self, cmd, **kwargs):
        # instance_provision is the only call reading stdout without stdin.
        if 'stdout' in kwargs and 'stdin' not in kwargs:
            return FakeProcess(self._provision_output)
        return FakeProcess()


def conf_text(conf):
    lines = ['[DEFAULT]']
    for key, value in conf.items():
        lines.append('%s = %s' % (key, value.replace('%', '%%').replace('\n', '\n\t')))
    return '\n'.join(lines) + '\n'


def build(case):
    here = tempfile.mkdtemp(prefix='testr-cmd-')
    try:
        with open(os.path.join(here, '.testr.conf'), 'w', encoding='utf-8') as f:
            f.write(conf_text(case['conf']))
        ui = RecordingUI(here, case.get('provision_output', '').encode('utf8'))
        command = TestCommand(ui, None)
        command.oldschool = True
        command.setUp()
        out = {'dir': here}
        try:
            fixture = command.get_run_command(case['ids'], testargs=case['args'])
        except ValueError as e:
            out['error'] = str(e)
            command.cleanUp()
            out['ran'] = ui.ran
            return out
        fixture.setUp()
        listfile = os.path.join(here, 'failing.list')
        out['idfile'] = None
        if os.path.exists(listfile):
            # testlist.write_list encodes the ids as Latin-1.
            with open(listfile, encoding='latin-1', newline='') as f:
                out['idfile'] = f.read()
        # In a real run the listing happens before the id file is made, so
        # $FILES is empty for it.
        listed_file, fixture.list_file_name = fixture.list_file_name, None
        try:
            fixture.list_tests()
            out['list'] = ui.ran[-1]
        except ValueError as e:
            out['list_error'] = str(e)
        fixture.list_file_name = listed_file
        if fixture.test_ids == []:
            out['run'] = fixture.cmd  # the original starts nothing for it
        else:
            fixture.run_tests()
            out['run'] = ui.ran[-1]
        fixture.cleanUp()
        command.cleanUp()
        out['ran'] = ui.ran
        return out
    finally:
        shutil.rmtree(here)


def main():
    if sys.argv[1:] == ['--quote']:
        print(json.dumps([shlex.quote(text) for text in json.load(sys.stdin)]))
        return
    for case in json.load(sys.stdin):
        print(json.dumps(build(case)))


if __name__ == '__main__':
    main()
