"""A fragment re-sent after a lost ACK is recognised and not stored twice
(issue 4 item 5; docs/video-ingest.md "Retries after a lost ACK").

A producer keeps a fragment until its PERSISTED ack arrives; if the
connection drops in between, it sends the fragment again on a new PutMedia
connection with the same producer timestamp and the same bytes. Here a raw
chunked-HTTP producer (SigV4 as the KVS producer signs it) sends real H.264
from GStreamer with ABSOLUTE Cluster Timecodes, as osprey-agent does:
fragments 1..5 on one connection, then 4, 5, 6, 7 on a new one, with and
without a kill -9 of the server in between.
"""
import os
import signal
import time

import boto3
import pytest

from conftest import Server
from kvs_media import read_id, read_size, sha256, split_chunks
from test_put_media import (Upload, count, create_stream, errors, get_media_chunks,
                            gst_h264_mkv, scan_mkv)

FPS = 30
BASE_MS = 1_700_000_000_000  # producer clock of fragment 1


@pytest.fixture(scope="module")
def ten_seconds(tmp_path_factory):
    """10 s of H.264 (one key frame per second) as matroskamux writes it:
    (bytes before the first Cluster, [Cluster bytes])."""
    data = gst_h264_mkv(tmp_path_factory.mktemp("mkv") / "ten.mkv", 10, FPS, fps=FPS)
    header, clusters = scan_mkv(data)
    assert len(clusters) == 10
    return header, [absolute(data[s:e]) for s, e, _, _ in clusters]


def absolute(cluster):
    """The Cluster with its Timecode made absolute (BASE_MS + relative ms,
    8 bytes), as the KVS producer and osprey-agent write it."""
    _, p = read_id(cluster, 0)
    _, p = read_size(cluster, p)
    eid, q = read_id(cluster, p)
    assert eid == 0xE7, hex(eid)
    size, r = read_size(cluster, q)
    tc = int.from_bytes(cluster[r:r + size], "big")
    return cluster[:p] + b"\xe7\x88" + (BASE_MS + tc).to_bytes(8, "big") + cluster[r + size:]


def upload(server, stream, body):
    """One PutMedia connection: sends `body`, ends it, returns the acks."""
    up = Upload(server, {"x-amzn-stream-name": stream,
                         "x-amzn-fragment-timecode-type": "ABSOLUTE"})
    up.send(body)
    up.end_body()
    acks = up.finish()
    assert up.status == 200
    assert not errors(acks), acks
    return acks


def persisted(acks):
    return [a["FragmentNumber"] for a in acks if a["EventType"] == "PERSISTED"]


def per_fragment(acks):
    """FragmentNumber -> [event types], in order of first appearance."""
    out = {}
    for a in acks:
        if a["EventType"] != "IDLE":
            out.setdefault(a["FragmentNumber"], []).append(a["EventType"])
    return out


def list_fragments(server, stream):
    ak, sk = server.credentials()
    client = boto3.client("kinesis-video-archived-media", endpoint_url=server.endpoint,
                          region_name="us-east-1", aws_access_key_id=ak, aws_secret_access_key=sk)
    frags = client.list_fragments(StreamName=stream, MaxResults=1000, FragmentSelector={
        "FragmentSelectorType": "SERVER_TIMESTAMP",
        "TimestampRange": {"StartTimestamp": 0, "EndTimestamp": time.time() + 60}})["Fragments"]
    return sorted(frags, key=lambda f: int(f["FragmentNumber"]))


def check_stored_once(server, stream, clusters, numbers):
    """ListFragments has exactly `numbers`, and GetMedia from EARLIEST gives
    `clusters` (each once, in order) under those numbers."""
    listed = list_fragments(server, stream)
    assert [f["FragmentNumber"] for f in listed] == numbers
    body = get_media_chunks(server, stream, len(numbers))
    chunks = list(split_chunks(body))
    assert [c["tags"]["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for c in chunks] == numbers
    assert [sha256(c["cluster"]) for c in chunks] == [sha256(c) for c in clusters]
    # Producer timestamps as sent: fragment i starts at BASE_MS + i s.
    assert [int(f["ProducerTimestamp"].timestamp() * 1000 + 0.5) for f in listed] == [
        BASE_MS + 1000 * i for i in range(len(numbers))]


def resend_and_check(server, stream, header, clusters, first_numbers):
    """Connection 2 re-sends 4 and 5, then 6 and 7."""
    acks = upload(server, stream, header + b"".join(clusters[3:7]))
    numbers = persisted(acks)
    assert len(numbers) == 4, acks
    # 4 and 5 are answered with their original numbers; 6 and 7 are new.
    assert numbers[:2] == first_numbers[3:5], (numbers, first_numbers)
    assert int(numbers[2]) > int(first_numbers[4])
    per = per_fragment(acks)
    assert list(per) == numbers
    for number, kinds in per.items():
        assert kinds == ["BUFFERING", "RECEIVED", "PERSISTED"], (number, kinds)
    # Every ack names the fragment's own Cluster Timecode.
    timecodes = [a["FragmentTimecode"] for a in acks if a["EventType"] == "BUFFERING"]
    assert timecodes == [BASE_MS + 1000 * i for i in range(3, 7)]
    all_numbers = first_numbers + numbers[2:]
    check_stored_once(server, stream, clusters[:7], all_numbers)
    return all_numbers


def test_resent_fragments_keep_their_numbers_and_are_stored_once(server, ten_seconds):
    header, clusters = ten_seconds
    create_stream(server, "retry-cam")
    first = persisted(upload(server, "retry-cam", header + b"".join(clusters[:5])))
    assert len(first) == 5
    numbers = resend_and_check(server, "retry-cam", header, clusters, first)

    # Same producer timestamp as fragment 7, other bytes (one payload byte of
    # its last frame flipped): a different fragment, stored.
    changed = bytearray(clusters[6])
    changed[-1] ^= 0x01
    acks = upload(server, "retry-cam", header + bytes(changed))
    extra = persisted(acks)
    assert len(extra) == 1 and extra[0] not in numbers, acks
    assert count(acks, "BUFFERING") == 1
    listed = list_fragments(server, "retry-cam")
    assert len(listed) == 8
    assert [f["FragmentNumber"] for f in listed] == numbers + extra
    assert listed[-1]["ProducerTimestamp"] == listed[-2]["ProducerTimestamp"]


def test_resent_fragments_after_kill_9_are_recognised(tmp_path, ten_seconds):
    """The server persisted 1..5 and is killed (SIGKILL) before anything
    else happens; the restarted server recognises 4 and 5 when they come
    again, from the content hashes in its recovered index."""
    header, clusters = ten_seconds
    data = tmp_path / "data"
    server = Server(data)
    try:
        create_stream(server, "crash-cam")
        first = persisted(upload(server, "crash-cam", header + b"".join(clusters[:5])))
        assert len(first) == 5
        os.kill(server.proc.pid, signal.SIGKILL)
        server.proc.wait()
        server = Server(data)
        resend_and_check(server, "crash-cam", header, clusters, first)
    finally:
        server.stop()
