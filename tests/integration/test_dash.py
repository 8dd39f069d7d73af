"""GetDASHStreamingSessionURL (issue 5 "Playback", video-api.md 6.4) against
the real osprey-server.

Footage: osprey-agent with its GStreamer test pattern (320x240, 15 fps, 1 s
fragments), recording for the whole module so LIVE sessions have fresh
fragments. boto3 asks for the session URLs; the MPD is parsed with
xml.etree, its init and media segments are fetched by the SegmentTemplate
and checked box by box and with ffprobe, and ffmpeg's dash demuxer plays
the MPD URL itself.
"""
import datetime
import json
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from conftest import Server
from test_agent import start_agent, stop_agent, wait_for_fragments

STREAM = "dash-cam"
WIDTH, HEIGHT = 320, 240
NS = {"mpd": "urn:mpeg:dash:schema:mpd:2011"}
KVS = "{urn:osprey:kinesisvideo:dash:2017}"


def client(server):
    ak, sk = server.credentials()
    # Without client-side validation, so out-of-range values reach the server.
    return boto3.client(
        "kinesis-video-archived-media", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=ak, aws_secret_access_key=sk,
        config=botocore.config.Config(retries={"max_attempts": 1}, parameter_validation=False))


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    """(server, the first fragments sorted by producer time); the agent keeps
    recording until the module ends."""
    tmp = tmp_path_factory.mktemp("dash")
    server = Server(tmp / "data")
    log_path = tmp / "agent.log"
    agent = start_agent(server.endpoint, STREAM, tmp / "spool", server.credentials(), log_path)
    try:
        time.sleep(9)
        frags = wait_for_fragments(server, STREAM, 7)
        assert len(frags) >= 7, open(log_path).read()[-3000:]
        frags.sort(key=lambda f: f["ProducerTimestamp"])
        yield server, frags
    finally:
        stop_agent(agent, log_path)
        server.stop()


def ms(ts):
    return round(ts.timestamp() * 1000)


def sec(ts):
    """botocore sends rest-json timestamps as whole epoch seconds: use those."""
    return float(int(ts.timestamp()))


def on_demand_url(server, frags, **extra):
    start, end = sec(frags[1]["ProducerTimestamp"]), sec(frags[-2]["ProducerTimestamp"])
    url = client(server).get_dash_streaming_session_url(
        StreamName=STREAM, PlaybackMode="ON_DEMAND",
        DASHFragmentSelector={"FragmentSelectorType": "PRODUCER_TIMESTAMP",
                              "TimestampRange": {"StartTimestamp": start, "EndTimestamp": end}},
        **extra)["DASHStreamingSessionURL"]
    chosen = [f for f in frags if start <= f["ProducerTimestamp"].timestamp() <= end]
    return url, chosen


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, dict(r.headers), r.read()


def fetch_error(url):
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url, timeout=30)
    return e.value.code, e.value.headers.get("x-amzn-ErrorType")


def manifest(url):
    status, headers, body = fetch(url)
    assert status == 200 and headers["Content-Type"] == "application/dash+xml", headers
    assert headers["Access-Control-Allow-Origin"] == "*"
    return ET.fromstring(body)


def video_parts(mpd):
    sets = mpd.findall("mpd:Period/mpd:AdaptationSet", NS)
    assert len(sets) == 1 and sets[0].get("contentType") == "video", ET.tostring(mpd)
    rep = sets[0].find("mpd:Representation", NS)
    template = rep.find("mpd:SegmentTemplate", NS)
    timeline = template.findall("mpd:SegmentTimeline/mpd:S", NS)
    return rep, template, timeline


def boxes(data):
    """[(type, payload)] of the top-level ISO BMFF boxes; they must tile data."""
    out, pos = [], 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        assert size >= 8, size
        out.append((data[pos + 4:pos + 8].decode("latin-1"), data[pos + 8:pos + size]))
        pos += size
    assert pos == len(data), "boxes do not tile the segment"
    return out


def tfdt(segment):
    """baseMediaDecodeTime of the segment's (single) traf."""
    moof = dict(boxes(segment))["moof"]
    traf = dict(boxes(moof))["traf"]
    box = dict(boxes(traf))["tfdt"]
    return int.from_bytes(box[4:12], "big") if box[0] == 1 else int.from_bytes(box[4:8], "big")


