"""The KVS control plane (shared/spec/video-api.md sections 2, 3, appendix A)
through the real AWS CLI v2, boto3, and raw signed HTTP for the error cases.
"""
import base64
import json
import subprocess
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import pytest

from conftest import AWS_CLI, Server, aws_env, status_and_body

API_NAMES = ["PUT_MEDIA", "GET_MEDIA", "LIST_FRAGMENTS", "GET_MEDIA_FOR_FRAGMENT_LIST",
             "GET_HLS_STREAMING_SESSION_URL", "GET_DASH_STREAMING_SESSION_URL", "GET_CLIP",
             "GET_IMAGES"]


# --- clients -----------------------------------------------------------------------

def cli(server, *args, ok=True):
    ak, sk = server.credentials()
    r = subprocess.run([AWS_CLI, "--endpoint-url", server.endpoint, "--output", "json",
                        "kinesisvideo", *args],
                       env=aws_env(ak, sk), capture_output=True, text=True, timeout=60)
    if ok:
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout) if r.stdout.strip() else {}
    assert r.returncode != 0, r.stdout
    return r.stderr


def client(server):
    ak, sk = server.credentials()
    return boto3.client("kinesisvideo", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=ak, aws_secret_access_key=sk,
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def raw(server, path, body):
    """POSTs `body` (a dict, or bytes sent as they are) signed for kinesisvideo;
    returns (status, headers, text)."""
    ak, sk = server.credentials()
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = botocore.awsrequest.AWSRequest(method="POST", url=server.endpoint + path, data=data,
                                         headers={"Content-Type": "application/json"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(ak, sk), "kinesisvideo",
                            "us-east-1").add_auth(req)
    request = urllib.request.Request(server.endpoint + path, data=data, method="POST",
                                     headers=dict(req.headers.items()))
    return status_and_body(request)


def error_of(server, path, body):
    status, headers, text = raw(server, path, body)
    if status != 200:
        assert json.loads(text)["__type"] == headers["x-amzn-ErrorType"], text
    return status, headers["x-amzn-ErrorType"], text


def json_tokens(text):
    """Counts tokens as the producer's JSON parser (jsmn) does: every object,
    array, key and value is one token."""
    def count(v):
        if isinstance(v, dict):
            return 1 + sum(1 + count(x) for x in v.values())
        if isinstance(v, list):
            return 1 + sum(count(x) for x in v)
        return 1
    return count(json.loads(text))


def create(server, name, **extra):
    body = {"StreamName": name, **extra}
    status, _, text = raw(server, "/createStream", body)
    assert status == 200, text
    return json.loads(text)["StreamARN"]


def describe(server, name):
    status, _, text = raw(server, "/describeStream", {"StreamName": name})
    assert status == 200, text
    return json.loads(text)["StreamInfo"]


# --- AWS CLI ---------------------------------------------------------------------------

def test_cli_create_describe_and_list(server):
    out = cli(server, "create-stream", "--stream-name", "front-door", "--device-name", "cam-01",
              "--media-type", "video/h264", "--data-retention-in-hours", "24",
              "--tags", "site=home,floor=1")
    arn = out["StreamARN"]
    assert arn.startswith("arn:aws:kinesisvideo:us-east-1:")
    prefix, created_ms = arn.rsplit("/", 1)
    assert prefix.endswith(":stream/front-door") and created_ms.isdigit()

    info = cli(server, "describe-stream", "--stream-name", "front-door")["StreamInfo"]
    assert info["StreamName"] == "front-door"
    assert info["StreamARN"] == arn
    assert info["DeviceName"] == "cam-01"
    assert info["MediaType"] == "video/h264"
    assert info["Status"] == "ACTIVE"
    assert info["DataRetentionInHours"] == 24
    assert info["KmsKeyId"].endswith(":alias/aws/kinesisvideo")
    assert len(info["Version"]) == 20 and info["Version"].isalnum()
    assert cli(server, "describe-stream", "--stream-arn", arn)["StreamInfo"] == info

    for name in ["back-door", "garage", "front-yard"]:
        cli(server, "create-stream", "--stream-name", name)
    names = [s["StreamName"] for s in cli(server, "list-streams")["StreamInfoList"]]
    assert names == ["back-door", "front-door", "front-yard", "garage"]
    filtered = cli(server, "list-streams", "--stream-name-condition",
                   "ComparisonOperator=BEGINS_WITH,ComparisonValue=front")
    assert [s["StreamName"] for s in filtered["StreamInfoList"]] == ["front-door", "front-yard"]

    # --page-size is the API's MaxResults: the CLI follows NextToken to the end.
    paged = cli(server, "list-streams", "--page-size", "1")
    assert [s["StreamName"] for s in paged["StreamInfoList"]] == names
    # --max-items stops early and hands out the CLI's own token to resume.
    first = cli(server, "list-streams", "--max-items", "3", "--page-size", "2")
    assert [s["StreamName"] for s in first["StreamInfoList"]] == names[:3]
    rest = cli(server, "list-streams", "--max-items", "3", "--page-size", "2",
               "--starting-token", first["NextToken"])
    assert [s["StreamName"] for s in rest["StreamInfoList"]] == names[3:]
    assert "NextToken" not in rest


def test_cli_get_data_endpoint_for_every_api_name(server):
    cli(server, "create-stream", "--stream-name", "cam")
    for api in API_NAMES:
        out = cli(server, "get-data-endpoint", "--stream-name", "cam", "--api-name", api)
        assert out == {"DataEndpoint": server.endpoint}
    err = cli(server, "get-data-endpoint", "--stream-name", "nope", "--api-name", "GET_MEDIA",
              ok=False)
    assert "ResourceNotFoundException" in err


def test_cli_update_data_retention(server):
    cli(server, "create-stream", "--stream-name", "cam", "--data-retention-in-hours", "2")
    v1 = cli(server, "describe-stream", "--stream-name", "cam")["StreamInfo"]["Version"]
    cli(server, "update-data-retention", "--stream-name", "cam", "--current-version", v1,
        "--operation", "INCREASE_DATA_RETENTION", "--data-retention-change-in-hours", "10")
    info = cli(server, "describe-stream", "--stream-name", "cam")["StreamInfo"]
    assert info["DataRetentionInHours"] == 12
    assert info["Version"] != v1
    cli(server, "update-data-retention", "--stream-name", "cam", "--current-version",
        info["Version"], "--operation", "DECREASE_DATA_RETENTION",
        "--data-retention-change-in-hours", "12")
    info = cli(server, "describe-stream", "--stream-name", "cam")["StreamInfo"]
    assert info["DataRetentionInHours"] == 0
    err = cli(server, "update-data-retention", "--stream-name", "cam", "--current-version",
              info["Version"], "--operation", "DECREASE_DATA_RETENTION",
              "--data-retention-change-in-hours", "1", ok=False)
    assert "InvalidArgumentException" in err
    err = cli(server, "update-data-retention", "--stream-name", "cam", "--current-version",
              info["Version"], "--operation", "INCREASE_DATA_RETENTION",
              "--data-retention-change-in-hours", "87601", ok=False)
    assert "InvalidArgumentException" in err
    err = cli(server, "update-data-retention", "--stream-name", "cam", "--current-version", v1,
              "--operation", "INCREASE_DATA_RETENTION", "--data-retention-change-in-hours", "1",
              ok=False)
    assert "VersionMismatchException" in err
    assert cli(server, "describe-stream", "--stream-name", "cam")["StreamInfo"] == info


def test_cli_update_stream(server):
    arn = cli(server, "create-stream", "--stream-name", "cam", "--device-name", "old",
              "--media-type", "video/h264")["StreamARN"]
    v1 = cli(server, "describe-stream", "--stream-arn", arn)["StreamInfo"]["Version"]
    cli(server, "update-stream", "--stream-arn", arn, "--current-version", v1,
        "--media-type", "video/h264,audio/aac")
    info = cli(server, "describe-stream", "--stream-name", "cam")["StreamInfo"]
    assert info["MediaType"] == "video/h264,audio/aac"
    assert info["DeviceName"] == "old"
    assert info["Version"] != v1
    err = cli(server, "update-stream", "--stream-name", "cam", "--current-version", v1,
              "--device-name", "new", ok=False)
    assert "VersionMismatchException" in err
    cli(server, "update-stream", "--stream-name", "cam", "--current-version", info["Version"],
        "--device-name", "new")
    assert cli(server, "describe-stream", "--stream-name", "cam")["StreamInfo"]["DeviceName"] == "new"


def test_cli_stream_tags(server):
    cli(server, "create-stream", "--stream-name", "cam", "--tags", "a=1")
    version = cli(server, "describe-stream", "--stream-name", "cam")["StreamInfo"]["Version"]
    cli(server, "tag-stream", "--stream-name", "cam", "--tags", "a=2,b=x")
    assert cli(server, "list-tags-for-stream", "--stream-name", "cam") == {"Tags": {"a": "2", "b": "x"}}
    cli(server, "untag-stream", "--stream-name", "cam", "--tag-key-list", "a", "unknown")
    assert cli(server, "list-tags-for-stream", "--stream-name", "cam") == {"Tags": {"b": "x"}}
    # Osprey decision (FORMAT.md): tags leave the version alone.
    assert cli(server, "describe-stream", "--stream-name", "cam")["StreamInfo"]["Version"] == version
    many = ",".join(f"k{i}=v" for i in range(49))
    cli(server, "tag-stream", "--stream-name", "cam", "--tags", many)  # 50 in total
    err = cli(server, "tag-stream", "--stream-name", "cam", "--tags", "one=more", ok=False)
    assert "TagsPerResourceExceededLimitException" in err
    assert len(cli(server, "list-tags-for-stream", "--stream-name", "cam")["Tags"]) == 50


def test_cli_resource_tags(server):
    arn = cli(server, "create-stream", "--stream-name", "cam")["StreamARN"]
    cli(server, "tag-resource", "--resource-arn", arn,
        "--tags", "Key=team,Value=video", "Key=env,Value=test")
    assert cli(server, "list-tags-for-resource", "--resource-arn", arn) == {
        "Tags": {"team": "video", "env": "test"}}
    assert cli(server, "list-tags-for-stream", "--stream-arn", arn)["Tags"] == {
        "team": "video", "env": "test"}
    cli(server, "untag-resource", "--resource-arn", arn, "--tag-key-list", "env")
    assert cli(server, "list-tags-for-resource", "--resource-arn", arn) == {"Tags": {"team": "video"}}
    other = arn.rsplit("/", 1)[0] + "/1"
    err = cli(server, "list-tags-for-resource", "--resource-arn", other, ok=False)
    assert "ResourceNotFoundException" in err


def test_cli_delete_stream(server):
    arn = cli(server, "create-stream", "--stream-name", "a")["StreamARN"]
    err = cli(server, "delete-stream", "--stream-arn", arn, "--current-version", "wrong", ok=False)
    assert "VersionMismatchException" in err
    version = cli(server, "describe-stream", "--stream-arn", arn)["StreamInfo"]["Version"]
    cli(server, "delete-stream", "--stream-arn", arn, "--current-version", version)
    err = cli(server, "describe-stream", "--stream-name", "a", ok=False)
    assert "ResourceNotFoundException" in err
    arn_b = cli(server, "create-stream", "--stream-name", "b")["StreamARN"]
    cli(server, "delete-stream", "--stream-arn", arn_b)
    err = cli(server, "delete-stream", "--stream-arn", arn_b, ok=False)
    assert "ResourceNotFoundException" in err
    # A name can be used again; the old ARN does not name the new stream.
    arn_a2 = cli(server, "create-stream", "--stream-name", "a")["StreamARN"]
    assert arn_a2 != arn
    err = cli(server, "delete-stream", "--stream-arn", arn, ok=False)
    assert "ResourceNotFoundException" in err
    assert cli(server, "list-streams")["StreamInfoList"][0]["StreamARN"] == arn_a2


# --- boto3 -----------------------------------------------------------------------------

def test_boto3_core_calls(server):
    kv = client(server)
    arn = kv.create_stream(StreamName="b3", MediaType="video/h264", DataRetentionInHours=1,
                           Tags={"x": "y"})["StreamARN"]
    info = kv.describe_stream(StreamName="b3")["StreamInfo"]
    assert info["StreamARN"] == arn
    assert info["DataRetentionInHours"] == 1
    # CreationTime is epoch seconds with a millisecond fraction.
    assert abs(info["CreationTime"].timestamp() * 1000 - int(arn.rsplit("/", 1)[1])) < 1
    assert kv.get_data_endpoint(StreamARN=arn, APIName="PUT_MEDIA")["DataEndpoint"] == server.endpoint
    kv.update_data_retention(StreamARN=arn, CurrentVersion=info["Version"],
                             Operation="INCREASE_DATA_RETENTION", DataRetentionChangeInHours=5)
    info = kv.describe_stream(StreamARN=arn)["StreamInfo"]
    assert info["DataRetentionInHours"] == 6
    kv.update_stream(StreamName="b3", CurrentVersion=info["Version"], DeviceName="dev")
    kv.tag_stream(StreamARN=arn, Tags={"z": "1"})
    assert kv.list_tags_for_stream(StreamName="b3")["Tags"] == {"x": "y", "z": "1"}
    kv.untag_stream(StreamName="b3", TagKeyList=["x"])
    kv.tag_resource(ResourceARN=arn, Tags=[{"Key": "r", "Value": "s"}])
    assert kv.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"z": "1", "r": "s"}
    kv.untag_resource(ResourceARN=arn, TagKeyList=["r"])
    assert kv.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"z": "1"}

    for i in range(5):
        kv.create_stream(StreamName=f"page-{i}")
    pages = list(kv.get_paginator("list_streams").paginate(
        StreamNameCondition={"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": "page-"},
        PaginationConfig={"PageSize": 2}))
    assert [len(p["StreamInfoList"]) for p in pages] == [2, 2, 1]
    assert [s["StreamName"] for p in pages for s in p["StreamInfoList"]] == [
        f"page-{i}" for i in range(5)]
    token = pages[0]["NextToken"]
    assert base64.b64decode(token).decode() == "page-1"

    with pytest.raises(kv.exceptions.ResourceInUseException):
        kv.create_stream(StreamName="b3")
    with pytest.raises(kv.exceptions.ResourceNotFoundException):
        kv.describe_stream(StreamName="nope")
    with pytest.raises(kv.exceptions.VersionMismatchException):
        kv.delete_stream(StreamARN=arn, CurrentVersion="0" * 20)
    kv.delete_stream(StreamARN=arn)
    with pytest.raises(kv.exceptions.ResourceNotFoundException):
        kv.describe_stream(StreamARN=arn)


