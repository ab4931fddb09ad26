"""What a consumer of the public adapters dependency (testr_adapters_dep, the
one `dependency('testr-adapters')` gives a meson subproject user) can
include: the public headers of adapters/ and the core, never the adapters'
private headers (internal/).

The consumer is tests/consumer/adapters_main.cpp built in this tree against
that dependency (the `public_adapters_consumer` target); its compile command
is taken from compile_commands.json, so the include path checked is the
one meson really passes. Two checks on it: every header reachable under its
include directories (inside this tree) is a public one; and compiling
`#include "<private header>"` with it fails, while the same command
including a public header compiles (so the failure is the missing header,
not a broken command).
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ["TESTR_SOURCE_ROOT"]
BUILD = os.environ["TESTR_BUILD_ROOT"]
PRIVATE_DIR = os.path.join(SOURCE, "internal")
PRIVATE = sorted(h for h in os.listdir(PRIVATE_DIR) if h.endswith(".hpp"))
PUBLIC = sorted(h for h in os.listdir(os.path.join(SOURCE, "adapters")) if h.endswith(".hpp"))


def consumer_command():
    """(directory, argv) of the public consumer's compile command."""
    with open(os.path.join(BUILD, "compile_commands.json")) as f:
        entries = json.load(f)
    for e in entries:
        if e["file"].endswith("consumer/adapters_main.cpp") and "public_adapters_consumer" in e.get("output", e["command"]):
            return e["directory"], shlex.split(e["command"])
    raise AssertionError("no compile command for public_adapters_consumer in compile_commands.json")


def include_dirs(directory, argv):
    dirs = []
    for i, a in enumerate(argv):
        if a in ("-I", "-isystem", "-iquote") and i + 1 < len(argv):
            dirs.append(argv[i + 1])
        elif a.startswith("-I"):
            dirs.append(a[2:])
    return [os.path.realpath(os.path.join(directory, d)) for d in dirs]


def compile_only(directory, argv, text):
    """The consumer's command on a one-line source: -fsyntax-only, no output or depfile."""
    with tempfile.NamedTemporaryFile("w", suffix=".cpp", delete=False) as f:
        f.write(text)
    try:
        cmd, skip = [], False
        for a in argv:
            if skip or a in ("-c", "-MD", "-MMD") or a.endswith("adapters_main.cpp"):
                skip = False
            elif a in ("-o", "-MF", "-MQ", "-MT"):
                skip = True  # and the argument after it
            else:
                cmd.append(a)
        return subprocess.run(cmd + ["-fsyntax-only", f.name], cwd=directory, capture_output=True, text=True)
    finally:
        os.unlink(f.name)


class PublicAdaptersDependency(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory, cls.argv = consumer_command()
        cls.dirs = include_dirs(cls.directory, cls.argv)

    def test_the_private_headers_exist(self):
        # Otherwise the checks below would pass on nothing.
        self.assertIn("subunit_wire.hpp", PRIVATE)
        self.assertIn("subunit_v2.hpp", PUBLIC)
        self.assertTrue(any(d == os.path.realpath(os.path.join(SOURCE, "adapters")) for d in self.dirs), self.dirs)

    def test_no_private_header_is_under_its_include_path(self):
        tree = (os.path.realpath(SOURCE) + os.sep, os.path.realpath(BUILD) + os.sep)
        private = os.path.realpath(PRIVATE_DIR)
        for d in self.dirs:
            if not (d + os.sep).startswith(tree):
                continue  # system and dependency directories
            self.assertFalse((d + os.sep).startswith(private + os.sep), "internal/ on the consumer's path: " + d)
            for root, subdirs, files in os.walk(d):
                subdirs[:] = [s for s in subdirs if not s.endswith(".p")]  # meson's object directories
                for name in files:
                    path = os.path.realpath(os.path.join(root, name))
                    self.assertFalse(path.startswith(private + os.sep), path + " reachable from " + d)
                    self.assertFalse(name in PRIVATE and name not in PUBLIC, path + " reachable from " + d)

    def test_including_a_private_header_does_not_compile(self):
        ok = compile_only(self.directory, self.argv, '#include "subunit_v2.hpp"\n#include "timesdb.hpp"\n')
        self.assertEqual(ok.returncode, 0, ok.stderr)
        for header in PRIVATE:
            with self.subTest(header=header):
                r = compile_only(self.directory, self.argv, '#include "%s"\n' % header)
                self.assertNotEqual(r.returncode, 0, header + " compiled for a public consumer")
                self.assertIn(header, r.stderr)
                self.assertIn("No such file", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
