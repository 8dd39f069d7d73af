"""GetClip and GetImages (issue 5 "Playback") against the real osprey-server.

Footage: osprey-agent with its GStreamer test pattern (320x240, 15 fps,
1 s fragments, retention 24 h) for about 9 s, once per module. Then boto3
and the AWS CLI v2 read it back: clips are checked with ffprobe (duration,
box order) and a full ffmpeg decode; images with ffprobe (codec and size).
"""
import base64
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import boto3
import botocore.config
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import AWS_CLI, Server, aws_env
from test_agent import AGENT_BIN, list_fragments, start_agent, stop_agent, wait_for_fragments

STREAM = "clip-cam"
WIDTH, HEIGHT = 320, 240



def client(server):
    ak, sk = server.credentials()
    # Without client-side validation, so out-of-range values reach the server.
    return boto3.client(
        "kinesis-video-archived-media", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=ak, aws_secret_access_key=sk,
        config=botocore.config.Config(retries={"max_attempts": 1}, parameter_validation=False,
                                      read_timeout=120))


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    """(server, fragments sorted by producer time) with ~9 s of video."""
    tmp = tmp_path_factory.mktemp("clip")
    server = Server(tmp / "data")
    try:
        log_path = tmp / "agent.log"
        agent = start_agent(server.endpoint, STREAM, tmp / "spool", server.credentials(), log_path)
        time.sleep(9)
        stats = stop_agent(agent, log_path)
        persisted = int(stats["spool_acked_seq"])
        assert persisted >= 6, stats
        frags = wait_for_fragments(server, STREAM, persisted)
        assert len(frags) == persisted
        frags.sort(key=lambda f: f["ProducerTimestamp"])
        yield server, frags
    finally:
        server.stop()


def run(args, **kw):
    return subprocess.run(args, capture_output=True, timeout=120, **kw)


def top_level_boxes(data):
    boxes, pos = [], 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[pos + 8:pos + 16], "big")
        elif size == 0:
            size = len(data) - pos
        assert size >= 8, (kind, size)
        boxes.append(kind)
        pos += size
    assert pos == len(data), "boxes do not tile the file"
    return boxes


def check_mp4(path, expected_s, tolerance_s):
    data = open(path, "rb").read()
    boxes = top_level_boxes(data)
    assert "moov" in boxes and "mdat" in boxes, boxes
    assert boxes.index("moov") < boxes.index("mdat"), f"not faststart: {boxes}"
    probe = run(["ffprobe", "-v", "error", "-show_entries",
                 "format=duration:stream=codec_name,width,height", "-of", "json", str(path)],
                text=True)
    assert probe.returncode == 0, probe.stderr
    info = json.loads(probe.stdout)
    duration = float(info["format"]["duration"])
    assert abs(duration - expected_s) <= tolerance_s, (duration, expected_s)
    video = [s for s in info["streams"] if s.get("codec_name") == "h264"]
    assert video and (video[0]["width"], video[0]["height"]) == (WIDTH, HEIGHT), info
    decode = run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"], text=True)
    assert decode.returncode == 0 and decode.stderr.strip() == "", decode.stderr
    return duration


def sec(ts):
    """botocore sends rest-json timestamps as whole epoch seconds: use those."""
    return float(int(ts.timestamp()))


def clip_selector(kind, start, end):
    return {"FragmentSelectorType": kind,
            "TimestampRange": {"StartTimestamp": start, "EndTimestamp": end}}


def expected_clip_seconds(frags, start, end, key="ProducerTimestamp"):
    chosen = [f for f in frags if start <= f[key].timestamp() <= end]
    return sum(f["FragmentLengthInMilliseconds"] for f in chosen) / 1000.0


