"""HTTP/2 with prior knowledge (h2c) on the API port, driven by nghttp and
h2load (Debian nghttp2-client) and signed by botocore, as the AWS SDK for
JavaScript v3 and the Java SDK v2 async client would send it."""
import os
import re
import subprocess

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from conftest import free_port  # noqa: F401  (fixtures come from conftest)


def signed(server, target, body, ak, sk, service="kinesis"):
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=server.endpoint + "/", data=body,
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(ak, sk), service,
                            "us-east-1").add_auth(req)
    return {k: v for k, v in req.headers.items()}


def nghttp(server, path, headers=None, body=None, tmp_path=None, extra=()):
    args = ["nghttp", "-v", *extra]
    for name, value in (headers or {}).items():
        if name.lower() != "host":  # :authority carries it
            args += ["-H", f"{name}: {value}"]
    if body is not None:
        f = tmp_path / f"body-{len(os.listdir(tmp_path))}"
        f.write_bytes(body if isinstance(body, bytes) else body.encode())
        args += ["-d", str(f)]
    args.append(server.endpoint + path)
    r = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert "Could not connect" not in r.stdout + r.stderr, r.stdout + r.stderr
    return r.stdout


def response_headers(out):
    return dict(re.findall(r"recv \(stream_id=\d+\) ([a-z0-9:-]+): (.*)", out))


def test_signed_request_over_h2c_is_authenticated_and_routed(server, tmp_path):
    ak, sk = server.credentials()
    out = nghttp(server, "/", signed(server, "Kinesis_20131202.ListStreams", "{}", ak, sk),
                 "{}", tmp_path)
    h = response_headers(out)
    # ListStreams is served over h2c as over HTTP/1.1 (the JS SDK's default).
    assert h[":status"] == "200", out
    assert h["content-type"] == "application/x-amz-json-1.1"
    assert '"StreamNames":[]' in out, out
    assert len(h["x-amzn-requestid"]) == 36


def test_wrong_secret_over_h2c_gets_400(server, tmp_path):
    ak, _ = server.credentials()
    out = nghttp(server, "/", signed(server, "Kinesis_20131202.ListStreams", "{}", ak, "C" * 40),
                 "{}", tmp_path)
    h = response_headers(out)
    assert h[":status"] == "400", out  # Kinesis: auth errors are 400 (spec 2.2)
    assert h["x-amzn-errortype"] == "InvalidSignatureException"


def test_unsigned_request_over_h2c_is_refused(server, tmp_path):
    out = nghttp(server, "/", {"x-amz-target": "Kinesis_20131202.ListStreams"}, "{}", tmp_path)
    assert response_headers(out)["x-amzn-errortype"] == "MissingAuthenticationTokenException"


def test_body_over_the_limit_is_refused_over_h2c(server_factory, tmp_path):
    server = server_factory(["--max-body-bytes", "1024"])
    ak, sk = server.credentials()
    body = "x" * 5000
    out = nghttp(server, "/", signed(server, "Kinesis_20131202.PutRecord", body, ak, sk), body,
                 tmp_path)
    h = response_headers(out)
    assert h[":status"] == "413", out
    assert h["x-amzn-errortype"] == "RequestEntityTooLargeException"


def test_many_streams_on_one_connection(server):
    r = subprocess.run(["h2load", "-n", "2000", "-c", "4", "-m", "16",
                        server.endpoint + "/healthz"], capture_output=True, text=True, timeout=60)
    assert re.search(r"requests: 2000 total, 2000 started, 2000 done, 2000 succeeded", r.stdout), \
        r.stdout
    assert "status codes: 2000 2xx" in r.stdout, r.stdout
    assert server.alive()


def test_http1_still_works_beside_h2c(server):
    import urllib.request
    with urllib.request.urlopen(server.endpoint + "/healthz", timeout=5) as r:
        assert r.status == 200


