"""PutMedia end to end: a real GStreamer H.264 stream uploaded over chunked
HTTP/1.1, signed with SigV4 by botocore exactly as the KVS producer signs it
(service kinesisvideo, payload hash of the empty string, video-api.md 1.3),
then the error cases over the same path.

Needs the control plane (CreateStream through the AWS CLI) wired into
osprey-server; docs/video-ingest.md describes the ack behaviour checked here.
"""
import json
import os
import random
import shutil
import socket
import subprocess
import threading
import time

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import AWS_CLI, aws_env
from kvs_media import read_id, read_size

CLUSTER, TAGS, CUES, SEEKHEAD, INFO, TRACKS = (0x1F43B675, 0x1254C367, 0x1C53BB6B, 0x114D9B74,
                                               0x1549A966, 0x1654AE6B)
LEVEL1 = {CLUSTER, TAGS, CUES, SEEKHEAD, INFO, TRACKS, 0x1043A770, 0x1941A469}
FPS = 30
GOP = 2 * FPS  # key-int-max: one key frame every 2 s


# --- producing and reading MKV ----------------------------------------------

@pytest.fixture(scope="module")
def sixty_seconds(tmp_path_factory):
    """60 s of H.264 from a real pipeline, as matroskamux writes it."""
    return gst_h264_mkv(tmp_path_factory.mktemp("mkv") / "sixty.mkv", 60, GOP)


def gst_h264_mkv(path, seconds, key_int, fps=FPS):
    """`seconds` of 320x240 H.264 at `fps` from GStreamer, one IDR every
    `key_int` frames, as matroskamux writes it; returns the file's bytes."""
    if shutil.which("gst-launch-1.0") is None:
        pytest.fail("gst-launch-1.0 is missing (deploy/install-deps.sh installs GStreamer)")
    # scenecut=0: exactly one IDR per key-int-max (appendix B); streamable:
    # unknown-size Segment and Clusters, no seeking back to write sizes.
    subprocess.run(
        ["gst-launch-1.0", "-q", "videotestsrc", "is-live=false", f"num-buffers={seconds * fps}",
         "pattern=ball", "!", f"video/x-raw,width=320,height=240,framerate={fps}/1", "!",
         "x264enc", f"key-int-max={key_int}", "option-string=scenecut=0", "speed-preset=ultrafast",
         "!", "h264parse", "!", "matroskamux", "streamable=true", "!",
         "filesink", f"location={path}"],
        check=True, timeout=300)
    return path.read_bytes()


def scan_mkv(data):
    """(bytes before the first Cluster, [(start, end, timecode, keyframes)])."""
    pos = 0
    _, p = read_id(data, pos)
    size, p = read_size(data, p)
    pos = p + size  # EBML header
    _, pos = read_id(data, pos)
    seg_size, pos = read_size(data, pos)
    end = len(data) if seg_size is None else pos + seg_size
    header_end = None
    clusters = []
    while pos < end:
        start = pos
        eid, p = read_id(data, pos)
        size, p = read_size(data, p)
        if eid != CLUSTER:
            pos = p + size
            continue
        if header_end is None:
            header_end = start
        cend = end if size is None else p + size
        timecode, keys = None, 0
        q = p
        while q < cend:
            cid, r = read_id(data, q)
            if size is None and cid in LEVEL1:
                break
            csize, r = read_size(data, r)
            if cid == 0xE7:
                timecode = int.from_bytes(data[r:r + csize], "big")
            elif cid == 0xA3 and data[r + 3] & 0x80:
                keys += 1
            q = r + csize
        clusters.append((start, q, timecode, keys))
        pos = q
    return data[:header_end], clusters


# --- PutMedia client ----------------------------------------------------------

def signed_headers(server, extra):
    ak, sk = server.credentials()
    url = server.endpoint + "/putMedia"
    headers = {
        "Host": f"127.0.0.1:{server.port}",
        "User-Agent": "osprey-test/1.0",
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
        "Connection": "keep-alive",
        "x-amzn-fragment-acknowledgment-required": "1",
        **extra,
    }
    request = AWSRequest(method="POST", url=url, data=b"", headers=headers)
    SigV4Auth(Credentials(ak, sk), "kinesisvideo", "us-east-1").add_auth(request)
    # The producer sends no x-amz-content-sha256: the signature covers the
    # SHA-256 of the empty string (video-api.md 1.3).
    assert "X-Amz-Content-SHA256" not in request.headers
    return dict(request.headers.items())


