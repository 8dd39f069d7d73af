"""osprey-ml end to end (issue "ML hooks").

One run shared by the tests of this module: the real osprey-server, the real
osprey-agent streaming OpenCV's pedestrian clip vtest.avi (768x576, 10 fps,
79.5 s; re-encoded to H.264 by the agent, 1 s fragments, in real time) and
osprey-ml watching the stream with the HOG person detector, an intrusion
rule on the lower-left lawn, events to the data stream osprey-events and the
Firehose delivery stream osprey-events (local bucket folder), snapshots
beside the archive. osprey-ml is killed with SIGKILL a third of the way in
and restarted; it must resume from its journal.

Ground truth (tests/data/vtest_people.md, by eye): 10 people walk through
the scene (range 9-11) plus 2 tiny distant figures, 12 at most; most stay
for the whole clip, turn round and leave and come back, so tracks outnumber
people. Exactly two people (A and B, walking together) set foot on the
lower-left lawn x 0-0.6, y 0.72-1.0 (feet), between about 50 s and 69 s.
"""
import base64
import glob
import json
import os
import signal
import subprocess
import time
import urllib.parse

import boto3
import botocore.config
import pytest

import conftest
import dataset_check
from conftest import AWS_CLI, Server, aws_env

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
BIN = os.environ.get("OSPREY_BIN_DIR", os.path.join(ROOT, "build", "bin"))
AGENT_BIN = os.environ.get("OSPREY_AGENT_BIN", os.path.join(BIN, "osprey-agent"))
ML_BIN = os.environ.get("OSPREY_ML_BIN", os.path.join(BIN, "osprey-ml"))
CLI_BIN = os.environ.get("OSPREY_CLI_BIN", os.path.join(BIN, "osprey"))
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
STREAM = "street"
ZONE = "lawn=0,0.72;0.6,0.72;0.6,1;0,1"
PEOPLE_MAX = 12          # vtest_people.md: 10 (9-11) + 2 distant figures
LAWN_WINDOW_S = (45, 75)  # A and B on the lawn at about 50-69 s, with margin


def in_lawn(box_norm):
    x = box_norm["x"] + box_norm["w"] / 2
    y = box_norm["y"] + box_norm["h"]
    return 0 <= x <= 0.6 and 0.72 <= y <= 1.0


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    pytest.fail("timed out waiting for " + what)


def journal_entries(state_dir):
    path = os.path.join(state_dir, f"{STREAM}.journal")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f.read().splitlines() if l.endswith("}")]


