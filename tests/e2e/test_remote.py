"""Remote workers from one controller, through the CLI, against a real
remote shell: an OpenSSH server started here on 127.0.0.1 (a generated
host key and client key, a free port), and .testr.conf's instance hooks
running examples/remote/ssh-instance (docs/remote.md).

sshd runs as the user running the test. As root it needs its privilege
separation directory /run/sshd, made here when missing. Run with Debian's
/usr/bin/python3; needs openssh-server and openssh-client.
"""
import getpass
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import PY, FAKE_RUNNER, Project, read_stream, summary_counts, wait_for  # noqa: E402

SSHD = "/usr/sbin/sshd"
SRC = os.environ.get("TESTR_SOURCE_ROOT", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SSH_INSTANCE = os.path.abspath(os.path.join(SRC, "examples", "remote", "ssh-instance"))
FAILED = 1


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SshServer:
    """sshd on 127.0.0.1, and an ssh_config naming it `testr-remote`."""

    def __init__(self, testcase):
        if not os.access(SSHD, os.X_OK) or not shutil.which("ssh"):
            raise unittest.SkipTest("openssh-server / openssh-client not installed (scripts/lib.sh BASE_PACKAGES)")
        self.dir = tempfile.mkdtemp(prefix="testr-mini-sshd-")
        testcase.addCleanup(shutil.rmtree, self.dir, True)
        d = self.dir
        for key in ("host_key", "client_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(d, key)], check=True)
        shutil.copy(os.path.join(d, "client_key.pub"), os.path.join(d, "authorized_keys"))
        os.chmod(os.path.join(d, "authorized_keys"), 0o600)
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self.port = free_port()
        with open(os.path.join(d, "sshd_config"), "w") as f:
            f.write("ListenAddress 127.0.0.1\nHostKey %s/host_key\nAuthorizedKeysFile %s/authorized_keys\n"
                    "PidFile %s/sshd.pid\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                    "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nLogLevel VERBOSE\n" % (d, d, d))
        self.log = os.path.join(d, "sshd.log")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", os.path.join(d, "sshd_config"), "-p", str(self.port)],
                                         stdout=subprocess.DEVNULL, stderr=log)
        testcase.addCleanup(self.stop)
        self.config = os.path.join(d, "ssh_config")
        with open(self.config, "w") as f:
            f.write("Host testr-remote\n  HostName 127.0.0.1\n  Port %d\n  User %s\n  IdentityFile %s/client_key\n"
                    "  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n"
                    "  BatchMode yes\n  LogLevel ERROR\n" % (self.port, getpass.getuser(), d))
        self.ssh = "ssh -F %s" % self.config
        if not wait_for(lambda: "Server listening" in self.read_log() or self.proc.poll() is not None, 20):
            raise AssertionError("sshd did not start:\n" + self.read_log())
        if self.proc.poll() is not None:
            raise AssertionError("sshd exited %d:\n%s" % (self.proc.returncode, self.read_log()))

    def read_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


SUITE = [("pkg.r.R.t%d" % i, "fail" if i == 3 else "pass", 0.05) for i in range(8)]


class RemoteWorkers(unittest.TestCase):
    def setUp(self):
        self.sshd = SshServer(self)
        self.base = tempfile.mkdtemp(prefix="testr-mini-remote-")  # where the "remote" instances live
        self.addCleanup(shutil.rmtree, self.base, True)

    def project(self, evidence):
        p = Project(self)
        p.fake(SUITE)
        # Each runner notes where it runs and over which connection, through
        # a command with shell quoting the second shell must keep.
        p.write(".testr.conf",
                "[DEFAULT]\n"
                "test_command=sh -c 'echo \"$PWD $SSH_CONNECTION\" >> %s; exec \"$0\" \"$@\"' %s %s spec.json "
                "$LISTOPT $IDOPTION\n"
                "test_id_option=--load-list $IDFILE\n"
                "test_list_option=--list\n"
                "instance_provision=%s provision $INSTANCE_COUNT testr-remote %s\n"
                "instance_execute=%s execute $INSTANCE_ID --files $FILES -- $COMMAND\n"
                "instance_dispose=%s dispose $INSTANCE_IDS\n"
                % (evidence, PY, FAKE_RUNNER, SSH_INSTANCE, self.base, SSH_INSTANCE, SSH_INSTANCE))
        p.out("init")
        return p

    def test_parallel_run_over_ssh_provisions_executes_and_disposes(self):
        evidence = os.path.join(self.base, "evidence.log")
        p = self.project(evidence)
        out = p.out("run", "--parallel", "--concurrency", "2", rc=FAILED, env={"TESTR_SSH": self.sshd.ssh})
        self.assertEqual(summary_counts(out), (8, 1, 0, "FAILED"))
        stored = read_stream(p.run("last", "--subunit", check_rc=0).stdout)
        self.assertEqual(stored.status_of, {t: ("fail" if o == "fail" else "success") for t, o, _ in SUITE})
        # Every runner (the listing and two workers) ran in an instance
        # directory under the base, over an ssh connection from 127.0.0.1.
        with open(evidence) as f:
            lines = [line.split() for line in f.read().splitlines()]
        self.assertGreaterEqual(len(lines), 3, lines)
        for fields in lines:
            self.assertRegex(fields[0], "^%s/testr-instance\\.\\w{6}$" % re.escape(self.base))
            self.assertEqual((fields[1], fields[4]), ("127.0.0.1", str(self.sshd.port)), fields)
        self.assertEqual(len({fields[0] for fields in lines}), 2)  # one instance per worker slot
        # The runners worked in their copies, not in the project.
        self.assertFalse(os.path.exists(p.path("ran.log")))
        # Disposed: no instance left on the "remote" machine.
        self.assertEqual([n for n in os.listdir(self.base) if n.startswith("testr-instance.")], [])
        self.assertIn("Accepted publickey for %s from 127.0.0.1" % getpass.getuser(), self.sshd.read_log())

    def test_a_provision_that_fails_is_reported_and_nothing_runs(self):
        evidence = os.path.join(self.base, "evidence.log")
        p = self.project(evidence)
        # The wrong port: every ssh call is refused.
        r = p.run("run", "--parallel", "--concurrency", "2",
                  env={"TESTR_SSH": self.sshd.ssh + " -o Port=1"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("instance_provision", r.stderr.decode())
        self.assertFalse(os.path.exists(evidence))


if __name__ == "__main__":
    unittest.main(verbosity=2)
