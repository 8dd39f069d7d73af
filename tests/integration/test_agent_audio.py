"""The optional audio track end to end: osprey-agent --audio -> osprey-server
-> GetMedia, HLS (fMP4 and MPEG-TS) and GetClip, checked with ffprobe/ffmpeg.

- testsrc with --audio aac (voaacenc) and --audio opus (opusenc): every
  stored fragment has two tracks (H.264 + AAC/Opus, 48 kHz stereo), decodes
  without an error, and its audio covers its video; an HLS fMP4 session
  lists the audio rendition with its CODECS and ffmpeg plays both streams,
  as it does the DASH manifest's two AdaptationSets;
  GetClip's MP4 and the /getClipStream fMP4 have both streams. MPEG-TS sessions mux AAC (ADTS) and leave
  Opus out (docs/playback.md).
- A file with AAC is passed through: the stored AAC packets are byte for
  byte a contiguous run of the file's (framemd5 of the packets).
- RTSP: osprey-test-rtsp-camera --audio aac|opus (RTP MPEG4-GENERIC or
  Opus) is depayloaded and stored with both tracks; without --audio the
  agent keeps ignoring the camera's audio.
- --audio none (the default) stores video only.
"""
import datetime
import os
import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from test_agent import archived_media, list_fragments, stop_agent, wait_for_fragments
from test_agent_rtsp import CAMERA_BIN, Camera
from test_clip_images import signed_post
from test_put_media import get_media_chunks

AGENT_BIN = os.environ.get("OSPREY_AGENT_BIN", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin", "osprey-agent"))


def start_agent(server, stream, source, spool_dir, log_path, audio):
    ak, sk = server.credentials()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": ak, "AWS_SECRET_ACCESS_KEY": sk})
    args = [AGENT_BIN, "--endpoint", server.endpoint, "--stream", stream, "--source", source,
            "--spool-dir", str(spool_dir), "--fragment-ms", "1000", "--width", "320",
            "--height", "240", "--fps", "15", "--drain-ms", "10000"]
    if audio is not None:
        args += ["--audio", audio]
    return subprocess.Popen(args, stdout=open(log_path, "w"), stderr=subprocess.STDOUT, env=env)


def record(server, tmp_path, stream, audio, seconds=6, source="testsrc"):
    """Runs the agent for `seconds`; returns the number of PERSISTED fragments."""
    log_path = tmp_path / f"agent-{stream}.log"
    agent = start_agent(server, stream, source, tmp_path / f"spool-{stream}", log_path, audio)
    time.sleep(seconds)
    stats = stop_agent(agent, log_path)
    assert stats["drained"] == "true", stats
    persisted = int(stats["spool_acked_seq"])
    assert persisted >= seconds - 2, stats
    assert len(wait_for_fragments(server, stream, persisted)) == persisted
    return persisted


def run(args, timeout=120):
    r = subprocess.run(args, capture_output=True, timeout=timeout)
    assert r.returncode == 0, (args, r.stderr.decode(errors="replace")[-3000:])
    return r


def get_media_files(server, stream, n, tmp_path):
    """The first n GetMedia chunks (one standalone MKV per fragment), as files."""
    data = get_media_chunks(server, stream, n)
    marker = b"\x1a\x45\xdf\xa3"  # each chunk starts with an EBML header
    starts = [i for i in range(len(data)) if data.startswith(marker, i)] + [len(data)]
    paths = []
    for i in range(len(starts) - 1):
        p = tmp_path / f"{stream}-{i}.mkv"
        p.write_bytes(data[starts[i]:starts[i + 1]])
        paths.append(p)
    assert len(paths) == n
    return paths


def probe_streams(target, *extra):
    """Sorted "codec_name,codec_type[,sample_rate,channels]" of each stream.
    Streams are keyed by index: with programs (HLS), ffprobe lists a
    stream once per program and once at the top level."""
    out = run(["ffprobe", "-v", "error", *extra, "-show_entries",
               "stream=index,codec_type,codec_name,sample_rate,channels", "-of", "csv=p=0",
               str(target)]).stdout.decode()
    by_index = {}
    for line in out.splitlines():
        if line.strip():
            index, rest = line.split(",", 1)
            by_index[index] = rest
    return sorted(by_index.values())


def decode_errors(target, *extra):
    """ffmpeg's error output when decoding every stream ("" = clean)."""
    r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *extra, "-i", str(target),
                        "-map", "0", "-f", "null", "-"], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-3000:]
    return r.stderr.decode(errors="replace")


