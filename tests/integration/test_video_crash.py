"""Crash consistency of video ingest (issue 3): kill -9 the server at random
moments while several producers stream through PutMedia, restart it, and
check that every fragment whose PERSISTED ack a producer received is stored
byte for byte, and that the index agrees with the files (ListFragments
lists exactly what GetMediaForFragmentList can read back).

Producers are bench/ingest_load (real chunked HTTP, SigV4, the KVS producer
layout); with --report-persisted it prints, for every PERSISTED ack, the
fragment number and the SHA-256 of the Cluster bytes it sent.
"""
import os
import random
import signal
import subprocess
import time

import boto3
import botocore.config
import pytest

from conftest import Server
from kvs_media import sha256, split_chunks

LOAD_BIN = os.environ.get("OSPREY_INGEST_LOAD_BIN", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin", "ingest_load"))
ROUNDS = int(os.environ.get("OSPREY_TEST_CRASH_ROUNDS", "20"))
STREAMS = 3


def archived_media(server):
    ak, sk = server.credentials()
    return boto3.client(
        "kinesis-video-archived-media", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=ak, aws_secret_access_key=sk,
        config=botocore.config.Config(retries={"max_attempts": 1}))


def list_all_fragments(client, stream):
    numbers = {}
    kwargs = {"StreamName": stream, "FragmentSelector": {
        "FragmentSelectorType": "SERVER_TIMESTAMP",
        "TimestampRange": {"StartTimestamp": 0, "EndTimestamp": time.time() + 3600}}}
    while True:
        page = client.list_fragments(**kwargs)
        for f in page["Fragments"]:
            numbers[f["FragmentNumber"]] = f
        token = page.get("NextToken")
        if not token:
            return numbers
        kwargs = {"StreamName": stream, "NextToken": token}


def stored_clusters(client, stream, numbers):
    """FragmentNumber -> sha256 of the stored Cluster, via GetMediaForFragmentList."""
    out = {}
    numbers = sorted(numbers)
    for i in range(0, len(numbers), 500):
        body = client.get_media_for_fragment_list(
            StreamName=stream, Fragments=numbers[i:i + 500])["Payload"].read()
        for chunk in split_chunks(body):
            number = chunk["tags"].get("AWS_KINESISVIDEO_FRAGMENT_NUMBER")
            assert "AWS_KINESISVIDEO_ERROR_CODE" not in chunk["tags"], chunk["tags"]
            out[number] = sha256(chunk["cluster"])
    return out


def run_round(server, rng, persisted):
    ak, sk = server.credentials()
    load = subprocess.Popen(
        [LOAD_BIN, "--port", str(server.port), "--access-key", ak, "--secret-key", sk,
         "--streams", str(STREAMS), "--seconds", "60", "--bitrate", "4000000",
         "--fragment-ms", "400", "--prefix", "crash-", "--report-persisted"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    # Let it run long enough to persist something, then crash the server at
    # a random point of the ingest.
    time.sleep(rng.uniform(0.8, 3.0))
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait()
    try:
        out, _ = load.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        load.kill()
        out, _ = load.communicate()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "PERSISTED":
            persisted.setdefault(parts[1], {})[parts[2]] = parts[3]


def test_acknowledged_fragments_survive_kill_9(tmp_path):
    rng = random.Random(int(os.environ.get("OSPREY_TEST_SEED", "4242")))
    data = tmp_path / "data"
    persisted = {}  # stream -> {fragment number: sha256}
    server = Server(data)
    try:
        for round_no in range(ROUNDS):
            run_round(server, rng, persisted)
            server = Server(data)  # recovers by itself
            client = archived_media(server)
            for stream, expected in persisted.items():
                listed = list_all_fragments(client, stream)
                missing = set(expected) - set(listed)
                assert not missing, f"round {round_no}: {stream} lost acknowledged {sorted(missing)[:3]}"
                stored = stored_clusters(client, stream, listed.keys())
                # The index agrees with the files: every listed fragment reads back...
                assert set(stored) == set(listed), f"round {round_no}: {stream} index/file mismatch"
                for number, f in listed.items():
                    assert f["FragmentSizeInBytes"] > 0
                # ...and every acknowledged one is byte for byte what was sent.
                for number, digest in expected.items():
                    assert stored[number] == digest, f"round {round_no}: {stream} {number} differs"
        assert sum(len(v) for v in persisted.values()) >= ROUNDS, "too few fragments acknowledged"
    finally:
        server.stop()