class Run:
    pass


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    assert os.path.exists(VTEST), "vtest.avi missing: run deploy/install-deps.sh (opencv-doc)"
    base = tmp_path_factory.mktemp("ml")
    server = Server(base / "data")
    ak, sk = server.credentials()
    env = aws_env(ak, sk)
    cfg = botocore.config.Config(retries={"max_attempts": 2})
    r = Run()
    r.server, r.env, r.base = server, env, base
    r.state = str(base / "ml-state")
    r.bucket = os.path.join(server.data_dir, "s3", "osprey-events")
    procs = []
    try:
        # The SDK model says IntervalInSeconds >= 60; the API allows less
        # (test_firehose.py), which keeps this test short.
        firehose = boto3.client(
            "firehose", endpoint_url=server.endpoint, region_name="us-east-1",
            aws_access_key_id=ak, aws_secret_access_key=sk,
            config=botocore.config.Config(retries={"max_attempts": 2},
                                          parameter_validation=False))
        firehose.create_delivery_stream(
            DeliveryStreamName="osprey-events", DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::000000000000:role/test",
                "BucketARN": "arn:aws:s3:::osprey-events", "Prefix": "events/",
                "BufferingHints": {"IntervalInSeconds": 1, "SizeInMBs": 1}})
        agent_log = open(base / "agent.log", "w")
        agent = subprocess.Popen(
            [AGENT_BIN, "--endpoint", server.endpoint, "--stream", STREAM,
             "--source", "file:" + VTEST, "--spool-dir", str(base / "spool"),
             "--fragment-ms", "1000", "--drain-ms", "10000"],
            stdout=agent_log, stderr=subprocess.STDOUT, env=env)
        procs.append(agent)
        kvs = boto3.client("kinesisvideo", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id=ak, aws_secret_access_key=sk, config=cfg)

        def stream_exists():
            try:
                kvs.describe_stream(StreamName=STREAM)
                return True
            except kvs.exceptions.ResourceNotFoundException:
                return False
        wait_for(stream_exists, 30, "the agent to create the stream")

        ml_args = [ML_BIN, "--endpoint", server.endpoint, "--stream", STREAM,
                   "--detectors", "person", "--sample-fps", "5", "--state-dir", r.state,
                   "--snapshot-dir", r.bucket, "--zone", ZONE, "--intrusion", "lawn",
                   "--training-frames", "--stats-seconds", "5"]
        ml_log = open(base / "ml-1.log", "w")
        ml = subprocess.Popen(ml_args, stdout=ml_log, stderr=subprocess.STDOUT, env=env)
        procs.append(ml)
        # Let it process a third of the clip, then kill it without warning.
        wait_for(lambda: len(journal_entries(r.state)) >= 25, 60, "25 fragments analysed")
        os.kill(ml.pid, signal.SIGKILL)
        ml.wait()
        r.killed_after = len(journal_entries(r.state))
        time.sleep(3)  # fragments keep arriving while it is down
        ml2 = subprocess.Popen(ml_args, stdout=open(base / "ml-2.log", "w"),
                               stderr=subprocess.STDOUT, env=env)
        procs.append(ml2)
        # The agent exits at the end of the file once everything is PERSISTED.
        agent.wait(timeout=150)
        assert agent.returncode == 0, open(base / "agent.log").read()[-3000:]
        am = boto3.client("kinesis-video-archived-media", endpoint_url=server.endpoint,
                          region_name="us-east-1", aws_access_key_id=ak,
                          aws_secret_access_key=sk, config=cfg)
        frags = []
        for page in am.get_paginator("list_fragments").paginate(
                StreamName=STREAM, FragmentSelector={
                    "FragmentSelectorType": "SERVER_TIMESTAMP",
                    "TimestampRange": {"StartTimestamp": 0, "EndTimestamp": time.time() + 60}}):
            frags += page["Fragments"]
        r.fragments = sorted(frags, key=lambda f: f["ProducerTimestamp"])
        last = r.fragments[-1]["FragmentNumber"]
        wait_for(lambda: any(e["fragment_number"] == last for e in journal_entries(r.state)),
                 60, "osprey-ml to reach the last fragment")
        os.kill(ml2.pid, signal.SIGTERM)
        assert ml2.wait(timeout=30) == 0, open(base / "ml-2.log").read()[-3000:]
        r.journal = journal_entries(r.state)
        r.clip_start_ms = int(r.fragments[0]["ProducerTimestamp"].timestamp() * 1000)
        r.events = read_events_with_cli(server.endpoint, env)
        # Firehose delivers within its 1 s buffer interval.
        wait_for(lambda: archived_ids(r.bucket) >= {e["event_id"] for e in r.events}, 30,
                 "the Firehose archive to hold every event")
        yield r
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        server.stop()


