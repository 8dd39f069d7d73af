"""Access keys with policies, per-key rate limits and the audit log, end to
end: one osprey-server whose credentials.toml holds an admin key (no
policy), a camera key for one stream, a viewer key, a key whose Deny
overrides its Allow and a rate-limited key; real clients (AWS CLI v2,
boto3, PutMedia over a raw socket signed by botocore) call it.

Every refusal is checked as AccessDeniedException (the code botocore and
the CLI see, and the HTTP status: 403 for KVS, 400 for Kinesis and
Firehose), and the data is checked unchanged afterwards. docs/security.md
"Access keys and policies" describes the behaviour.
"""
import base64
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import boto3
import botocore.config
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import AWS_CLI, Server, aws_env
from kvs_media import split_chunks
from test_put_media import Upload, count, errors, gst_h264_mkv, relative_headers

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ROLE = "arn:aws:iam::000000000000:role/firehose"
KEYS = {name: (name, SECRET)
        for name in ("ADMIN", "CAMERA", "VIEWER", "KEEPER", "FIREHOSE", "SLOW")}

CREDENTIALS = f"""
[[keys]]
access_key_id = "ADMIN"
secret_access_key = "{SECRET}"

[[keys]]
access_key_id = "CAMERA"
secret_access_key = "{SECRET}"
role = "camera"
streams = ["front-door"]

[[keys]]
access_key_id = "VIEWER"
secret_access_key = "{SECRET}"
role = "viewer"

# Everything on Kinesis data streams, except deleting the keep-* ones.
[[keys]]
access_key_id = "KEEPER"
secret_access_key = "{SECRET}"
[[keys.statement]]
effect = "Allow"
action = "kinesis:*"
resource = "*"
[[keys.statement]]
effect = "Deny"
action = ["kinesis:DeleteStream"]
resource = "arn:aws:kinesis:*:*:stream/keep-*"

# Firehose only: may not make a delivery stream read a Kinesis stream.
[[keys]]
access_key_id = "FIREHOSE"
secret_access_key = "{SECRET}"
[[keys.statement]]
effect = "Allow"
action = "firehose:*"
resource = "*"

[[keys]]
access_key_id = "SLOW"
secret_access_key = "{SECRET}"
requests_per_second = 5
burst = 5
"""

NO_RETRY = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})


class KeyedServer:
    """The server as seen with one key (what test_put_media's Upload needs)."""

    def __init__(self, server, key):
        self.port, self.endpoint, self.key = server.port, server.endpoint, key

    def credentials(self):
        return self.key


def client(server, service, key):
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=key[0], aws_secret_access_key=key[1], config=NO_RETRY)


def cli(server, key, *args):
    return subprocess.run([AWS_CLI, "--endpoint-url", server.endpoint, *args],
                          env=aws_env(*key), capture_output=True, text=True, timeout=60)


def denied(call, status):
    """Runs a boto3 call that must be refused by policy; returns the message."""
    with pytest.raises(ClientError) as e:
        call()
    err = e.value.response
    assert err["Error"]["Code"] == "AccessDeniedException", err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status, err
    return err["Error"]["Message"]


def put_media(server, key, stream, data):
    up = Upload(KeyedServer(server, key), relative_headers(stream))
    up.send(data)
    up.end_body()
    acks = up.finish()
    return up, acks


def all_fragments():
    return {"FragmentSelectorType": "SERVER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": 0, "EndTimestamp": time.time() + 60}}


