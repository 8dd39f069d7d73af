"""osprey-agent and ospreysink over the WebSocket uplink (issue 4 item 4).

The agent uploads to the real osprey-server's GET /ws/putMedia through
libwebsockets: SigV4-signed upgrade, MKV in binary messages, acks as text
messages, a fragment leaves the spool only on PERSISTED. Checked with
ListFragments (boto3), GetMedia decoded by ffprobe, a server SIGKILLed and
restarted mid-stream, a wrong secret key (the server's 403), ospreysink with
uplink=websocket, and wss:// through a local nginx TLS terminator with a
self-signed certificate made by openssl.
"""
import os
import shutil
import signal
import socket
import subprocess
import time

import boto3
import botocore.config
import pytest

import conftest
from conftest import Server
from test_agent import AGENT_BIN, start_agent, stop_agent, wait_for_fragments
from test_ospreysink import element_messages, gst_env, launch_args


def ws_endpoint(server):
    return server.endpoint.replace("http://", "ws://")


def server_on_port(port, data_dir):
    """A Server on a given port (to restart one where the agent expects it)."""
    original = conftest.free_port
    conftest.free_port = lambda: port
    try:
        return Server(data_dir)
    finally:
        conftest.free_port = original


def get_media(server, stream, path, read_timeout=4):
    """GetMedia from EARLIEST, read until the live tail idles; written to path."""
    ak, sk = server.credentials()
    media = boto3.client(
        "kinesis-video-media", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=ak, aws_secret_access_key=sk,
        config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=read_timeout))
    resp = media.get_media(StreamName=stream, StartSelector={"StartSelectorType": "EARLIEST"})
    body = resp["Payload"]
    # read1 returns what has arrived (StreamingBody.read(n) waits for n bytes,
    # and the timeout would swallow the tail).
    fp = body._raw_stream._fp
    data = b""
    try:
        while True:
            chunk = fp.read1(65536)
            if not chunk:
                break
            data += chunk
    except Exception:  # noqa: BLE001 (read timeout: the live tail has nothing more)
        pass
    finally:
        body.close()
    path.write_bytes(data)
    return data


def check_stored(frags, persisted):
    assert len(frags) == persisted, f"{len(frags)} listed, agent persisted {persisted}"
    producer = [f["ProducerTimestamp"] for f in frags]
    assert len(set(producer)) == len(producer), "a fragment was stored twice"
    by_number = sorted(frags, key=lambda f: int(f["FragmentNumber"]))
    ts = [f["ProducerTimestamp"] for f in by_number]
    assert ts == sorted(ts), "fragments not stored in order"
    lengths = [f["FragmentLengthInMilliseconds"] for f in by_number]
    assert sum(1 for l in lengths if not 900 <= l <= 1200) <= 1, lengths


def test_ws_testsrc_lands_in_list_fragments_and_decodes(server, tmp_path):
    log_path = tmp_path / "agent.log"
    agent = start_agent(ws_endpoint(server), "ws-cam", tmp_path / "spool", server.credentials(),
                        log_path)
    time.sleep(10)
    stats = stop_agent(agent, log_path)
    log = log_path.read_text()
    assert "uplink=websocket" in log, log[-2000:]
    assert stats["drained"] == "true", stats
    persisted = int(stats["spool_acked_seq"])
    assert persisted >= 7, stats
    assert int(stats["spool_last_seq"]) == persisted, stats
    frags = wait_for_fragments(server, "ws-cam", persisted)
    check_stored(frags, persisted)

    mkv = tmp_path / "media.mkv"
    data = get_media(server, "ws-cam", mkv)
    # One AWS_KINESISVIDEO_FRAGMENT_NUMBER tag per fragment GetMedia sent.
    assert data.count(b"AWS_KINESISVIDEO_FRAGMENT_NUMBER") == persisted
    for f in frags:
        assert f["FragmentNumber"].encode() in data, f["FragmentNumber"]
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", str(mkv)],
        capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    codec, width, height, frames = probe.stdout.strip().splitlines()[0].split(",")
    assert (codec, width, height) == ("h264", "320", "240"), probe.stdout
    # ffprobe reads the first fragment's Segment: 1 s at 15 fps.
    assert int(frames) >= 14, probe.stdout