def packet_spans(path):
    """{codec_type: (first pts, last pts + duration)} in seconds."""
    out = run(["ffprobe", "-v", "error", "-show_entries",
               "packet=codec_type,pts_time,duration_time", "-of", "csv=p=0",
               str(path)]).stdout.decode()
    spans = {}
    for line in out.splitlines():
        kind, pts, dur = (line.split(",") + ["", ""])[:3]
        if not pts or pts == "N/A":
            continue
        start, end = float(pts), float(pts) + (float(dur) if dur not in ("", "N/A") else 0)
        lo, hi = spans.get(kind, (start, end))
        spans[kind] = (min(lo, start), max(hi, end))
    return spans


def on_demand_range(frags):
    """Every fragment of `frags` (End is inclusive; +1 s absorbs rounding)."""
    start = min(f["ProducerTimestamp"] for f in frags)
    end = max(f["ProducerTimestamp"] for f in frags) + datetime.timedelta(seconds=1)
    return {"FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": start, "EndTimestamp": end}}


HLS_OPTS = ["-allowed_extensions", "ALL", "-allowed_segment_extensions", "ALL",
            "-extension_picky", "0"]

CODECS = {"aac": "mp4a.40.2", "opus": "opus"}  # the master playlist's audio CODECS


def expected_streams(codec):
    # csv order of -show_entries stream=...: codec_name, codec_type, sample_rate, channels
    return sorted({"aac": ["h264,video", "aac,audio,48000,2"],
                   "opus": ["h264,video", "opus,audio,48000,2"]}[codec])


@pytest.mark.parametrize("codec", ["aac", "opus"])
def test_testsrc_audio_is_stored_and_played(server, tmp_path, codec):
    stream = f"audio-{codec}"
    persisted = record(server, tmp_path, stream, codec)
    frags = list_fragments(server, stream)

    # GetMedia: both tracks in every fragment, clean decode, audio covers video.
    files = get_media_files(server, stream, persisted, tmp_path)
    for i, path in enumerate(files):
        spans = packet_spans(path)
        assert probe_streams(path) == expected_streams(codec), (i, probe_streams(path))
        assert decode_errors(path) == "", (i, decode_errors(path))
        (v0, v1), (a0, a1) = spans["video"], spans["audio"]
        # AAC frames are 21.3 ms, Opus 20 ms: the audio starts within a
        # frame of the IDR and reaches within a frame of the video's end.
        assert a0 <= v0 + 0.03, (i, spans)
        if i + 1 < len(files):
            assert a1 >= v1 - 0.03, (i, spans)
            assert v1 - v0 >= 0.9, (i, spans)
        else:
            # The last fragment is cut by SIGTERM: audio still inside the
            # encoder and its queue then is not flushed (agent/README.md
            # "Audio"), so its audio may end up to ~0.1 s early (58 ms seen
            # under ASan).
            assert a1 >= v1 - 0.1, (i, spans)

    client = archived_media(server)
    # HLS fMP4: an audio rendition with its own media playlist; ffmpeg plays both.
    url = client.get_hls_streaming_session_url(
        StreamName=stream, PlaybackMode="ON_DEMAND", HLSFragmentSelector=on_demand_range(frags),
        ContainerFormat="FRAGMENTED_MP4")["HLSStreamingSessionURL"]
    master = urllib.request.urlopen(url, timeout=10).read().decode()
    assert re.search(r'CODECS="avc1\.[0-9a-f]{6},' + re.escape(CODECS[codec]) + '"',
                     master), master
    assert "#EXT-X-MEDIA:TYPE=AUDIO" in master and "TrackNumber=2" in master, master
    assert probe_streams(url, *HLS_OPTS) == expected_streams(codec)
    assert decode_errors(url, *HLS_OPTS) == ""
    audio_uri = re.search(r'URI="([^"]+TrackNumber=2)"', master).group(1)
    audio_playlist = urllib.request.urlopen(urllib.parse.urljoin(url, audio_uri),
                                            timeout=10).read().decode()
    assert audio_playlist.count("getMP4MediaFragment.mp4") == persisted, audio_playlist

    # DASH: a second AdaptationSet; ffmpeg plays both.
    url = client.get_dash_streaming_session_url(
        StreamName=stream, PlaybackMode="ON_DEMAND",
        DASHFragmentSelector=on_demand_range(frags))["DASHStreamingSessionURL"]
    mpd = urllib.request.urlopen(url, timeout=10).read().decode()
    assert 'mimeType="audio/mp4"' in mpd and f'codecs="{CODECS[codec]}"' in mpd, mpd
    assert probe_streams(url) == expected_streams(codec)
    assert decode_errors(url) == ""

    # HLS MPEG-TS: AAC muxed as ADTS; Opus is not carried (video only).
    url = client.get_hls_streaming_session_url(
        StreamName=stream, PlaybackMode="ON_DEMAND", HLSFragmentSelector=on_demand_range(frags),
        ContainerFormat="MPEG_TS")["HLSStreamingSessionURL"]
    master = urllib.request.urlopen(url, timeout=10).read().decode()
    if codec == "aac":
        assert 'mp4a.40.2"' in master, master
        assert probe_streams(url, *HLS_OPTS) == expected_streams(codec)
    else:
        assert "opus" not in master, master
        assert probe_streams(url, *HLS_OPTS) == ["h264,video"]
    assert decode_errors(url, *HLS_OPTS) == ""

    # GetClip: a progressive MP4 with both streams.
    clip = client.get_clip(StreamName=stream, ClipFragmentSelector=on_demand_range(frags))
    clip_path = tmp_path / f"{stream}.mp4"
    clip_path.write_bytes(clip["Payload"].read())
    assert probe_streams(clip_path) == expected_streams(codec)
    assert decode_errors(clip_path) == ""

    # The /getClipStream extension: a fragmented MP4 with both tracks.
    selector = on_demand_range(frags)
    selector["TimestampRange"] = {k: v.timestamp() for k, v in selector["TimestampRange"].items()}
    status, _, data = signed_post(server, "/getClipStream",
                                  {"StreamName": stream, "ClipFragmentSelector": selector})
    assert status == 200, data[:300]
    stream_path = tmp_path / f"{stream}-stream.mp4"
    stream_path.write_bytes(data)
    assert probe_streams(stream_path) == expected_streams(codec)
    assert decode_errors(stream_path) == ""