class Upload:
    """One PutMedia request on a raw socket: chunks out, acks in."""

    def __init__(self, server, extra_headers):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        head = "POST /putMedia HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in signed_headers(server, extra_headers).items()) + "\r\n"
        self.sock.sendall(head.encode())
        self.status = None
        self.raw = b""
        self.acks = []
        self.body = b""
        self.ended = threading.Event()
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        try:
            while b"\r\n\r\n" not in buf:
                got = self.sock.recv(65536)
                if not got:
                    return
                buf += got
            head, buf = buf.split(b"\r\n\r\n", 1)
            self.status = int(head.split()[1])
            self.raw = head
            if b"chunked" not in head.lower():
                length = int(next(l.split(b":")[1] for l in head.split(b"\r\n")
                                  if l.lower().startswith(b"content-length")))
                while len(buf) < length:
                    got = self.sock.recv(65536)
                    if not got:
                        break
                    buf += got
                self.body = buf
                return
            while True:
                while b"\r\n" not in buf:
                    got = self.sock.recv(65536)
                    if not got:
                        return
                    buf += got
                line, buf = buf.split(b"\r\n", 1)
                size = int(line, 16)
                while len(buf) < size + 2:
                    got = self.sock.recv(65536)
                    if not got:
                        return
                    buf += got
                chunk, buf = buf[:size], buf[size + 2:]
                if size == 0:
                    return
                assert len(chunk) <= 1024, chunk  # appendix A
                assert chunk.endswith(b"\n") and chunk.count(b"\n") == 1, chunk
                with self.cv:
                    self.acks.append(json.loads(chunk))
                    self.cv.notify_all()
        except OSError:
            pass
        finally:
            self.ended.set()
            with self.cv:
                self.cv.notify_all()

    def send(self, data, piece=65536, rng=None):
        try:
            pos = 0
            while pos < len(data):
                n = rng.randint(1, 2 * piece) if rng else piece
                part = data[pos:pos + n]
                self.sock.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
                pos += n
        except OSError:
            pass  # the server may close after an ERROR ack

    def end_body(self):
        try:
            self.sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass

    def wait_for(self, predicate, timeout=60):
        deadline = time.time() + timeout
        with self.cv:
            while not predicate(self.acks) and not self.ended.is_set():
                left = deadline - time.time()
                if left <= 0:
                    break
                self.cv.wait(left)
            return predicate(self.acks)

    def finish(self, timeout=60):
        assert self.ended.wait(timeout), "response did not end"
        self.sock.close()
        return self.acks


def count(acks, kind):
    return sum(1 for a in acks if a["EventType"] == kind)


def errors(acks):
    return [a for a in acks if a["EventType"] == "ERROR"]


# --- tests ----------------------------------------------------------------------

def create_stream(server, name):
    ak, sk = server.credentials()
    r = subprocess.run([AWS_CLI, "--endpoint-url", server.endpoint, "kinesisvideo", "create-stream",
                        "--stream-name", name, "--data-retention-in-hours", "1"],
                       env=aws_env(ak, sk), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"create-stream failed (control plane wired?): {r.stderr}"


def relative_headers(name):
    return {"x-amzn-stream-name": name, "x-amzn-fragment-timecode-type": "RELATIVE",
            "x-amzn-producer-start-timestamp": "%.3f" % time.time()}


def test_sixty_seconds_of_h264_one_ack_of_each_kind_per_fragment(server, sixty_seconds):
    create_stream(server, "gst-cam")
    header, clusters = scan_mkv(sixty_seconds)
    keyframes = sum(c[3] for c in clusters)
    assert keyframes == 60 * FPS // GOP
    assert len(clusters) == keyframes  # matroskamux cuts at every key frame

    up = Upload(server, relative_headers("gst-cam"))
    up.send(sixty_seconds, rng=random.Random(1))
    # matroskamux writes no END_OF_FRAGMENT: the last Cluster ends with the body.
    assert up.wait_for(lambda a: count(a, "PERSISTED") >= keyframes - 1)
    up.end_body()
    acks = up.finish()
    assert up.status == 200
    assert not errors(acks), acks
    per = {}
    for a in acks:
        if a["EventType"] != "IDLE":
            per.setdefault(a["FragmentNumber"], []).append(a["EventType"])
    assert len(per) == keyframes
    for number, kinds in per.items():
        assert kinds == ["BUFFERING", "RECEIVED", "PERSISTED"], (number, kinds)
    # FragmentTimecode is the raw Cluster Timecode (RELATIVE: from 0).
    timecodes = [a["FragmentTimecode"] for a in acks if a["EventType"] == "BUFFERING"]
    assert timecodes == [c[2] for c in clusters]
    numbers = [a["FragmentNumber"] for a in acks if a["EventType"] == "BUFFERING"]
    assert all(len(n) == 47 for n in numbers) and numbers == sorted(numbers)

    # What GetMedia gives back decodes to every frame that was sent.
    body = get_media_chunks(server, "gst-cam", keyframes)
    out = os.path.join(os.path.dirname(server.data_dir), "gst-cam.mkv")
    with open(out, "wb") as f:
        f.write(body)
    probe = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                            "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", out],
                           capture_output=True, text=True, timeout=120)
    assert probe.stdout.strip() == str(60 * FPS), probe.stdout + probe.stderr


