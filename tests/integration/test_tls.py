"""TLS: osprey-server --self-signed and every client through it.

One server with --self-signed (its own CA in DATA_DIR/tls/) serves the whole
module. Checked with real clients only: the AWS CLI v2 with --ca-bundle
(Kinesis and KVS; without the bundle it must fail on the certificate),
boto3 with verify=CA (SubscribeToShard's event stream, GetMedia's endless
MKV), osprey-agent over https:// and wss:// and ospreysink over https://
with their CA file, the agent with another server's CA (refused, nothing
stored, the spool kept), the osprey CLI, curl with HTTP/2 by ALPN, and plain
HTTP or garbage sent to the TLS port (refused; the server neither crashes
nor keeps the descriptors).
"""
import os
import re
import socket
import ssl
import subprocess
import time
import urllib.request

import boto3
import botocore.config
import botocore.exceptions
import pytest

import conftest
from conftest import AWS_CLI, Server, aws_env
from test_agent import AGENT_BIN, start_agent, stop_agent
from test_ospreysink import element_messages, gst_env, launch_args

CLI_BIN = os.environ.get("OSPREY_CLI_BIN", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin", "osprey"))

# Variables through which this machine points clients at its system CA
# bundle; a client that reads one would trust what the test says it must not.
CA_ENV = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class TlsServer(Server):
    """osprey-server --self-signed; endpoint https://, ca the CA to trust."""

    def __init__(self, data_dir, extra_args=()):
        self.ca = os.path.join(str(data_dir), "tls", "ca.pem")
        super().__init__(data_dir, ("--self-signed", *extra_args))

    def _wait_ready(self, timeout=15):
        self.endpoint = f"https://127.0.0.1:{self.port}"
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.stderr()}")
            try:
                context = ssl.create_default_context(cafile=self.ca)
                with urllib.request.urlopen(self.endpoint + "/healthz", timeout=1,
                                            context=context) as r:
                    if r.status == 200 and "listening on" in self.stdout():
                        return
            except (OSError, ssl.SSLError):
                pass
            time.sleep(0.05)
        raise RuntimeError("TLS server did not become ready: " + self.stderr())


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    s = TlsServer(tmp_path_factory.mktemp("tls") / "data")
    yield s
    assert s.alive(), "the server died during the module:\n" + s.stderr()[-3000:]
    s.stop()


def boto(server, service, verify, **config):
    ak, sk = server.credentials()
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=ak, aws_secret_access_key=sk, verify=verify,
                        config=botocore.config.Config(retries={"max_attempts": 1}, **config))


def aws(server, *args, ca=True):
    env = aws_env(*server.credentials())
    bundle = ["--ca-bundle", server.ca] if ca else []
    return subprocess.run([AWS_CLI, "--endpoint-url", server.endpoint, *bundle, "--output", "json",
                           *args], env=env, capture_output=True, text=True, timeout=60)


def list_fragments(server, stream):
    client = boto(server, "kinesis-video-archived-media", server.ca)
    return client.list_fragments(StreamName=stream, FragmentSelector={
        "FragmentSelectorType": "SERVER_TIMESTAMP",
        "TimestampRange": {"StartTimestamp": 0, "EndTimestamp": time.time() + 3600}})["Fragments"]


def wait_for_fragments(server, stream, n, timeout=30):
    deadline = time.time() + timeout
    frags = []
    while time.time() < deadline:
        frags = list_fragments(server, stream)
        if len(frags) >= n:
            break
        time.sleep(0.5)
    return frags


def wait_active(describe, key, status_key):
    for _ in range(200):
        if describe()[key][status_key] == "ACTIVE":
            return
        time.sleep(0.05)
    raise AssertionError("never became ACTIVE")


def make_other_ca(tmp_path):
    """A CA the server's certificate was not issued by."""
    key, cert = tmp_path / "other-ca-key.pem", tmp_path / "other-ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-subj", "/CN=Another CA", "-days", "2", "-addext",
                    "basicConstraints=critical,CA:TRUE"], check=True, capture_output=True)
    return str(cert)


# ---- the certificate files -------------------------------------------------

