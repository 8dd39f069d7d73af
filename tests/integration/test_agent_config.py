"""osprey-agent with several cameras from one TOML file, against the real
osprey-server: every camera gets its own pipeline, spool and uplink in one
process; /metrics on a local port reports per-camera counters that agree
with what the server stored; a camera whose RTSP source does not answer
keeps restarting without disturbing the others; SIGTERM drains all of them;
a bad file is refused with exit 2 and the key named.
"""
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

import conftest
from test_agent import AGENT_BIN, list_fragments


def agent_env(credentials):
    ak, sk = credentials
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OSPREY_"))}
    env.update({"AWS_ACCESS_KEY_ID": ak, "AWS_SECRET_ACCESS_KEY": sk})
    return env


def scrape(port, path="/metrics"):
    """{(name, stream): value} of the agent's Prometheus text (buckets keyed
    by name + le)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    out = {}
    for name, stream, le, value in re.findall(
            r'^(\w+)\{stream="([^"]+)"(?:,le="([^"]+)")?\} (\S+)$', text, re.M):
        out[(name + (f"@{le}" if le else ""), stream)] = float(value)
    assert out, text
    return out


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def test_two_cameras_and_a_dead_one_from_one_file(server, tmp_path):
    metrics_port = conftest.free_port()
    dead_port = conftest.free_port()  # nothing listens there
    config = tmp_path / "agent.toml"
    config.write_text(f"""
endpoint = "{server.endpoint}"
spool_root = "{tmp_path / 'spool'}"
metrics_listen = "127.0.0.1:{metrics_port}"
drain_ms = 10000
# Defaults for every camera.
width = 320
height = 240
fps = 15
fragment_ms = 1000

[[camera]]
stream = "cam-a"
source = "testsrc"

[[camera]]
stream = "cam-b"
source = "testsrc"
bitrate_kbps = 300