def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_on_demand_mpd_lists_the_range_with_exact_timeline(footage, tmp_path):
    server, frags = footage
    url, chosen = on_demand_url(server, frags)
    assert url.startswith(server.endpoint + "/dash/v1/getDASHManifest.mpd?SessionToken=")
    mpd = manifest(url)
    assert mpd.get("type") == "static"
    assert "urn:mpeg:dash:profile:isoff-live:2011" in mpd.get("profiles")
    # From the first start to the last end (gaps between fragments included).
    total_ms = (ms(chosen[-1]["ProducerTimestamp"]) + chosen[-1]["FragmentLengthInMilliseconds"]
                - ms(chosen[0]["ProducerTimestamp"]))
    assert mpd.get("mediaPresentationDuration") == "PT%d.%03dS" % divmod(total_ms, 1000)
    rep, template, timeline = video_parts(mpd)
    assert re.fullmatch(r"avc1\.[0-9a-f]{6}", rep.get("codecs")), rep.get("codecs")
    assert (int(rep.get("width")), int(rep.get("height"))) == (WIDTH, HEIGHT)
    assert rep.get("frameRate") == "15" and int(rep.get("bandwidth")) > 0
    assert template.get("timescale") == "1000"
    assert int(template.get("presentationTimeOffset")) == ms(chosen[0]["ProducerTimestamp"])
    # One S per fragment, t = producer start, d = FragmentLengthInMilliseconds.
    assert [(int(s.get("t")), int(s.get("d"))) for s in timeline] == [
        (ms(f["ProducerTimestamp"]), f["FragmentLengthInMilliseconds"]) for f in chosen]
    assert all(s.get(KVS + "ts") is None and s.get(KVS + "fn") is None for s in timeline)

    # Segments by the template: init, then each media segment; tfdt (90 kHz)
    # is exactly t (ms) x 90.
    init = fetch(urllib.parse.urljoin(url, template.get("initialization")))[2]
    assert [b for b, _ in boxes(init)] == ["ftyp", "moov"]
    media = b""
    for s in timeline:
        seg_url = urllib.parse.urljoin(url, template.get("media").replace("$Time$", s.get("t")))
        status, headers, seg = fetch(seg_url)
        assert headers["Content-Type"] == "video/mp4"
        assert [b for b, _ in boxes(seg)] == ["moof", "mdat"]
        assert tfdt(seg) == int(s.get("t")) * 90
        media += seg
    path = tmp_path / "dash.mp4"
    path.write_bytes(init + media)
    probe = run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                 "stream=codec_name,width,height,nb_read_frames", "-of", "json", str(path)])
    assert probe.returncode == 0, probe.stderr
    stream = json.loads(probe.stdout)["streams"][0]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", WIDTH, HEIGHT)
    # 15 fps: about 15 frames per second listed.
    assert abs(int(stream["nb_read_frames"]) - 15 * total_ms / 1000) <= 3, stream


def test_ffmpeg_plays_the_on_demand_mpd(footage):
    server, frags = footage
    url, chosen = on_demand_url(server, frags)
    decode = run(["ffmpeg", "-v", "error", "-i", url, "-f", "null", "-"])
    assert decode.returncode == 0 and decode.stderr.strip() == "", decode.stderr
    probe = run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                 "format=duration:stream=codec_name,width,height,nb_read_frames", "-of", "json",
                 url])
    assert probe.returncode == 0, probe.stderr
    info = json.loads(probe.stdout)
    total_ms = (ms(chosen[-1]["ProducerTimestamp"]) + chosen[-1]["FragmentLengthInMilliseconds"]
                - ms(chosen[0]["ProducerTimestamp"]))
    # ffmpeg's dash demuxer keeps whole seconds of mediaPresentationDuration.
    assert float(info["format"]["duration"]) == total_ms // 1000, info
    (stream,) = info["streams"]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", WIDTH, HEIGHT)
    assert abs(int(stream["nb_read_frames"]) - 15 * total_ms / 1000) <= 3, stream


def test_display_fragment_timestamp_and_number_annotate_every_s(footage):
    server, frags = footage
    url, chosen = on_demand_url(server, frags, DisplayFragmentTimestamp="ALWAYS",
                                DisplayFragmentNumber="ALWAYS", MaxManifestFragmentResults=3)
    rep, template, timeline = video_parts(manifest(url))
    assert len(timeline) == 3  # the oldest 3 of the range
    for s, f in zip(timeline, chosen):
        assert s.get(KVS + "fn") == f["FragmentNumber"]
        shown = datetime.datetime.fromisoformat(s.get(KVS + "ts").replace("Z", "+00:00"))
        assert ms(shown) == ms(f["ProducerTimestamp"])  # the selector's timestamp
    # kvs:fn also names the segment, as in HLS.
    s = timeline[1]
    by_time = fetch(urllib.parse.urljoin(url, template.get("media").replace("$Time$", s.get("t"))))
    by_number = fetch(urllib.parse.urljoin(
        url, f"getMP4MediaFragment.mp4?SessionToken={token_of(url)}&TrackNumber=1"
             f"&FragmentNumber={s.get(KVS + 'fn')}"))
    assert by_time[2] == by_number[2]