# --- what the producer needs (appendix A) ------------------------------------------------

def test_describe_answer_is_small_and_endpoint_unescaped(server):
    create(server, "cam", DeviceName="d" * 128, MediaType="video/h264,audio/aac",
           DataRetentionInHours=87600)
    status, headers, text = raw(server, "/describeStream", {"StreamName": "cam"})
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json_tokens(text) < 100
    # DataRetentionInHours is a bare integer; CreationTime a number.
    assert '"DataRetentionInHours":87600' in text
    assert isinstance(json.loads(text)["StreamInfo"]["CreationTime"], float)
    status, _, text = raw(server, "/getDataEndpoint", {"StreamName": "cam", "APIName": "PUT_MEDIA"})
    assert status == 200
    assert text == '{"DataEndpoint":"%s"}' % server.endpoint  # no "http:\/\/"
    assert json_tokens(text) < 100
    status, _, text = raw(server, "/createStream", {"StreamName": "x" * 256})
    assert status == 200 and json_tokens(text) < 100


def test_producer_sequence(server):
    """DescribeStream 404 -> CreateStream -> TagStream by ARN -> GetDataEndpoint,
    with the producer's exact bodies."""
    status, headers, _ = raw(server, "/describeStream", {"StreamName": "kvs-cam"})
    assert status == 404 and headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    status, _, text = raw(server, "/createStream", {
        "DeviceName": "kinesis-video-device", "StreamName": "kvs-cam", "MediaType": "video/h264",
        "DataRetentionInHours": 2})
    assert status == 200
    arn = json.loads(text)["StreamARN"]
    assert describe(server, "kvs-cam")["Status"] == "ACTIVE"
    status, _, text = raw(server, "/tagStream", {"StreamARN": arn, "Tags": {"source": "kvssink"}})
    assert (status, text) == (200, "{}")
    status, _, text = raw(server, "/getDataEndpoint", {"StreamName": "kvs-cam", "APIName": "PUT_MEDIA"})
    assert status == 200 and json.loads(text)["DataEndpoint"] == server.endpoint


