"""KinesisStreamAsSource delivery streams against the real osprey-server
(shared/spec/firehose-api.md sections 3 and 7): a delivery stream reads an
Osprey data stream inside the server and delivers to the local folder
destination DATA_DIR/s3/<bucket>/.
"""
import os
import time

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import Server

ROLE = "arn:aws:iam::000000000000:role/osprey"


def clients(server):
    ak, sk = server.credentials()
    common = dict(region_name="us-east-1", endpoint_url=server.endpoint,
                  aws_access_key_id=ak, aws_secret_access_key=sk)
    # parameter_validation=False: the SDK model wants IntervalInSeconds >= 60;
    # the spec allows 0, which keeps these tests fast.
    cfg = botocore.config.Config(retries={"max_attempts": 1}, parameter_validation=False)
    return boto3.client("firehose", config=cfg, **common), boto3.client("kinesis", **common)


def wait_for(fn, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    return fn()


def delivered_lines(server, bucket):
    """Every delivered line, objects in the order they were written."""
    root = os.path.join(server.data_dir, "s3", bucket)
    paths = []
    for dirpath, _, files in os.walk(root):
        paths += [os.path.join(dirpath, f) for f in files if ".tmp-" not in f]
    # One worker writes the objects one after another; mtime keeps that order
    # where the second-resolution names do not.
    paths.sort(key=lambda p: os.stat(p).st_mtime_ns)
    lines = []
    for p in paths:
        with open(p, "rb") as fh:
            lines += fh.read().decode().splitlines()
    return lines


def put(kinesis, stream, key, numbers):
    for n in numbers:
        kinesis.put_record(StreamName=stream, PartitionKey=key, Data=f"{key}:{n}\n".encode())


def check_exactly_once_in_order(lines, expected):
    """expected: key -> count; each key's records 0..count-1 once, in order."""
    seen = {}
    for line in lines:
        key, n = line.split(":")
        assert int(n) == seen.get(key, 0), f"{key}: got {n} after {seen.get(key, 0) - 1}"
        seen[key] = int(n) + 1
    assert seen == expected


def wait_count(server, bucket, count):
    return wait_for(lambda: len(delivered_lines(server, bucket)) >= count) and \
        delivered_lines(server, bucket)


def create_source(fh, kinesis, name="cam-events", shards=2):
    kinesis.create_stream(StreamName="src", ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName="src",
                                             WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    arn = kinesis.describe_stream_summary(StreamName="src")["StreamDescriptionSummary"]["StreamARN"]
    fh.create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::ks-bucket",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}})
    return arn


def wait_active(fh, name):
    def active():
        d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
        return d if d["DeliveryStreamStatus"] == "ACTIVE" else None
    d = wait_for(active, 10)
    assert d, "stream did not become ACTIVE"
    return d


def test_delivery_restart_and_put_refused(server_factory):
    server = server_factory()
    fh, kinesis = clients(server)
    arn = create_source(fh, kinesis)
    d = wait_active(fh, "cam-events")
    assert d["DeliveryStreamType"] == "KinesisStreamAsSource"
    src = d["Source"]["KinesisStreamSourceDescription"]
    assert src["KinesisStreamARN"] == arn
    assert src["RoleARN"] == ROLE
    assert abs(src["DeliveryStartTimestamp"].timestamp() - time.time()) < 60
    assert "cam-events" in fh.list_delivery_streams(
        DeliveryStreamType="KinesisStreamAsSource")["DeliveryStreamNames"]

    # Several keys, so both shards are read; order is per key (= per shard).
    keys = ["alpha", "bravo", "charlie", "delta"]
    for key in keys:
        put(kinesis, "src", key, range(10))
    lines = wait_count(server, "ks-bucket", 40)
    check_exactly_once_in_order(lines, {k: 10 for k in keys})

    for op, args in (("put_record", {"Record": {"Data": b"x"}}),
                     ("put_record_batch", {"Records": [{"Data": b"x"}]})):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            getattr(fh, op)(DeliveryStreamName="cam-events", **args)
        err = e.value.response["Error"]
        assert err["Code"] == "InvalidArgumentException"
        assert err["Message"] == \
            "This operation is not permitted on KinesisStreamAsSource delivery stream type."

    server.stop()
    again = Server(server.data_dir)
    try:
        fh, kinesis = clients(again)
        for key in keys:
            put(kinesis, "src", key, range(10, 15))
        lines = wait_count(again, "ks-bucket", 60)
        time.sleep(1)  # anything repeated would show up by now
        check_exactly_once_in_order(delivered_lines(again, "ks-bucket"), {k: 15 for k in keys})

        # Delete stops the reader: later records go nowhere.
        fh.delete_delivery_stream(DeliveryStreamName="cam-events")
        put(kinesis, "src", "alpha", range(15, 18))
        time.sleep(1)
        check_exactly_once_in_order(delivered_lines(again, "ks-bucket"), {k: 15 for k in keys})
    finally:
        again.stop()


def test_create_errors(server_factory):
    server = server_factory()
    fh, kinesis = clients(server)
    dest = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::b"}

    def create(**kw):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            fh.create_delivery_stream(DeliveryStreamName="bad", ExtendedS3DestinationConfiguration=dest,
                                      **kw)
        return e.value.response["Error"]

    missing = "arn:aws:kinesis:us-east-1:000000000000:stream/nope"
    err = create(DeliveryStreamType="KinesisStreamAsSource",
                 KinesisStreamSourceConfiguration={"KinesisStreamARN": missing, "RoleARN": ROLE})
    assert err["Code"] == "InvalidArgumentException", err
    err = create(DeliveryStreamType="KinesisStreamAsSource")
    assert err["Code"] == "InvalidArgumentException", err
    err = create(DeliveryStreamType="KinesisStreamAsSource",
                 KinesisStreamSourceConfiguration={"KinesisStreamARN": "not-an-arn", "RoleARN": ROLE})
    assert err["Code"] == "ValidationException", err
    assert fh.list_delivery_streams()["DeliveryStreamNames"] == []


def test_reshard_and_kill9(server_factory):
    """Split shards are drained parent first; after kill -9 (once delivery
    has settled) nothing is delivered twice or lost."""
    server = server_factory()
    fh, kinesis = clients(server)
    create_source(fh, kinesis, name="ks", shards=1)
    wait_active(fh, "ks")
    keys = ["alpha", "bravo", "charlie", "delta"]
    for key in keys:
        put(kinesis, "src", key, range(5))
    for shard in kinesis.list_shards(StreamName="src")["Shards"]:
        r = shard["HashKeyRange"]
        start, end = int(r["StartingHashKey"]), int(r["EndingHashKey"])
        kinesis.split_shard(StreamName="src", ShardToSplit=shard["ShardId"],
                            NewStartingHashKey=str(start + (end - start) // 2 + 1))
        kinesis.get_waiter("stream_exists").wait(StreamName="src",
                                                 WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    for key in keys:
        put(kinesis, "src", key, range(5, 10))
    wait_count(server, "ks-bucket", 40)
    time.sleep(1)  # let the delivery checkpoint follow the last object
    check_exactly_once_in_order(delivered_lines(server, "ks-bucket"), {k: 10 for k in keys})

    os.kill(server.proc.pid, 9)
    server.proc.wait()
    again = Server(server.data_dir)
    try:
        fh, kinesis = clients(again)
        for key in keys:
            put(kinesis, "src", key, range(10, 12))
        wait_count(again, "ks-bucket", 48)
        time.sleep(1)
        check_exactly_once_in_order(delivered_lines(again, "ks-bucket"), {k: 12 for k in keys})
    finally:
        again.stop()


def kpl_aggregate(records):
    """A KPL aggregated record (magic, protobuf AggregatedRecord, MD5),
    encoded here by hand from the format: records = [(partition key, data)]."""
    import hashlib

    def varint(v):
        out = b""
        while v >= 0x80:
            out += bytes([(v & 0x7F) | 0x80])
            v >>= 7
        return out + bytes([v])

    def field(n, b):
        return varint(n << 3 | 2) + varint(len(b)) + b
    keys = []
    body = b""
    for key, data in records:
        if key not in keys:
            keys.append(key)
        body += field(3, varint(1 << 3) + varint(keys.index(key)) + field(3, data))
    proto = b"".join(field(1, k.encode()) for k in keys) + body
    return b"\xF3\x89\x9A\xC2" + proto + hashlib.md5(proto).digest()


def test_kpl_aggregates_are_delivered_as_user_records(server):
    """Spec 7: a KPL-aggregated Kinesis record is delivered as its user
    records; a record that only looks like one (wrong MD5) goes whole."""
    fh, kinesis = clients(server)
    create_source(fh, kinesis, shards=1)
    wait_active(fh, "cam-events")
    users = [("a", b"a:0\n"), ("b", b"b:0\n"), ("a", b"a:1\n")]
    kinesis.put_record(StreamName="src", PartitionKey="agg", Data=kpl_aggregate(users))
    kinesis.put_record(StreamName="src", PartitionKey="a", Data=b"a:2\n")
    fake = kpl_aggregate([("b", b"b:1\n")])
    fake = fake[:-1] + bytes([fake[-1] ^ 1])
    kinesis.put_record(StreamName="src", PartitionKey="fake", Data=fake)
    root = os.path.join(server.data_dir, "s3", "ks-bucket")

    def delivered_bytes():
        out = b""
        for dirpath, _, files in os.walk(root):
            for f in sorted(files, key=lambda f: os.stat(os.path.join(dirpath, f)).st_mtime_ns):
                if ".tmp-" not in f:
                    out += open(os.path.join(dirpath, f), "rb").read()
        return out
    assert wait_for(lambda: delivered_bytes().endswith(fake)), delivered_bytes()
    assert delivered_bytes() == b"a:0\nb:0\na:1\na:2\n" + fake


def test_deleted_source_shows_a_failure_description(server):
    fh, kinesis = clients(server)
    create_source(fh, kinesis, shards=1)
    d = wait_active(fh, "cam-events")
    assert "FailureDescription" not in d
    kinesis.delete_stream(StreamName="src")

    def failure():
        d = fh.describe_delivery_stream(DeliveryStreamName="cam-events")["DeliveryStreamDescription"]
        return d.get("FailureDescription")
    f = wait_for(failure, 15)
    assert f and f["Type"] == "UNKNOWN_ERROR", f
    assert "src" in f["Details"] and "no longer exists" in f["Details"], f
    # The delivery stream itself stays, and can be deleted as usual.
    fh.delete_delivery_stream(DeliveryStreamName="cam-events")
