"""Kinesis Data Streams round trips through real clients (issue 6): the AWS
CLI v2 and boto3 against osprey-server, JSON over HTTP/1.1, and boto3 with
botocore's CBOR-less JSON as the SDKs send it. Records must come back byte
identical and in order per shard.
"""
import base64
import json
import os
import subprocess
import time

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import AWS_CLI, aws_env


def cli(server, *args, check=True):
    ak, sk = server.credentials()
    r = subprocess.run([AWS_CLI, "--endpoint-url", server.endpoint, "--output", "json",
                        "kinesis", *args], env=aws_env(ak, sk), capture_output=True, text=True,
                       timeout=60)
    if check:
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout) if r.stdout.strip() else {}
    return r


def client(server, validate=True):
    ak, sk = server.credentials()
    return boto3.client("kinesis", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=ak, aws_secret_access_key=sk,
                        config=botocore.config.Config(retries={"max_attempts": 1},
                                                      parameter_validation=validate))


def raw_call(server, operation, payload):
    """A SigV4-signed Kinesis JSON call; returns (status, parsed body)."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    import urllib.request
    from conftest import status_and_body
    ak, sk = server.credentials()
    body = json.dumps(payload).encode()
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=server.endpoint + "/", data=body,
        headers={"X-Amz-Target": "Kinesis_20131202." + operation,
                 "Content-Type": "application/x-amz-json-1.1"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(ak, sk), "kinesis",
                            "us-east-1").add_auth(req)
    status, _, text = status_and_body(urllib.request.Request(
        server.endpoint + "/", data=body, headers=dict(req.headers), method="POST"))
    return status, (json.loads(text) if text else {})


def wait_active(k, name):
    for _ in range(100):
        if k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
                "StreamStatus"] == "ACTIVE":
            return
        time.sleep(0.05)
    raise AssertionError("stream never became ACTIVE")


def read_all(k, name, shard_id, iterator_type="TRIM_HORIZON", **kwargs):
    it = k.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType=iterator_type,
                              **kwargs)["ShardIterator"]
    records = []
    for _ in range(20):
        r = k.get_records(ShardIterator=it, Limit=1000)
        records += r["Records"]
        if not r["Records"] and r.get("MillisBehindLatest", 0) == 0:
            return records, r
        it = r.get("NextShardIterator")
        if it is None:
            return records, r
    return records, r


def test_cli_round_trip(server):
    cli(server, "create-stream", "--stream-name", "cli-events", "--shard-count", "2")
    cli(server, "wait", "stream-exists", "--stream-name", "cli-events")
    listed = cli(server, "list-streams")
    assert "cli-events" in listed["StreamNames"]
    blob = bytes(range(256))
    put = cli(server, "put-record", "--stream-name", "cli-events", "--partition-key", "cam-1",
              "--data", base64.b64encode(blob).decode(), "--cli-binary-format", "base64")
    assert put["ShardId"].startswith("shardId-") and put["SequenceNumber"].isdigit()
    batch = cli(server, "put-records", "--stream-name", "cli-events", "--records",
                json.dumps([{"Data": base64.b64encode(b"r%d" % i).decode(), "PartitionKey": "cam-1"}
                            for i in range(5)]), "--cli-binary-format", "base64")
    assert batch["FailedRecordCount"] == 0 and len(batch["Records"]) == 5
    it = cli(server, "get-shard-iterator", "--stream-name", "cli-events", "--shard-id",
             put["ShardId"], "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    got = cli(server, "get-records", "--shard-iterator", it)
    datas = [base64.b64decode(r["Data"]) for r in got["Records"]]
    assert datas == [blob] + [b"r%d" % i for i in range(5)]
    shards = cli(server, "list-shards", "--stream-name", "cli-events")["Shards"]
    assert [s["ShardId"] for s in shards] == ["shardId-000000000000", "shardId-000000000001"]
    cli(server, "increase-stream-retention-period", "--stream-name", "cli-events",
        "--retention-period-hours", "48")
    cli(server, "add-tags-to-stream", "--stream-name", "cli-events", "--tags", "team=video,env=test")
    tags = cli(server, "list-tags-for-stream", "--stream-name", "cli-events")["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "video", "env": "test"}
    desc = cli(server, "describe-stream", "--stream-name", "cli-events")["StreamDescription"]
    assert desc["RetentionPeriodHours"] == 48 and len(desc["Shards"]) == 2
    cli(server, "delete-stream", "--stream-name", "cli-events")
    r = cli(server, "describe-stream", "--stream-name", "cli-events", check=False)
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


def test_boto3_iterators_order_and_binary_data(server):
    k = client(server)
    k.create_stream(StreamName="events", ShardCount=1)
    wait_active(k, "events")
    payloads = [os.urandom(n) for n in (0, 1, 100, 1000, 50000)]
    seqs = []
    for p in payloads:
        seqs.append(k.put_record(StreamName="events", Data=p, PartitionKey="k")["SequenceNumber"])
    assert seqs == sorted(seqs, key=int)
    # botocore sends whole seconds: start the batch just after a second boundary.
    before_batch = int(time.time()) + 1
    time.sleep(before_batch - time.time() + 0.01)
    res = k.put_records(StreamName="events",
                        Records=[{"Data": b"batch-%d" % i, "PartitionKey": "k"} for i in range(500)])
    assert res["FailedRecordCount"] == 0
    shard = "shardId-000000000000"
    records, last = read_all(k, "events", shard)
    assert [r["Data"] for r in records] == payloads + [b"batch-%d" % i for i in range(500)]
    assert last["MillisBehindLatest"] == 0
    at, _ = read_all(k, "events", shard, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[2])
    assert at[0]["Data"] == payloads[2]
    after, _ = read_all(k, "events", shard, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[2])
    assert after[0]["Data"] == payloads[3]
    stamped, _ = read_all(k, "events", shard, "AT_TIMESTAMP", Timestamp=before_batch)
    assert stamped[0]["Data"] == b"batch-0"
    latest_it = k.get_shard_iterator(StreamName="events", ShardId=shard,
                                     ShardIteratorType="LATEST")["ShardIterator"]
    assert k.get_records(ShardIterator=latest_it)["Records"] == []
    k.put_record(StreamName="events", Data=b"after-latest", PartitionKey="k")
    assert [r["Data"] for r in k.get_records(ShardIterator=latest_it)["Records"]] == [b"after-latest"]


def test_boto3_split_merge_and_child_shards(server):
    k = client(server)
    k.create_stream(StreamName="reshard", ShardCount=1)
    wait_active(k, "reshard")
    k.put_record(StreamName="reshard", Data=b"before", PartitionKey="a")
    k.split_shard(StreamName="reshard", ShardToSplit="shardId-000000000000",
                  NewStartingHashKey=str(2 ** 127))
    wait_active(k, "reshard")
    shards = k.list_shards(StreamName="reshard")["Shards"]
    assert len(shards) == 3
    children = [s for s in shards if s.get("ParentShardId") == "shardId-000000000000"]
    assert len(children) == 2
    # The parent is closed: reading it to the end gives ChildShards and no iterator.
    records, last = read_all(k, "reshard", "shardId-000000000000")
    assert [r["Data"] for r in records] == [b"before"]
    assert "NextShardIterator" not in last
    assert sorted(c["ShardId"] for c in last["ChildShards"]) == sorted(c["ShardId"] for c in children)
    put = k.put_record(StreamName="reshard", Data=b"after", PartitionKey="a")
    assert put["ShardId"] in [c["ShardId"] for c in children]
    a, b = sorted(children, key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))
    k.merge_shards(StreamName="reshard", ShardToMerge=a["ShardId"], AdjacentShardToMerge=b["ShardId"])
    wait_active(k, "reshard")
    open_shards = [s for s in k.list_shards(StreamName="reshard",
                                            ShardFilter={"Type": "AT_LATEST"})["Shards"]]
    assert len(open_shards) == 1 and open_shards[0]["HashKeyRange"]["StartingHashKey"] == "0"


def test_boto3_consumers_and_tags_by_arn(server):
    k = client(server)
    k.create_stream(StreamName="fanout", ShardCount=1)
    wait_active(k, "fanout")
    arn = k.describe_stream_summary(StreamName="fanout")["StreamDescriptionSummary"]["StreamARN"]
    assert arn == "arn:aws:kinesis:us-east-1:000000000000:stream/fanout"
    c = k.register_stream_consumer(StreamARN=arn, ConsumerName="analytics")["Consumer"]
    assert c["ConsumerARN"].startswith(arn + "/consumer/analytics:")
    listed = k.list_stream_consumers(StreamARN=arn)["Consumers"]
    assert [x["ConsumerName"] for x in listed] == ["analytics"]
    d = k.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"]
    assert d["StreamARN"] == arn
    with pytest.raises(botocore.exceptions.ClientError) as e:
        k.delete_stream(StreamName="fanout")
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    k.deregister_stream_consumer(ConsumerARN=c["ConsumerARN"])
    # Neither Debian's botocore nor its CLI knows the generic tag operations
    # yet: send them signed by hand.
    assert raw_call(server, "TagResource", {"ResourceARN": arn, "Tags": {"a": "1"}})[0] == 200
    status, body = raw_call(server, "ListTagsForResource", {"ResourceARN": arn})
    assert status == 200 and body["Tags"] == [{"Key": "a", "Value": "1"}]
    assert raw_call(server, "UntagResource", {"ResourceARN": arn, "TagKeys": ["a"]})[0] == 200
    assert k.list_tags_for_stream(StreamName="fanout")["Tags"] == []
    k.delete_stream(StreamName="fanout", EnforceConsumerDeletion=True)


def test_list_streams_paginates(server):
    k = client(server)
    for i in range(7):
        k.create_stream(StreamName=f"page-{i}", ShardCount=1)
        wait_active(k, f"page-{i}")  # at most 5 streams may be CREATING (spec 4.8)
    names = []
    for page in k.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 3}):
        names += page["StreamNames"]
    assert names == [f"page-{i}" for i in range(7)]


@pytest.mark.parametrize("call, kwargs, code", [
    ("describe_stream", {"StreamName": "nope"}, "ResourceNotFoundException"),
    ("create_stream", {"StreamName": "bad name!", "ShardCount": 1}, "ValidationException"),
    ("create_stream", {"StreamName": "x", "ShardCount": 0}, "ValidationException"),
    ("put_record", {"StreamName": "nope", "Data": b"x", "PartitionKey": "k"},
     "ResourceNotFoundException"),
    ("get_records", {"ShardIterator": "garbage"}, "InvalidArgumentException"),
    ("get_shard_iterator", {"StreamName": "errs", "ShardId": "shardId-000000000009",
                            "ShardIteratorType": "LATEST"}, "ResourceNotFoundException"),
    ("get_shard_iterator", {"StreamName": "errs", "ShardId": "shardId-000000000000",
                            "ShardIteratorType": "AT_SEQUENCE_NUMBER"}, "InvalidArgumentException"),
    ("increase_stream_retention_period", {"StreamName": "errs", "RetentionPeriodHours": 10},
     "InvalidArgumentException"),
    ("create_stream", {"StreamName": "errs", "ShardCount": 1}, "ResourceInUseException"),
    ("put_records", {"StreamName": "errs", "Records": []}, "ValidationException"),
])
def test_errors_have_the_spec_names(server, call, kwargs, code):
    # The server must check what the SDK would refuse to send.
    k = client(server, validate=False)
    try:
        k.create_stream(StreamName="errs", ShardCount=1)
    except botocore.exceptions.ClientError:
        pass
    wait_active(k, "errs")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        getattr(k, call)(**kwargs)
    assert e.value.response["Error"]["Code"] == code
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_records_survive_restart(server_factory, tmp_path):
    s = server_factory()
    k = client(s)
    k.create_stream(StreamName="durable", ShardCount=2)
    wait_active(k, "durable")
    sent = {}
    for i in range(50):
        r = k.put_record(StreamName="durable", Data=b"d%d" % i, PartitionKey=str(i))
        sent.setdefault(r["ShardId"], []).append(b"d%d" % i)
    s.stop()
    from conftest import Server
    s2 = Server(s.data_dir)
    try:
        k2 = client(s2)
        for shard, datas in sent.items():
            records, _ = read_all(k2, "durable", shard)
            assert [r["Data"] for r in records] == datas
    finally:
        s2.stop()