class WebSocketUpload:
    """GET /ws/putMedia (docs/video-ingest.md) on a raw socket, signed by
    botocore with the empty payload hash, as PutMedia is."""

    def __init__(self, server, key, stream):
        target = f"/ws/putMedia?StreamName={stream}&FragmentTimecodeType=RELATIVE" \
                 f"&ProducerStartTimestamp={time.time():.3f}"
        headers = {"Host": f"127.0.0.1:{server.port}", "Upgrade": "websocket",
                   "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                   "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()}
        request = AWSRequest(method="GET", url=server.endpoint + target, data=b"",
                             headers=headers)
        SigV4Auth(Credentials(*key), "kinesisvideo", "us-east-1").add_auth(request)
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        self.sock.sendall((f"GET {target} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in request.headers.items()) + "\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            got = self.sock.recv(65536)
            assert got, "connection closed during the upgrade"
            self.buf += got
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status = int(head.split()[1])

    def _need(self, n):
        while len(self.buf) < n:
            got = self.sock.recv(65536)
            if not got:
                raise EOFError
            self.buf += got

    def send(self, payload, opcode):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def messages(self):
        """Text messages from the server until it closes."""
        out = []
        try:
            while True:
                self._need(2)
                opcode, n = self.buf[0] & 0x0F, self.buf[1] & 0x7F
                pos = 2
                if n == 126:
                    self._need(4)
                    n, pos = int.from_bytes(self.buf[2:4], "big"), 4
                elif n == 127:
                    self._need(10)
                    n, pos = int.from_bytes(self.buf[2:10], "big"), 10
                self._need(pos + n)
                payload, self.buf = self.buf[pos:pos + n], self.buf[pos + n:]
                if opcode == 8:
                    break
                if opcode == 1:
                    out.append(json.loads(payload))
        except (EOFError, OSError):
            pass
        self.sock.close()
        return out


def fragment_count(server, stream, key=KEYS["ADMIN"]):
    am = client(server, "kinesis-video-archived-media", key)
    return len(am.list_fragments(StreamName=stream, FragmentSelector=all_fragments())["Fragments"])


def audit_lines(server):
    with open(os.path.join(server.data_dir, "audit.log")) as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return gst_h264_mkv(tmp_path_factory.mktemp("mkv") / "clip.mkv", 4, 30)


@pytest.fixture(scope="module")
def server(tmp_path_factory, clip):
    data = tmp_path_factory.mktemp("policies") / "data"
    data.mkdir()
    path = data / "credentials.toml"
    path.write_text(CREDENTIALS)
    path.chmod(0o600)
    s = Server(data)
    admin = KEYS["ADMIN"]
    kvs = client(s, "kinesisvideo", admin)
    for name in ("front-door", "back-door"):
        kvs.create_stream(StreamName=name, DataRetentionInHours=1)
    up, acks = put_media(s, admin, "back-door", clip)
    assert up.status == 200 and count(acks, "PERSISTED") >= 1 and not errors(acks), acks
    kinesis = client(s, "kinesis", admin)
    kinesis.create_stream(StreamName="events", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName="events",
                                             WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    kinesis.put_record(StreamName="events", Data=b"first", PartitionKey="k")
    firehose = client(s, "firehose", admin)
    firehose.create_delivery_stream(DeliveryStreamName="logs", ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::logs-bucket"})
    yield s
    s.stop()


def kinesis_records(server, stream="events"):
    kinesis = client(server, "kinesis", KEYS["ADMIN"])
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return [r["Data"] for r in kinesis.get_records(ShardIterator=it)["Records"]]


def test_camera_puts_media_to_its_own_stream_only(server, clip):
    cam = KEYS["CAMERA"]
    up, acks = put_media(server, cam, "front-door", clip)
    assert up.status == 200 and not errors(acks), acks
    assert count(acks, "PERSISTED") >= 1
    stored = fragment_count(server, "front-door")
    assert stored >= 1

    before = fragment_count(server, "back-door")
    up, acks = put_media(server, cam, "back-door", clip)
    assert up.status == 403, up.raw
    assert b"x-amzn-ErrorType: AccessDeniedException" in up.raw, up.raw
    message = json.loads(up.body)["message"]
    assert message.startswith("User: CAMERA is not authorized to perform: kinesisvideo:PutMedia "
                              "on resource: arn:aws:kinesisvideo:us-east-1:"), message
    assert "back-door" in message
    assert fragment_count(server, "back-door") == before
    assert fragment_count(server, "front-door") == stored


def test_websocket_ingest_applies_the_put_media_rule(server, clip):
    cam = KEYS["CAMERA"]
    before = fragment_count(server, "back-door")
    ws = WebSocketUpload(server, cam, "back-door")
    assert ws.status == 101
    # The upgrade is done: the refusal is one text message, then close.
    (message,) = ws.messages()
    assert message["__type"] == "AccessDeniedException", message
    assert message["message"].startswith(
        "User: CAMERA is not authorized to perform: kinesisvideo:PutMedia"), message
    assert fragment_count(server, "back-door") == before

    stored = fragment_count(server, "front-door")
    ws = WebSocketUpload(server, cam, "front-door")
    assert ws.status == 101
    ws.send(clip, opcode=2)
    ws.send(b"END_OF_STREAM", opcode=1)
    acks = ws.messages()
    assert count(acks, "PERSISTED") >= 1 and not errors(acks), acks
    assert fragment_count(server, "front-door") > stored


def test_camera_cannot_read_or_delete(server):
    cam = KEYS["CAMERA"]
    # What the camera role allows, through botocore.
    kvs = client(server, "kinesisvideo", cam)
    assert kvs.describe_stream(StreamName="front-door")["StreamInfo"]["StreamName"] == "front-door"
    assert kvs.get_data_endpoint(StreamName="front-door", APIName="PUT_MEDIA")["DataEndpoint"]

    media = client(server, "kinesis-video-media", cam)
    denied(lambda: media.get_media(StreamName="front-door",
                                   StartSelector={"StartSelectorType": "EARLIEST"}), 403)
    am = client(server, "kinesis-video-archived-media", cam)
    denied(lambda: am.list_fragments(StreamName="front-door", FragmentSelector=all_fragments()),
           403)
    denied(lambda: am.get_hls_streaming_session_url(StreamName="front-door",
                                                    PlaybackMode="ON_DEMAND"), 403)
    denied(lambda: kvs.describe_stream(StreamName="back-door"), 403)
    denied(lambda: kvs.list_streams(), 403)

    # The AWS CLI sees the same error code.
    r = cli(server, cam, "kinesisvideo", "delete-stream", "--stream-arn",
            kvs.describe_stream(StreamName="front-door")["StreamInfo"]["StreamARN"])
    assert r.returncode != 0
    assert "AccessDeniedException" in r.stderr and "kinesisvideo:DeleteStream" in r.stderr, r.stderr
    admin = client(server, "kinesisvideo", KEYS["ADMIN"])
    assert admin.describe_stream(StreamName="front-door")["StreamInfo"]["Status"] == "ACTIVE"


def test_viewer_reads_everything(server):
    viewer = KEYS["VIEWER"]
    kvs = client(server, "kinesisvideo", viewer)
    names = [s["StreamName"] for s in kvs.list_streams()["StreamInfoList"]]
    assert {"front-door", "back-door"} <= set(names)
    assert kvs.describe_stream(StreamName="back-door")["StreamInfo"]["Status"] == "ACTIVE"

    media = client(server, "kinesis-video-media", viewer)
    payload = media.get_media(StreamName="back-door",
                              StartSelector={"StartSelectorType": "EARLIEST"})["Payload"]
    first = payload._raw_stream.read(4096, decode_content=False)
    payload.close()
    assert first.startswith(b"\x1a\x45\xdf\xa3")  # an MKV chunk

    am = client(server, "kinesis-video-archived-media", viewer)
    url = am.get_hls_streaming_session_url(StreamName="back-door", PlaybackMode="LIVE",
                                           )["HLSStreamingSessionURL"]
    # The session URL is the capability: fetched without any signature.
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200 and r.read().startswith(b"#EXTM3U")
    assert fragment_count(server, "back-door", viewer) >= 1

    kinesis = client(server, "kinesis", viewer)
    shard = kinesis.list_shards(StreamName="events")["Shards"][0]["ShardId"]
    it = kinesis.get_shard_iterator(StreamName="events", ShardId=shard,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert b"first" in [r["Data"] for r in kinesis.get_records(ShardIterator=it)["Records"]]
    firehose = client(server, "firehose", viewer)
    assert "logs" in firehose.list_delivery_streams()["DeliveryStreamNames"]


def test_viewer_changes_nothing(server, clip):
    viewer = KEYS["VIEWER"]
    before = fragment_count(server, "back-door")
    up, _ = put_media(server, viewer, "back-door", clip)
    assert up.status == 403 and b"x-amzn-ErrorType: AccessDeniedException" in up.raw, up.raw
    assert fragment_count(server, "back-door") == before

    r = cli(server, viewer, "kinesisvideo", "create-stream", "--stream-name", "viewer-made")
    assert r.returncode != 0 and "AccessDeniedException" in r.stderr, r.stderr
    kvs = client(server, "kinesisvideo", viewer)
    denied(lambda: kvs.delete_stream(StreamARN=kvs.describe_stream(
        StreamName="back-door")["StreamInfo"]["StreamARN"]), 403)
    admin = client(server, "kinesisvideo", KEYS["ADMIN"])
    names = [s["StreamName"] for s in admin.list_streams()["StreamInfoList"]]
    assert "viewer-made" not in names and "back-door" in names

    records = kinesis_records(server)
    kinesis = client(server, "kinesis", viewer)
    message = denied(lambda: kinesis.put_record(StreamName="events", Data=b"x",
                                                PartitionKey="k"), 400)
    assert message == ("User: VIEWER is not authorized to perform: kinesis:PutRecord on "
                       "resource: arn:aws:kinesis:us-east-1:000000000000:stream/events because "
                       "no identity-based policy allows the kinesis:PutRecord action")
    r = cli(server, viewer, "kinesis", "put-record", "--stream-name", "events", "--data", "eA==",
            "--partition-key", "k")
    assert r.returncode != 0 and "AccessDeniedException" in r.stderr, r.stderr
    assert kinesis_records(server) == records

    firehose = client(server, "firehose", viewer)
    denied(lambda: firehose.put_record(DeliveryStreamName="logs", Record={"Data": b"x"}), 400)
    denied(lambda: firehose.delete_delivery_stream(DeliveryStreamName="logs"), 400)
    assert client(server, "firehose", KEYS["ADMIN"]).describe_delivery_stream(
        DeliveryStreamName="logs")["DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE"


def test_deny_overrides_allow(server):
    keeper = client(server, "kinesis", KEYS["KEEPER"])
    waiter = {"Delay": 0.2, "MaxAttempts": 50}
    for name in ("keep-1", "scratch-1"):
        keeper.create_stream(StreamName=name, ShardCount=1)
        keeper.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig=waiter)
    keeper.delete_stream(StreamName="scratch-1")
    message = denied(lambda: keeper.delete_stream(StreamName="keep-1"), 400)
    assert message.endswith("with an explicit deny in an identity-based policy"), message
    assert keeper.describe_stream_summary(StreamName="keep-1")[
        "StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"
    # The Allow covers kinesis only.
    denied(lambda: client(server, "kinesisvideo", KEYS["KEEPER"]).list_streams(), 403)


def test_firehose_source_needs_kinesis_read(server):
    firehose = client(server, "firehose", KEYS["FIREHOSE"])
    s3 = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::copy-bucket"}
    events = client(server, "kinesis", KEYS["ADMIN"]).describe_stream_summary(
        StreamName="events")["StreamDescriptionSummary"]["StreamARN"]
    message = denied(lambda: firehose.create_delivery_stream(
        DeliveryStreamName="copy", DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": events, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration=s3), 400)
    assert "kinesis:GetRecords on resource: " + events in message, message
    assert "copy" not in firehose.list_delivery_streams()["DeliveryStreamNames"]
    firehose.create_delivery_stream(DeliveryStreamName="direct",
                                    ExtendedS3DestinationConfiguration=s3)


def test_admin_key_without_policy_does_everything(server, clip):
    admin = KEYS["ADMIN"]
    kvs = client(server, "kinesisvideo", admin)
    kvs.create_stream(StreamName="admin-cam", DataRetentionInHours=1)
    up, acks = put_media(server, admin, "admin-cam", clip)
    assert up.status == 200 and not errors(acks)
    media = client(server, "kinesis-video-media", admin)
    payload = media.get_media(StreamName="admin-cam",
                              StartSelector={"StartSelectorType": "EARLIEST"})["Payload"]
    assert payload._raw_stream.read(4096, decode_content=False).startswith(b"\x1a\x45\xdf\xa3")
    payload.close()
    arn = kvs.describe_stream(StreamName="admin-cam")["StreamInfo"]["StreamARN"]
    kvs.delete_stream(StreamARN=arn)
    client(server, "kinesis", admin).put_record(StreamName="events", Data=b"admin",
                                                PartitionKey="k")
    assert b"admin" in kinesis_records(server)
    client(server, "firehose", admin).put_record(DeliveryStreamName="logs",
                                                 Record={"Data": b"admin\n"})


def test_rate_limit_throttles_a_burst_and_recovers(server):
    kinesis = client(server, "kinesis", KEYS["SLOW"])
    time.sleep(1.1)  # a full bucket
    ok, throttled = 0, []
    start = time.monotonic()
    for _ in range(30):
        try:
            kinesis.list_streams()
            ok += 1
        except ClientError as e:
            throttled.append((e.response["Error"]["Code"],
                              e.response["ResponseMetadata"]["HTTPStatusCode"]))
    elapsed = time.monotonic() - start
    # 5 in the bucket, plus 5/s refilled while the burst runs.
    assert 5 <= ok <= 5 + int(5 * elapsed) + 1, (ok, elapsed, throttled)
    assert set(throttled) == {("LimitExceededException", 400)}, throttled
    time.sleep(1.1)
    kinesis.list_streams()

    kvs = client(server, "kinesisvideo", KEYS["SLOW"])
    codes = set()
    for _ in range(30):
        try:
            kvs.list_streams()
        except ClientError as e:
            codes.add((e.response["Error"]["Code"],
                       e.response["ResponseMetadata"]["HTTPStatusCode"]))
    assert codes == {("ClientLimitExceededException", 400)}, codes
    time.sleep(1.1)
    kvs.list_streams()
    # Other keys are not slowed down by it.
    admin = client(server, "kinesis", KEYS["ADMIN"])
    for _ in range(30):
        admin.list_streams()


def test_audit_log_records_control_plane_calls_only(server):
    viewer = client(server, "kinesis", KEYS["VIEWER"])
    denied(lambda: viewer.delete_stream(StreamName="events"), 400)
    lines = audit_lines(server)
    for line in lines:
        assert set(line) >= {"time", "access_key_id", "source", "action", "resource", "status",
                             "result"}, line
        assert line["source"] == "127.0.0.1"
    actions = [(l["access_key_id"], l["action"], l["resource"], l["result"], l.get("error"))
               for l in lines]
    assert ("ADMIN", "kinesisvideo:CreateStream",
            "arn:aws:kinesisvideo:us-east-1:000000000000:stream/front-door", "ok", None) in actions
    assert ("ADMIN", "kinesis:CreateStream",
            "arn:aws:kinesis:us-east-1:000000000000:stream/events", "ok", None) in actions
    assert ("ADMIN", "firehose:CreateDeliveryStream",
            "arn:aws:firehose:us-east-1:000000000000:deliverystream/logs", "ok", None) in actions
    assert ("KEEPER", "kinesis:DeleteStream",
            "arn:aws:kinesis:us-east-1:000000000000:stream/scratch-1", "ok", None) in actions
    assert ("KEEPER", "kinesis:DeleteStream",
            "arn:aws:kinesis:us-east-1:000000000000:stream/keep-1", "error",
            "AccessDeniedException") in actions
    assert ("VIEWER", "kinesis:DeleteStream",
            "arn:aws:kinesis:us-east-1:000000000000:stream/events", "error",
            "AccessDeniedException") in actions
    assert any(a[:2] == ("CAMERA", "kinesisvideo:DeleteStream") and a[4] == "AccessDeniedException"
               for a in actions), actions
    assert any(a[:2] == ("VIEWER", "kinesisvideo:CreateStream") and a[4] == "AccessDeniedException"
               for a in actions), actions
    # Data-plane calls are not audited, allowed or refused.
    data_plane = [a for a in actions if a[1].split(":")[1] in
                  ("PutRecord", "PutRecords", "PutMedia", "GetRecords", "GetMedia", "ListStreams")]
    assert not data_plane, data_plane


def test_sighup_reloads_keys_and_keeps_them_when_the_file_is_broken(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    path = data / "credentials.toml"
    path.write_text(f'[[keys]]\naccess_key_id = "FIRST"\nsecret_access_key = "{SECRET}"\n'
                    f'role = "viewer"\n')
    path.chmod(0o600)
    s = Server(data)
    try:
        first = client(s, "kinesis", ("FIRST", SECRET))
        denied(lambda: first.create_stream(StreamName="made", ShardCount=1), 400)
        with pytest.raises(ClientError) as e:
            client(s, "kinesis", ("SECOND", SECRET)).list_streams()
        assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"

        # FIRST loses its role (full access), SECOND appears.
        path.write_text(f'[[keys]]\naccess_key_id = "FIRST"\nsecret_access_key = "{SECRET}"\n'
                        f'[[keys]]\naccess_key_id = "SECOND"\nsecret_access_key = "{SECRET}"\n')
        # As logrotate does: move audit.log away, then signal.
        os.rename(data / "audit.log", data / "audit.log.old")
        os.kill(s.proc.pid, signal.SIGHUP)
        deadline = time.time() + 10
        while "access keys reloaded" not in s.stderr() and time.time() < deadline:
            time.sleep(0.05)
        assert "access keys reloaded" in s.stderr()
        first.create_stream(StreamName="made", ShardCount=1)
        old = [json.loads(l) for l in open(data / "audit.log.old")]
        assert [(l["access_key_id"], l["result"]) for l in old] == [("FIRST", "error")]
        new = [json.loads(l) for l in open(data / "audit.log")]
        assert [(l["access_key_id"], l["action"], l["result"]) for l in new] == [
            ("FIRST", "kinesis:CreateStream", "ok")]
        client(s, "kinesis", ("SECOND", SECRET)).list_streams()

        # A broken file is reported and changes nothing.
        path.write_text('[[keys]]\naccess_key_id = "FIRST"\nrole = "nobody"\n')
        os.kill(s.proc.pid, signal.SIGHUP)
        deadline = time.time() + 10
        while "credentials not reloaded" not in s.stderr() and time.time() < deadline:
            time.sleep(0.05)
        assert "credentials not reloaded" in s.stderr()
        assert s.alive()
        assert "made" in client(s, "kinesis", ("SECOND", SECRET)).list_streams()["StreamNames"]
    finally:
        s.stop()


def keys_command(*args):
    return subprocess.run([os.environ.get("OSPREY_SERVER_BIN", "osprey-server"), "keys", *args],
                          capture_output=True, text=True, timeout=30)


def printed_key(stdout):
    ak = next(l.split("=", 1)[1] for l in stdout.splitlines() if "AWS_ACCESS_KEY_ID=" in l)
    sk = next(l.split("=", 1)[1] for l in stdout.splitlines() if "AWS_SECRET_ACCESS_KEY=" in l)
    return ak, sk


def test_keys_add_creates_keys_a_running_server_takes_on_sighup(tmp_path):
    data = str(tmp_path / "data")
    r = keys_command("add", "--data-dir", data, "--name", "operator")
    assert r.returncode == 0, r.stderr
    admin = printed_key(r.stdout)
    assert oct(os.stat(os.path.join(data, "credentials.toml")).st_mode & 0o777) == "0o600"
    r = keys_command("add", "--data-dir", data, "--name", "x", "--role", "nobody")
    assert r.returncode == 1 and "role must be one of admin, camera, viewer" in r.stderr

    s = Server(data)
    try:
        out = cli(s, admin, "kinesisvideo", "create-stream", "--stream-name", "porch")
        assert out.returncode == 0, out.stderr
        r = keys_command("add", "--data-dir", data, "--name", "porch camera", "--role", "camera",
                         "--stream", "porch")
        assert r.returncode == 0, r.stderr
        cam = printed_key(r.stdout)
        os.kill(s.proc.pid, signal.SIGHUP)
        deadline = time.time() + 10
        while "access keys reloaded" not in s.stderr() and time.time() < deadline:
            time.sleep(0.05)
        kvs = client(s, "kinesisvideo", cam)
        assert kvs.describe_stream(StreamName="porch")["StreamInfo"]["StreamName"] == "porch"
        denied(lambda: kvs.list_streams(), 403)
        listing = keys_command("list", "--data-dir", data)
        assert listing.returncode == 0
        assert f"{admin[0]}  full access" in listing.stdout
        assert f"{cam[0]}  role=camera" in listing.stdout
        assert admin[1] not in listing.stdout and cam[1] not in listing.stdout
    finally:
        s.stop()