def test_get_clip_is_a_faststart_mp4_of_the_range(footage, tmp_path):
    server, frags = footage
    start = sec(frags[1]["ProducerTimestamp"])
    end = sec(frags[-2]["ProducerTimestamp"])
    selector = clip_selector("PRODUCER_TIMESTAMP", start, end)
    out = client(server).get_clip(StreamName=STREAM, ClipFragmentSelector=selector)
    assert out["ContentType"] == "video/mp4"
    path = tmp_path / "clip.mp4"
    path.write_bytes(out["Payload"].read())
    # Fragments starting in [start, end]: the second to the second-last.
    duration = check_mp4(path, expected_clip_seconds(frags, start, end), 0.25)
    assert abs(duration - (end - start)) <= 1.1  # the range, within one fragment


def test_get_clip_by_server_timestamp_covers_everything(footage, tmp_path):
    server, frags = footage
    start = sec(min(f["ServerTimestamp"] for f in frags)) - 1
    # End must be in the past for SERVER_TIMESTAMP, and after the last arrival.
    end = float(int(max(f["ServerTimestamp"] for f in frags).timestamp()) + 2)
    while time.time() <= end + 0.2:
        time.sleep(0.2)
    selector = clip_selector("SERVER_TIMESTAMP", start, end)
    out = client(server).get_clip(StreamName=STREAM, ClipFragmentSelector=selector)
    path = tmp_path / "all.mp4"
    path.write_bytes(out["Payload"].read())
    total = sum(f["FragmentLengthInMilliseconds"] for f in frags) / 1000.0
    check_mp4(path, total, 0.25)


def test_get_clip_with_the_aws_cli(footage, tmp_path):
    server, frags = footage
    ak, sk = server.credentials()
    start = sec(frags[0]["ProducerTimestamp"])
    end = sec(frags[2]["ProducerTimestamp"])
    path = tmp_path / "cli.mp4"
    r = run([AWS_CLI, "--endpoint-url", server.endpoint, "kinesis-video-archived-media", "get-clip",
             "--stream-name", STREAM, "--clip-fragment-selector",
             json.dumps(clip_selector("PRODUCER_TIMESTAMP", start, end)), str(path)],
            env=aws_env(ak, sk), text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ContentType"] == "video/mp4"
    check_mp4(path, expected_clip_seconds(frags, start, end), 0.25)


def error_code(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_get_clip_errors(footage):
    server, frags = footage
    c = client(server)
    t0 = sec(frags[0]["ProducerTimestamp"])
    cases = [
        ({"StreamName": "no-such-stream",
          "ClipFragmentSelector": clip_selector("PRODUCER_TIMESTAMP", t0, t0 + 5)},
         ("ResourceNotFoundException", 404)),
        ({"StreamName": STREAM,
          "ClipFragmentSelector": clip_selector("PRODUCER_TIMESTAMP", t0, t0)},
         ("InvalidArgumentException", 400)),
        ({"StreamName": STREAM,
          "ClipFragmentSelector": clip_selector("PRODUCER_TIMESTAMP", t0, t0 + 86401)},
         ("InvalidArgumentException", 400)),
        ({"StreamName": STREAM,
          "ClipFragmentSelector": clip_selector("SERVER_TIMESTAMP", t0, time.time() + 600)},
         ("InvalidArgumentException", 400)),
        ({"StreamName": STREAM,
          "ClipFragmentSelector": clip_selector("PRODUCER_TIMESTAMP", t0 - 7200, t0 - 3600)},
         ("ResourceNotFoundException", 404)),
        ({"StreamName": STREAM,
          "ClipFragmentSelector": clip_selector("CLIENT_TIMESTAMP", t0, t0 + 5)},
         ("InvalidArgumentException", 400)),
    ]
    for kwargs, expected in cases:
        assert error_code(c.get_clip, **kwargs) == expected, kwargs


def get_images(server, **kwargs):
    return client(server).get_images(StreamName=STREAM, **kwargs)


def probe_image(path):
    r = run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
             "-of", "json", str(path)], text=True)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)["streams"][0]
    return s["codec_name"], s["width"], s["height"]


def check_images(images, tmp_path, codec, size, name):
    for i, image in enumerate(images):
        assert "Error" not in image, image
        path = tmp_path / f"{name}{i}.img"
        path.write_bytes(base64.b64decode(image["ImageContent"]))
        assert probe_image(path) == (codec, *size)
        decode = run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"], text=True)
        assert decode.returncode == 0 and decode.stderr.strip() == "", decode.stderr


