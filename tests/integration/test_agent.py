"""osprey-agent against the real osprey-server (issue "Edge agent").

The agent captures a GStreamer test pattern (videotestsrc ! x264enc), cuts
1 s fragments at IDR frames, records them in its on-disk spool and uploads
them with SigV4-signed chunked PutMedia, creating the stream first (Describe
404 -> Create, as the KVS producer does). The tests read the result back
with ListFragments.

These need the server's control plane and PutMedia wired into osprey-server.
"""
import os
import re
import signal
import subprocess
import time

import boto3
import botocore.config
import pytest

import conftest
from conftest import Server

AGENT_BIN = os.environ.get("OSPREY_AGENT_BIN", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin", "osprey-agent"))


def start_agent(endpoint, stream, spool_dir, credentials, log_path, extra=()):
    ak, sk = credentials
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": ak, "AWS_SECRET_ACCESS_KEY": sk})
    args = [AGENT_BIN, "--endpoint", endpoint, "--stream", stream, "--source", "testsrc",
            "--spool-dir", str(spool_dir), "--fragment-ms", "1000", "--width", "320",
            "--height", "240", "--fps", "15", "--drain-ms", "10000", *extra]
    return subprocess.Popen(args, stdout=open(log_path, "w"), stderr=subprocess.STDOUT, env=env)


def stop_agent(proc, log_path, timeout=30):
    """SIGTERM, wait; returns the fields of the agent's final 'stopped' log line."""
    os.kill(proc.pid, signal.SIGTERM)
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail("agent did not exit after SIGTERM:\n" + open(log_path).read()[-3000:])
    text = open(log_path).read()
    assert rc == 0, f"agent exited with {rc}:\n{text[-3000:]}"
    lines = [l for l in text.splitlines() if 'msg=stopped' in l]
    assert lines, "no final log line:\n" + text[-3000:]
    return {k: v for k, v in re.findall(r'(\w+)=("[^"]*"|\S+)', lines[-1])}


def archived_media(server):
    ak, sk = server.credentials()
    return boto3.client(
        "kinesis-video-archived-media", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=ak, aws_secret_access_key=sk,
        config=botocore.config.Config(retries={"max_attempts": 1}))


def list_fragments(server, stream):
    client = archived_media(server)
    out = []
    kwargs = {"StreamName": stream, "FragmentSelector": {
        "FragmentSelectorType": "PRODUCER_TIMESTAMP",
        "TimestampRange": {"StartTimestamp": 0, "EndTimestamp": time.time() + 3600}}}
    while True:
        page = client.list_fragments(**kwargs)
        out.extend(page["Fragments"])
        token = page.get("NextToken")
        if not token:
            return out
        kwargs = {"StreamName": stream, "NextToken": token}


def wait_for_fragments(server, stream, n, timeout=30):
    """ListFragments is eventually consistent: poll until n fragments show."""
    deadline = time.time() + timeout
    frags = []
    while time.time() < deadline:
        try:
            frags = list_fragments(server, stream)
        except Exception:  # noqa: BLE001 (stream may not exist yet)
            frags = []
        if len(frags) >= n:
            return frags
        time.sleep(0.5)
    return frags


def check_fragments(frags, expected, short_allowed=1):
    assert len(frags) == expected, f"{len(frags)} fragments listed, agent persisted {expected}"
    producer = [f["ProducerTimestamp"] for f in frags]
    assert len(set(producer)) == len(producer), "a fragment was stored twice"
    # Every fragment but the last of each run (cut by SIGTERM) is ~1 s long.
    lengths = [f["FragmentLengthInMilliseconds"] for f in frags]
    assert sum(1 for l in lengths if not 900 <= l <= 1200) <= short_allowed, lengths
    # Fragments are ordered: in ingest order (fragment numbers increase),
    # producer time increases.
    by_server = sorted(frags, key=lambda f: int(f["FragmentNumber"]))
    ts = [f["ProducerTimestamp"] for f in by_server]
    assert ts == sorted(ts), "backlog was not uploaded in order"
    now = time.time()
    assert all(now - 120 < t.timestamp() <= now + 5 for t in producer), producer


def test_testsrc_ten_seconds_lands_in_list_fragments(server, tmp_path):
    log_path = tmp_path / "agent.log"
    agent = start_agent(server.endpoint, "agent-cam", tmp_path / "spool", server.credentials(),
                        log_path)
    time.sleep(10)
    stats = stop_agent(agent, log_path)
    assert stats["drained"] == "true", stats
    persisted = int(stats["spool_acked_seq"])
    assert persisted >= 7, stats  # ~10 fragments of 1 s
    assert int(stats["spool_last_seq"]) == persisted, stats
    check_fragments(wait_for_fragments(server, "agent-cam", persisted), persisted)


def test_offline_backlog_uploads_in_order_when_server_starts(tmp_path):
    # Start the server once to get its credentials and a port, then stop it.
    port = conftest.free_port()
    original = conftest.free_port
    conftest.free_port = lambda: port
    try:
        first = Server(tmp_path / "data")
        credentials = first.credentials()
        first.stop()
        log_path = tmp_path / "agent.log"
        agent = start_agent(f"http://127.0.0.1:{port}", "offline-cam", tmp_path / "spool",
                            credentials, log_path)
        try:
            time.sleep(20)  # recording with the server down (issue 4: 20 s)
            assert agent.poll() is None, open(log_path).read()
            spool_files = [p for p in (tmp_path / "spool").iterdir() if p.suffix == ".osp"]
            assert spool_files, "nothing spooled while offline"
            server = Server(tmp_path / "data")
        except BaseException:
            agent.kill()
            raise
    finally:
        conftest.free_port = original
    try:
        time.sleep(6)  # backlog plus some live fragments
        stats = stop_agent(agent, log_path)
        assert stats["drained"] == "true", stats
        persisted = int(stats["spool_acked_seq"])
        assert persisted >= 22, stats  # 20 s offline + 6 s live, 1 s fragments
        frags = wait_for_fragments(server, "offline-cam", persisted)
        check_fragments(frags, persisted)
        # The oldest fragments were captured while the server was down.
        server_start = min(f["ServerTimestamp"] for f in frags)
        oldest = min(f["ProducerTimestamp"] for f in frags)
        assert (server_start - oldest).total_seconds() > 18, (server_start, oldest)
    finally:
        server.stop()


def test_restart_resumes_without_duplicates(server, tmp_path):
    """Two agent runs on one spool: the second resumes after the last PERSISTED
    and its timestamps continue after the first run's."""
    spool = tmp_path / "spool"
    for run in range(2):
        log_path = tmp_path / f"agent-{run}.log"
        agent = start_agent(server.endpoint, "restart-cam", spool, server.credentials(), log_path)
        time.sleep(4)
        stats = stop_agent(agent, log_path)
        assert stats["drained"] == "true", stats
    total = int(stats["spool_acked_seq"])
    check_fragments(wait_for_fragments(server, "restart-cam", total), total, short_allowed=2)


def test_kill9_and_restart_loses_nothing_recorded(server, tmp_path):
    """kill -9 the agent 4 times mid-upload; each restart resumes from the
    spool. The last run ends cleanly: everything it recorded in every run is
    PERSISTED. A kill between the server's PERSISTED and the marker rename
    resends a fragment (same producer timestamp and bytes): the server
    recognises it, so nothing is stored twice."""
    spool = tmp_path / "spool"
    kills = 4
    for run in range(kills):
        log_path = tmp_path / f"agent-{run}.log"
        agent = start_agent(server.endpoint, "kill-cam", spool, server.credentials(), log_path)
        time.sleep(3 + run * 0.3)
        os.kill(agent.pid, signal.SIGKILL)
        agent.wait()
    log_path = tmp_path / "agent-last.log"
    agent = start_agent(server.endpoint, "kill-cam", spool, server.credentials(), log_path)
    time.sleep(3)
    stats = stop_agent(agent, log_path)
    assert stats["drained"] == "true", stats
    recorded = int(stats["spool_acked_seq"])  # spool numbering spans all runs
    frags = wait_for_fragments(server, "kill-cam", recorded)
    producer = [f["ProducerTimestamp"] for f in frags]
    assert len(set(producer)) == recorded, (len(set(producer)), recorded)
    assert len(producer) == len(set(producer)), "a fragment was stored twice"
    by_number = sorted(frags, key=lambda f: int(f["FragmentNumber"]))
    distinct_in_order = []
    for f in by_number:
        if f["ProducerTimestamp"] not in distinct_in_order:
            distinct_in_order.append(f["ProducerTimestamp"])
    assert distinct_in_order == sorted(distinct_in_order)
