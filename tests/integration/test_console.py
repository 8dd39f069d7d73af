"""The web console at /console (issue 5 item 7) against the real server.

osprey-agent streams its GStreamer test pattern (a white ball on black,
1 s fragments) into osprey-server for the whole module. The API tests use
urllib with the session cookie the sign-in sets; test_browser drives
Debian's chromium through playwright-core (tests/integration/js/
console_browser.mjs): sign in, the camera grid, live playback (currentTime
advancing for 5 s, the picture not blank), replay of a moment clicked on
the timeline, a clip selection, the phone layout. Screenshots go to
$OSPREY_CONSOLE_ARTIFACTS (the build dir's test-artifacts/console).
"""
import http.cookies
import json
import os
import subprocess
import time
import urllib.request

import boto3
import botocore.config
import pytest

from conftest import SERVER_BIN, Server, status_and_body
from test_agent import start_agent, stop_agent, wait_for_fragments

STREAM = "front-door"
HERE = os.path.dirname(os.path.abspath(__file__))
CHROMIUM = "/usr/bin/chromium"
PLAYWRIGHT = "/opt/osprey/node/node_modules/playwright-core"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """(server, console password) with the agent streaming live."""
    tmp = tmp_path_factory.mktemp("console")
    server = Server(tmp / "data")
    log_path = tmp / "agent.log"
    agent = start_agent(server.endpoint, STREAM, tmp / "spool", server.credentials(), log_path)
    try:
        wait_for_fragments(server, STREAM, 8, timeout=40)
        password = open(os.path.join(server.data_dir, "console-password")).read().strip()
        publish_events(server)
        yield server, password
    finally:
        stop_agent(agent, log_path)
        server.stop()