def test_get_images_jpeg_at_the_sampling_interval_stretched(footage, tmp_path):
    server, frags = footage
    t0 = sec(frags[1]["ProducerTimestamp"])
    out = get_images(server, ImageSelectorType="PRODUCER_TIMESTAMP", StartTimestamp=t0,
                     EndTimestamp=t0 + 4, SamplingInterval=1000, Format="JPEG",
                     FormatConfig={"JPEGQuality": "90"}, WidthPixels=200, HeightPixels=100)
    images = out["Images"]
    assert "NextToken" not in out
    assert [round(i["TimeStamp"].timestamp() - t0, 3) for i in images] == [0, 1, 2, 3]
    check_images(images, tmp_path, "mjpeg", (200, 100), "j")


def test_get_images_png_keeps_aspect_with_height_alone_and_source_size(footage, tmp_path):
    server, frags = footage
    t0 = sec(frags[2]["ServerTimestamp"])
    out = get_images(server, ImageSelectorType="SERVER_TIMESTAMP", StartTimestamp=t0,
                     EndTimestamp=t0 + 2, SamplingInterval=1000, Format="PNG", HeightPixels=120)
    assert len(out["Images"]) == 2
    check_images(out["Images"], tmp_path, "png", (160, 120), "p")
    # A range shorter than the interval gives the image at Start, at source size.
    out = get_images(server, ImageSelectorType="SERVER_TIMESTAMP", StartTimestamp=t0,
                     EndTimestamp=t0 + 1, SamplingInterval=3000, Format="PNG")
    assert len(out["Images"]) == 1
    check_images(out["Images"], tmp_path, "png", (WIDTH, HEIGHT), "s")


def test_get_images_pagination_covers_every_sampling_time(footage):
    server, frags = footage
    t0 = sec(frags[1]["ProducerTimestamp"])
    kwargs = dict(ImageSelectorType="PRODUCER_TIMESTAMP", StartTimestamp=t0, EndTimestamp=t0 + 3,
                  SamplingInterval=200, Format="JPEG", HeightPixels=60, MaxResults=7)
    pages, images = 0, []
    while True:
        out = get_images(server, **kwargs)
        assert len(out["Images"]) <= 7
        pages += 1
        images.extend(out["Images"])
        if not out.get("NextToken"):
            break
        kwargs["NextToken"] = out["NextToken"]
    assert pages == 3  # 15 times in pages of 7, 7, 1
    offsets = [round(i["TimeStamp"].timestamp() - t0, 3) for i in images]
    assert offsets == [round(0.2 * k, 3) for k in range(15)]
    assert all("ImageContent" in i for i in images), [i.get("Error") for i in images]
    # MaxResults above 25 still pages by 25.
    kwargs = dict(ImageSelectorType="PRODUCER_TIMESTAMP", StartTimestamp=t0, EndTimestamp=t0 + 6,
                  SamplingInterval=200, Format="JPEG", HeightPixels=30, MaxResults=100)
    out = get_images(server, **kwargs)
    assert len(out["Images"]) == 25 and out.get("NextToken")


def test_get_images_without_media_says_no_media(footage):
    server, frags = footage
    t0 = sec(frags[0]["ProducerTimestamp"]) - 3600
    out = get_images(server, ImageSelectorType="PRODUCER_TIMESTAMP", StartTimestamp=t0,
                     EndTimestamp=t0 + 2, SamplingInterval=1000, Format="JPEG")
    assert [i.get("Error") for i in out["Images"]] == ["NO_MEDIA", "NO_MEDIA"]
    assert all("ImageContent" not in i for i in out["Images"])