def test_self_signed_files_banner_and_reuse(tmp_path):
    data = tmp_path / "data"
    first = TlsServer(data, ("--tls-san", "osprey.test"))
    try:
        out = first.stdout()
        assert f"listening on https://127.0.0.1:{first.port}" in out, out
        assert first.ca in out and f"--ca-bundle {first.ca}" in out, out
        tls = data / "tls"
        for name in ("ca-key.pem", "server-key.pem"):
            assert (tls / name).stat().st_mode & 0o777 == 0o600, name
        sans = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in",
                               str(tls / "server.pem")], capture_output=True, text=True,
                              check=True).stdout
        for name in ("DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1",
                     "DNS:" + socket.gethostname(), "DNS:osprey.test"):
            assert name in sans, sans
        verify = subprocess.run(["openssl", "verify", "-CAfile", first.ca, "-purpose", "sslserver",
                                 str(tls / "server.pem")], capture_output=True, text=True)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        ca_bytes = (tls / "ca.pem").read_bytes()
        cert_bytes = (tls / "server.pem").read_bytes()
    finally:
        first.stop()
    # The second start reuses the CA and the certificate: clients keep trusting it.
    second = TlsServer(data, ("--tls-san", "osprey.test"))
    try:
        assert (tls / "ca.pem").read_bytes() == ca_bytes
        assert (tls / "server.pem").read_bytes() == cert_bytes
        assert "created a CA" not in second.stderr()
    finally:
        second.stop()


# ---- the AWS CLI and boto3 -------------------------------------------------

def test_aws_cli_with_ca_bundle_speaks_kinesis_and_kvs(tls_server):
    r = aws(tls_server, "kinesis", "create-stream", "--stream-name", "tls-records",
            "--shard-count", "1")
    assert r.returncode == 0, r.stderr
    for _ in range(100):
        r = aws(tls_server, "kinesis", "describe-stream-summary", "--stream-name", "tls-records")
        assert r.returncode == 0, r.stderr
        if '"ACTIVE"' in r.stdout:
            break
    r = aws(tls_server, "kinesis", "put-record", "--stream-name", "tls-records",
            "--partition-key", "p", "--data", "aGVsbG8gdGxz", "--cli-binary-format", "base64")
    assert r.returncode == 0, r.stderr
    r = aws(tls_server, "kinesis", "get-shard-iterator", "--stream-name", "tls-records",
            "--shard-id", "shardId-000000000000", "--shard-iterator-type", "TRIM_HORIZON")
    assert r.returncode == 0, r.stderr
    iterator = re.search(r'"ShardIterator": "([^"]+)"', r.stdout).group(1)
    r = aws(tls_server, "kinesis", "get-records", "--shard-iterator", iterator)
    assert r.returncode == 0, r.stderr
    assert '"Data": "aGVsbG8gdGxz"' in r.stdout, r.stdout

    r = aws(tls_server, "kinesisvideo", "create-stream", "--stream-name", "tls-video",
            "--data-retention-in-hours", "1")
    assert r.returncode == 0, r.stderr
    r = aws(tls_server, "kinesisvideo", "describe-stream", "--stream-name", "tls-video")
    assert r.returncode == 0 and '"StreamName": "tls-video"' in r.stdout, r.stderr
    r = aws(tls_server, "kinesisvideo", "get-data-endpoint", "--stream-name", "tls-video",
            "--api-name", "GET_MEDIA")
    assert r.returncode == 0, r.stderr
    assert f'"DataEndpoint": "https://127.0.0.1:{tls_server.port}"' in r.stdout, r.stdout


def test_aws_cli_without_the_ca_refuses_the_certificate(tls_server):
    r = aws(tls_server, "kinesis", "list-streams", ca=False)
    assert r.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in r.stderr, r.stderr


def test_boto3_verify_ca_and_subscribe_to_shard(tls_server):
    k = boto(tls_server, "kinesis", tls_server.ca)
    k.create_stream(StreamName="tls-fanout", ShardCount=1)
    wait_active(lambda: k.describe_stream_summary(StreamName="tls-fanout"),
                "StreamDescriptionSummary", "StreamStatus")
    arn = k.describe_stream_summary(StreamName="tls-fanout")["StreamDescriptionSummary"]["StreamARN"]
    consumer = k.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]["ConsumerARN"]
    wait_active(lambda: k.describe_stream_consumer(ConsumerARN=consumer), "ConsumerDescription",
                "ConsumerStatus")
    sent = [b"tls-%d" % i for i in range(3)]
    for d in sent:
        k.put_record(StreamName="tls-fanout", Data=d, PartitionKey="p")
    # SubscribeToShard: an event stream over one long TLS response.
    resp = k.subscribe_to_shard(ConsumerARN=consumer, ShardId="shardId-000000000000",
                                StartingPosition={"Type": "TRIM_HORIZON"})
    got = []
    for event in resp["EventStream"]:
        got += [r["Data"] for r in event["SubscribeToShardEvent"]["Records"]]
        if len(got) >= len(sent):
            break
    resp["EventStream"].close()
    assert got == sent

    # The same client trusting only the system store refuses the server.
    with pytest.raises(botocore.exceptions.SSLError):
        boto(tls_server, "kinesis", True).list_streams()