def test_ws_server_killed_and_restarted_mid_stream_loses_nothing(tmp_path):
    first = Server(tmp_path / "data")
    port = first.port
    log_path = tmp_path / "agent.log"
    agent = start_agent(ws_endpoint(first), "ws-restart", tmp_path / "spool", first.credentials(),
                        log_path)
    server = first
    try:
        time.sleep(5)
        os.kill(first.proc.pid, signal.SIGKILL)  # no goodbye: acks in flight are lost
        first.proc.wait()
        time.sleep(3)  # the agent keeps recording, its connects are refused
        assert agent.poll() is None, log_path.read_text()[-3000:]
        server = server_on_port(port, tmp_path / "data")
        time.sleep(7)  # backlog of the outage plus live fragments
        stats = stop_agent(agent, log_path)
    except BaseException:
        if agent.poll() is None:
            agent.kill()
        server.stop()
        raise
    try:
        log = log_path.read_text()
        assert "upload interrupted, retrying" in log, log[-3000:]
        assert stats["drained"] == "true", stats
        assert int(stats["sessions"]) >= 2, stats
        persisted = int(stats["spool_acked_seq"])
        assert persisted >= 12, stats
        frags = wait_for_fragments(server, "ws-restart", persisted)
        producer = [f["ProducerTimestamp"] for f in frags]
        distinct = set(producer)
        # No loss: every fragment the agent recorded is stored.
        assert len(distinct) == persisted, (len(distinct), persisted)
        # A fragment whose PERSISTED was lost with the kill is sent again;
        # until the server deduplicates, that can store it twice.
        duplicates = len(producer) - len(distinct)
        print(f"ws restart: {persisted} fragments, {duplicates} duplicate(s) by producer timestamp")
        assert duplicates <= 2, duplicates
    finally:
        server.stop()


def test_ws_bad_secret_key_reports_the_403(server, tmp_path):
    """ws:// has a control endpoint (same host over http), so the 403 comes
    from DescribeStream before any upgrade; the upgrade's own 403 is in the
    wss test below (no control endpoint there)."""
    ak, _ = server.credentials()
    log_path = tmp_path / "agent.log"
    agent = start_agent(ws_endpoint(server), "ws-badkey", tmp_path / "spool",
                        (ak, "not-the-secret-key"), log_path, extra=["--drain-ms", "500"])
    time.sleep(4)
    stats = stop_agent(agent, log_path)
    log = log_path.read_text()
    errors = [l for l in log.splitlines()
              if "level=error" in l and 'msg="the server refused the credentials"' in l]
    assert errors, log[-3000:]
    assert "HTTP 403" in errors[0] and "PermissionDenied" in errors[0], errors[0]
    # Backoff, not a busy loop: 200 ms doubling, so a handful in 4 s.
    assert 2 <= len(errors) <= 8, len(errors)
    assert stats["drained"] == "false" and stats["persisted"] == "0", stats
    assert int(stats["spool_last_seq"]) >= 2, stats  # still recording into the spool
    assert stats["spool_acked_seq"] == "0", stats


def test_agent_rejects_a_bad_uplink_flag(tmp_path):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b")
    for flags, why in [(["--uplink", "carrier-pigeon"], "uplink must be http, ws or auto"),
                       (["--endpoint", "ftp://127.0.0.1:1"], "endpoint must start with")]:
        args = [AGENT_BIN, "--endpoint", "ws://127.0.0.1:1", "--stream", "s", "--source",
                "testsrc", "--spool-dir", str(tmp_path / "spool"), *flags]
        run = subprocess.run(args, capture_output=True, text=True, timeout=30, env=env)
        assert run.returncode == 2, (flags, run.stderr)
        assert why in run.stderr, (flags, run.stderr)


@pytest.mark.skipif(os.environ.get("OSPREY_SKIP_GST") == "1",
                    reason="sanitizer build: the plugin cannot load into gst-launch-1.0")