def test_default_stores_video_only(server, tmp_path):
    persisted = record(server, tmp_path, "no-audio", None, seconds=4)
    for path in get_media_files(server, "no-audio", persisted, tmp_path):
        assert probe_streams(path) == ["h264,video"]


def aac_packet_md5s(path, fmt=None):
    args = ["ffmpeg", "-v", "error"] + (["-f", fmt] if fmt else []) + [
        "-i", str(path), "-map", "0:a:0", "-c", "copy", "-f", "framemd5", "-"]
    lines = run(args).stdout.decode().splitlines()
    return [l.split(",")[-1].strip() for l in lines if l and not l.startswith("#")]


def test_file_aac_is_passed_through_byte_for_byte(server, tmp_path):
    src = tmp_path / "av.mp4"
    run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "8",
         "-c:v", "libx264", "-g", "15", "-bf", "0", "-pix_fmt", "yuv420p",  # as cameras send
         "-c:a", "aac", "-b:a", "96k", "-ac", "2", str(src)])
    source_md5 = aac_packet_md5s(src)
    persisted = record(server, tmp_path, "file-aac", "aac", seconds=6, source=f"file:{src}")
    stored_md5 = []
    for path in get_media_files(server, "file-aac", persisted, tmp_path):
        assert probe_streams(path) == sorted(["h264,video", "aac,audio,44100,2"])
        assert decode_errors(path) == ""
        stored_md5 += aac_packet_md5s(path, "matroska")
    # ~5 s of 44.1 kHz AAC (43 frames a second) came through untouched: the
    # stored packets are a contiguous run of the file's, in order.
    assert len(stored_md5) >= 4 * 43, len(stored_md5)
    first = source_md5.index(stored_md5[0])
    assert stored_md5 == source_md5[first:first + len(stored_md5)]


@pytest.mark.skipif(not os.path.exists(CAMERA_BIN), reason="osprey-test-rtsp-camera not built")
@pytest.mark.parametrize("camera_audio", ["aac", "opus"])
def test_rtsp_camera_audio_is_passed_through(server, tmp_path, camera_audio):
    """The camera stand-in sends H.264 plus AAC (MPEG4-GENERIC) or Opus over
    RTP; the agent depayloads both and stores them without re-encoding."""
    camera = Camera(tmp_path, "--audio", camera_audio, "--width", "320", "--height", "240",
                    "--fps", "15", "--gop", "15")
    codec = "opus" if camera_audio == "opus" else "aac"
    try:
        stream = f"rtsp-{camera_audio}"
        persisted = record(server, tmp_path, stream, codec, source=camera.url)
        files = get_media_files(server, stream, persisted, tmp_path)
        for i, path in enumerate(files):
            assert probe_streams(path) == expected_streams(codec), (i, probe_streams(path))
            assert decode_errors(path) == "", (i, decode_errors(path))
        # Without --audio the same camera gives video only, as before.
        persisted = record(server, tmp_path, f"{stream}-none", None, seconds=4,
                           source=camera.url)
        for path in get_media_files(server, f"{stream}-none", persisted, tmp_path):
            assert probe_streams(path) == ["h264,video"]
    finally:
        camera.stop()
