"""Every Kinesis Data Streams exception of the spec's catalogue
(shared/spec/data-streams-api.md 2.2) as the wire carries it: HTTP status,
x-amzn-ErrorType, the body's __type and, where the spec gives one, the
message. test_kinesis.py covers the everyday ones through boto3; this file
adds the rest: the request-shape errors, the authentication errors, quotas,
per-shard throughput (server option kinesis_shard_limits) and the two
expiries, which run the server under libfaketime so that five minutes pass
in a moment while the server's own code reads the clock as always.

Not here: AccessDeniedException for a policy deny (no policies yet, issue 9)
and InternalFailure (no way to cause an internal fault from outside).
"""
import datetime
import json
import os
import time
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions
import pytest

from conftest import status_and_body

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
ACCOUNT = "000000000000"


def client(server, validate=False, key=None):
    ak, sk = key or server.credentials()
    return boto3.client("kinesis", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=ak, aws_secret_access_key=sk,
                        config=botocore.config.Config(retries={"max_attempts": 1},
                                                      parameter_validation=validate))


def post(server, target, body, headers=None, sign=True, key=None):
    """POST / with `body` (bytes); returns (status, headers, parsed body or text)."""
    h = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
    h.update(headers or {})
    if sign:
        ak, sk = key or server.credentials()
        req = botocore.awsrequest.AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                                             headers=h)
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(ak, sk), "kinesis",
                                "us-east-1").add_auth(req)
        h = dict(req.headers)
    status, resp_headers, text = status_and_body(urllib.request.Request(
        server.endpoint + "/", data=body, headers=h, method="POST"))
    try:
        parsed = json.loads(text) if text else {}
    except ValueError:
        parsed = text
    return status, resp_headers, parsed


def assert_error(status, headers, body, name, message=None):
    assert status == 400, (status, body)
    assert headers.get("x-amzn-ErrorType", "").split(":")[0] == name, headers
    assert body["__type"] == name, body
    if message is not None:
        got = body.get("message", body.get("Message"))
        assert got == message, body


def client_error(call):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    return e.value.response


def wait_active(k, name):
    for _ in range(200):
        if k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
                "StreamStatus"] == "ACTIVE":
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} never became ACTIVE")


# ---- request shape --------------------------------------------------------

def test_unparseable_body_is_serialization_exception(server):
    status, headers, body = post(server, "Kinesis_20131202.DescribeStream", b"{not json")
    assert_error(status, headers, body, "SerializationException")


def test_wrong_member_type_is_serialization_exception(server):
    status, headers, body = post(server, "Kinesis_20131202.DescribeStream",
                                 json.dumps({"StreamName": 5}).encode())
    assert_error(status, headers, body, "SerializationException")


def test_unknown_target_is_unknown_operation_without_message(server):
    status, headers, body = post(server, "Kinesis_20131202.FlyToTheMoon", b"{}")
    assert_error(status, headers, body, "UnknownOperationException")
    assert "message" not in body and "Message" not in body


def test_constraint_violation_is_validation_exception(server):
    r = client_error(lambda: client(server).create_stream(StreamName="bad name!", ShardCount=1))
    assert r["Error"]["Code"] == "ValidationException"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "1 validation error detected" in r["Error"]["Message"]


# ---- authentication --------------------------------------------------------

def test_unsigned_request_is_missing_authentication_token(server):
    status, headers, body = post(server, "Kinesis_20131202.ListStreams", b"{}", sign=False)
    assert_error(status, headers, body, "MissingAuthenticationTokenException",
                 "Missing Authentication Token")


