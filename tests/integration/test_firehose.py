"""Firehose delivery streams against the real osprey-server, driven by the
real AWS CLI v2 and boto3 (shared/spec/firehose-api.md).

Delivery goes to the embedded local folder destination: BucketARN
arn:aws:s3:::NAME is the directory DATA_DIR/s3/NAME/ and object keys are
relative paths below it (docs/firehose.md).
"""
import base64
import gzip
import json
import os
import re
import subprocess
import time

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import AWS_CLI, aws_env

ROLE = "arn:aws:iam::000000000000:role/osprey"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def cli(server, *args, check=True):
    ak, sk = server.credentials()
    r = subprocess.run([AWS_CLI, "--endpoint-url", server.endpoint, "--output", "json",
                        "--cli-binary-format", "raw-in-base64-out", "firehose", *args],
                       env=aws_env(ak, sk), capture_output=True, text=True, timeout=60)
    if check:
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout) if r.stdout.strip() else {}
    return r


def client(server):
    ak, sk = server.credentials()
    return boto3.client("firehose", region_name="us-east-1", endpoint_url=server.endpoint,
                        aws_access_key_id=ak, aws_secret_access_key=sk,
                        # The SDK models say IntervalInSeconds >= 60; the spec allows 0
                        # (flush at once), which these tests use to stay fast.
                        config=botocore.config.Config(retries={"max_attempts": 1},
                                                      parameter_validation=False))


def objects(server, bucket):
    """Relative key -> bytes of every delivered object in the bucket folder."""
    root = os.path.join(server.data_dir, "s3", bucket)
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            if ".tmp-" in f:
                continue
            path = os.path.join(dirpath, f)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = fh.read()
    return out


