"""osprey-agent on an RTSP camera (issue "Edge agent", acceptance).

The camera is osprey-test-rtsp-camera (tests/tools/rtsp_camera.cc), a real
gst-rtsp-server on 127.0.0.1. The agent ingests it with rtspsrc and uploads
with PutMedia to the real osprey-server; what the server stored is read back
with GetMedia (boto3) and ListFragments and checked with ffmpeg/ffprobe.

- Pass-through: the camera loops a clip x264 made for the test, already
  playing to another client when the agent joins mid-clip; the stored
  H.264 is byte for byte the clip's (SPS, PPS, x264's version SEI, every
  slice), and decodes (ffmpeg framemd5) to a contiguous run of the clip's
  frames, wrapping where the camera loops.
- Outage: the server is killed for 30 s while the agent streams, then
  restarted on the same data directory and port. Every fragment the agent
  recorded arrives, the producer timeline has no hole (ListFragments and the
  frame timestamps of GetMedia from EARLIEST).
- Camera drop: the camera goes away for 3 s and comes back; the agent
  keeps recording: the agent rebuilds its pipeline with backoff.
"""
import os
import select
import signal
import subprocess
import time

import pytest

import conftest
from conftest import Server
from h264_media import (annexb_nals, avcc_nals, avcc_parameter_sets, cluster_frames,
                        codec_private, nal_type)
from kvs_media import split_chunks
from test_agent import list_fragments, stop_agent, wait_for_fragments
from test_put_media import get_media_chunks