# ---- osprey-agent ----------------------------------------------------------

def run_agent(server, endpoint, stream, tmp_path, name, ca, seconds=6):
    log = tmp_path / f"{name}.log"
    agent = start_agent(endpoint, stream, tmp_path / f"{name}-spool", server.credentials(), log,
                        extra=("--ca-file", ca))
    time.sleep(seconds)
    return stop_agent(agent, log), log.read_text()


@pytest.mark.parametrize("scheme", ["https", "wss"])
def test_agent_uploads_over_tls(tls_server, tmp_path, scheme):
    stream = f"tls-agent-{scheme}"  # missing: the agent creates it over https
    endpoint = f"{scheme}://127.0.0.1:{tls_server.port}"
    stats, log = run_agent(tls_server, endpoint, stream, tmp_path, scheme, tls_server.ca)
    assert stats["drained"] == "true", log[-3000:]
    persisted = int(stats["spool_acked_seq"])
    assert persisted >= 3, log[-3000:]
    frags = wait_for_fragments(tls_server, stream, persisted)
    assert len(frags) == persisted, (len(frags), persisted)


def test_agent_with_another_ca_is_refused_and_keeps_its_spool(tls_server, tmp_path):
    other = make_other_ca(tmp_path)
    stream = "tls-agent-wrong-ca"
    for scheme in ("https", "wss"):
        log_path = tmp_path / f"{scheme}.log"
        agent = start_agent(f"{scheme}://127.0.0.1:{tls_server.port}", stream,
                            tmp_path / f"{scheme}-spool", tls_server.credentials(), log_path,
                            extra=("--ca-file", other, "--drain-ms", "1000"))
        time.sleep(5)
        stats = stop_agent(agent, log_path)
        log = log_path.read_text()
        assert int(stats["spool_acked_seq"]) == 0, log[-3000:]
        assert int(stats["spool_last_seq"]) >= 2, log[-3000:]  # recorded, kept
        assert stats["drained"] == "false", stats
        # wss:// too: its DescribeStream goes over https first, and fails so.
        assert (f"certificate verification failed for 127.0.0.1:{tls_server.port}: "
                f"self-signed certificate in certificate chain (CA file {other})") in log, log[-3000:]
        assert tls_server.alive()
    k = boto(tls_server, "kinesisvideo", tls_server.ca)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        k.describe_stream(StreamName=stream)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.skipif(os.environ.get("OSPREY_SKIP_GST") == "1",
                    reason="sanitizer build: the plugin cannot load into gst-launch-1.0")
def test_ospreysink_over_https_with_ca_file(tls_server, tmp_path):
    ak, sk = tls_server.credentials()
    args = launch_args("tls-sink", tls_server.endpoint, tmp_path / "spool",
                       [f"access-key={ak}", f"secret-key={sk}", "drain-ms=10000",
                        f"ca-file={tls_server.ca}"])
    run = subprocess.run(args, env=gst_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    drain = element_messages(run.stdout, "osprey-drain")
    assert drain and drain[-1]["drained"] == "true", run.stdout[-3000:]
    frags = wait_for_fragments(tls_server, "tls-sink", 10, timeout=15)
    assert 9 <= len(frags) <= 11, frags


# ---- osprey CLI, GetMedia, HTTP/2, plain HTTP --------------------------------

def osprey_cli(server, *args, env_extra=None):
    ak, sk = server.credentials()
    env = {k: v for k, v in os.environ.items() if k not in CA_ENV and not k.startswith("OSPREY_")}
    env.update({"AWS_ACCESS_KEY_ID": ak, "AWS_SECRET_ACCESS_KEY": sk, **(env_extra or {})})
    return subprocess.run([CLI_BIN, *args, "--endpoint", server.endpoint], env=env,
                          capture_output=True, text=True, timeout=30)


def test_osprey_cli_needs_the_ca_bundle(tls_server):
    boto(tls_server, "kinesisvideo", tls_server.ca).create_stream(StreamName="tls-cli",
                                                                   DataRetentionInHours=1)
    ok = osprey_cli(tls_server, "video", "list", "--ca-bundle", tls_server.ca)
    assert ok.returncode == 0, ok.stderr
    assert "tls-cli" in ok.stdout
    by_env = osprey_cli(tls_server, "video", "list", env_extra={"AWS_CA_BUNDLE": tls_server.ca})
    assert by_env.returncode == 0 and "tls-cli" in by_env.stdout, by_env.stderr
    refused = osprey_cli(tls_server, "video", "list")
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert lines[0].startswith(f"osprey: certificate verification failed for 127.0.0.1:"
                               f"{tls_server.port}: self-signed certificate"), lines[0]


def test_get_media_over_tls_returns_mkv(tls_server, tmp_path):
    stream = "tls-get-media"
    stats, log = run_agent(tls_server, f"https://127.0.0.1:{tls_server.port}", stream, tmp_path,
                           "gm", tls_server.ca, seconds=4)
    assert int(stats["spool_acked_seq"]) >= 2, log[-3000:]
    media = boto(tls_server, "kinesis-video-media", tls_server.ca, read_timeout=3)
    resp = media.get_media(StreamName=stream, StartSelector={"StartSelectorType": "EARLIEST"})
    fp = resp["Payload"]._raw_stream._fp
    data = b""
    try:
        while len(data) < 4 << 20:
            chunk = fp.read1(65536)
            if not chunk:
                break
            data += chunk
    except Exception:  # noqa: BLE001 (the read timeout ends the live tail)
        pass
    resp["Payload"].close()
    assert data[:4] == b"\x1a\x45\xdf\xa3", data[:16]
    path = tmp_path / "out.mkv"
    path.write_bytes(data)
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=format_name:stream=codec_name",
                            "-of", "csv=p=0", str(path)], capture_output=True, text=True)
    assert "h264" in probe.stdout and "matroska" in probe.stdout, probe.stdout + probe.stderr