def token_of(url):
    return urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["SessionToken"][0]


def test_live_mpd_is_dynamic_with_the_newest_fragments(footage):
    server, _ = footage
    url = client(server).get_dash_streaming_session_url(
        StreamName=STREAM, PlaybackMode="LIVE", MaxManifestFragmentResults=3,
        DisplayFragmentTimestamp="ALWAYS")["DASHStreamingSessionURL"]
    mpd = manifest(url)
    assert mpd.get("type") == "dynamic"
    assert mpd.get("minimumUpdatePeriod") and mpd.get("mediaPresentationDuration") is None
    assert mpd.get("availabilityStartTime").startswith("1970-01-01T00:00:00")
    assert mpd.find("mpd:UTCTiming", NS) is not None
    rep, template, timeline = video_parts(mpd)
    assert len(timeline) == 3
    starts = [int(s.get("t")) for s in timeline]
    assert starts == sorted(starts) and abs(starts[-1] / 1000 - time.time()) < 10
    # SERVER_TIMESTAMP is the default selector: kvs:ts is the arrival time,
    # at or after the producer time.
    for s in timeline:
        shown = datetime.datetime.fromisoformat(s.get(KVS + "ts").replace("Z", "+00:00"))
        assert ms(shown) >= int(s.get("t")) - 50
    newest = fetch(urllib.parse.urljoin(url, template.get("media").replace("$Time$", str(starts[-1]))))
    assert tfdt(newest[2]) == starts[-1] * 90
    # Refreshed a few seconds later, the window has moved on.
    time.sleep(2.5)
    later = [int(s.get("t")) for s in video_parts(manifest(url))[2]]
    assert later[-1] > starts[-1]
    # ffmpeg follows the live MPD (refreshing it) for 3 s of output.
    decode = run(["ffmpeg", "-v", "error", "-i", url, "-t", "3", "-f", "null", "-"])
    assert decode.returncode == 0 and decode.stderr.strip() == "", decode.stderr


def test_live_replay_starts_at_start_and_grows(footage):
    server, frags = footage
    url = client(server).get_dash_streaming_session_url(
        StreamName=STREAM, PlaybackMode="LIVE_REPLAY",
        DASHFragmentSelector={"FragmentSelectorType": "PRODUCER_TIMESTAMP", "TimestampRange": {
            "StartTimestamp": sec(frags[1]["ProducerTimestamp"])}})["DASHStreamingSessionURL"]
    mpd = manifest(url)
    assert mpd.get("type") == "dynamic" and mpd.get("minimumUpdatePeriod")
    _, template, timeline = video_parts(mpd)
    first = next(f for f in frags if f["ProducerTimestamp"].timestamp() >= sec(frags[1]["ProducerTimestamp"]))
    assert int(timeline[0].get("t")) == ms(first["ProducerTimestamp"])
    assert int(template.get("presentationTimeOffset")) == ms(first["ProducerTimestamp"])
    time.sleep(2.2)
    assert len(video_parts(manifest(url))[2]) > len(timeline)