def read_events_with_cli(endpoint, env):
    """Every record of osprey-events, read with the AWS CLI get-records."""
    def aws(*args):
        out = subprocess.run([AWS_CLI, "--endpoint-url", endpoint, "--output", "json", *args],
                             env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)
    it = aws("kinesis", "get-shard-iterator", "--stream-name", "osprey-events",
             "--shard-id", "shardId-000000000000",
             "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    events = []
    while True:
        page = aws("kinesis", "get-records", "--shard-iterator", it, "--limit", "10000")
        events += [json.loads(base64.b64decode(rec["Data"])) for rec in page["Records"]]
        if not page["Records"]:
            return events
        it = page["NextShardIterator"]


def archived_ids(bucket):
    ids = set()
    for path in glob.glob(os.path.join(bucket, "events", "**", "*"), recursive=True):
        if os.path.isfile(path) and ".tmp-" not in path:
            with open(path) as f:
                ids |= {json.loads(l)["event_id"] for l in f if l.strip()}
    return ids


def test_restart_resumes_from_the_journal_without_skipping_or_repeating(run):
    numbers = [e["fragment_number"] for e in run.journal]
    assert len(numbers) == len(set(numbers)), "a fragment was journaled twice"
    assert 25 <= run.killed_after < len(numbers), "the kill did not happen mid-run"
    # From the first fragment osprey-ml saw (GetMedia NOW) to the end, every
    # stored fragment was processed, in order.
    stored = [f["FragmentNumber"] for f in run.fragments]
    first = stored.index(numbers[0])
    assert numbers == stored[first:], "fragments skipped or out of order"
    assert first <= 5, "osprey-ml started too late to see the clip"
    # The second process carried track numbering on.
    assert run.journal[-1]["next_track_id"] > run.journal[run.killed_after - 1]["next_track_id"]


def test_person_events_reach_the_data_stream(run):
    people = [e for e in run.events if e["label"] == "person"]
    assert len(people) > 50
    fragment_numbers = {f["FragmentNumber"] for f in run.fragments}
    for e in people:
        assert e["stream_name"] == STREAM and e["stream_arn"].startswith("arn:aws:kinesisvideo:")
        assert e["fragment_number"] in fragment_numbers
        assert e["frame_width"] == 768 and e["frame_height"] == 576
        assert e["detector"] == "hog"
        b, n = e["box"], e["box_norm"]
        assert 0 <= b["x"] and b["x"] + b["w"] <= 768 + 1e-6 and b["y"] + b["h"] <= 576 + 1e-6
        assert abs(n["x"] - b["x"] / 768) < 1e-6 and abs(n["h"] - b["h"] / 576) < 1e-6
        assert e["replay"]["StreamName"] == STREAM
        assert e["replay"]["start_ms"] <= e["frame_time_ms"] <= e["replay"]["end_ms"]
    types = {e["event_type"] for e in people}
    assert {"detection", "track_start", "track_end"} <= types


def test_tracks_are_bounded_by_the_people_in_the_clip(run):
    tracks = {e["track_id"] for e in run.events if e["track_id"] is not None}
    # HOG misses people for seconds at a time (turning, occlusion) and the
    # actors leave and return, so one person makes several tracks; the bound
    # says the tracker does not fall apart into per-frame tracks.
    assert 9 <= len(tracks) <= 5 * PEOPLE_MAX, len(tracks)
    starts = [e for e in run.events if e["event_type"] == "track_start"]
    ends = [e for e in run.events if e["event_type"] == "track_end"]
    assert {e["track_id"] for e in ends} <= {e["track_id"] for e in starts}
    # Every track closed by the end of the run (flushed at SIGTERM), except
    # those open when osprey-ml was killed.
    assert len({e["track_id"] for e in starts} - {e["track_id"] for e in ends}) <= 6


def test_intrusions_one_per_track_entering_the_armed_lawn(run):
    alerts = [e for e in run.events if e["event_type"] == "intrusion"]
    ids = [a["track_id"] for a in alerts]
    assert len(ids) == len(set(ids)), "a track alerted twice"
    # A and B both cross the lawn: at least one alert each.
    assert len(alerts) >= 2, alerts
    for a in alerts:
        assert a["zone"] == "lawn" and in_lawn(a["box_norm"]), a
        t = (a["frame_time_ms"] - run.clip_start_ms) / 1000
        assert LAWN_WINDOW_S[0] <= t <= LAWN_WINDOW_S[1], f"intrusion at {t:.1f} s"
        assert a["dwell_ms"] >= 1000
    # Every confirmed track whose detections were in the lawn for a second
    # or more alerted (the rule is armed all day).
    in_lawn_times = {}
    for e in run.events:
        if e["event_type"] == "detection" and e["track_id"] and in_lawn(e["box_norm"]):
            in_lawn_times.setdefault(e["track_id"], []).append(e["frame_time_ms"])
    long_stays = {t for t, ts in in_lawn_times.items() if max(ts) - min(ts) >= 2000}
    assert long_stays <= set(ids), (long_stays, ids)


def test_archive_and_snapshots(run):
    archived = archived_ids(run.bucket)
    assert {e["event_id"] for e in run.events} <= archived
    shots = [e for e in run.events if e["event_type"] in ("intrusion", "track_end")]
    assert shots
    for e in shots:
        for key, size in ((e["snapshot_key"], (768, 576)), (e["crop_key"], None)):
            assert key, e
            path = os.path.join(run.bucket, key)
            out = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                                  "stream=codec_name,width,height", "-of", "json", path],
                                 capture_output=True, text=True)
            assert out.returncode == 0, out.stderr
            stream = json.loads(out.stdout)["streams"][0]
            assert stream["codec_name"] == "mjpeg"
            if size:
                assert (stream["width"], stream["height"]) == size


