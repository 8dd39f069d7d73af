"""GetMedia, ListFragments and GetMediaForFragmentList with real clients:
the AWS CLI v2 and boto3, and the output checked with mkvinfo and ffprobe.

Data: an H.264 clip made by ffmpeg, cut into one fragment per key-frame
group and written into <data>/video/{catalog.json,fragments} by the test
helper video_fixture_server (server/tests/video_fixture_server.cc) before a
server starts. The server is osprey-server on that data directory once
app.cc serves the video read routes; until then the helper serves the same
routes itself (--serve, no authentication). The live-tail test always uses
the helper, which can append fragments on command and reports when each was
persisted (the hook for the live latency benchmark).
"""
import json
import os
import shutil
import subprocess
import time

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from conftest import AWS_CLI, Server, aws_env
from kvs_media import split_chunks

FIXTURE_BIN = os.environ.get("OSPREY_VIDEO_FIXTURE_BIN", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin", "video_fixture_server"))
STREAM = "cam"
GROUPS = 4  # fragments seeded: a 4 s clip at 10 fps with a key frame every 10 frames

pytestmark = pytest.mark.skipif(not os.path.exists(FIXTURE_BIN),
                                reason="video_fixture_server not built")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)


class FixtureServer:
    """video_fixture_server --serve: the read routes on a seeded data dir."""

    def __init__(self, data_dir):
        self.proc = subprocess.Popen(
            [FIXTURE_BIN, "--data-dir", str(data_dir), "--stream", STREAM, "--serve"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            bufsize=1)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on "), line
        self.port = int(line.split()[2])
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def credentials(self):
        return "AKIDFIXTURE", "fixture-secret"  # not checked: no authentication

    def command(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().split()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()  # graceful: GetMedia responses end cleanly
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def client(server, service):
    ak, sk = server.credentials()
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=ak, aws_secret_access_key=sk,
                        config=botocore.config.Config(retries={"max_attempts": 1},
                                                      read_timeout=30))


def osprey_serves_video(server):
    try:
        client(server, "kinesis-video-archived-media").list_fragments(
            StreamName=STREAM, FragmentSelector={
                "FragmentSelectorType": "SERVER_TIMESTAMP",
                "TimestampRange": {"StartTimestamp": 0, "EndTimestamp": 1}})
        return True
    except ClientError as e:
        return e.response["Error"]["Code"] != "UnknownOperationException"


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("clip") / "clip.mkv"
    r = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
             "testsrc=size=160x120:rate=10", "-t", str(GROUPS), "-c:v", "libx264", "-pix_fmt",
             "yuv420p", "-g", "10", "-f", "matroska", str(path)])
    assert r.returncode == 0, r.stderr
    return path


def seed(data_dir, clip):
    r = run([FIXTURE_BIN, "--data-dir", str(data_dir), "--stream", STREAM, "--mkv", str(clip),
             "--fragments", str(GROUPS)])
    assert r.returncode == 0, r.stderr
    numbers = [line.split()[1] for line in r.stdout.splitlines() if line.startswith("FRAGMENT ")]
    assert len(numbers) == GROUPS
    return numbers


@pytest.fixture
def seeded(tmp_path, clip):
    data = tmp_path / "data"
    numbers = seed(data, clip)
    server = Server(data)
    if not osprey_serves_video(server):
        server.stop()
        server = FixtureServer(data)
    print(f"serving with {type(server).__name__}")
    yield server, numbers
    server.stop()


@pytest.fixture
def fixture_server(tmp_path, clip):
    data = tmp_path / "data"
    numbers = seed(data, clip)
    server = FixtureServer(data)
    yield server, numbers
    server.stop()


def cli(server, *args, timeout=60):
    ak, sk = server.credentials()
    return subprocess.run([AWS_CLI, "--endpoint-url", server.endpoint, *args],
                          capture_output=True, text=True, env=aws_env(ak, sk), timeout=timeout)


