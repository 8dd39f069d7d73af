"""The ospreysink GStreamer element against the real osprey-server.

Real gst-inspect-1.0 / gst-launch-1.0 load libgstospreysink.so through
GST_PLUGIN_PATH (OSPREY_GST_PLUGIN_DIR, default build/gst-plugins). Bus
messages are read from gst-launch-1.0 -m, which prints element messages
(python3-gi is not a dependency). Fragments are read back with ListFragments.
"""
import os
import re
import subprocess
import time

import conftest
from conftest import Server
from test_agent import wait_for_fragments

PLUGIN_DIR = os.environ.get("OSPREY_GST_PLUGIN_DIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "gst-plugins"))

PROPERTIES = ["stream-name", "endpoint", "access-key", "secret-key", "session-token",
              "aws-region", "fragment-duration", "storage-size", "storage-policy", "spool-dir",
              "retention-period", "drain-ms"]


def gst_env(tmp_path, credentials=None):
    """GStreamer finds only our plugin dir besides the system's, with a
    private registry cache (a stale shared cache would hide a rebuilt .so).
    Credentials, when given, come from the environment (the fallback path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GST_"))}
    env["GST_PLUGIN_PATH"] = os.path.abspath(PLUGIN_DIR)
    env["GST_REGISTRY"] = str(tmp_path / "gst-registry.bin")
    if credentials:
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = credentials
    return env


def launch_args(stream, endpoint, spool_dir, extra=()):
    """10 s of 15 fps test pattern with an IDR every second: ~10 fragments."""
    return ["gst-launch-1.0", "-m", "-e",
            "videotestsrc", "num-buffers=150", "is-live=true", "!",
            "video/x-raw,width=320,height=240,framerate=15/1", "!",
            "x264enc", "tune=zerolatency", "key-int-max=15", "!", "h264parse", "!",
            "ospreysink", f"stream-name={stream}", f"endpoint={endpoint}",
            "fragment-duration=1000", f"spool-dir={spool_dir}", *extra]


def element_messages(output, name):
    """Fields of each element message `name` printed by gst-launch-1.0 -m."""
    out = []
    for line in output.splitlines():
        m = re.search(r'\(element\): ' + re.escape(name) + r', (.*);\s*$', line)
        if m:
            out.append(dict(re.findall(r'([\w-]+)=\(\w+\)("[^"]*"|[^,]*)', m.group(1))))
    return out


def check_fragments(frags):
    assert 9 <= len(frags) <= 11, f"{len(frags)} fragments: {frags}"
    by_number = sorted(frags, key=lambda f: int(f["FragmentNumber"]))
    ts = [f["ProducerTimestamp"] for f in by_number]
    assert all(a < b for a, b in zip(ts, ts[1:])), ts
    now = time.time()
    assert all(now - 120 < t.timestamp() <= now + 5 for t in ts), ts
    lengths = [f["FragmentLengthInMilliseconds"] for f in by_number]
    assert sum(1 for l in lengths if not 900 <= l <= 1200) <= 1, lengths


def test_inspect_lists_properties(tmp_path):
    out = subprocess.run(["gst-inspect-1.0", "ospreysink"], env=gst_env(tmp_path),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    for prop in PROPERTIES:
        assert re.search(r"^\s+" + re.escape(prop) + r"\s+:", out.stdout, re.M), prop
    assert "osprey-connection" in out.stdout
    assert "drop-oldest" in out.stdout and "refuse-new" in out.stdout
    assert re.search(r"stream-format: avc", out.stdout)


def test_launch_stores_fragments(server, tmp_path):
    ak, sk = server.credentials()
    args = launch_args("sink-cam", server.endpoint, tmp_path / "spool",
                       [f"access-key={ak}", f"secret-key={sk}", "drain-ms=10000"])
    run = subprocess.run(args, env=gst_env(tmp_path), capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    drain = element_messages(run.stdout, "osprey-drain")
    assert drain and drain[-1]["drained"] == "true", run.stdout[-3000:]
    assert not element_messages(run.stdout, "osprey-connection"), run.stdout[-3000:]
    frags = wait_for_fragments(server, "sink-cam", 10, timeout=15)
    check_fragments(frags)


def test_server_down_at_start_spools_then_uploads(tmp_path):
    # Start the server once for its credentials and a port, then stop it.
    port = conftest.free_port()
    original = conftest.free_port
    conftest.free_port = lambda: port
    server = None
    try:
        first = Server(tmp_path / "data")
        credentials = first.credentials()
        first.stop()
        endpoint = f"http://127.0.0.1:{port}"
        spool = tmp_path / "spool"
        log_path = tmp_path / "launch.out"
        proc = subprocess.Popen(launch_args("offline-sink", endpoint, spool, ["drain-ms=20000"]),
                                env=gst_env(tmp_path, credentials), stdout=open(log_path, "w"),
                                stderr=subprocess.STDOUT)
        try:
            time.sleep(5)  # recording into the spool with the server down
            assert proc.poll() is None, open(log_path).read()[-3000:]
            assert any(p.suffix == ".osp" for p in spool.iterdir()), "nothing spooled"
            server = Server(tmp_path / "data")
            rc = proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        conftest.free_port = original
    try:
        output = open(log_path).read()
        assert rc == 0, output[-3000:]
        events = element_messages(output, "osprey-connection")
        states = [e["state"] for e in events]
        assert states[:2] == ["lost", "recovered"], output[-3000:]
        assert events[0]["error"].strip('"'), events  # says why
        assert all("backlog-fragments" in e for e in events), events
        drain = element_messages(output, "osprey-drain")
        assert drain and drain[-1]["drained"] == "true", output[-3000:]
        frags = wait_for_fragments(server, "offline-sink", 10, timeout=15)
        check_fragments(frags)
        # The oldest fragments were recorded while the server was down.
        server_start = min(f["ServerTimestamp"] for f in frags)
        oldest = min(f["ProducerTimestamp"] for f in frags)
        assert (server_start - oldest).total_seconds() > 3, (server_start, oldest)
    finally:
        server.stop()


def test_server_restart_mid_stream_posts_lost_then_recovered(tmp_path):
    """The server goes away for ~4 s during a 15 s recording: the element
    posts "lost" and "recovered", and every fragment, including those
    recorded during the outage, is stored."""
    port = conftest.free_port()
    original = conftest.free_port
    conftest.free_port = lambda: port
    server = None
    try:
        server = Server(tmp_path / "data")
        ak, sk = server.credentials()
        log_path = tmp_path / "launch.out"
        args = launch_args("restart-sink", server.endpoint, tmp_path / "spool",
                           [f"access-key={ak}", f"secret-key={sk}", "drain-ms=20000"])
        args[args.index("num-buffers=150")] = "num-buffers=225"  # 15 s
        proc = subprocess.Popen(args, env=gst_env(tmp_path), stdout=open(log_path, "w"),
                                stderr=subprocess.STDOUT)
        try:
            time.sleep(4)
            server.stop()
            time.sleep(4)
            assert proc.poll() is None, open(log_path).read()[-3000:]
            server = Server(tmp_path / "data")
            rc = proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        conftest.free_port = original
    try:
        output = open(log_path).read()
        assert rc == 0, output[-3000:]
        events = element_messages(output, "osprey-connection")
        assert [e["state"] for e in events][:2] == ["lost", "recovered"], output[-3000:]
        assert events[0]["error"].strip('"'), events
        drain = element_messages(output, "osprey-drain")
        assert drain and drain[-1]["drained"] == "true", output[-3000:]
        frags = wait_for_fragments(server, "restart-sink", 15, timeout=15)
        producer = [f["ProducerTimestamp"] for f in frags]
        # A fragment whose PERSISTED was lost with the connection is sent
        # again (same producer timestamp, same bytes); the server recognises
        # the retry and stores nothing twice (docs/video-ingest.md).
        assert len(producer) == len(set(producer)), producer
        assert 14 <= len(set(producer)) <= 16, len(set(producer))
        by_number = sorted(frags, key=lambda f: int(f["FragmentNumber"]))
        ts = [f["ProducerTimestamp"] for f in by_number]
        assert ts == sorted(ts), ts
    finally:
        server.stop()


def test_kill9_then_restart_uploads_the_spooled_backlog(server, tmp_path):
    """Run 1 cannot reach the server and is killed with SIGKILL: what it
    spooled survives. Run 2 (same spool-dir, reachable server) uploads that
    backlog first, then its own fragments, with increasing timestamps."""
    ak, sk = server.credentials()
    spool = tmp_path / "spool"
    dead = f"http://127.0.0.1:{conftest.free_port()}"
    first = subprocess.Popen(launch_args("kill-sink", dead, spool),
                             env=gst_env(tmp_path, (ak, sk)),
                             stdout=open(tmp_path / "run1.out", "w"), stderr=subprocess.STDOUT)
    time.sleep(4.5)
    assert first.poll() is None, open(tmp_path / "run1.out").read()[-3000:]
    first.kill()
    first.wait()
    restart = time.time()
    args = launch_args("kill-sink", server.endpoint, spool, ["drain-ms=15000"])
    args[args.index("num-buffers=150")] = "num-buffers=45"  # 3 s
    run = subprocess.run(args, env=gst_env(tmp_path, (ak, sk)), capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    drain = element_messages(run.stdout, "osprey-drain")
    assert drain and drain[-1]["drained"] == "true", run.stdout[-3000:]
    frags = wait_for_fragments(server, "kill-sink", 6, timeout=15)
    by_number = sorted(frags, key=lambda f: int(f["FragmentNumber"]))
    ts = [f["ProducerTimestamp"] for f in by_number]
    assert all(a < b for a, b in zip(ts, ts[1:])), ts
    before = [t for t in ts if t.timestamp() < restart]
    assert len(before) >= 3, ts  # run 1's fragments (~4 s recorded)
    assert len(ts) - len(before) >= 2, ts  # run 2's own
