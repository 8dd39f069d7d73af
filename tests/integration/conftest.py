"""Fixtures that run the real osprey-server on 127.0.0.1 with a free port.

Each server gets its own data directory under pytest's tmp_path and is stopped
by PID (SIGTERM, then SIGKILL if it does not exit) when the test ends.
"""
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

SERVER_BIN = os.environ.get("OSPREY_SERVER_BIN", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin", "osprey-server"))
AWS_CLI = "/usr/bin/aws"  # Debian's awscli v2; an older v1 may come first on PATH


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir, extra_args=(), env=None):
        self.port = free_port()
        self.data_dir = str(data_dir)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        logs = os.path.dirname(os.path.abspath(self.data_dir))
        os.makedirs(logs, exist_ok=True)
        self.stdout_path = os.path.join(logs, f"server-{self.port}.out")
        self.stderr_path = os.path.join(logs, f"server-{self.port}.err")
        args = [SERVER_BIN, "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir,
                *extra_args]
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("OSPREY_")}
        full_env.update(env or {})
        self.proc = subprocess.Popen(args, stdout=open(self.stdout_path, "w"),
                                     stderr=open(self.stderr_path, "w"), env=full_env)
        self._wait_ready()

    def _wait_ready(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.stderr()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/healthz", timeout=1) as r:
                    # The banner is printed just after the listener opens.
                    if r.status == 200 and "listening on" in self.stdout():
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not become ready: " + self.stderr())

    def stdout(self):
        with open(self.stdout_path) as f:
            return f.read()

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def credentials(self):
        text = open(os.path.join(self.data_dir, "credentials.toml")).read()
        ak = re.search(r'access_key_id\s*=\s*"([^"]+)"', text).group(1)
        sk = re.search(r'secret_access_key\s*=\s*"([^"]+)"', text).group(1)
        return ak, sk

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def server_factory(tmp_path):
    servers = []

    def make(extra_args=(), env=None, name="data"):
        data = tmp_path / f"{name}-{len(servers)}"
        s = Server(data, extra_args, env)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()


@pytest.fixture
def server(server_factory):
    return server_factory()


def aws_env(access_key, secret_key, region="us-east-1"):
    """An environment in which the AWS CLI sees only these credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
    })
    return env


def status_and_body(request):
    """Sends a urllib request; returns (status, headers, body text), errors included."""
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()