def test_ospreysink_websocket_uplink_stores_fragments(server, tmp_path):
    ak, sk = server.credentials()
    args = launch_args("ws-sink", ws_endpoint(server), tmp_path / "spool",
                       [f"access-key={ak}", f"secret-key={sk}", "drain-ms=10000",
                        "uplink=websocket"])
    run = subprocess.run(args, env=gst_env(tmp_path), capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    drain = element_messages(run.stdout, "osprey-drain")
    assert drain and drain[-1]["drained"] == "true", run.stdout[-3000:]
    frags = wait_for_fragments(server, "ws-sink", 10, timeout=15)
    assert 9 <= len(frags) <= 11, frags
    check_stored(frags, len(frags))


def write_nginx_conf(tmp_path, listen_port, upstream_port, cert, key):
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""
daemon off;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp_path}/nginx-body;
  proxy_temp_path {tmp_path}/nginx-proxy;
  fastcgi_temp_path {tmp_path}/nginx-fastcgi;
  uwsgi_temp_path {tmp_path}/nginx-uwsgi;
  scgi_temp_path {tmp_path}/nginx-scgi;
  server {{
    listen 127.0.0.1:{listen_port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://127.0.0.1:{upstream_port};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 300s;
    }}
  }}
}}
""")
    return conf


@pytest.mark.skipif(not shutil.which("nginx") or not shutil.which("openssl"),
                    reason="needs nginx and openssl")
def test_wss_through_a_local_tls_terminator(server, tmp_path):
    """wss:// with a CA file: nginx terminates TLS (self-signed cert for
    127.0.0.1) and proxies the WebSocket to the server. Host is passed
    through unchanged, so the SigV4 signature over it still verifies."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    gen = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)], capture_output=True, text=True, timeout=60)
    assert gen.returncode == 0, gen.stderr
    tls_port = conftest.free_port()
    conf = write_nginx_conf(tmp_path, tls_port, server.port, cert, key)
    nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", tls_port), timeout=1).close()
                break
            except OSError:
                assert nginx.poll() is None, nginx.stderr.read().decode()
                time.sleep(0.1)
        endpoint = f"wss://127.0.0.1:{tls_port}"
        # Untrusted without the CA file: the TLS handshake fails, nothing stored.
        log_path = tmp_path / "agent-untrusted.log"
        agent = start_agent(endpoint, "wss-cam", tmp_path / "spool-untrusted",
                            server.credentials(), log_path,
                            extra=["--drain-ms", "500",
                                   "--control-endpoint", server.endpoint])
        time.sleep(3)
        stats = stop_agent(agent, log_path)
        assert stats["persisted"] == "0", stats
        log = log_path.read_text()
        assert "TLS handshake failed" in log, log[-3000:]

        # A wrong secret: refused with 403 (through nginx) at the first call,
        # the DescribeStream that wss:// now sends over https:// first.
        log_path = tmp_path / "agent-badkey.log"
        agent = start_agent(endpoint, "wss-cam", tmp_path / "spool-badkey",
                            (server.credentials()[0], "wrong-secret"), log_path,
                            extra=["--drain-ms", "500", "--ca-file", str(cert)])
        time.sleep(3)
        stats = stop_agent(agent, log_path)
        assert stats["persisted"] == "0", stats
        log = log_path.read_text()
        assert "PermissionDenied: DescribeStream: HTTP 403" in log, log[-3000:]
        assert "the server refused the credentials" in log, log[-3000:]

        log_path = tmp_path / "agent.log"
        agent = start_agent(endpoint, "wss-cam", tmp_path / "spool", server.credentials(),
                            log_path, extra=["--ca-file", str(cert),
                                             "--control-endpoint", server.endpoint])
        time.sleep(6)
        stats = stop_agent(agent, log_path)
        assert stats["drained"] == "true", (stats, log_path.read_text()[-3000:])
        persisted = int(stats["spool_acked_seq"])
        assert persisted >= 4, stats
        check_stored(wait_for_fragments(server, "wss-cam", persisted), persisted)
    finally:
        nginx.send_signal(signal.SIGTERM)
        try:
            nginx.wait(10)
        except subprocess.TimeoutExpired:
            nginx.kill()
            nginx.wait()