def check_with_tools(path, numbers):
    info = run(["mkvinfo", str(path)])
    assert info.returncode == 0, info.stdout + info.stderr
    assert "AWS_KINESISVIDEO_FRAGMENT_NUMBER" in info.stdout
    assert numbers[0] in info.stdout
    probe = run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
                 "-of", "csv=p=0", str(path)])
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().splitlines()[0] == "h264,160,120"
    # ffmpeg decodes the first chunk's frames (one Segment per chunk: players
    # stop after the first, spec 8).
    dec = run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"])
    assert dec.returncode == 0, dec.stderr


def test_cli_get_media_earliest_until_shutdown(seeded, tmp_path):
    server, numbers = seeded
    out = tmp_path / "out.mkv"
    ak, sk = server.credentials()
    proc = subprocess.Popen([AWS_CLI, "--endpoint-url", server.endpoint, "kinesis-video-media",
                             "get-media", "--stream-name", STREAM, "--start-selector",
                             "StartSelectorType=EARLIEST", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=aws_env(ak, sk))
    # GetMedia stays open at the live head; a graceful server shutdown ends
    # the response cleanly, so the CLI finishes with every chunk written.
    time.sleep(3)
    assert proc.poll() is None, proc.communicate()
    server.stop()
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert json.loads(stdout)["ContentType"] == "video/webm"
    chunks = list(split_chunks(out.read_bytes()))
    assert [c["tags"]["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for c in chunks] == numbers
    for c in chunks:
        tags = c["tags"]
        assert tags["AWS_KINESISVIDEO_CONTINUATION_TOKEN"] == tags["AWS_KINESISVIDEO_FRAGMENT_NUMBER"]
        assert int(tags["AWS_KINESISVIDEO_MILLIS_BEHIND_NOW"]) >= 0
        assert len(tags["AWS_KINESISVIDEO_SERVER_TIMESTAMP"].split(".")[1]) == 3
        assert c["cluster"]
    check_with_tools(out, numbers)


def test_cli_list_fragments_pages_with_next_token(seeded):
    server, numbers = seeded
    r = cli(server, "kinesis-video-archived-media", "list-fragments", "--stream-name", STREAM,
            "--fragment-selector",
            "FragmentSelectorType=SERVER_TIMESTAMP,TimestampRange={StartTimestamp=0,"
            f"EndTimestamp={int(time.time()) + 3600}}}",
            "--page-size", "1")  # the CLI follows NextToken: one request per fragment
    assert r.returncode == 0, r.stderr
    fragments = json.loads(r.stdout)["Fragments"]
    assert sorted(f["FragmentNumber"] for f in fragments) == sorted(numbers)
    for f in fragments:
        assert f["FragmentSizeInBytes"] > 0
        assert f["FragmentLengthInMilliseconds"] == 1000


def test_boto3_list_fragments(seeded):
    server, numbers = seeded
    am = client(server, "kinesis-video-archived-media")
    now = time.time()
    page = am.list_fragments(StreamName=STREAM, MaxResults=3, FragmentSelector={
        "FragmentSelectorType": "PRODUCER_TIMESTAMP",
        "TimestampRange": {"StartTimestamp": now - 3600, "EndTimestamp": now + 60}})
    assert len(page["Fragments"]) == 3 and page["NextToken"]
    rest = am.list_fragments(StreamName=STREAM, NextToken=page["NextToken"])
    assert "NextToken" not in rest or not rest["NextToken"]
    got = [f["FragmentNumber"] for f in page["Fragments"] + rest["Fragments"]]
    assert sorted(got) == sorted(numbers)
    ts = page["Fragments"][0]["ServerTimestamp"]  # botocore parses epoch seconds
    assert abs(ts.timestamp() - now) < 3600
    with pytest.raises(ClientError) as e:
        am.list_fragments(StreamName=STREAM, NextToken="bm90IGEgdG9rZW4=")
    assert e.value.response["Error"]["Code"] == "InvalidArgumentException"


def test_cli_get_media_for_fragment_list(seeded, tmp_path):
    server, numbers = seeded
    out = tmp_path / "list.mkv"
    wanted = [numbers[2], numbers[0], numbers[3]]
    # The outfile goes first: --fragments takes every argument after it.
    r = cli(server, "kinesis-video-archived-media", "get-media-for-fragment-list", str(out),
            "--stream-name", STREAM, "--fragments", *wanted)
    assert r.returncode == 0, r.stderr
    chunks = list(split_chunks(out.read_bytes()))
    assert [c["tags"]["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for c in chunks] == wanted
    assert all("AWS_KINESISVIDEO_ERROR_ID" not in c["tags"] for c in chunks)
    check_with_tools(out, wanted)

    missing = numbers[0][:-1] + ("9" if numbers[0][-1] != "9" else "8")
    r = cli(server, "kinesis-video-archived-media", "get-media-for-fragment-list",
            str(tmp_path / "none.mkv"), "--stream-name", STREAM, "--fragments", missing)
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


def test_boto3_get_media_errors(seeded):
    server, numbers = seeded
    media = client(server, "kinesis-video-media")
    with pytest.raises(ClientError) as e:
        media.get_media(StreamName="nope", StartSelector={"StartSelectorType": "NOW"})
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        media.get_media(StreamName=STREAM, StartSelector={
            "StartSelectorType": "CONTINUATION_TOKEN", "ContinuationToken": "not-ours"})
    assert e.value.response["Error"]["Code"] == "InvalidArgumentException"


class ChunkReader:
    """Reads a boto3 GetMedia StreamingBody as it arrives."""

    def __init__(self, payload):
        self.payload = payload
        self.data = b""

    def read_some(self):
        raw = self.payload._raw_stream
        fp = getattr(raw, "_fp", None)
        piece = fp.read1(65536) if fp is not None and hasattr(fp, "read1") else raw.read(1)
        if not piece:
            raise EOFError
        self.data += piece

    def complete_chunks(self):
        # A chunk is complete once its closing Tags (CONTINUATION_TOKEN) or
        # its error tags have arrived.
        try:
            chunks = list(split_chunks(self.data))
        except (IndexError, ValueError):
            chunks = []
            # The last chunk may be cut mid-element: parse what is whole.
        return [c for c in chunks if "AWS_KINESISVIDEO_CONTINUATION_TOKEN" in c["tags"]
                or "AWS_KINESISVIDEO_ERROR_ID" in c["tags"]]

    def wait_chunks(self, n):
        while len(self.complete_chunks()) < n:
            self.read_some()
        return self.complete_chunks()


def test_boto3_live_tail_and_latency(fixture_server):
    """NOW waits for new fragments; each arrives after its PERSISTED. Prints
    the persisted-to-received delay per fragment (measured, not asserted
    tightly: the benchmark reports it)."""
    server, numbers = fixture_server
    media = client(server, "kinesis-video-media")
    resp = media.get_media(StreamName=STREAM, StartSelector={"StartSelectorType": "NOW"})
    assert resp["ContentType"] == "video/webm"
    reader = ChunkReader(resp["Payload"])
    delays = []
    for i in range(5):
        word, number, persisted_us = server.command("append")
        assert word == "PERSISTED"
        chunks = reader.wait_chunks(i + 1)
        received_us = time.time() * 1e6
        assert chunks[i]["tags"]["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] == number
        delays.append((received_us - int(persisted_us)) / 1000.0)
    print("live tail delay ms (persisted -> received by boto3):",
          ", ".join(f"{d:.1f}" for d in delays))
    assert max(delays) < 5000, delays

    # The stream is deleted: a final error chunk, then the body ends.
    assert server.command("delete") == ["DELETED", "ok"]
    while True:
        try:
            reader.read_some()
        except EOFError:
            break
    last = list(split_chunks(reader.data))[-1]["tags"]
    assert last["AWS_KINESISVIDEO_ERROR_ID"] == "4008"


def test_cli_get_media_continuation_token(seeded, tmp_path):
    server, numbers = seeded
    out = tmp_path / "rest.mkv"
    ak, sk = server.credentials()
    proc = subprocess.Popen([AWS_CLI, "--endpoint-url", server.endpoint, "kinesis-video-media",
                             "get-media", "--stream-name", STREAM, "--start-selector",
                             f"StartSelectorType=CONTINUATION_TOKEN,ContinuationToken={numbers[1]}",
                             str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=aws_env(ak, sk))
    time.sleep(2)
    server.stop()
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    got = [c["tags"]["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for c in split_chunks(out.read_bytes())]
    assert got == numbers[2:]


def test_tools_present():
    assert shutil.which("ffprobe")