def error_code(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"]


def test_bad_requests_get_the_aws_error_names(footage, tmp_path):
    server, frags = footage
    c = client(server)
    get = c.get_dash_streaming_session_url
    rng = {"FragmentSelectorType": "PRODUCER_TIMESTAMP",
           "TimestampRange": {"StartTimestamp": sec(frags[1]["ProducerTimestamp"]),
                              "EndTimestamp": sec(frags[-1]["ProducerTimestamp"])}}
    bad = "InvalidArgumentException"
    assert error_code(lambda: get(StreamName=STREAM, PlaybackMode="ON_DEMAND")) == bad
    assert error_code(lambda: get(StreamName=STREAM, PlaybackMode="LIVE",
                                  DASHFragmentSelector=rng)) == bad
    assert error_code(lambda: get(StreamName=STREAM, PlaybackMode="ON-DEMAND")) == bad
    for extra in ({"Expires": 299}, {"Expires": 43201}, {"MaxManifestFragmentResults": 0},
                  {"MaxManifestFragmentResults": 5001}, {"DisplayFragmentNumber": "SOMETIMES"}):
        assert error_code(lambda: get(StreamName=STREAM, PlaybackMode="ON_DEMAND",
                                      DASHFragmentSelector=rng, **extra)) == bad, extra
    backwards = {"FragmentSelectorType": "PRODUCER_TIMESTAMP",
                 "TimestampRange": {"StartTimestamp": 2000, "EndTimestamp": 1000}}
    assert error_code(lambda: get(StreamName=STREAM, PlaybackMode="ON_DEMAND",
                                  DASHFragmentSelector=backwards)) == bad
    empty = {"FragmentSelectorType": "PRODUCER_TIMESTAMP",
             "TimestampRange": {"StartTimestamp": 1000, "EndTimestamp": 2000}}
    assert error_code(lambda: get(StreamName=STREAM, PlaybackMode="ON_DEMAND",
                                  DASHFragmentSelector=empty)) == "ResourceNotFoundException"
    assert error_code(lambda: get(StreamName="no-such-stream")) == "ResourceNotFoundException"

    ak, sk = server.credentials()
    kv = boto3.client("kinesisvideo", endpoint_url=server.endpoint, region_name="us-east-1",
                      aws_access_key_id=ak, aws_secret_access_key=sk)
    kv.create_stream(StreamName="dash-no-retention", DataRetentionInHours=0)
    assert error_code(lambda: get(StreamName="dash-no-retention")) == "NoDataRetentionException"

    # The resources: token problems are 403, malformed parameters 400,
    # absent fragments 404.
    url, chosen = on_demand_url(server, frags)
    token = token_of(url)
    base = url.split("getDASHManifest.mpd")[0]
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    assert fetch_error(base + "getDASHManifest.mpd?SessionToken=" + flipped) == (
        403, "NotAuthorizedException")
    hls = c.get_hls_streaming_session_url(
        StreamName=STREAM, PlaybackMode="ON_DEMAND", HLSFragmentSelector=rng)
    hls_token = token_of(hls["HLSStreamingSessionURL"])
    assert fetch_error(base + "getDASHManifest.mpd?SessionToken=" + hls_token)[0] == 403
    assert fetch_error(base + "getDASHManifest.mpd")[0] == 400
    media = base + "getMP4MediaFragment.mp4?SessionToken=" + token + "&TrackNumber=1"
    assert fetch_error(media + "&Time=12x")[0] == 400
    assert fetch_error(media)[0] == 400
    assert fetch_error(media + "&Time=1000") == (404, "ResourceNotFoundException")
    t = ms(chosen[0]["ProducerTimestamp"])
    assert fetch_error(base + "getMP4MediaFragment.mp4?SessionToken=" + token +
                       f"&TrackNumber=3&Time={t}")[0] == 400
    assert fetch(media + f"&Time={t}")[0] == 200


def test_a_stream_without_video_is_unsupported_media(footage, tmp_path):
    """KVS refuses the session up front when it cannot package the media:
    an AAC-only stream has no H.264/H.265 track for the MPD."""
    from test_put_media import Upload, count, create_stream, relative_headers
    server, _ = footage
    path = tmp_path / "audio.mkv"
    gst = run(["gst-launch-1.0", "-q", "audiotestsrc", "num-buffers=150", "!",
               "audio/x-raw,rate=48000,channels=2", "!", "avenc_aac", "!", "aacparse", "!",
               "matroskamux", "streamable=true", "!", "filesink", f"location={path}"])
    assert gst.returncode == 0, gst.stderr
    create_stream(server, "dash-audio")
    upload = Upload(server, relative_headers("dash-audio"))
    upload.send(path.read_bytes())
    upload.end_body()
    assert upload.wait_for(lambda acks: count(acks, "PERSISTED") >= 1), upload.acks
    upload.finish()
    now = time.time()
    assert error_code(lambda: client(server).get_dash_streaming_session_url(
        StreamName="dash-audio", PlaybackMode="ON_DEMAND",
        DASHFragmentSelector={"FragmentSelectorType": "PRODUCER_TIMESTAMP", "TimestampRange": {
            "StartTimestamp": int(now) - 120, "EndTimestamp": int(now) + 60}},
    )) == "UnsupportedStreamMediaTypeException"