[[camera]]
stream = "cam-dead"
source = "rtsp://127.0.0.1:{dead_port}/stream1"
""")
    log = tmp_path / "agent.log"
    proc = subprocess.Popen([AGENT_BIN, "--config", str(config)], stdout=open(log, "w"),
                            stderr=subprocess.STDOUT, env=agent_env(server.credentials()))
    try:
        def stored(stream):
            try:
                return len(list_fragments(server, stream))
            except Exception:  # the stream may not exist yet
                return 0

        for stream in ("cam-a", "cam-b"):
            wait_for(lambda: proc.poll() is None and stored(stream) >= 5, 60,
                     f"5 fragments of {stream}:\n{log.read_text()[-3000:]}")
        # Each camera has its own spool directory under spool_root.
        assert sorted(os.listdir(tmp_path / "spool")) == ["cam-a", "cam-b", "cam-dead"]

        # The counters agree with the server: what it stored lies between what
        # the agent saw PERSISTED before and what it recorded after.
        for stream in ("cam-a", "cam-b"):
            before = scrape(metrics_port)
            on_server = stored(stream)
            after = scrape(metrics_port)
            persisted = before[("osprey_agent_fragments_persisted_total", stream)]
            recorded = after[("osprey_agent_fragments_total", stream)]
            assert persisted <= on_server <= recorded, (stream, persisted, on_server, recorded)
            assert recorded - persisted <= 4, (stream, persisted, recorded)  # in-flight window
            m = after
            assert m[("osprey_agent_frames_total", stream)] >= 15 * (recorded - 1)
            assert m[("osprey_agent_fragment_bytes_total", stream)] > 1000 * recorded
            assert m[("osprey_agent_capture_running", stream)] == 1
            assert m[("osprey_agent_pipeline_restarts_total", stream)] == 0
            assert m[("osprey_agent_fragments_dropped_total", stream)] == 0
            assert m[("osprey_agent_fragments_rejected_total", stream)] == 0
            assert m[("osprey_agent_uplink_connected", stream)] == 1
            assert 0 <= m[("osprey_agent_upload_lag_seconds", stream)] < 5
            assert 0 <= m[("osprey_agent_spool_oldest_fragment_age_seconds", stream)] < 10
            assert 0 < m[("osprey_agent_ack_latency_last_seconds", stream)] < 5
            count = m[("osprey_agent_ack_latency_seconds_count", stream)]
            assert 0 < count <= m[("osprey_agent_fragments_persisted_total", stream)]
            assert m[("osprey_agent_ack_latency_seconds_bucket@+Inf", stream)] == count

        # The dead camera keeps retrying with backoff (1 s, 2 s, 4 s ...)
        # while the others keep uploading.
        m = scrape(metrics_port)
        restarts = m[("osprey_agent_pipeline_restarts_total", "cam-dead")]
        assert restarts >= 1, m
        assert m[("osprey_agent_fragments_total", "cam-dead")] == 0
        stored_a = stored("cam-a")
        wait_for(lambda: scrape(metrics_port)[("osprey_agent_pipeline_restarts_total", "cam-dead")]
                 > restarts, 30, "another restart of cam-dead")
        wait_for(lambda: stored("cam-a") >= stored_a + 3, 30, "cam-a to keep uploading")
        assert proc.poll() is None

        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/healthz", timeout=5) as r:
            assert r.status == 200 and r.read() == b"ok\n"
        for path in ("/", "/metrics/x", "/upload"):
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}{path}", timeout=5)
            assert e.value.code == 404, path
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            rc = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("agent still running 30 s after SIGTERM:\n" + log.read_text()[-3000:])
    text = log.read_text()
    assert rc == 0, text[-3000:]
    stopped = {}
    for line in text.splitlines():
        if "msg=stopped" in line:
            fields = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))
            stopped[fields["stream"]] = fields
    assert set(stopped) == {"cam-a", "cam-b", "cam-dead"}, text[-3000:]
    for stream in ("cam-a", "cam-b"):
        # Everything recorded reached the server: the final fragment too.
        assert stopped[stream]["drained"] == "true", stopped[stream]
        assert stopped[stream]["spool_acked_seq"] == stopped[stream]["spool_last_seq"]
        assert len(list_fragments(server, stream)) == int(stopped[stream]["spool_last_seq"])
    assert int(stopped["cam-dead"]["capture_restarts"]) >= 2
    assert stopped["cam-dead"]["spool_last_seq"] == "0"


@pytest.mark.parametrize("body,message", [
    ('colour = "red"\n', 'agent.toml:2: unknown key "colour"'),
    ('[[camera]]\nstream = "a"\nsource = "testsrc"\nfps = 0\n',
     "agent.toml:5: camera[0].fps: must be between 1 and 240, got 0"),
    ('[[camera]]\nstream = "a"\nsource = "testsrc"\n[[camera]]\nstream = "a"\nsource = "testsrc"\n',
     'agent.toml:5: camera[1].stream: duplicate stream name "a" (also camera[0])'),
    ('[[camera]]\nstream = "a"\nsource = "testsrc"\nspool_policy = "keep"\n',
     'agent.toml:5: camera[0].spool_policy: must be "drop-oldest" or "refuse-new", got "keep"'),
    ('metrics_listen = "9471"\n[[camera]]\nstream = "a"\nsource = "testsrc"\n',
     'agent.toml:2: metrics_listen: must be empty (off) or host:port, got "9471"'),
    ('[[camera]]\nstream = "a"\n', "agent.toml:2: camera[0].source: is required"),
])
def test_bad_config_exits_2_naming_the_key(tmp_path, body, message):
    path = tmp_path / "agent.toml"
    path.write_text('endpoint = "http://127.0.0.1:1"\n' + body)
    r = subprocess.run([AGENT_BIN, "--config", str(path)], capture_output=True, text=True,
                       timeout=30, env=agent_env(("a", "b")), cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0] == f"osprey-agent: {path}:{message[len('agent.toml:'):]}"


def test_config_and_flags_do_not_mix(tmp_path):
    r = subprocess.run([AGENT_BIN, "--config", str(tmp_path / "missing.toml")],
                       capture_output=True, text=True, timeout=30, env=agent_env(("a", "b")))
    assert r.returncode == 2 and "--config: cannot read" in r.stderr, r.stderr
    r = subprocess.run([AGENT_BIN, "--config", "x.toml", "--fps", "5"], capture_output=True,
                       text=True, timeout=30, env=agent_env(("a", "b")))
    assert r.returncode == 2 and "--fps cannot be combined" in r.stderr, r.stderr


def test_flags_mode_serves_metrics(server, tmp_path):
    """--metrics-listen works for the one camera of flags mode too."""
    port = conftest.free_port()
    log = tmp_path / "agent.log"
    args = [AGENT_BIN, "--endpoint", server.endpoint, "--stream", "solo", "--source", "testsrc",
            "--spool-dir", str(tmp_path / "spool"), "--fragment-ms", "1000", "--width", "320",
            "--height", "240", "--metrics-listen", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(args, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            env=agent_env(server.credentials()))
    try:
        def persisted():
            try:
                return scrape(port).get(("osprey_agent_fragments_persisted_total", "solo"), 0) >= 2
            except OSError:
                return False
        wait_for(lambda: proc.poll() is None and persisted(), 40,
                 "2 persisted fragments:\n" + log.read_text()[-2000:])
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        rc = proc.wait(30)
    assert rc == 0, log.read_text()[-3000:]


def post(port, query):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/upload?{query}", data=b"", method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def producer_ms(fragment):
    return round(fragment["ProducerTimestamp"].timestamp() * 1000)


def test_recording_upload_on_event_and_schedule(server, tmp_path):
    """A camera with upload off records (pruned to record_bytes) and uploads
    nothing until POST /upload asks for a range, which then appears on the
    server exactly; a camera whose schedule window is closed uploads nothing
    until the window (computed from the current time) opens."""
    metrics_port = conftest.free_port()
    now = time.gmtime()
    # The next minute boundary at least 30 s away opens the window.
    start = int(time.time()) - now.tm_sec + 60 + (60 if now.tm_sec > 30 else 0)
    opens = time.gmtime(start)
    rec_dir = tmp_path / "recordings" / "rec"
    config = tmp_path / "agent.toml"
    config.write_text(f"""