def get_media_chunks(server, stream, n):
    """The first `n` GetMedia chunks from EARLIEST, through boto3."""
    import boto3
    ak, sk = server.credentials()
    media = boto3.client("kinesis-video-media", endpoint_url=server.endpoint,
                         region_name="us-east-1", aws_access_key_id=ak, aws_secret_access_key=sk)
    payload = media.get_media(StreamName=stream,
                              StartSelector={"StartSelectorType": "EARLIEST"})["Payload"]
    data = b""
    # The response stays open at the live head, so read HTTP chunks as they
    # come (read(amt) would wait for `amt` bytes that never arrive). Each
    # GetMedia chunk ends with the continuation-token tag (video-api.md 5).
    for piece in payload._raw_stream.read_chunked():
        data += piece
        if data.count(b"AWS_KINESISVIDEO_CONTINUATION_TOKEN") >= n:
            break
    payload.close()
    assert data.count(b"AWS_KINESISVIDEO_CONTINUATION_TOKEN") >= n, "GetMedia ended early"
    # Keep whole chunks only: cut just before the (n+1)th EBML header, if any.
    marker = b"\x1a\x45\xdf\xa3"
    starts = [i for i in range(len(data)) if data.startswith(marker, i)]
    return data[:starts[n]] if len(starts) > n else data


def stored_fragment_count(server, stream):
    import boto3
    ak, sk = server.credentials()
    archived = boto3.client("kinesis-video-archived-media", endpoint_url=server.endpoint,
                            region_name="us-east-1", aws_access_key_id=ak, aws_secret_access_key=sk)
    return len(archived.list_fragments(StreamName=stream, MaxResults=1000, FragmentSelector={
        "FragmentSelectorType": "SERVER_TIMESTAMP",
        "TimestampRange": {"StartTimestamp": 0, "EndTimestamp": time.time() + 60}})["Fragments"])


def test_unknown_stream_is_404_before_the_body(server):
    up = Upload(server, relative_headers("no-such-stream"))
    up.finish(timeout=10)
    assert up.status == 404
    assert b"x-amzn-ErrorType: ResourceNotFoundException" in up.raw
    assert b"ResourceNotFoundException" in up.body


def test_bad_timecode_type_is_400(server):
    create_stream(server, "bad-hdr")
    headers = relative_headers("bad-hdr")
    headers["x-amzn-fragment-timecode-type"] = "SOMETIMES"
    up = Upload(server, headers)
    up.finish(timeout=10)
    assert up.status == 400
    assert b"InvalidArgumentException" in up.body


def upload_expecting_error(server, name, data, error_id):
    up = Upload(server, relative_headers(name))
    up.send(data)
    up.end_body()
    acks = up.finish()
    assert up.status == 200
    errs = errors(acks)
    assert [e["ErrorId"] for e in errs] == [error_id], acks
    assert acks[-1]["EventType"] == "ERROR"  # always the last ack
    return acks


def test_error_acks_leave_stored_fragments_alone(server, sixty_seconds):
    create_stream(server, "errs")
    header, clusters = scan_mkv(sixty_seconds)
    c = [sixty_seconds[s:e] for s, e, _, _ in clusters]

    # Garbage: INVALID_MKV_DATA, nothing buffered, nothing stored.
    acks = upload_expecting_error(server, "errs", os.urandom(5000), 4006)
    assert count(acks, "BUFFERING") == 0
    assert stored_fragment_count(server, "errs") == 0

    # Truncated inside the fourth Cluster's first frame: three stored.
    cut = clusters[3][0] + 200
    acks = upload_expecting_error(server, "errs", sixty_seconds[:cut], 4006)
    assert count(acks, "PERSISTED") == 3
    assert errs_number(acks) == [a["FragmentNumber"] for a in acks
                                 if a["EventType"] == "BUFFERING"][3]

    # Timecode going backwards: c0, c1, then c0 again.
    acks = upload_expecting_error(server, "errs", header + c[0] + c[1] + c[0], 4004)
    assert count(acks, "PERSISTED") == 2

    # A Cluster over 50 MB: refused at the frame header that says so.
    big_frame = b"\xa3\x01" + (50_000_100 + 4).to_bytes(7, "big") + b"\x81\x00\x00\x80"
    big = (b"\x1f\x43\xb6\x75\x01\xff\xff\xff\xff\xff\xff\xff" + b"\xe7\x88" +
           (clusters[1][2] + 100_000).to_bytes(8, "big") + big_frame + bytes(50_000_100))
    acks = upload_expecting_error(server, "errs", header + c[0] + big, 4001)
    assert count(acks, "PERSISTED") == 1
    # Only what was acknowledged is stored: 3 + 2 + 1, no trace of a failed one.
    assert stored_fragment_count(server, "errs") == 6

    # The stream still takes a clean upload after all that.
    up = Upload(server, relative_headers("errs"))
    up.send(header + c[0] + c[1])
    up.end_body()
    acks = up.finish()
    assert count(acks, "PERSISTED") == 2 and not errors(acks)
    assert stored_fragment_count(server, "errs") == 8


def errs_number(acks):
    return errors(acks)[0].get("FragmentNumber")
