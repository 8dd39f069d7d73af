"""Crash consistency of the Kinesis API (issue 6): kill -9 the server while
several producers run PutRecords, 20 times; after each restart every
acknowledged record is readable exactly once, in order, and nothing that
was not acknowledged appears damaged (a record the server made durable
but whose answer was lost may appear, whole).

Producers are threads of boto3 clients, each on its own connection, each
writing records whose data names the producer and a counter, so order and
duplicates can be checked per producer."""
import os
import random
import signal
import threading
import time

import boto3
import botocore.config
import botocore.exceptions

from conftest import Server

ROUNDS = int(os.environ.get("OSPREY_TEST_CRASH_ROUNDS", "20"))
PRODUCERS = 3
STREAM = "crash-events"


def client(server):
    ak, sk = server.credentials()
    return boto3.client("kinesis", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=ak, aws_secret_access_key=sk,
                        config=botocore.config.Config(retries={"max_attempts": 0},
                                                      connect_timeout=2, read_timeout=5))


def produce(server, producer, start, acked, stop):
    k = client(server)
    n = start
    while not stop.is_set():
        batch = [{"Data": b"%d:%d:" % (producer, n + i) + os.urandom(64), "PartitionKey": str(producer)}
                 for i in range(50)]
        try:
            r = k.put_records(StreamName=STREAM, Records=batch)
        except Exception:
            return  # the server died: whatever was not answered is unacknowledged
        for i, entry in enumerate(r["Records"]):
            if "SequenceNumber" in entry:
                acked[producer].append((n + i, batch[i]["Data"]))
        n += len(batch)


def read_everything(k):
    shards = k.list_shards(StreamName=STREAM)["Shards"]
    records = []
    for shard in shards:
        it = k.get_shard_iterator(StreamName=STREAM, ShardId=shard["ShardId"],
                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            r = k.get_records(ShardIterator=it, Limit=10000)
            records += r["Records"]
            if not r["Records"] and r.get("MillisBehindLatest", 0) == 0:
                break
            it = r.get("NextShardIterator")
    return records


def test_acknowledged_records_survive_kill_9(tmp_path):
    rng = random.Random(int(os.environ.get("OSPREY_TEST_SEED", "77")))
    data_dir = tmp_path / "data"
    server = Server(data_dir)
    k = client(server)
    k.create_stream(StreamName=STREAM, ShardCount=2)
    for _ in range(100):
        if k.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"][
                "StreamStatus"] == "ACTIVE":
            break
        time.sleep(0.05)
    acked = {p: [] for p in range(PRODUCERS)}
    next_n = {p: 0 for p in range(PRODUCERS)}
    try:
        for round_no in range(ROUNDS):
            stop = threading.Event()
            threads = [threading.Thread(target=produce,
                                        args=(server, p, next_n[p], acked, stop))
                       for p in range(PRODUCERS)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.3, 1.5))
            os.kill(server.proc.pid, signal.SIGKILL)
            server.proc.wait()
            stop.set()
            for t in threads:
                t.join()
            # Numbers restart above anything possibly written, so a record
            # durable but unacknowledged can never be confused with a new one.
            for p in range(PRODUCERS):
                next_n[p] += 1_000_000
            server = Server(data_dir)
            records = read_everything(client(server))
            seen = {}
            for r in records:
                producer, n, _ = r["Data"].split(b":", 2)
                key = (int(producer), int(n))
                assert key not in seen, f"round {round_no}: record {key} read twice"
                seen[key] = r["Data"]
            for p in range(PRODUCERS):
                # Exactly what was acknowledged, byte for byte...
                for n, data in acked[p]:
                    assert seen.get((p, n)) == data, f"round {round_no}: lost or damaged {(p, n)}"
                # ...and in the order it was written (one producer, one shard).
                mine = [int(r["Data"].split(b":", 2)[1]) for r in records
                        if r["Data"].startswith(b"%d:" % p)]
                assert mine == sorted(mine), f"round {round_no}: producer {p} out of order"
        assert sum(len(v) for v in acked.values()) > ROUNDS * 50
    finally:
        server.stop()
