#!/usr/bin/env python3
"""Helpers of bench/ml_latency.sh (see there). Three commands:

  proxy PORT UPSTREAM_PORT OUT   TCP relay between osprey-agent and
        osprey-server; writes "<fragment number> <epoch ms>" to OUT when a
        PERSISTED ack passes towards the agent (the moment the producer
        learns the fragment is stored; the server stamps nothing later).
  consume ENDPOINT STREAM OUT POLL_MS   polls GetRecords (boto3) from
        TRIM_HORIZON; writes one JSON line per record: when it was first
        read, its fragment, its ApproximateArrivalTimestamp.
  report PERSISTED READ ML_START_MS   joins both and prints the table.

Times are time.time() of processes on the same host (one clock).
"""
import json
import os
import re
import signal
import socket
import sys
import threading
import time

PERSISTED = re.compile(rb'\{"EventType":"PERSISTED"[^}]*"FragmentNumber":"([0-9]+)"')


def now_ms():
    return time.time() * 1e3


def proxy(port, upstream, out_path):
    out = open(out_path, "a", buffering=1)
    lock = threading.Lock()
    listener = socket.create_server(("127.0.0.1", int(port)))

    def pump(src, dst, watch):
        tail = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                t = now_ms()
                if watch:
                    # Keep a tail so an ack split across two reads is seen.
                    buf = tail + data
                    for m in PERSISTED.finditer(buf):
                        with lock:
                            out.write(f"{m.group(1).decode()} {t:.3f}\n")
                    cut = buf.rfind(b"}")
                    tail = buf[cut + 1:][-512:] if cut >= 0 else buf[-512:]
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    while True:
        client, _ = listener.accept()
        server = socket.create_connection(("127.0.0.1", int(upstream)))
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pump, args=(client, server, False), daemon=True).start()
        threading.Thread(target=pump, args=(server, client, True), daemon=True).start()


def consume(endpoint, stream, out_path, poll_ms):
    import boto3
    from botocore.config import Config
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    kinesis = boto3.client(
        "kinesis", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"max_attempts": 2}, connect_timeout=2, read_timeout=5))
    # osprey-ml creates the events stream when it starts.
    while not stop:
        try:
            if kinesis.describe_stream_summary(StreamName=stream)[
                    "StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
                break
        except Exception:  # not created yet
            pass
        time.sleep(0.1)
    shards = [s["ShardId"] for s in kinesis.list_shards(StreamName=stream)["Shards"]]
    its = {s: kinesis.get_shard_iterator(StreamName=stream, ShardId=s,
                                         ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
           for s in shards}
    out = open(out_path, "a", buffering=1)
    polls = 0
    while not stop:
        got = 0
        for shard, it in list(its.items()):
            r = kinesis.get_records(ShardIterator=it, Limit=10000)
            t = now_ms()
            polls += 1
            its[shard] = r["NextShardIterator"]
            for rec in r["Records"]:
                got += 1
                try:
                    ev = json.loads(rec["Data"])
                except ValueError:
                    continue
                out.write(json.dumps({
                    "t_read_ms": t, "fragment_number": ev.get("fragment_number", ""),
                    "event_type": ev.get("event_type", ""),
                    "arrival_ms": rec["ApproximateArrivalTimestamp"].timestamp() * 1e3,
                    "server_timestamp_ms": ev.get("server_timestamp_ms"),
                    "producer_timestamp_ms": ev.get("producer_timestamp_ms")}) + "\n")
        if not got:
            time.sleep(float(poll_ms) / 1e3)
    out.write(json.dumps({"polls": polls}) + "\n")


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def report(persisted_path, read_path, ml_start_ms):
    persisted = {}
    for line in open(persisted_path):
        fn, t = line.split()
        persisted.setdefault(fn, float(t))
    first_read, first_arrival, server_ts, producer_ts, polls = {}, {}, {}, {}, None
    for line in open(read_path):
        r = json.loads(line)
        if "polls" in r:
            polls = r["polls"]
            continue
        fn = r["fragment_number"]
        if not fn:
            continue  # events at stop carry no fragment
        if fn not in first_read or r["t_read_ms"] < first_read[fn]:
            first_read[fn] = r["t_read_ms"]
        first_arrival[fn] = min(first_arrival.get(fn, float("inf")), r["arrival_ms"])
        server_ts[fn] = r["server_timestamp_ms"]
        producer_ts[fn] = r["producer_timestamp_ms"]
    # Fragments osprey-ml could see: persisted after it started reading.
    window = [fn for fn, t in persisted.items() if t > float(ml_start_ms)]
    both = [fn for fn in window if fn in first_read]
    lat = [first_read[fn] - persisted[fn] for fn in both]
    to_put = [first_arrival[fn] - persisted[fn] for fn in both]
    put_to_read = [first_read[fn] - first_arrival[fn] for fn in both]
    from_start = [first_read[fn] - server_ts[fn] for fn in both if server_ts.get(fn)]
    # The producer's clock is this host's clock too (agent on the same machine).
    from_end = [first_read[fn] - (producer_ts[fn] + 1000) for fn in both if producer_ts.get(fn)]
    rows = [
        ("PERSISTED ack -> first GetRecords read (the target)", lat),
        ("  of which PERSISTED -> PutRecords accepted (ApproximateArrivalTimestamp)", to_put),
        ("  of which accepted -> first read (polling)", put_to_read),
        ("fragment server_timestamp (arrival of its first byte) -> first read", from_start),
        ("end of the fragment on the producer clock (producer_timestamp + 1 s) -> first read", from_end),
    ]
    # Which fragments of the window (in persisted order) had no event read.
    order = sorted(window, key=lambda fn: persisted[fn])
    missing = [i for i, fn in enumerate(order) if fn not in first_read]
    result = {"fragments_persisted_in_window": len(window), "fragments_with_events": len(both),
              "positions_without_events": missing,
              "getrecords_polls": polls, "rows": {}}
    print(f"fragments persisted while osprey-ml ran: {len(window)}; with events read: {len(both)}; "
          f"positions (0 = first) without events: {missing}")
    print("\n| latency per fragment | count | p50 | p90 | p99 | max | target |")
    print("|---|---|---|---|---|---|---|")
    for i, (name, v) in enumerate(rows):
        stats = {k: pct(v, p) for k, p in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))}
        result["rows"][name.strip()] = dict(stats, count=len(v))
        target = "p50 <= 300 ms" if i == 0 else ""
        print(f"| {name} | {len(v)} | {stats['p50']:.0f} ms | {stats['p90']:.0f} ms | "
              f"{stats['p99']:.0f} ms | {stats['max']:.0f} ms | {target} |")
    result["p50_meets_target"] = bool(lat) and pct(lat, 50) <= 300
    print(json.dumps(result))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"proxy": proxy, "consume": consume, "report": report}[cmd](*args)