endpoint = "{server.endpoint}"
spool_root = "{tmp_path / 'spool'}"
metrics_listen = "127.0.0.1:{metrics_port}"
width = 320
height = 240
fps = 15
fragment_ms = 1000
bitrate_kbps = 200

[[camera]]
stream = "rec"
source = "testsrc"
upload = "off"
record_dir = "{rec_dir}"
record_bytes = 100000

[[camera]]
stream = "sched"
source = "testsrc"
upload = "schedule"
upload_schedule = "{opens.tm_min} {opens.tm_hour} * * *"
upload_duration_s = 600
""")
    log = tmp_path / "agent.log"
    proc = subprocess.Popen([AGENT_BIN, "--config", str(config)], stdout=open(log, "w"),
                            stderr=subprocess.STDOUT, env=agent_env(server.credentials()))

    def stored(stream):
        try:
            return list_fragments(server, stream)
        except Exception:  # ResourceNotFound: nothing was ever uploaded
            return []

    def files():
        return sorted(p for p in os.listdir(rec_dir) if p.endswith(".mkv"))

    try:
        def recorded():
            try:
                return scrape(metrics_port).get(("osprey_agent_fragments_total", "rec"), 0)
            except OSError:  # not listening yet
                return 0
        wait_for(lambda: proc.poll() is None and recorded() >= 8, 60,
            "8 recorded fragments:\n" + log.read_text()[-2000:])
        m = scrape(metrics_port)
        names = files()
        sizes = sum(os.path.getsize(rec_dir / n) for n in names)
        assert 2 <= len(names) < 8 and sizes <= 100000, (names, sizes)
        assert m[("osprey_agent_recording_pruned_total", "rec")] >= 1
        assert m[("osprey_agent_upload_active", "rec")] == 0
        assert m[("osprey_agent_spool_fragments", "rec")] == 0  # upload off: not spooled
        # The schedule's window is still closed: nothing on the server, the
        # spool grows.
        assert time.time() < start - 2, "too slow to see the window closed"
        assert m[("osprey_agent_upload_active", "sched")] == 0
        assert m[("osprey_agent_spool_fragments", "sched")] >= 5
        assert not stored("sched")
        # Each file is a playable MKV: stream header + one Cluster.
        probe = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                                "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0",
                                str(rec_dir / names[-1])], capture_output=True, text=True, timeout=30)
        assert probe.returncode == 0, probe
        codec, width, height, frames = probe.stdout.strip().split(",")
        assert (codec, width, height) == ("h264", "320", "240") and int(frames) >= 10, probe.stdout
        assert not stored("rec")

        # POST /upload: the two newest files' range, exactly those.
        want = [int(n[:-len(".mkv")]) for n in names[-2:]]
        status, body = post(metrics_port, f"stream=rec&from={want[0]}&to={want[1]}")
        assert status == 202 and '"queued":2' in body, (status, body)
        got = wait_for(lambda: len(stored("rec")) >= 2 and stored("rec"), 30, "the event upload")
        time.sleep(3)
        got = stored("rec")
        assert sorted(producer_ms(f) for f in got) == want, (got, want)

        assert post(metrics_port, "stream=nope&from=1&to=2")[0] == 404
        assert post(metrics_port, "stream=rec&from=5&to=2")[0] == 400
        assert post(metrics_port, "stream=rec&from=1")[0] == 400
        assert post(metrics_port, "stream=rec&from=x&to=2")[0] == 400
        assert post(metrics_port, "stream=sched&from=1&to=2")[0] == 409  # no record_dir

        wait_for(lambda: time.time() > start + 1, 90, "the window")
        backlog = scrape(metrics_port)[("osprey_agent_fragments_total", "sched")]
        wait_for(lambda: len(stored("sched")) >= backlog, 30,
                 f"{backlog} spooled fragments uploaded once the window opened:\n"
                 + log.read_text()[-2000:])
        m = scrape(metrics_port)
        assert m[("osprey_agent_upload_active", "sched")] == 1
        assert min(producer_ms(f) for f in stored("sched")) < (start - 5) * 1000
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        rc = proc.wait(30)
    assert rc == 0, log.read_text()[-3000:]
    assert "upload window open" in log.read_text()


def test_encoder_choice(tmp_path):
    """--encoder / encoder: a name the table does not know is a config error;
    a hardware encoder this machine lacks stops the agent at start (exit 2,
    the GStreamer element named) instead of retrying a camera that cannot
    work. (Whether one exists depends on the machine: CI has none.)"""
    path = tmp_path / "agent.toml"
    path.write_text('endpoint = "http://127.0.0.1:1"\n[[camera]]\nstream = "a"\n'
                    'source = "testsrc"\nencoder = "x265"\n')
    r = subprocess.run([AGENT_BIN, "--config", str(path)], capture_output=True, text=True,
                       timeout=30, env=agent_env(("a", "b")), cwd=tmp_path)
    assert r.returncode == 2
    assert "camera[0].encoder: encoder must be auto, x264, vaapi, v4l2 or nvenc" in r.stderr
    probe = subprocess.run(["gst-inspect-1.0", "vaapih264enc"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("this machine has VA-API: nothing to refuse")
    r = subprocess.run([AGENT_BIN, "--endpoint", "http://127.0.0.1:1", "--stream", "a",
                        "--source", "testsrc", "--spool-dir", str(tmp_path / "spool"),
                        "--encoder", "vaapi"], capture_output=True, text=True, timeout=30,
                       env=agent_env(("a", "b")))
    assert r.returncode == 2, r.stderr
    assert "a: the vaapi encoder (GStreamer element vaapih264enc) is not available" in r.stderr