def test_cors_preflight_over_h2c(server, tmp_path):
    out = nghttp(server, "/", {":method": "OPTIONS", "origin": "http://localhost:3000",
                               "access-control-request-method": "POST"}, None, tmp_path)
    h = response_headers(out)
    assert h[":status"] == "200", out
    assert h["access-control-allow-origin"] == "*"
    assert h["access-control-allow-methods"] == "POST"


def decode_event_stream(data):
    """Splits an application/vnd.amazon.eventstream body into
    (headers dict, payload) messages, checking both CRCs."""
    import struct
    import zlib
    out = []
    pos = 0
    while pos + 12 <= len(data):
        total, headers_len, prelude_crc = struct.unpack(">III", data[pos:pos + 12])
        if pos + total > len(data):
            break
        assert zlib.crc32(data[pos:pos + 8]) == prelude_crc
        msg = data[pos:pos + total]
        assert zlib.crc32(msg[:-4]) == struct.unpack(">I", msg[-4:])[0]
        headers = {}
        h = msg[12:12 + headers_len]
        i = 0
        while i < len(h):
            n = h[i]
            name = h[i + 1:i + 1 + n].decode()
            i += 1 + n
            assert h[i] == 7  # string
            vlen = struct.unpack(">H", h[i + 1:i + 3])[0]
            headers[name] = h[i + 3:i + 3 + vlen].decode()
            i += 3 + vlen
        out.append((headers, msg[12 + headers_len:-4]))
        pos += total
    return out


def test_subscribe_to_shard_over_h2c(server, tmp_path):
    """SubscribeToShard as the Java SDK v2 / KCL 2 receive it: over HTTP/2,
    event-stream frames in DATA frames, initial-response first."""
    import json
    import time
    import boto3
    ak, sk = server.credentials()
    k = boto3.client("kinesis", endpoint_url=server.endpoint, region_name="us-east-1",
                     aws_access_key_id=ak, aws_secret_access_key=sk)
    k.create_stream(StreamName="h2-fanout", ShardCount=1)
    for _ in range(100):
        if k.describe_stream_summary(StreamName="h2-fanout")["StreamDescriptionSummary"][
                "StreamStatus"] == "ACTIVE":
            break
        time.sleep(0.05)
    arn = k.describe_stream_summary(StreamName="h2-fanout")["StreamDescriptionSummary"]["StreamARN"]
    consumer = k.register_stream_consumer(StreamARN=arn, ConsumerName="h2")["Consumer"]["ConsumerARN"]
    for _ in range(100):
        if k.describe_stream_consumer(ConsumerARN=consumer)["ConsumerDescription"][
                "ConsumerStatus"] == "ACTIVE":
            break
        time.sleep(0.05)
    sent = [b"h2-record-%d" % i for i in range(3)]
    for d in sent:
        k.put_record(StreamName="h2-fanout", Data=d, PartitionKey="p")
    body = json.dumps({"ConsumerARN": consumer, "ShardId": "shardId-000000000000",
                       "StartingPosition": {"Type": "TRIM_HORIZON"}})
    headers = signed(server, "Kinesis_20131202.SubscribeToShard", body, ak, sk)
    f = tmp_path / "subscribe.json"
    f.write_text(body)
    args = ["stdbuf", "-o0", "nghttp", "-d", str(f)]
    for name, value in headers.items():
        if name.lower() != "host":
            args += ["-H", f"{name}: {value}"]
    args.append(server.endpoint + "/")
    # The subscription stays open (up to 300 s): read for two seconds.
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2)
    proc.kill()
    out, _ = proc.communicate()
    messages = decode_event_stream(out)
    assert messages, out[:200]
    first_headers, first_payload = messages[0]
    assert first_headers[":event-type"] == "initial-response"
    assert json.loads(first_payload) == {}
    records = []
    for h, payload in messages[1:]:
        assert h[":message-type"] == "event" and h[":event-type"] == "SubscribeToShardEvent"
        event = json.loads(payload)
        records += [r["Data"] for r in event["Records"]]
        assert event["ContinuationSequenceNumber"].isdigit()
    import base64
    assert [base64.b64decode(r) for r in records] == sent