def test_metadata_survives_a_restart(server_factory):
    first = server_factory()
    arn = create(first, "keep", DeviceName="dev", MediaType="video/h264", DataRetentionInHours=3,
                 Tags={"t": "v"})
    create(first, "gone")
    gone = describe(first, "gone")
    assert raw(first, "/deleteStream", {"StreamARN": gone["StreamARN"]})[0] == 200
    info = describe(first, "keep")
    assert raw(first, "/updateDataRetention", {
        "StreamName": "keep", "CurrentVersion": info["Version"],
        "Operation": "INCREASE_DATA_RETENTION", "DataRetentionChangeInHours": 4})[0] == 200
    info = describe(first, "keep")
    data_dir = first.data_dir
    assert first.stop() == 0

    second = Server(data_dir)
    try:
        assert describe(second, "keep") == info
        assert info["DataRetentionInHours"] == 7
        assert raw(second, "/describeStream", {"StreamName": "gone"})[0] == 404
        status, _, text = raw(second, "/listTagsForStream", {"StreamARN": arn})
        assert json.loads(text) == {"Tags": {"t": "v"}}
    finally:
        second.stop()


# --- errors over raw HTTP ----------------------------------------------------------------

BAD_NAMES = ["", "has space", "slash/name", "x" * 257, "ünicode"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_invalid_stream_names_are_invalid_argument(server, name):
    for path in ["/createStream", "/describeStream", "/getDataEndpoint"]:
        status, etype, text = error_of(server, path, {"StreamName": name, "APIName": "GET_MEDIA"})
        assert (status, etype) == (400, "InvalidArgumentException"), (path, text)


@pytest.mark.parametrize("path,body,etype,status", [
    # unknown streams
    ("/describeStream", {"StreamName": "nope"}, "ResourceNotFoundException", 404),
    ("/describeStream", {"StreamARN": "arn:aws:kinesisvideo:us-east-1:000000000000:stream/nope/1"},
     "ResourceNotFoundException", 404),
    ("/getDataEndpoint", {"StreamName": "nope", "APIName": "PUT_MEDIA"},
     "ResourceNotFoundException", 404),
    ("/tagStream", {"StreamName": "nope", "Tags": {"a": "b"}}, "ResourceNotFoundException", 404),
    ("/listTagsForStream", {"StreamName": "nope"}, "ResourceNotFoundException", 404),
    ("/updateStream", {"StreamName": "nope", "CurrentVersion": "abc"},
     "ResourceNotFoundException", 404),
    ("/deleteStream", {"StreamARN": "arn:aws:kinesisvideo:us-east-1:000000000000:stream/nope/1"},
     "ResourceNotFoundException", 404),
    # missing members
    ("/createStream", {}, "InvalidArgumentException", 400),
    ("/describeStream", {}, "InvalidArgumentException", 400),
    ("/deleteStream", {"StreamName": "cam"}, "InvalidArgumentException", 400),
    ("/updateStream", {"StreamName": "cam"}, "InvalidArgumentException", 400),
    ("/updateDataRetention", {"StreamName": "cam", "CurrentVersion": "abc",
                              "Operation": "INCREASE_DATA_RETENTION"},
     "InvalidArgumentException", 400),
    ("/getDataEndpoint", {"StreamName": "cam"}, "InvalidArgumentException", 400),
    ("/tagStream", {"StreamName": "cam"}, "InvalidArgumentException", 400),
    ("/untagStream", {"StreamName": "cam"}, "InvalidArgumentException", 400),
    ("/TagResource", {"Tags": [{"Key": "a", "Value": "b"}]}, "InvalidArgumentException", 400),
    ("/TagResource", {"ResourceARN": "ARN", "Tags": [{"Key": "a"}]}, "InvalidArgumentException", 400),
    # wrong types
    ("/createStream", {"StreamName": 5}, "InvalidArgumentException", 400),
    ("/createStream", {"StreamName": "t", "DataRetentionInHours": "24"},
     "InvalidArgumentException", 400),
    ("/createStream", {"StreamName": "t", "DataRetentionInHours": 1.5},
     "InvalidArgumentException", 400),
    ("/createStream", {"StreamName": "t", "Tags": ["a"]}, "InvalidArgumentException", 400),
    ("/createStream", {"StreamName": "t", "Tags": {"a": 1}}, "InvalidArgumentException", 400),
    ("/listStreams", {"MaxResults": "10"}, "InvalidArgumentException", 400),
    ("/untagStream", {"StreamName": "cam", "TagKeyList": "a"}, "InvalidArgumentException", 400),
    # patterns and ranges
    ("/createStream", {"StreamName": "t", "DataRetentionInHours": -1},
     "InvalidArgumentException", 400),
    ("/createStream", {"StreamName": "t", "DataRetentionInHours": 87601},
     "InvalidArgumentException", 400),
    ("/createStream", {"StreamName": "t", "MediaType": "h264"}, "InvalidArgumentException", 400),
    ("/createStream", {"StreamName": "t", "MediaType": "video/h264,"},
     "InvalidArgumentException", 400),
    ("/createStream", {"StreamName": "t", "DeviceName": "a b"}, "InvalidArgumentException", 400),
    ("/createStream", {"StreamName": "t", "DeviceName": "d" * 129}, "InvalidArgumentException", 400),
    ("/createStream", {"StreamName": "t", "KmsKeyId": ""}, "InvalidArgumentException", 400),
    ("/createStream", {"StreamName": "t", "Tags": {"bad!key": "v"}},
     "InvalidArgumentException", 400),
    ("/createStream", {"StreamName": "t", "Tags": {"k" * 129: "v"}},
     "InvalidArgumentException", 400),
    ("/createStream", {"StreamName": "t", "Tags": {"k": "v" * 257}},
     "InvalidArgumentException", 400),
    ("/createStream", {"StreamName": "t", "StreamStorageConfiguration": {"DefaultStorageTier": "COLD"}},
     "InvalidArgumentException", 400),
    ("/describeStream", {"StreamARN": "not-an-arn"}, "InvalidArgumentException", 400),
    ("/describeStream", {"StreamARN": "arn:aws:kinesisvideo:us-east-1:000000000000:stream/a b/1"},
     "InvalidArgumentException", 400),
    ("/listStreams", {"MaxResults": 0}, "InvalidArgumentException", 400),
    ("/listStreams", {"MaxResults": 10001}, "InvalidArgumentException", 400),
    ("/listStreams", {"NextToken": "!!"}, "InvalidArgumentException", 400),
    ("/listStreams", {"NextToken": "abc"}, "InvalidArgumentException", 400),
    ("/listStreams", {"StreamNameCondition": {"ComparisonOperator": "ENDS_WITH",
                                              "ComparisonValue": "a"}},
     "InvalidArgumentException", 400),
    ("/getDataEndpoint", {"StreamName": "cam", "APIName": "PUT_STUFF"},
     "InvalidArgumentException", 400),
    ("/updateDataRetention", {"StreamName": "cam", "CurrentVersion": "abc",
                              "Operation": "INCREASE", "DataRetentionChangeInHours": 1},
     "InvalidArgumentException", 400),
    ("/updateDataRetention", {"StreamName": "cam", "CurrentVersion": "abc",
                              "Operation": "INCREASE_DATA_RETENTION",
                              "DataRetentionChangeInHours": 0},
     "InvalidArgumentException", 400),
    ("/updateStream", {"StreamName": "cam", "CurrentVersion": "not-alnum!"},
     "InvalidArgumentException", 400),
    ("/untagStream", {"StreamName": "cam", "TagKeyList": []}, "InvalidArgumentException", 400),
    ("/untagStream", {"StreamName": "cam", "TagKeyList": [f"k{i}" for i in range(51)]},
     "InvalidArgumentException", 400),
    ("/tagStream", {"StreamName": "cam", "Tags": {}}, "InvalidArgumentException", 400),
    # too many tags in one request
    ("/createStream", {"StreamName": "t", "Tags": {f"k{i}": "v" for i in range(51)}},
     "TagsPerResourceExceededLimitException", 400),
    ("/tagStream", {"StreamName": "cam", "Tags": {f"k{i}": "v" for i in range(51)}},
     "TagsPerResourceExceededLimitException", 400),
])
def test_request_errors(server, path, body, etype, status):
    create(server, "cam")
    got_status, got_type, text = error_of(server, path, body)
    assert (got_status, got_type) == (status, etype), text
    assert json.loads(text)["message"], text
    if path == "/createStream":
        assert raw(server, "/describeStream", {"StreamName": "t"})[0] == 404


def test_taken_name_and_wrong_versions(server):
    arn = create(server, "cam")
    assert error_of(server, "/createStream", {"StreamName": "cam"})[:2] == (
        400, "ResourceInUseException")
    for path, body in [
        ("/updateStream", {"StreamName": "cam", "CurrentVersion": "abc", "MediaType": "video/h265"}),
        ("/updateDataRetention", {"StreamARN": arn, "CurrentVersion": "abc",
                                  "Operation": "INCREASE_DATA_RETENTION",
                                  "DataRetentionChangeInHours": 1}),
        ("/deleteStream", {"StreamARN": arn, "CurrentVersion": "abc"}),
    ]:
        assert error_of(server, path, body)[:2] == (400, "VersionMismatchException"), path
    info = describe(server, "cam")
    assert info["DataRetentionInHours"] == 0 and "MediaType" not in info
    # StreamName and StreamARN naming different streams.
    create(server, "other")
    assert error_of(server, "/describeStream", {"StreamName": "other", "StreamARN": arn})[:2] == (
        400, "InvalidArgumentException")


def test_tag_limit_counts_existing_tags(server):
    arn = create(server, "cam", Tags={f"k{i}": "v" for i in range(40)})
    status, etype, _ = error_of(server, "/TagResource", {
        "ResourceARN": arn, "Tags": [{"Key": f"n{i}", "Value": "v"} for i in range(11)]})
    assert (status, etype) == (400, "TagsPerResourceExceededLimitException")
    status, _, text = raw(server, "/tagResource", {
        "ResourceARN": arn, "Tags": [{"Key": f"n{i}", "Value": "v"} for i in range(10)]})
    assert status == 200, text
    status, _, text = raw(server, "/listTagsForResource", {"ResourceARN": arn})
    assert len(json.loads(text)["Tags"]) == 50
    # Unicode letters and the allowed punctuation are fine in keys and values.
    assert raw(server, "/untagResource", {"ResourceARN": arn, "TagKeyList": ["k0"]})[0] == 200
    status, _, text = raw(server, "/tagStream", {"StreamARN": arn,
                                                 "Tags": {"Grüße 1:/=+-@._": "Ω ü 9"}})
    assert status == 200, text


@pytest.mark.parametrize("body", [b"{", b"[]", b"\"x\"", b"{\"StreamName\":\"cam\"", b"nul"])
def test_bad_json_is_invalid_argument(server, body):
    status, etype, _ = error_of(server, "/describeStream", body)
    assert (status, etype) == (400, "InvalidArgumentException")


def test_empty_body_counts_as_empty_object(server):
    create(server, "cam")
    status, _, text = raw(server, "/listStreams", b"")
    assert status == 200
    assert [s["StreamName"] for s in json.loads(text)["StreamInfoList"]] == ["cam"]


def test_unknown_members_are_ignored_and_nulls_are_absent(server):
    status, _, text = raw(server, "/createStream", {"StreamName": "cam", "Future": {"x": 1},
                                                    "DeviceName": None, "Tags": None})
    assert status == 200, text
    info = describe(server, "cam")
    assert "DeviceName" not in info


def test_unsigned_control_plane_call_is_refused(server):
    request = urllib.request.Request(server.endpoint + "/listStreams", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    status, headers, _ = status_and_body(request)
    assert status == 403
    assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