def test_curl_gets_http2_by_alpn_and_http1_when_asked(tls_server):
    env = {k: v for k, v in os.environ.items() if k not in CA_ENV}
    for flag, version in (("--http2", "2"), ("--http1.1", "1.1")):
        r = subprocess.run(["curl", "-sS", flag, "--cacert", tls_server.ca, "-o", "/dev/null",
                            "-w", "%{http_version} %{http_code}", tls_server.endpoint + "/healthz"],
                           capture_output=True, text=True, env=env, timeout=20)
        assert r.stdout == f"{version} 200", r.stdout + r.stderr
    r = subprocess.run(["curl", "-sS", "--http2", tls_server.endpoint + "/healthz"],
                       capture_output=True, text=True, env=env, timeout=20)
    assert r.returncode == 60, r.stderr  # curl: peer certificate cannot be authenticated


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_plain_http_and_garbage_on_the_tls_port_are_refused(tls_server):
    before = open_fds(tls_server.proc.pid)
    for payload in (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b"\x00" * 64, b""):
        for _ in range(20):
            with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as s:
                if payload:
                    s.sendall(payload)
                else:
                    s.shutdown(socket.SHUT_WR)
                reply = s.recv(4096)
                assert b"HTTP/1.1 200" not in reply, reply
    # Handshakes that fail verification on the client side, too.
    wrong = ssl.create_default_context()
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as raw:
            with pytest.raises(ssl.SSLCertVerificationError):
                wrong.wrap_socket(raw, server_hostname="127.0.0.1")
    deadline = time.time() + 5
    while open_fds(tls_server.proc.pid) > before and time.time() < deadline:
        time.sleep(0.1)
    assert open_fds(tls_server.proc.pid) <= before, "descriptors leaked"
    assert tls_server.alive()
    context = ssl.create_default_context(cafile=tls_server.ca)
    with urllib.request.urlopen(tls_server.endpoint + "/healthz", context=context, timeout=5) as r:
        assert r.status == 200


def test_unusable_certificate_files_stop_the_server(tls_server, tmp_path):
    other_ca = make_other_ca(tmp_path)
    cert = os.path.join(tls_server.data_dir, "tls", "server.pem")
    cases = [
        ([cert, str(tmp_path / "missing.pem")],
         f'tls_key: cannot read "{tmp_path / "missing.pem"}": No such file or directory'),
        ([cert, str(tmp_path / "other-ca-key.pem")],
         f'tls_key: cannot use "{tmp_path / "other-ca-key.pem"}": key values mismatch'),
        ([other_ca + "x", cert], f'tls_cert: cannot read "{other_ca}x": No such file or directory'),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSPREY_")}
    for (c, k), message in cases:
        run = subprocess.run([conftest.SERVER_BIN, "--listen", "127.0.0.1:0", "--data-dir",
                              str(tmp_path / "data"), "--tls-cert", c, "--tls-key", k],
                             capture_output=True, text=True, timeout=30, env=env)
        assert run.returncode == 1, run.stderr
        assert f"osprey-server: {message}\n" in run.stderr, run.stderr
    half = subprocess.run([conftest.SERVER_BIN, "--tls-cert", cert], capture_output=True,
                          text=True, timeout=30, env=env)
    assert half.returncode == 2
    assert "--tls-cert: tls_cert and tls_key must be given together" in half.stderr