def publish_events(server):
    """ML events as osprey-ml writes them (docs/ml-hooks.md "Events") to
    `osprey-events`: two that are markers on STREAM's timeline, and three
    that are not (a detection, another camera, an unparsable record)."""
    ak, sk = server.credentials()
    kinesis = boto3.client("kinesis", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id=ak, aws_secret_access_key=sk,
                           config=botocore.config.Config(retries={"max_attempts": 1}))
    kinesis.create_stream(StreamName="osprey-events", ShardCount=1)
    deadline = time.time() + 20
    while kinesis.describe_stream_summary(StreamName="osprey-events")[
            "StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
        assert time.time() < deadline
        time.sleep(0.2)
    t = now_ms() - 4000
    events = [
        {"event_type": "track_start", "stream_name": STREAM, "frame_time_ms": t, "label": "person",
         "track_id": 7, "zone": None},
        {"event_type": "detection", "stream_name": STREAM, "frame_time_ms": t + 500, "label": "person"},
        {"event_type": "intrusion", "stream_name": STREAM, "frame_time_ms": t + 2000, "label": "person",
         "track_id": 7, "zone": "drive"},
        {"event_type": "track_start", "stream_name": "back-yard", "frame_time_ms": t, "label": "person"},
    ]
    for event in events:
        kinesis.put_record(StreamName="osprey-events", Data=json.dumps(event).encode(), PartitionKey="k")
    kinesis.put_record(StreamName="osprey-events", Data=b"not json", PartitionKey="k")
    server.event_times = (t, t + 2000)


def call(server, path, cookie=None, body=None, method=None):
    headers = {"Cookie": cookie} if cookie else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(server.endpoint + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def sign_in(server, password):
    status, headers, body = call(server, "/console/api/signin", body={"password": password})
    assert status == 200, body
    set_cookie = headers["Set-Cookie"]
    morsel = http.cookies.SimpleCookie(set_cookie)["osprey_console"]
    return f"osprey_console={morsel.value}", set_cookie


def now_ms():
    return int(time.time() * 1000)


def ffprobe(target, *entries):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", ",".join(entries), "-of", "json",
                          target], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_generated_password_is_private_and_logged_once(console):
    server, password = console
    path = os.path.join(server.data_dir, "console-password")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert len(password) == 20
    logs = server.stdout() + server.stderr()
    assert logs.count(password) == 1, "the generated password is printed exactly once"


def test_pages_are_embedded_with_types_and_cache_headers(console):
    server, _ = console
    status, headers, body = call(server, "/console")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Cache-Control"] == "no-cache"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    page = body.decode()
    assets = [a.split("?")[0] for a in page.split('src="')[1:]] + ["/console/assets/console.css"]
    assert "/console/assets/hls.min.js" in assets and "__VERSION__" not in page
    types = {"js": "text/javascript", "css": "text/css"}
    for asset in assets:
        asset = asset.split('"')[0]
        status, headers, body = call(server, asset + "?v=1")
        assert status == 200, asset
        assert headers["Content-Type"].startswith(types[asset.rsplit(".", 1)[1]]), asset
        assert "immutable" in headers["Cache-Control"]
        assert headers["X-Content-Type-Options"] == "nosniff"
    _, _, hls = call(server, "/console/assets/hls.min.js")
    assert len(hls) > 100_000 and b"HLS" in hls, "the real hls.js is embedded"


@pytest.mark.parametrize("path", ["/console/api/streams", "/console/api/session",
                                  f"/console/api/timeline?stream={STREAM}&start=0&end=1",
                                  f"/console/api/thumbnail?stream={STREAM}",
                                  f"/console/api/events?stream={STREAM}&start=0&end=1",
                                  f"/console/api/hls?stream={STREAM}&mode=LIVE",
                                  f"/console/api/clip?stream={STREAM}&start=0&end=1"])
def test_api_without_cookie_is_401(console, path):
    server, _ = console
    status, _, body = call(server, path)
    assert status == 401
    assert json.loads(body) == {"error": "Sign in to use the console."}


def test_wrong_password_and_bad_body(console):
    server, password = console
    status, _, body = call(server, "/console/api/signin", body={"password": password + "x"})
    assert status == 401 and json.loads(body) == {"error": "Wrong password."}
    status, _, body = call(server, "/console/api/signin", body=b"password=1")
    assert status == 400 and "JSON" in json.loads(body)["error"]
    # SigV4 keys are not console passwords.
    status, _, _ = call(server, "/console/api/signin", body={"password": server.credentials()[1]})
    assert status == 401


def test_cookie_is_httponly_strict_signed_and_revocable(console):
    server, password = console
    cookie, set_cookie = sign_in(server, password)
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age=43200"):
        assert attribute in set_cookie
    assert call(server, "/console/api/streams", cookie)[0] == 200
    value = cookie.split("=", 1)[1]
    version, expires, nonce, mac = value.split(".")
    flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    other_nonce = nonce[:-1] + ("0" if nonce[-1] != "0" else "1")
    later = str(int(expires) + 86_400_000)
    for forged in (f"{version}.{expires}.{nonce}.{flipped}",   # signature changed
                   f"{version}.{later}.{nonce}.{mac}",         # expiry extended
                   f"{version}.{expires}.{other_nonce}.{mac}",  # nonce changed
                   "v1.9999999999999.00.00", "garbage"):
        status, _, body = call(server, "/console/api/streams", "osprey_console=" + forged)
        assert status == 401, forged
        assert "expired or was signed out" in json.loads(body)["error"]
    status, headers, _ = call(server, "/console/api/signout", cookie, body={})
    assert status == 200 and "Max-Age=0" in headers["Set-Cookie"]
    assert call(server, "/console/api/streams", cookie)[0] == 401, "signed-out cookie still works"


def test_streams_timeline_thumbnail(console):
    server, password = console
    cookie, _ = sign_in(server, password)
    status, _, body = call(server, "/console/api/streams", cookie)
    data = json.loads(body)
    stream = next(s for s in data["streams"] if s["name"] == STREAM)
    assert stream["status"] == "live"
    assert stream["retention_hours"] == 24
    assert stream["bitrate_bps"] > 10_000
    assert data["now"] - stream["newest_end"] < 15_000

    end = now_ms()
    status, _, body = call(server, f"/console/api/timeline?stream={STREAM}&start={end - 3600_000}&end={end}", cookie)
    assert status == 200, body
    timeline = json.loads(body)
    assert timeline["fragments"] >= 8
    # Continuous recording: one covered interval, not one per fragment.
    assert len(timeline["intervals"]) == 1, timeline["intervals"]
    start, stop = timeline["intervals"][0]
    assert stop - start >= 7000
    for bad, code in ((f"stream={STREAM}&start=10&end=5", 400), (f"stream={STREAM}&start=x&end=5", 400),
                      ("start=0&end=5", 400), ("stream=nope&start=0&end=5", 404)):
        status, _, body = call(server, "/console/api/timeline?" + bad, cookie)
        assert status == code, (bad, body)
        assert json.loads(body)["error"]

    status, headers, jpeg = call(server, f"/console/api/thumbnail?stream={STREAM}&height=180", cookie)
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    # A second grid asking at once gets a picture too (the same one, from
    # the console's cache, unless a new fragment arrived in between).
    status, _, again = call(server, f"/console/api/thumbnail?stream={STREAM}&height=180", cookie)
    assert status == 200 and again[:3] == b"\xff\xd8\xff"
    assert jpeg[:3] == b"\xff\xd8\xff"
    path = os.path.join(os.path.dirname(server.data_dir), "thumb.jpg")
    open(path, "wb").write(jpeg)
    dims = ffprobe(path, "stream=width,height")["streams"][0]
    assert dims == {"width": 240, "height": 180}  # 320x240 source, aspect kept
    assert call(server, "/console/api/thumbnail?stream=nope", cookie)[0] == 404


def test_event_markers_from_the_events_stream(console, server_factory):
    server, password = console
    cookie, _ = sign_in(server, password)
    end = now_ms()
    status, _, body = call(server, f"/console/api/events?stream={STREAM}&start={end - 3600_000}&end={end}", cookie)
    assert status == 200, body
    data = json.loads(body)
    assert data["source"] == "osprey-events"
    first, second = server.event_times
    assert [(e["type"], e["t"], e["label"]) for e in data["events"]] == [
        ("track_start", first, "person"), ("intrusion", second, "person")]
    assert data["events"][1]["zone"] == "drive" and data["events"][1]["track_id"] == 7
    # A range without events, and a server without an events stream.
    status, _, body = call(server, f"/console/api/events?stream={STREAM}&start=1000&end=2000", cookie)
    assert json.loads(body)["events"] == []
    bare = server_factory(env={"OSPREY_CONSOLE_PASSWORD": "another password"})
    bare_cookie, _ = sign_in(bare, "another password")
    status, _, body = call(bare, f"/console/api/events?stream={STREAM}&start=0&end={end}", bare_cookie)
    assert status == 200 and json.loads(body) == {"source": None, "events": []}


def test_hls_sessions_and_clip(console):
    server, password = console
    cookie, _ = sign_in(server, password)
    status, _, body = call(server, f"/console/api/hls?stream={STREAM}&mode=LIVE", cookie)
    assert status == 200, body
    live = json.loads(body)
    assert live["url"].startswith("/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=")
    info = ffprobe(server.endpoint + live["url"], "stream=codec_name,width,height")
    assert info["streams"][0] == {"codec_name": "h264", "width": 320, "height": 240}

    end = now_ms() - 1000
    start = end - 5000
    status, _, body = call(server, f"/console/api/hls?stream={STREAM}&mode=ON_DEMAND&start={start}&end={end}", cookie)
    assert status == 200, body
    replay = json.loads(body)
    assert replay["mode"] == "ON_DEMAND" and replay["start"] == start
    duration = float(ffprobe(server.endpoint + replay["url"], "format=duration")["format"]["duration"])
    assert 4.0 <= duration <= 7.0, duration
    for bad in ("mode=REPLAY", f"mode=ON_DEMAND&start={end}&end={start}", "mode=ON_DEMAND&start=1"):
        status, _, body = call(server, f"/console/api/hls?stream={STREAM}&{bad}", cookie)
        assert status == 400 and json.loads(body)["error"], bad

    status, headers, mp4 = call(server, f"/console/api/clip?stream={STREAM}&start={start}&end={end}", cookie)
    assert status == 200 and headers["Content-Type"] == "video/mp4"
    assert headers["Content-Disposition"].startswith(f'attachment; filename="{STREAM}-')
    path = os.path.join(os.path.dirname(server.data_dir), "clip.mp4")
    open(path, "wb").write(mp4)
    frames = ffprobe(path, "stream=codec_name,nb_frames")["streams"][0]
    assert frames["codec_name"] == "h264" and int(frames["nb_frames"]) >= 4 * 15 - 15


def test_guessing_is_slowed_per_address(server_factory):
    server = server_factory(env={"OSPREY_CONSOLE_PASSWORD": "correct horse battery"})
    assert not os.path.exists(os.path.join(server.data_dir, "console-password"))
    for _ in range(6):  # five free failures, the sixth starts a lockout
        status, _, body = call(server, "/console/api/signin", body={"password": "guess"})
        assert status == 401, body
    status, headers, body = call(server, "/console/api/signin", body={"password": "correct horse battery"})
    assert status == 429, "a locked-out address may not sign in even with the right password"
    assert "Too many wrong passwords" in json.loads(body)["error"]
    retry = int(headers["Retry-After"])
    assert 1 <= retry <= 2
    time.sleep(retry + 0.2)
    sign_in(server, "correct horse battery")


def test_cookie_is_secure_behind_https(server_factory):
    server = server_factory(extra_args=["--public-url", "https://cams.example.com"],
                            env={"OSPREY_CONSOLE_PASSWORD": "behind a proxy"})
    _, set_cookie = sign_in(server, "behind a proxy")
    assert set_cookie.endswith("; Secure")


def test_console_password_option_is_checked(tmp_path):
    out = subprocess.run([SERVER_BIN, "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "d"),
                          "--console-password", "short"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert "console-password" in out.stderr and "at least 8 characters" in out.stderr


def artifacts_dir(tmp_path):
    return os.environ.get("OSPREY_CONSOLE_ARTIFACTS") or str(tmp_path / "console-artifacts")


@pytest.mark.skipif(not os.path.exists(CHROMIUM) or not os.path.isdir(PLAYWRIGHT),
                    reason="needs /usr/bin/chromium and playwright-core (deploy/install-deps.sh installs both)")
def test_browser(console, tmp_path):
    server, password = console
    artifacts = artifacts_dir(tmp_path)
    run = subprocess.run(["node", os.path.join(HERE, "js", "console_browser.mjs"), server.endpoint,
                          password, STREAM, artifacts], capture_output=True, text=True, timeout=300)
    lines = [l for l in run.stdout.splitlines() if l.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    for name, path in sorted(result.get("shots", {}).items()):
        print(f"console screenshot {name}: {path}")
    assert run.returncode == 0, run.stderr[-3000:] + json.dumps(result)[:3000]

    assert result["wrong_password_message"] == "Wrong password."
    assert result["cookie"]["httpOnly"] and result["cookie"]["sameSite"] == "Strict"
    assert "osprey_console" not in result["document_cookie"], "page scripts can read the session"
    assert result["card_badge"] == "Live" and result["thumbnail_width"] > 0
    assert result["markers"] == ["track_start", "intrusion"], "event markers on the timeline"

    # Live: currentTime rises every second for 5 s, about in real time.
    times = result["live_times"]
    assert all(b > a for a, b in zip(times, times[1:])), times
    assert times[-1] - times[0] >= 4.0, times
    # The picture is the test pattern (a white ball on black), not blank.
    live = result["live_picture"]
    assert (live["width"], live["height"]) == (320, 240)
    assert live["stddev"] > 5 and live["bright"] > 0.002 and live["dark"] > 0.5, live

    # Replay from the moment clicked on the timeline.
    first, last = result["replay_interval"]
    assert first <= result["replay_start"] <= last
    assert result["replay_badge"].startswith("Replay")
    times = result["replay_times"]
    assert all(b > a for a, b in zip(times, times[1:])), times
    replay = result["replay_picture"]
    assert replay["stddev"] > 5 and replay["bright"] > 0.002, replay

    # The selection's clip link downloads a playable MP4.
    assert result["clip_href"].startswith(f"/console/api/clip?stream={STREAM}&start=")
    cookie, _ = sign_in(server, password)
    status, headers, mp4 = call(server, result["clip_href"], cookie)
    assert status == 200 and headers["Content-Type"] == "video/mp4"
    path = os.path.join(artifacts, "selection.mp4")
    open(path, "wb").write(mp4)
    assert ffprobe(path, "stream=codec_name")["streams"][0]["codec_name"] == "h264"

    # Phone width: nothing wider than the screen.
    assert result["phone_overflow"] <= 0 and result["phone_player_overflow"] <= 0
    assert result["after_signout"] == 401
    assert result["page_errors"] == []
    for path in result["shots"].values():
        assert os.path.getsize(path) > 10_000, path
