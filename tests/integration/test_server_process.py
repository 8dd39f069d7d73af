"""The osprey-server process: first start, configuration sources, shutdown,
metrics and logs."""
import os
import signal
import stat
import subprocess
import time
import urllib.request

from conftest import SERVER_BIN, Server, free_port, status_and_body


def run_once(args, env=None, timeout=10):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OSPREY_")}
    full_env.update(env or {})
    return subprocess.run([SERVER_BIN, *args], capture_output=True, text=True, env=full_env,
                          timeout=timeout)


def post(server, target, body=b"{}"):
    return status_and_body(urllib.request.Request(
        server.endpoint + "/", data=body, method="POST",
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}))


def test_first_start_creates_private_credentials_and_says_how_to_use_them(tmp_path):
    data = tmp_path / "data"
    s = Server(data)
    try:
        path = data / "credentials.toml"
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode == 0o600, oct(mode)
        ak, sk = s.credentials()
        out = s.stdout()
        assert f"AWS_ACCESS_KEY_ID={ak}" in out
        assert f"AWS_SECRET_ACCESS_KEY={sk}" in out
        assert s.endpoint in out
    finally:
        assert s.stop() == 0
    again = Server(data)
    try:
        assert again.credentials() == (ak, sk)
        assert sk not in again.stdout()  # printed once, on creation only
        assert str(path) in again.stdout() or "credentials.toml" in again.stdout()
    finally:
        again.stop()


def test_sigterm_stops_the_server_cleanly(server):
    start = time.monotonic()
    os.kill(server.proc.pid, signal.SIGTERM)
    assert server.proc.wait(10) == 0
    assert time.monotonic() - start < 5
    assert "shutting down" in server.stderr()


def test_unknown_flag_is_rejected():
    r = run_once(["--listn", "127.0.0.1:1"])
    assert r.returncode == 2, r
    assert "--listn" in r.stderr


def test_unknown_config_key_is_rejected_with_its_line(tmp_path):
    conf = tmp_path / "osprey.toml"
    conf.write_text('data_dir = "x"\nlistn = "127.0.0.1:1"\n')
    r = run_once(["--config", str(conf)])
    assert r.returncode == 2
    assert f'{conf}:2' in r.stderr and "listn" in r.stderr, r.stderr


def test_unknown_environment_variable_is_rejected():
    r = run_once([], env={"OSPREY_LISTN": "127.0.0.1:1"})
    assert r.returncode == 2
    assert "OSPREY_LISTN" in r.stderr


def test_flags_beat_environment_beat_file(tmp_path):
    file_port, env_port, flag_port = free_port(), free_port(), free_port()
    conf = tmp_path / "osprey.toml"
    conf.write_text(f'listen = "127.0.0.1:{file_port}"\ndata_dir = "{tmp_path}/d"\n')

    def answers(port):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return True
        except OSError:
            return False

    def start(args, env):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("OSPREY_")}
        full_env.update(env)
        return subprocess.Popen([SERVER_BIN, "--config", str(conf), *args], env=full_env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    cases = [
        ([], {}, file_port),
        ([], {"OSPREY_LISTEN": f"127.0.0.1:{env_port}"}, env_port),
        (["--listen", f"127.0.0.1:{flag_port}"], {"OSPREY_LISTEN": f"127.0.0.1:{env_port}"},
         flag_port),
    ]
    for args, env, expected in cases:
        p = start(args, env)
        try:
            deadline = time.time() + 10
            while not answers(expected) and time.time() < deadline:
                assert p.poll() is None, "server exited"
                time.sleep(0.05)
            assert answers(expected)
            for other in {file_port, env_port, flag_port} - {expected}:
                assert not answers(other)
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(10)


def test_auth_none_is_refused_off_loopback(tmp_path):
    r = run_once(["--auth", "none", "--listen", f"0.0.0.0:{free_port()}",
                  "--data-dir", str(tmp_path / "d")])
    assert r.returncode == 2
    assert "loopback" in r.stderr


def test_auth_none_on_loopback_serves_unsigned_requests(server_factory):
    s = server_factory(["--auth", "none"])
    status, headers, body = post(s, "Kinesis_20131202.ListStreams")
    assert headers["x-amzn-ErrorType"] != "MissingAuthenticationTokenException", body
    assert status in (200, 400)


def test_metrics_count_requests_by_api_and_status(server):
    for _ in range(3):
        post(server, "Kinesis_20131202.ListStreams")
    # Unsigned: MissingAuthenticationTokenException, 400 on the JSON APIs.
    want = 'osprey_http_requests_total{api="ListStreams",status="400"} 3'
    # A request is counted when its answer has been written, which can be a
    # moment after the client has read it.
    for _ in range(100):
        with urllib.request.urlopen(server.endpoint + "/metrics", timeout=5) as r:
            assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = r.read().decode()
        if want in text:
            break
        time.sleep(0.02)
    assert want in text, text
    assert "# TYPE osprey_http_request_duration_seconds histogram" in text
    assert "osprey_http_received_bytes_total" in text


def test_logs_are_logfmt_with_a_level_flag(server_factory):
    s = server_factory(["--log-level", "debug"])
    post(s, "Kinesis_20131202.ListStreams")
    time.sleep(0.2)
    lines = [l for l in s.stderr().splitlines() if l]
    assert lines and all(l.startswith("ts=") and " level=" in l for l in lines), lines[:5]
    assert any("level=debug" in l for l in lines)
    quiet = server_factory(["--log-level", "error"])
    post(quiet, "Kinesis_20131202.ListStreams")
    assert "level=info" not in quiet.stderr()