def test_get_images_errors(footage):
    server, frags = footage
    c = client(server)
    t0 = sec(frags[0]["ProducerTimestamp"])
    base = dict(StreamName=STREAM, ImageSelectorType="PRODUCER_TIMESTAMP", StartTimestamp=t0,
                EndTimestamp=t0 + 5, SamplingInterval=1000, Format="JPEG")
    invalid = ("InvalidArgumentException", 400)
    cases = [
        ({"StreamName": "no-such-stream"}, ("ResourceNotFoundException", 404)),
        ({"EndTimestamp": t0}, invalid),            # empty range
        ({"EndTimestamp": t0 + 301}, invalid),      # over 300 s
        ({"SamplingInterval": 199}, invalid),
        ({"Format": "GIF"}, invalid),
        ({"WidthPixels": 100}, invalid),            # width alone
        ({"HeightPixels": 2161}, invalid),
        ({"MaxResults": 101}, invalid),
        ({"FormatConfig": {"JPEGQuality": "0"}}, invalid),
        ({"NextToken": "bm90IGEgdG9rZW4="}, invalid),
    ]
    for change, expected in cases:
        assert error_code(c.get_images, **{**base, **change}) == expected, change


def test_retention_zero_is_no_data_retention(footage):
    server, frags = footage
    ak, sk = server.credentials()
    control = boto3.client("kinesisvideo", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id=ak, aws_secret_access_key=sk)
    control.create_stream(StreamName="live-only", DataRetentionInHours=0)
    c = client(server)
    t0 = sec(frags[0]["ProducerTimestamp"])
    expected = ("NoDataRetentionException", 400)
    selector = clip_selector("PRODUCER_TIMESTAMP", t0, t0 + 5)
    assert error_code(c.get_clip, StreamName="live-only",
                      ClipFragmentSelector=selector) == expected
    assert error_code(c.get_images, StreamName="live-only", ImageSelectorType="PRODUCER_TIMESTAMP",
                      StartTimestamp=t0, EndTimestamp=t0 + 5, Format="PNG") == expected


def signed_post(server, path, body):
    """A SigV4-signed POST (service kinesisvideo); returns (status, headers, bytes)."""
    ak, sk = server.credentials()
    data = json.dumps(body).encode()
    request = AWSRequest(method="POST", url=server.endpoint + path, data=data,
                         headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(ak, sk), "kinesisvideo", "us-east-1").add_auth(request)
    req = urllib.request.Request(server.endpoint + path, data=data, method="POST",
                                 headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_get_clip_stream_extension_is_a_fragmented_mp4_of_every_fragment(footage, tmp_path):
    server, frags = footage
    start = sec(frags[0]["ProducerTimestamp"])
    end = sec(frags[-1]["ProducerTimestamp"]) + 1
    body = {"StreamName": STREAM,
            "ClipFragmentSelector": clip_selector("PRODUCER_TIMESTAMP", start, end)}
    status, headers, data = signed_post(server, "/getClipStream", body)
    assert status == 200, data[:300]
    assert headers["Content-Type"] == "video/mp4"
    assert headers.get("Transfer-Encoding") == "chunked"
    boxes = top_level_boxes(data)
    chosen = [f for f in frags if start <= f["ProducerTimestamp"].timestamp() <= end]
    assert boxes[:2] == ["ftyp", "moov"]
    assert boxes[2:] == ["moof", "mdat"] * len(chosen), boxes
    path = tmp_path / "stream.mp4"
    path.write_bytes(data)
    decode = run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"], text=True)
    assert decode.returncode == 0 and decode.stderr.strip() == "", decode.stderr
    frames = run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v",
                  "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(path)], text=True)
    clip = client(server).get_clip(StreamName=STREAM,
                                   ClipFragmentSelector=body["ClipFragmentSelector"])
    whole = tmp_path / "whole.mp4"
    whole.write_bytes(clip["Payload"].read())
    frames_whole = run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v",
                        "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(whole)],
                       text=True)
    assert int(frames.stdout) == int(frames_whole.stdout) > 0  # the same pictures as GetClip
    # Errors come before streaming, as GetClip's.
    bad = {"StreamName": "no-such-stream", "ClipFragmentSelector": body["ClipFragmentSelector"]}
    status, headers, data = signed_post(server, "/getClipStream", bad)
    assert (status, headers["x-amzn-ErrorType"]) == (404, "ResourceNotFoundException"), data
