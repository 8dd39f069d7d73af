"""Kinesis stream settings through real clients (issue 6 leftovers):
EnableEnhancedMonitoring / DisableEnhancedMonitoring and
StartStreamEncryption / StopStreamEncryption with the AWS CLI v2 and boto3
against osprey-server. Settings must survive a restart; records put before,
while and after encryption must read back intact, and no plaintext of an
encrypted record may reach the segment files on disk.
"""
import glob
import os
import stat
import time

import botocore.exceptions
import pytest

from conftest import Server
from test_kinesis import cli, client, read_all, wait_active

ALL_METRICS = ["IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
               "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
               "IteratorAgeMilliseconds"]


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def segment_files(data_dir):
    return glob.glob(os.path.join(data_dir, "**", "*.log"), recursive=True)


def on_disk(data_dir, marker):
    for path in segment_files(data_dir):
        with open(path, "rb") as f:
            if marker in f.read():
                return True
    return False


def monitoring_of(description):
    return description["EnhancedMonitoring"][0]["ShardLevelMetrics"]


def test_monitoring_round_trip_and_restart(server_factory):
    s = server_factory()
    cli(s, "create-stream", "--stream-name", "mon", "--shard-count", "1")
    wait_active(client(s), "mon")
    d = cli(s, "describe-stream", "--stream-name", "mon")["StreamDescription"]
    assert d["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]

    r = cli(s, "enable-enhanced-monitoring", "--stream-name", "mon",
            "--shard-level-metrics", "IncomingBytes", "OutgoingRecords")
    assert r["StreamName"] == "mon"
    assert r["StreamARN"].endswith(":stream/mon")
    assert r["CurrentShardLevelMetrics"] == []
    assert r["DesiredShardLevelMetrics"] == ["IncomingBytes", "OutgoingRecords"]

    k = client(s)
    r = k.enable_enhanced_monitoring(StreamName="mon", ShardLevelMetrics=["ALL"])
    assert r["CurrentShardLevelMetrics"] == ["IncomingBytes", "OutgoingRecords"]
    assert r["DesiredShardLevelMetrics"] == ALL_METRICS
    r = cli(s, "disable-enhanced-monitoring", "--stream-name", "mon",
            "--shard-level-metrics", "IteratorAgeMilliseconds", "IncomingBytes")
    assert r["CurrentShardLevelMetrics"] == ALL_METRICS
    left = [m for m in ALL_METRICS if m not in ("IteratorAgeMilliseconds", "IncomingBytes")]
    assert r["DesiredShardLevelMetrics"] == left
    summary = k.describe_stream_summary(StreamName="mon")["StreamDescriptionSummary"]
    assert monitoring_of(summary) == left

    s.stop()
    s2 = Server(s.data_dir)
    try:
        k2 = client(s2)
        d = k2.describe_stream(StreamName="mon")["StreamDescription"]
        assert monitoring_of(d) == left
        summary = cli(s2, "describe-stream-summary", "--stream-name", "mon")
        assert monitoring_of(summary["StreamDescriptionSummary"]) == left
        r = k2.disable_enhanced_monitoring(StreamName="mon", ShardLevelMetrics=["ALL"])
        assert r["DesiredShardLevelMetrics"] == []
        assert monitoring_of(k2.describe_stream(StreamName="mon")["StreamDescription"]) == []
    finally:
        s2.stop()


def test_monitoring_bad_input(server):
    k = client(server, validate=False)
    k.create_stream(StreamName="mon-bad", ShardCount=1)
    wait_active(k, "mon-bad")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        k.enable_enhanced_monitoring(StreamName="absent", ShardLevelMetrics=["ALL"])
    assert error_code(e) == "ResourceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        k.enable_enhanced_monitoring(StreamName="mon-bad", ShardLevelMetrics=["Bogus"])
    assert error_code(e) == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        k.disable_enhanced_monitoring(StreamName="mon-bad", ShardLevelMetrics=[])
    assert error_code(e) == "ValidationException"
    r = cli(server, "enable-enhanced-monitoring", "--stream-name", "mon-bad",
            "--shard-level-metrics", "Nope", check=False)
    assert r.returncode != 0 and "ValidationException" in r.stderr


def put(k, name, data):
    r = k.put_record(StreamName=name, Data=data, PartitionKey="pk")
    return r


def test_encryption_round_trip_on_disk_and_restart(server_factory):
    s = server_factory()
    k = client(s)
    k.create_stream(StreamName="enc", ShardCount=1)
    wait_active(k, "enc")
    d = k.describe_stream(StreamName="enc")["StreamDescription"]
    assert d["EncryptionType"] == "NONE" and "KeyId" not in d

    assert put(k, "enc", b"PLAIN-BEFORE-7f3a")["EncryptionType"] == "NONE"
    # boto3 here: the CLI's own start-up could outlast the 500 ms UPDATING.
    k.start_stream_encryption(StreamName="enc", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    d = k.describe_stream(StreamName="enc")["StreamDescription"]
    assert d["StreamStatus"] == "UPDATING"
    assert d["EncryptionType"] == "KMS" and d["KeyId"] == "alias/aws/kinesis"
    # Writes keep working while UPDATING, and are sealed already.
    assert put(k, "enc", b"SECRET-DURING-1c9e")["EncryptionType"] == "KMS"
    wait_active(k, "enc")
    summary = k.describe_stream_summary(StreamName="enc")["StreamDescriptionSummary"]
    assert summary["EncryptionType"] == "KMS" and summary["KeyId"] == "alias/aws/kinesis"
    r = k.put_records(StreamName="enc", Records=[
        {"Data": b"SECRET-BATCH-%d-55d2" % i, "PartitionKey": str(i)} for i in range(3)])
    assert r["EncryptionType"] == "KMS" and r["FailedRecordCount"] == 0

    key_files = glob.glob(os.path.join(s.data_dir, "**", "master.key"), recursive=True)
    assert len(key_files) == 1
    assert stat.S_IMODE(os.stat(key_files[0]).st_mode) == 0o600

    k.stop_stream_encryption(StreamName="enc", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    wait_active(k, "enc")
    d = k.describe_stream(StreamName="enc")["StreamDescription"]
    assert d["EncryptionType"] == "NONE" and "KeyId" not in d
    assert put(k, "enc", b"PLAIN-AFTER-b04d")["EncryptionType"] == "NONE"

    expected = [b"PLAIN-BEFORE-7f3a", b"SECRET-DURING-1c9e"] + \
        [b"SECRET-BATCH-%d-55d2" % i for i in range(3)] + [b"PLAIN-AFTER-b04d"]
    records, _ = read_all(k, "enc", "shardId-000000000000")
    assert [r["Data"] for r in records] == expected
    assert [r.get("EncryptionType", "NONE") for r in records] == \
        ["NONE", "KMS", "KMS", "KMS", "KMS", "NONE"]

    assert segment_files(s.data_dir)
    assert on_disk(s.data_dir, b"PLAIN-BEFORE-7f3a")
    assert on_disk(s.data_dir, b"PLAIN-AFTER-b04d")
    for secret in (b"SECRET-DURING-1c9e", b"SECRET-BATCH-0-55d2", b"SECRET-BATCH-2-55d2"):
        assert not on_disk(s.data_dir, secret), secret

    # After a restart the records come from disk (no tail cache) and the
    # key is read back from DATA_DIR.
    cli(s, "start-stream-encryption", "--stream-name", "enc", "--encryption-type", "KMS",
        "--key-id", "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    wait_active(k, "enc")
    s.stop()
    s2 = Server(s.data_dir)
    try:
        k2 = client(s2)
        d = cli(s2, "describe-stream", "--stream-name", "enc")["StreamDescription"]
        assert d["EncryptionType"] == "KMS" and d["KeyId"].endswith("key/1234abcd-12ab-34cd-56ef-1234567890ab")
        put(k2, "enc", b"SECRET-RESTART-e6a1")
        records, _ = read_all(k2, "enc", "shardId-000000000000")
        assert [r["Data"] for r in records] == expected + [b"SECRET-RESTART-e6a1"]
        assert not on_disk(s2.data_dir, b"SECRET-RESTART-e6a1")
    finally:
        s2.stop()


def test_encryption_bad_input(server):
    k = client(server, validate=False)
    k.create_stream(StreamName="enc-bad", ShardCount=1)
    wait_active(k, "enc-bad")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        k.start_stream_encryption(StreamName="absent", EncryptionType="KMS", KeyId="alias/x")
    assert error_code(e) == "ResourceNotFoundException"
    for bad_type in ("NONE", "AES"):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            k.start_stream_encryption(StreamName="enc-bad", EncryptionType=bad_type, KeyId="alias/x")
        assert error_code(e) == "InvalidArgumentException", bad_type
    with pytest.raises(botocore.exceptions.ClientError) as e:
        k.start_stream_encryption(StreamName="enc-bad", EncryptionType="KMS")
    assert error_code(e) == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        k.start_stream_encryption(StreamName="enc-bad", EncryptionType="KMS", KeyId="")
    assert error_code(e) == "ValidationException"
    r = cli(server, "stop-stream-encryption", "--stream-name", "enc-bad",
            "--encryption-type", "KMS", check=False)
    assert r.returncode != 0  # the CLI itself requires --key-id

    # A second change while UPDATING: ResourceInUseException.
    k.start_stream_encryption(StreamName="enc-bad", EncryptionType="KMS", KeyId="alias/x")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        k.start_stream_encryption(StreamName="enc-bad", EncryptionType="KMS", KeyId="alias/y")
    assert error_code(e) == "ResourceInUseException"
    wait_active(k, "enc-bad")
    d = k.describe_stream(StreamName="enc-bad")["StreamDescription"]
    assert d["KeyId"] == "alias/x"