def export(run, fmt, out, *extra, env=None):
    start = run.clip_start_ms / 1000
    return subprocess.run(
        [CLI_BIN, "dataset", "export", "--endpoint", run.server.endpoint, "--stream", STREAM,
         "--from", str(start), "--to", str(start + 30), "--labels", "person",
         "--format", fmt, "--out", str(out), "--sample-fps", "2", *extra],
        env=env or run.env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("fmt", ["yolo", "coco"])
def test_dataset_export(run, fmt):
    out = run.base / f"dataset-{fmt}"
    done = export(run, fmt, out)
    assert done.returncode == 0, done.stderr
    summary = (dataset_check.validate_yolo if fmt == "yolo" else dataset_check.validate_coco)(
        str(out), ["person"])
    # 30 s at 2 fps: up to 61 frames, most with someone in them.
    assert 30 <= summary["images"] <= 61, summary
    assert summary["annotations"] >= summary["images"]
    assert "images" in done.stdout and fmt in done.stdout


def test_dataset_export_errors_are_one_line_with_meaningful_exit_codes(run):
    out = run.base / "dataset-bad"
    unknown = subprocess.run(
        [CLI_BIN, "dataset", "export", "--endpoint", run.server.endpoint, "--stream", "nope",
         "--from", "1000", "--to", "2000", "--labels", "person", "--format", "yolo",
         "--out", str(out)], env=run.env, capture_output=True, text=True)
    assert unknown.returncode == 1 and "ResourceNotFoundException" in unknown.stderr
    assert unknown.stderr.count("\n") == 1, unknown.stderr
    backwards = export(run, "yolo", out, "--to", "1")
    assert backwards.returncode == 2 and "--to must be after --from" in backwards.stderr
    bad_format = export(run, "voc", out)
    assert bad_format.returncode == 2
    wrong = aws_env("AKIAWRONGWRONGWRONG0", "x" * 40)
    denied = export(run, "yolo", out, env=wrong)
    assert denied.returncode == 1 and "Exception" in denied.stderr, denied.stderr


def test_an_event_replays_through_hls(run):
    """The event's replay object is a ready GetHLSStreamingSessionURL body."""
    import urllib.request
    alert = next(e for e in run.events if e["event_type"] == "intrusion")
    replay = alert["replay"]
    ak, sk = run.server.credentials()
    am = boto3.client("kinesis-video-archived-media", endpoint_url=run.server.endpoint,
                      region_name="us-east-1", aws_access_key_id=ak, aws_secret_access_key=sk)
    url = am.get_hls_streaming_session_url(
        StreamName=replay["StreamName"], PlaybackMode=replay["PlaybackMode"],
        HLSFragmentSelector=replay["HLSFragmentSelector"])["HLSStreamingSessionURL"]
    master = urllib.request.urlopen(url, timeout=10).read().decode()
    assert "#EXT-X-STREAM-INF" in master and "RESOLUTION=768x576" in master
    media_uri = next(l for l in master.splitlines() if l and not l.startswith("#"))
    media = urllib.request.urlopen(urllib.parse.urljoin(url, media_uri), timeout=10).read().decode()
    segments = [l for l in media.splitlines() if l and not l.startswith("#")]
    # The window is dwell start - 5 s .. alert + 5 s: about 10 one-second
    # fragments or more.
    assert len(segments) >= 8, media
    assert "#EXT-X-ENDLIST" in media


def test_dataset_from_the_archive_of_training_frames(run):
    """--training-frames: every track_end names its clean best frame and all
    the boxes in it; `dataset export --archive` turns that into COCO without
    a detector."""
    ends = [e for e in run.events if e["event_type"] == "track_end" and e["frame_key"]]
    assert ends, "no training frames collected"
    for e in ends:
        assert e["frame_boxes"], e
        assert any(abs(b["box"]["x"] - e["box"]["x"]) < 1e-6 for b in e["frame_boxes"])
    out = run.base / "dataset-archive"
    done = subprocess.run(
        [CLI_BIN, "dataset", "export", "--archive", run.bucket, "--stream", STREAM,
         "--labels", "person", "--format", "coco", "--out", str(out)],
        env=run.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = dataset_check.validate_coco(str(out), ["person"])
    frames = {e["frame_key"] for e in ends}
    # One image per distinct frame whose boxes reach min_score (0.5); the
    # others (all boxes uncertain) go to review/ only.
    confident = {e["frame_key"] for e in ends if any(b["score"] >= 0.5 for b in e["frame_boxes"])}
    assert summary["images"] == len(confident) <= len(frames), (summary, len(frames))
    boxes = sum(1 for e in {e["frame_key"]: e for e in ends}.values()
                for b in e["frame_boxes"] if b["score"] >= 0.5)
    assert summary["annotations"] == boxes