def wait_for(fn, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    return fn()


def wait_active(describe):
    def active():
        d = describe()["DeliveryStreamDescription"]
        return d if d["DeliveryStreamStatus"] == "ACTIVE" else None
    d = wait_for(active, 10)
    assert d, "stream did not become ACTIVE"
    return d


def test_cli_lifecycle_and_delivery(server):
    # The CLI's model refuses IntervalInSeconds < 60, so the records below are
    # flushed by UpdateDestination ("buffers already open flush under the old
    # settings"), and the update after it sets 0 through boto3.
    dest = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::cli-bucket", "Prefix": "cli/",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}}
    out = cli(server, "create-delivery-stream", "--delivery-stream-name", "cam-meta",
              "--extended-s3-destination-configuration", json.dumps(dest))
    assert out["DeliveryStreamARN"] == \
        "arn:aws:firehose:us-east-1:000000000000:deliverystream/cam-meta"
    d = wait_active(lambda: cli(server, "describe-delivery-stream",
                                "--delivery-stream-name", "cam-meta"))
    assert d["VersionId"] == "1"
    assert d["DeliveryStreamType"] == "DirectPut"
    ext = d["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert ext["BucketARN"] == "arn:aws:s3:::cli-bucket"
    assert ext["CompressionFormat"] == "UNCOMPRESSED"
    assert ext["BufferingHints"] == {"SizeInMBs": 1, "IntervalInSeconds": 60}

    r = cli(server, "put-record", "--delivery-stream-name", "cam-meta",
            "--record", json.dumps({"Data": "hello\n"}))
    assert len(r["RecordId"]) >= 32
    r = cli(server, "put-record-batch", "--delivery-stream-name", "cam-meta",
            "--records", json.dumps([{"Data": "a\n"}, {"Data": "b\n"}, {"Data": "c\n"}]))
    assert r["FailedPutCount"] == 0
    assert len(r["RequestResponses"]) == 3
    ids = [x["RecordId"] for x in r["RequestResponses"]]
    assert len(set(ids)) == 3

    time.sleep(0.3)
    assert objects(server, "cli-bucket") == {}, "flushed before the interval"

    assert "cam-meta" in cli(server, "list-delivery-streams")["DeliveryStreamNames"]

    upd = ["update-destination", "--delivery-stream-name", "cam-meta",
           "--destination-id", "destinationId-000000000001",
           "--extended-s3-destination-update", json.dumps({"Prefix": "v2/"})]
    r = cli(server, *upd, "--current-delivery-stream-version-id", "7", check=False)
    assert r.returncode != 0
    assert "ConcurrentModificationException" in r.stderr
    assert "current version id: 1 and specified version id: 7 do not match" in r.stderr
    cli(server, *upd, "--current-delivery-stream-version-id", "1")

    def delivered():
        objs = objects(server, "cli-bucket")
        body = b"".join(objs[k] for k in sorted(objs))
        return objs if body.count(b"\n") >= 4 else None
    objs = wait_for(delivered)
    assert objs, "nothing delivered"
    for key in objs:
        assert re.fullmatch(r"cli/\d{4}/\d\d/\d\d/\d\d/cam-meta-1-\d{4}(-\d\d){5}-" + UUID, key), key
    body = b"".join(objs[k] for k in sorted(objs))
    assert sorted(body.splitlines()) == [b"a", b"b", b"c", b"hello"]

    d = cli(server, "describe-delivery-stream", "--delivery-stream-name", "cam-meta")
    assert d["DeliveryStreamDescription"]["VersionId"] == "2"
    assert d["DeliveryStreamDescription"]["Destinations"][0][
        "ExtendedS3DestinationDescription"]["Prefix"] == "v2/"

    client(server).update_destination(
        DeliveryStreamName="cam-meta", CurrentDeliveryStreamVersionId="2",
        DestinationId="destinationId-000000000001",
        ExtendedS3DestinationUpdate={"BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}})
    cli(server, "put-record", "--delivery-stream-name", "cam-meta",
        "--record", json.dumps({"Data": "after-update\n"}))
    v2 = wait_for(lambda: [k for k in objects(server, "cli-bucket") if k.startswith("v2/")])
    assert v2 and re.fullmatch(r"v2/\d{4}/\d\d/\d\d/\d\d/cam-meta-3-.*", v2[0]), v2

    cli(server, "delete-delivery-stream", "--delivery-stream-name", "cam-meta")
    r = cli(server, "describe-delivery-stream", "--delivery-stream-name", "cam-meta", check=False)
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


def test_boto3_gzip_prefix_expressions_and_errors(server):
    fh = client(server)
    fh.create_delivery_stream(
        DeliveryStreamName="gz",
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::gz-bucket",
            "Prefix": "meta/dt=!{timestamp:yyyy-MM-dd}/",
            "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
            "CompressionFormat": "GZIP",
            "ProcessingConfiguration": {"Enabled": True, "Processors": [
                {"Type": "AppendDelimiterToRecord", "Parameters": []}]}},
        Tags=[{"Key": "team", "Value": "edge"}])
    wait_active(lambda: fh.describe_delivery_stream(DeliveryStreamName="gz"))
    records = [{"Data": json.dumps({"cam": i}).encode()} for i in range(10)]
    r = fh.put_record_batch(DeliveryStreamName="gz", Records=records)
    assert r["FailedPutCount"] == 0

    objs = wait_for(lambda: objects(server, "gz-bucket"))
    assert len(objs) == 1, objs.keys()
    key, data = next(iter(objs.items()))
    assert re.fullmatch(r"meta/dt=\d{4}-\d\d-\d\d/gz-1-\d{4}(-\d\d){5}-" + UUID + r"\.gz", key), key
    lines = gzip.decompress(data).decode().splitlines()
    assert lines == [json.dumps({"cam": i}) for i in range(10)]

    tags = fh.list_tags_for_delivery_stream(DeliveryStreamName="gz")
    assert tags["Tags"] == [{"Key": "team", "Value": "edge"}] and not tags["HasMoreTags"]

    def error_of(fn):
        try:
            fn()
        except botocore.exceptions.ClientError as e:
            return e.response["Error"]["Code"], e.response["Error"].get("Message", "")
        return None, ""

    code, msg = error_of(lambda: fh.put_record(DeliveryStreamName="nope", Record={"Data": b"x"}))
    assert code == "ResourceNotFoundException"
    assert msg == "Firehose nope under account 000000000000 not found."
    code, msg = error_of(lambda: fh.put_record(DeliveryStreamName="gz",
                                               Record={"Data": b"x" * 1024001}))
    assert code == "ValidationException", msg
    assert "at 'record.data' failed to satisfy constraint: Member must have length less than " \
           "or equal to 1024000" in msg
    code, msg = error_of(lambda: fh.create_delivery_stream(
        DeliveryStreamName="gz", ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::gz-bucket"}))
    assert code == "ResourceInUseException"
    code, msg = error_of(lambda: fh.create_delivery_stream(
        DeliveryStreamName="expr", ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::b", "Prefix": "x/!{timestamp:yyyy}/"}))
    assert code == "InvalidArgumentException"
    assert msg == "ErrorOutputPrefix can't be null when Prefix contains expressions"


def test_records_survive_restart(server_factory):
    """Acknowledged records are delivered after a restart (durable log)."""
    server = server_factory()
    fh = client(server)
    fh.create_delivery_stream(
        DeliveryStreamName="slow", ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::slow-bucket",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 900}})
    wait_active(lambda: fh.describe_delivery_stream(DeliveryStreamName="slow"))
    fh.put_record(DeliveryStreamName="slow", Record={"Data": b"kept\n"})
    time.sleep(0.5)
    assert objects(server, "slow-bucket") == {}
    server.stop()
    # Same data directory, new process: the record is still in the log; an
    # update to a short interval lets it flush now.
    from conftest import Server
    again = Server(server.data_dir)
    try:
        fh = client(again)
        fh.update_destination(DeliveryStreamName="slow", CurrentDeliveryStreamVersionId="1",
                              DestinationId="destinationId-000000000001",
                              ExtendedS3DestinationUpdate={
                                  "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}})
        objs = wait_for(lambda: objects(again, "slow-bucket"))
        assert b"".join(objs.values()) == b"kept\n"
    finally:
        again.stop()


# --- HTTP endpoint over TLS ----------------------------------------------------

def make_ca_and_cert(d):
    """A CA and a certificate it signs for 127.0.0.1 and localhost."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d, timeout=60)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=firehose test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr",
        "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "srv.pem", "-days", "2", "-extfile", "san.ext")
    return os.path.join(d, "ca.pem"), os.path.join(d, "srv.pem"), os.path.join(d, "srv.key")


class HttpsEndpoint:
    """A Firehose HTTP endpoint (spec 6) served over TLS by Python's ssl."""

    def __init__(self, cert, key):
        import http.server
        import ssl
        import threading
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                doc = json.loads(body)
                outer.requests.append((dict(self.headers), doc))
                answer = json.dumps({"requestId": doc["requestId"],
                                     "timestamp": int(time.time() * 1000)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def create_https_stream(fh, name, url, error_bucket):
    fh.create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="DirectPut",
        HttpEndpointDestinationConfiguration={
            "EndpointConfiguration": {"Url": url, "Name": "tls-test", "AccessKey": "k-123"},
            "BufferingHints": {"IntervalInSeconds": 0, "SizeInMBs": 1},
            "RetryOptions": {"DurationInSeconds": 0},
            "S3BackupMode": "FailedDataOnly",
            "S3Configuration": {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::" + error_bucket,
                                "BufferingHints": {"IntervalInSeconds": 0, "SizeInMBs": 1}},
            "RoleARN": ROLE})
    wait_active(lambda: fh.describe_delivery_stream(DeliveryStreamName=name))


def test_http_endpoint_over_https_verifies_the_certificate(server_factory, tmp_path):
    """https:// endpoints are delivered to, with the certificate checked
    against OpenSSL's trust store: SSL_CERT_FILE names our CA for the first
    server; the second server does not trust it, so its batch fails the
    handshake and lands in the error output with OpenSSL's reason."""
    ca, cert, key = make_ca_and_cert(str(tmp_path))
    endpoint = HttpsEndpoint(cert, key)
    try:
        url = f"https://127.0.0.1:{endpoint.port}/ingest"
        trusting = server_factory(env={"SSL_CERT_FILE": ca})
        fh = client(trusting)
        create_https_stream(fh, "tls-ok", url, "tls-errors")
        records = [b"secure-%d" % i for i in range(20)]
        fh.put_record_batch(DeliveryStreamName="tls-ok", Records=[{"Data": r} for r in records])
        assert wait_for(lambda: sum(len(d["records"]) for _, d in endpoint.requests) >= 20), \
            trusting.stderr()[-2000:]
        got = [base64.b64decode(r["data"]) for _, d in endpoint.requests for r in d["records"]]
        assert got == records
        headers = endpoint.requests[0][0]
        assert headers["X-Amz-Firehose-Access-Key"] == "k-123"
        assert objects(trusting, "tls-errors") == {}

        untrusting = server_factory(env={"SSL_CERT_FILE": os.path.join(str(tmp_path), "srv.pem")})
        fh2 = client(untrusting)
        create_https_stream(fh2, "tls-refused", url, "tls-refused-errors")
        before = len(endpoint.requests)
        fh2.put_record(DeliveryStreamName="tls-refused", Record={"Data": b"never-sent"})
        failed = wait_for(lambda: objects(untrusting, "tls-refused-errors"), timeout=30)
        assert failed, untrusting.stderr()[-2000:]
        lines = [json.loads(l) for body in failed.values() for l in body.decode().splitlines() if l]
        assert [base64.b64decode(l["rawData"]) for l in lines] == [b"never-sent"]
        assert "TLS handshake" in lines[0]["errorMessage"], lines[0]
        assert "certificate" in lines[0]["errorMessage"], lines[0]
        assert len(endpoint.requests) == before, "nothing reached the endpoint"
    finally:
        endpoint.close()


S3RVER = "/opt/osprey/node/node_modules/.bin/s3rver"


@pytest.mark.skipif(not os.path.exists(S3RVER), reason="s3rver not installed (deploy/install-deps.sh)")
def test_s3_destination_on_an_s3_compatible_endpoint(server_factory, tmp_path):
    """firehose_s3_endpoint sends S3 destinations to an S3-compatible server
    (s3rver from npm) instead of DATA_DIR/s3; objects read back with boto3's
    S3 client. A key is required with the endpoint."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    s3rver = subprocess.Popen([S3RVER, "-d", str(tmp_path / "s3rver"), "-a", "127.0.0.1", "-p",
                               str(port), "--silent", "--configure-bucket", "remote-bucket"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="S3RVER", aws_secret_access_key="S3RVER")
        assert wait_for(lambda: _s3_ready(s3), 20), "s3rver did not start"
        srv = server_factory(env={"OSPREY_FIREHOSE_S3_ENDPOINT": endpoint,
                                  "OSPREY_FIREHOSE_S3_ACCESS_KEY_ID": "S3RVER",
                                  "OSPREY_FIREHOSE_S3_SECRET_ACCESS_KEY": "S3RVER"})
        fh = client(srv)
        fh.create_delivery_stream(
            DeliveryStreamName="to-remote", DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::remote-bucket", "Prefix": "remote/",
                "BufferingHints": {"IntervalInSeconds": 0, "SizeInMBs": 1}})
        wait_active(lambda: fh.describe_delivery_stream(DeliveryStreamName="to-remote"))
        records = [b"remote-%d\n" % i for i in range(50)]
        fh.put_record_batch(DeliveryStreamName="to-remote", Records=[{"Data": r} for r in records])

        def remote_bytes():
            listed = s3.list_objects_v2(Bucket="remote-bucket", Prefix="remote/").get("Contents", [])
            keys = sorted(o["Key"] for o in listed)
            return b"".join(s3.get_object(Bucket="remote-bucket", Key=k)["Body"].read() for k in keys)
        assert wait_for(lambda: remote_bytes() == b"".join(records), 30), remote_bytes()[:200]
        assert objects(srv, "remote-bucket") == {}, "nothing in the local folder"
    finally:
        s3rver.terminate()
        s3rver.wait()
    # The server refuses OSPREY_* variables it does not know (ctest sets
    # OSPREY_SERVER_BIN for this script).
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSPREY_")}
    bad = subprocess.run([conftest_server_bin(), "--firehose-s3-endpoint", "http://127.0.0.1:9",
                          "--data-dir", str(tmp_path / "bad")], capture_output=True, text=True,
                         timeout=30, env=env)
    assert bad.returncode != 0
    assert "needs firehose_s3_access_key_id and firehose_s3_secret_access_key" in bad.stderr


def _s3_ready(s3):
    try:
        s3.list_buckets()
        return True
    except Exception:
        return False


def conftest_server_bin():
    import conftest
    return conftest.SERVER_BIN


def test_plain_http_endpoints_only_when_the_option_is_on(server_factory):
    def create(srv):
        return client(srv).create_delivery_stream(
            DeliveryStreamName="plain", DeliveryStreamType="DirectPut",
            HttpEndpointDestinationConfiguration={
                "EndpointConfiguration": {"Url": "http://127.0.0.1:9/ingest"},
                "S3Configuration": {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::errs"},
                "RoleARN": ROLE})
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        create(server_factory())
    assert refused.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert "must use https://" in refused.value.response["Error"]["Message"]
    assert "DeliveryStreamARN" in create(server_factory(env={"OSPREY_FIREHOSE_PLAIN_HTTP": "on"}))