def test_authorization_without_credential_is_incomplete_signature(server):
    status, headers, body = post(
        server, "Kinesis_20131202.ListStreams", b"{}", sign=False,
        headers={"Authorization": "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
                 "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())})
    assert_error(status, headers, body, "IncompleteSignatureException")
    assert "Credential" in body["message"]


def test_wrong_secret_is_invalid_signature(server):
    ak, _ = server.credentials()
    status, headers, body = post(server, "Kinesis_20131202.ListStreams", b"{}",
                                 key=(ak, "not-the-secret-key-at-all-000000000000000"))
    assert_error(status, headers, body, "InvalidSignatureException")


def test_unknown_access_key_is_unrecognized_client(server):
    status, headers, body = post(server, "Kinesis_20131202.ListStreams", b"{}",
                                 key=("AKIDNOSUCHKEY0000000", "whatever"))
    assert_error(status, headers, body, "UnrecognizedClientException")


# ---- semantics and quotas ----------------------------------------------------

def test_not_found_in_use_and_invalid_argument_messages(server):
    k = client(server)
    r = client_error(lambda: k.describe_stream(StreamName="nope"))
    assert r["Error"]["Code"] == "ResourceNotFoundException"
    assert r["Error"]["Message"] == f"Stream nope under account {ACCOUNT} not found."
    k.create_stream(StreamName="errs", ShardCount=1)
    r = client_error(lambda: k.create_stream(StreamName="errs", ShardCount=1))
    assert r["Error"]["Code"] == "ResourceInUseException"
    assert r["Error"]["Message"] == f"Stream errs under account {ACCOUNT} already exists."
    wait_active(k, "errs")
    r = client_error(lambda: k.put_record(StreamName="errs", Data=b"x", PartitionKey="k",
                                          ExplicitHashKey=str(2 ** 128)))
    assert r["Error"]["Code"] == "InvalidArgumentException"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_shard_quota_is_limit_exceeded(server):
    r = client_error(lambda: client(server).create_stream(StreamName="huge", ShardCount=501))
    assert r["Error"]["Code"] == "LimitExceededException"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Nothing was half-created.
    assert "huge" not in client(server).list_streams()["StreamNames"]


# ---- per-shard throughput ----------------------------------------------------

def burst(k, stream):
    """2 MiB in one PutRecords call to a one-shard stream: twice a shard's second."""
    records = [{"Data": os.urandom(4096), "PartitionKey": "p"} for _ in range(500)]
    return k.put_records(StreamName=stream, Records=records)


def test_shard_limits_off_by_default_take_the_burst(server):
    k = client(server)
    k.create_stream(StreamName="free", ShardCount=1)
    wait_active(k, "free")
    assert burst(k, "free")["FailedRecordCount"] == 0


def test_shard_limits_on_answer_provisioned_throughput_exceeded(server_factory):
    server = server_factory(extra_args=("--kinesis-shard-limits", "on"))
    k = client(server)
    k.create_stream(StreamName="capped", ShardCount=1)
    wait_active(k, "capped")
    shard = k.list_shards(StreamName="capped")["Shards"][0]["ShardId"]
    out = burst(k, "capped")
    failed = [r for r in out["Records"] if "ErrorCode" in r]
    assert out["FailedRecordCount"] == len(failed) > 0
    # A bucket holds one second: about 1 MiB of the 2 MiB gets in.
    assert 150 <= 500 - len(failed) <= 300, 500 - len(failed)
    expected = f"Rate exceeded for shard {shard} in stream capped under account {ACCOUNT}."
    for r in failed:
        assert r["ErrorCode"] == "ProvisionedThroughputExceededException"
        assert r["ErrorMessage"] == expected
    # Accepted entries are the leading ones, in order, and readable.
    ok = [r for r in out["Records"] if "ErrorCode" not in r]
    assert out["Records"][:len(ok)] == ok
    # Single puts of 900 KiB: the bucket refills at 1 MiB/s, so unless each
    # call took most of a second, one of 5 in a row is refused with the
    # exception itself.
    refused = None
    for _ in range(5):
        try:
            k.put_record(StreamName="capped", Data=os.urandom(900 << 10), PartitionKey="p")
        except botocore.exceptions.ClientError as e:
            refused = e.response
            break
    assert refused is not None, "5 puts of 900 KiB in a row were all accepted"
    assert refused["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert refused["Error"]["Message"] == expected
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 400
    # After a second the bucket has refilled.
    time.sleep(1.2)
    assert "SequenceNumber" in k.put_record(StreamName="capped", Data=b"x", PartitionKey="p")


# ---- expiries, under libfaketime ----------------------------------------------

@pytest.fixture
def clock_server(server_factory, tmp_path, monkeypatch):
    if not os.path.exists(FAKETIME_LIB):
        pytest.fail(f"{FAKETIME_LIB} missing: deploy/install-deps.sh installs faketime")
    offset = tmp_path / "faketime"
    offset.write_text("+0\n")
    env = {
        "LD_PRELOAD": FAKETIME_LIB,
        "FAKETIME_TIMESTAMP_FILE": str(offset),
        "FAKETIME_NO_CACHE": "1",
        # Timers and timeouts run on the steady clock: leave it real.
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        # Under the sanitizer build libasan must otherwise come first.
        "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0",
    }
    server = server_factory(env=env)

    # The client signs with its own clock, and the server refuses a
    # signature more than 5 minutes off: botocore's clock moves with it.
    real_datetime = botocore.auth.datetime.datetime
    shift = {"s": 0}

    class ShiftedDatetime(real_datetime):
        @classmethod
        def utcnow(cls):
            return real_datetime.utcnow() + datetime.timedelta(seconds=shift["s"])

    def advance(seconds):
        offset.write_text(f"+{seconds}\n")
        shift["s"] = seconds
    server.advance = advance
    monkeypatch.setattr(botocore.auth.datetime, "datetime", ShiftedDatetime)
    return server


def test_iterator_older_than_five_minutes_is_expired(clock_server):
    k = client(clock_server)
    k.create_stream(StreamName="old", ShardCount=1)
    wait_active(k, "old")
    k.put_record(StreamName="old", Data=b"a", PartitionKey="p")
    it = k.get_shard_iterator(StreamName="old", ShardId="shardId-000000000000",
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in k.get_records(ShardIterator=it)["Records"]] == [b"a"]
    clock_server.advance(299)
    k.get_records(ShardIterator=it)  # still inside the 300 000 ms
    clock_server.advance(301)
    r = client_error(lambda: k.get_records(ShardIterator=it))
    assert r["Error"]["Code"] == "ExpiredIteratorException"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert r["Error"]["Message"].startswith("Iterator expired. The iterator was created at time ")
    assert r["Error"]["Message"].endswith(
        "which is further in the future than the tolerated delay of 300000 milliseconds.")


def test_next_token_older_than_five_minutes_is_expired(clock_server):
    k = client(clock_server)
    k.create_stream(StreamName="pages", ShardCount=3)
    wait_active(k, "pages")
    first = k.list_shards(StreamName="pages", MaxResults=1)
    token = first["NextToken"]
    assert len(k.list_shards(NextToken=token, MaxResults=1)["Shards"]) == 1
    clock_server.advance(301)
    r = client_error(lambda: k.list_shards(NextToken=token, MaxResults=1))
    assert r["Error"]["Code"] == "ExpiredNextTokenException"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