AGENT_BIN = os.environ.get("OSPREY_AGENT_BIN", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin", "osprey-agent"))
CAMERA_BIN = os.environ.get("OSPREY_RTSP_CAMERA_BIN", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin", "osprey-test-rtsp-camera"))

class Camera:
    """osprey-test-rtsp-camera on a free port; stopped by PID."""

    def __init__(self, log_dir, *args, port=0):
        self.err_path = os.path.join(str(log_dir), "camera.err")
        self.proc = subprocess.Popen([CAMERA_BIN, "--port", str(port), *args],
                                     stdout=subprocess.PIPE, stderr=open(self.err_path, "a"),
                                     text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline().strip() if ready else ""
        if not line.startswith("rtsp://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"camera not ready ({line!r}): {open(self.err_path).read()}")
        self.url = line

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_agent(endpoint, stream, source, spool_dir, credentials, log_path, fragment_ms=1000):
    ak, sk = credentials
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": ak, "AWS_SECRET_ACCESS_KEY": sk})
    args = [AGENT_BIN, "--endpoint", endpoint, "--stream", stream, "--source", source,
            "--spool-dir", str(spool_dir), "--fragment-ms", str(fragment_ms),
            "--drain-ms", "15000"]
    return subprocess.Popen(args, stdout=open(log_path, "w"), stderr=subprocess.STDOUT, env=env)


def run(args, timeout=120):
    r = subprocess.run(args, capture_output=True, timeout=timeout)
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-3000:]
    return r.stdout


def get_media_earliest(server, stream, n):
    """The first n GetMedia chunks from EARLIEST (one per fragment), each whole."""
    data = get_media_chunks(server, stream, n)
    marker = b"\x1a\x45\xdf\xa3"  # each chunk starts with an EBML header
    starts = [i for i in range(len(data)) if data.startswith(marker, i)] + [len(data)]
    return [data[starts[i]:starts[i + 1]] for i in range(len(starts) - 1)]


def framemd5(path, fmt=None):
    args = ["ffmpeg", "-v", "error"] + (["-f", fmt] if fmt else []) + [
        "-i", str(path), "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "framemd5", "-"]
    lines = run(args).decode().splitlines()
    return [l.split(",")[-1].strip() for l in lines if l and not l.startswith("#")]


def is_cyclic_run(run_, cycle):
    """run_ is a contiguous run of cycle repeated (it may wrap any number of times)."""
    n = len(cycle)
    return any(all(run_[i] == cycle[(k + i) % n] for i in range(len(run_))) for k in range(n)
               if cycle[k] == run_[0])


# --- the tests ----------------------------------------------------------------

CLIP_FRAMES, CLIP_FPS, CLIP_GOP = 240, 30, 30


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """An H.264 clip as an IP camera would send it: x264 main profile, no
    B-frames, a closed GOP of 30, x264's version
    SEI in the first access unit (SPS and PPS repeated before each IDR, as
    cameras do). Raw Annex B, so the test can read every NAL."""
    path = tmp_path_factory.mktemp("clip") / "clip.h264"
    run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
         f"testsrc2=size=320x240:rate={CLIP_FPS}", "-frames:v", str(CLIP_FRAMES),
         "-c:v", "libx264", "-profile:v", "main", "-preset", "veryfast", "-bf", "0",
         "-g", str(CLIP_GOP), "-keyint_min", str(CLIP_GOP), "-sc_threshold", "0",
         "-pix_fmt", "yuv420p", "-f", "h264", str(path)])
    return path


def test_rtsp_pass_through_stores_the_camera_bytes_and_frames(server, clip, tmp_path):
    source = clip.read_bytes()
    nals = annexb_nals(source)
    # libx264 repeats SPS and PPS before each IDR in Annex B output.
    src_sps = sorted({n for n in nals if nal_type(n) == 7})
    src_pps = sorted({n for n in nals if nal_type(n) == 8})
    src_sei = [n for n in nals if nal_type(n) == 6 and b"x264 - core" in n]
    src_slices = [n for n in nals if nal_type(n) in (1, 5)]
    assert len(src_sps) == len(src_pps) == len(src_sei) == 1, "x264 headers as expected"
    assert len(src_slices) == CLIP_FRAMES, "one slice per frame"
    src_md5 = framemd5(clip, "h264")
    assert len(src_md5) == CLIP_FRAMES and len(set(src_md5)) == CLIP_FRAMES

    camera = Camera(tmp_path, "--file", str(clip), "--transport", "tcp")
    # Another client (a VMS, say) is already watching: the camera is mid-clip
    # and mid-GOP when the agent joins the shared stream.
    viewer = subprocess.Popen(["gst-launch-1.0", "-q", "rtspsrc", f"location={camera.url}",
                               "protocols=tcp", "!", "fakesink"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3.5)
        assert viewer.poll() is None, "the viewer could not play the camera"
        log_path = tmp_path / "agent.log"
        agent = start_agent(server.endpoint, "rtsp-cam", camera.url, tmp_path / "spool",
                            server.credentials(), log_path)
        time.sleep(11)  # past the clip's end: the camera loops
        stats = stop_agent(agent, log_path)
    finally:
        os.kill(viewer.pid, signal.SIGTERM)
        viewer.wait(10)
        camera.stop()
    log = open(log_path).read()
    assert "x264enc" not in log and "rtspsrc" in log, "the agent must not re-encode RTSP"
    assert stats["drained"] == "true", stats
    persisted = int(stats["spool_acked_seq"])
    assert persisted >= 8 and int(stats["spool_last_seq"]) == persisted, stats
    # Joining mid-GOP, the agent drops what precedes the first IDR, no more.
    assert 0 <= int(stats["dropped_units"]) < CLIP_GOP, stats
    assert stats["repaired_timestamps"] == "0" and stats["discontinuities"] == "0", stats
    assert len(wait_for_fragments(server, "rtsp-cam", persisted)) == persisted

    chunks = get_media_earliest(server, "rtsp-cam", persisted)
    # (i) No re-encode: the parameter sets in the track header and in band,
    # x264's SEI and every slice are the clip's own bytes.
    stored_slices, stored_sei, frames = [], [], 0
    for chunk in chunks:
        sps, pps = avcc_parameter_sets(codec_private(chunk))
        assert sps == src_sps and pps == src_pps
        cluster = next(split_chunks(chunk))["cluster"]
        for au in cluster_frames(cluster):
            frames += 1
            unit = avcc_nals(au)
            slices = [n for n in unit if nal_type(n) in (1, 5)]
            assert len(slices) == 1, [nal_type(n) for n in unit]
            stored_slices += slices
            for n in unit:
                if nal_type(n) == 7:
                    assert n == src_sps[0]
                elif nal_type(n) == 8:
                    assert n == src_pps[0]
                elif nal_type(n) == 6 and b"x264 - core" in n:
                    stored_sei.append(n)
    assert all(s == src_sei[0] for s in stored_sei)
    assert nal_type(stored_slices[0]) == 5, "the stored stream starts with an IDR"
    assert is_cyclic_run(stored_slices, src_slices), "stored slices are not the clip's"

    # (ii) The stored fragments decode to the frames served.
    mkv = tmp_path / "stored.mkv"
    mkv.write_bytes(b"".join(chunks))
    stored_md5 = framemd5(mkv)
    assert len(stored_md5) == frames, (len(stored_md5), frames)
    assert is_cyclic_run(stored_md5, src_md5), "decoded frames are not a run of the clip's"
    joined_at = src_md5.index(stored_md5[0])
    assert joined_at % CLIP_GOP == 0 and joined_at > 0, f"joined at clip frame {joined_at}"
    # The camera looped during the capture: the clip's first access unit,
    # with x264's SEI, was sent again and stored as sent.
    assert joined_at + frames > CLIP_FRAMES, (joined_at, frames)
    assert len(stored_sei) == (joined_at + frames - 1) // CLIP_FRAMES, len(stored_sei)
    print(f"pass-through: {persisted} fragments, {frames} frames, "
          f"{len(stored_sei)} x264 SEI, joined at clip frame {joined_at}, "
          f"{stats['dropped_units']} units dropped before the first IDR")


def frame_times(path):
    """Presentation times (s) of the video frames ffprobe reads from path."""
    out = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
               "packet=pts_time", "-of", "csv=p=0", str(path)]).decode()
    return [float(l.split(",")[0]) for l in out.splitlines() if l.strip()]


def test_thirty_second_outage_loses_nothing_and_leaves_no_hole(tmp_path):
    fps, outage_s = 15, 30
    interval_ms = 1000 / fps
    camera = Camera(tmp_path, "--width", "320", "--height", "240", "--fps", str(fps),
                    "--gop", str(fps), "--bitrate-kbps", "300", "--transport", "tcp")
    port = conftest.free_port()
    original = conftest.free_port
    conftest.free_port = lambda: port  # both servers listen on this port
    server = agent = None
    streamed = False
    try:
        server = Server(tmp_path / "data")
        log_path = tmp_path / "agent.log"
        agent = start_agent(server.endpoint, "outage-cam", camera.url, tmp_path / "spool",
                            server.credentials(), log_path)
        before = wait_for_fragments(server, "outage-cam", 3, timeout=30)
        assert len(before) >= 3, open(log_path).read()[-3000:]

        os.kill(server.proc.pid, signal.SIGKILL)  # the server vanishes mid-upload
        server.proc.wait()
        down_at = time.time()
        time.sleep(outage_s)
        assert agent.poll() is None, open(log_path).read()[-3000:]
        server = Server(tmp_path / "data")  # same data directory, same port
        up_at = time.time()

        # Catch up: the backlog uploads, then live continues.
        deadline = time.time() + 60
        caught_up = False
        while time.time() < deadline and not caught_up:
            time.sleep(1)
            try:
                frags = list_fragments(server, "outage-cam")
            except Exception:  # noqa: BLE001
                continue
            caught_up = any(f["ProducerTimestamp"].timestamp() > up_at + 2 for f in frags)
        assert caught_up, "no live fragment after the outage:\n" + open(log_path).read()[-3000:]
        stats = stop_agent(agent, log_path)
        agent = None
        streamed = True
    finally:
        conftest.free_port = original
        if agent is not None:
            agent.kill()
            agent.wait()
        camera.stop()
        if not streamed and server is not None:
            server.stop()

    try:
        # Everything the agent recorded is PERSISTED and listed once.
        assert stats["drained"] == "true", stats
        recorded = int(stats["fragments"])
        assert int(stats["spool_last_seq"]) == recorded == int(stats["spool_acked_seq"]), stats
        assert stats["spool_dropped"] == "0" and stats["dropped_units"] == "0", stats
        frags = wait_for_fragments(server, "outage-cam", recorded)
        distinct = {f["ProducerTimestamp"]: f for f in frags}
        assert len(distinct) == recorded, (len(distinct), recorded)
        # SIGKILL may land after the server stored a fragment and before the
        # agent read its PERSISTED: the agent then resends it (same producer
        # timestamp). At most that one fragment.
        assert len(frags) - len(distinct) <= 1, len(frags) - len(distinct)

        # The outage is inside the timeline, and the timeline has no hole:
        # each fragment starts where the previous one ended, to within half a
        # frame interval (FragmentLengthInMilliseconds includes the last
        # frame's duration).
        timeline = sorted(distinct.values(), key=lambda f: f["ProducerTimestamp"])
        starts = [f["ProducerTimestamp"].timestamp() * 1000 for f in timeline]
        assert starts[0] < down_at * 1000 - 1000 and starts[-1] > up_at * 1000 + 1000
        during = [s for s in starts if down_at * 1000 <= s <= up_at * 1000]
        assert len(during) >= outage_s - 2, len(during)  # 1 s fragments
        gaps = [starts[i + 1] - (starts[i] + timeline[i]["FragmentLengthInMilliseconds"])
                for i in range(len(timeline) - 1)]
        bad = [(i, g) for i, g in enumerate(gaps) if abs(g) > interval_ms / 2]
        assert not bad, f"producer timeline holes/overlaps (index, ms): {bad}"

        # GetMedia from EARLIEST decodes with no gap larger than 1.5 frames.
        chunks = get_media_earliest(server, "outage-cam", len(frags))
        seen, unique = set(), []
        for c in chunks:  # a resent duplicate, if any, is skipped by its timestamp
            ts = next(split_chunks(c))["tags"]["AWS_KINESISVIDEO_PRODUCER_TIMESTAMP"]
            if ts not in seen:
                seen.add(ts)
                unique.append(c)
        mkv = tmp_path / "earliest.mkv"
        mkv.write_bytes(b"".join(unique))
        times = frame_times(mkv)
        deltas = [b - a for a, b in zip(times, times[1:])]
        assert len(times) >= (up_at - down_at + 4) * fps * 0.95, len(times)
        assert min(deltas) > 0, "frame timestamps go backwards"
        big = [(i, round(d * 1000, 1)) for i, d in enumerate(deltas) if d > 1.5 / fps]
        assert not big, f"frame gaps over 1.5 intervals (index, ms): {big[:20]}"
        run(["ffmpeg", "-v", "error", "-i", str(mkv), "-f", "null", "-"])
        print(f"outage: {recorded} fragments recorded, {len(during)} during the "
              f"{up_at - down_at:.1f} s outage, {len(frags) - len(distinct)} resent; "
              f"fragment gaps {min(gaps):.1f}..{max(gaps):.1f} ms; {len(times)} frames, "
              f"frame deltas {min(deltas) * 1000:.1f}..{max(deltas) * 1000:.1f} ms")
    finally:
        server.stop()


def test_camera_stand_in_rejects_bad_input(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a video\n")
    for args, rc, message in [
            (["--transport", "sctp"], 2, "--transport must be any, tcp or udp"),
            (["--fps", "0"], 2, "bad --fps"),
            (["--path", "cam"], 2, "--path must start with /"),
            (["--file", str(text)], 1, "cannot read H.264 video from " + str(text))]:
        r = subprocess.run([CAMERA_BIN, *args], capture_output=True, text=True, timeout=30)
        assert r.returncode == rc and message in r.stderr, (args, r.returncode, r.stderr)


def test_camera_drop_and_return_keeps_recording(server, tmp_path):
    port = conftest.free_port()
    live = ["--width", "320", "--height", "240", "--fps", "15", "--gop", "15",
            "--bitrate-kbps", "300"]
    camera = Camera(tmp_path, *live, port=port)
    log_path = tmp_path / "agent.log"
    agent = start_agent(server.endpoint, "flaky-cam", camera.url, tmp_path / "spool",
                        server.credentials(), log_path)
    try:
        assert len(wait_for_fragments(server, "flaky-cam", 2, timeout=20)) >= 2
        camera.stop()  # the camera reboots
        time.sleep(3)
        camera = Camera(tmp_path, *live, port=port)
        back_at = time.time()
        time.sleep(8)
        assert agent.poll() is None, "agent exited:\n" + open(log_path).read()[-2000:]
        frags = list_fragments(server, "flaky-cam")
        assert any(f["ProducerTimestamp"].timestamp() > back_at + 1 for f in frags), \
            "no fragment recorded after the camera came back"
    finally:
        if agent.poll() is None:
            stop_agent(agent, log_path)
        camera.stop()
