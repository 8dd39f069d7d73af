"""Glass-to-playlist latency of standard HLS (bench/hls_latency.sh).

    hls_latency.py --endpoint URL --stream S --seconds N --out FILE [--poll-ms 10]
                   [--screen-seconds N]

Opens a LIVE HLS session with PRODUCER_TIMESTAMP and DisplayFragmentTimestamp
ALWAYS, so each media segment carries EXT-X-PROGRAM-DATE-TIME = the producer
timestamp of its first frame, which osprey-agent takes from the capture clock
(the "glass"). Polls the media playlist every --poll-ms on one keep-alive
connection; for every segment that appears:
    first frame -> playlist = seen - PDT             (includes the fragment's length)
    last frame  -> playlist = seen - (PDT + EXTINF)  (what the server adds)
    first frame -> segment fetched = fetched - PDT
The first three segments are skipped (session start-up). With
--screen-seconds, also runs bench/support/hls_screen_latency.mjs (hls.js in
Debian's chromium) on the same session for glass-to-screen.
"""
import argparse
import datetime
import http.client
import json
import os
import statistics
import subprocess
import time
import urllib.parse

import boto3
import botocore.config


def percentiles(values):
    if not values:
        return {}
    v = sorted(values)
    pick = lambda q: v[min(len(v) - 1, int(round(q * (len(v) - 1))))]
    return {"n": len(v), "p50": pick(0.5), "p90": pick(0.9), "max": v[-1],
            "mean": statistics.fmean(v)}


def parse_playlist(text):
    out, pdt, dur = [], None, None
    for line in text.splitlines():
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            pdt = datetime.datetime.fromisoformat(
                line.split(":", 1)[1].replace("Z", "+00:00")).timestamp()
        elif line.startswith("#EXTINF:"):
            dur = float(line.split(":", 1)[1].split(",")[0])
        elif line and not line.startswith("#"):
            out.append((line, pdt, dur))
            pdt, dur = None, None
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--stream", required=True)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--poll-ms", type=float, default=10)
    ap.add_argument("--screen-seconds", type=float, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    am = boto3.client("kinesis-video-archived-media", endpoint_url=a.endpoint,
                      region_name="us-east-1",
                      config=botocore.config.Config(retries={"max_attempts": 3}))
    url = am.get_hls_streaming_session_url(
        StreamName=a.stream, PlaybackMode="LIVE", ContainerFormat="FRAGMENTED_MP4",
        DisplayFragmentTimestamp="ALWAYS",
        HLSFragmentSelector={"FragmentSelectorType": "PRODUCER_TIMESTAMP"})["HLSStreamingSessionURL"]
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)

    def get(path):
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError("%s -> %d %s" % (path, r.status, body[:200]))
        return body

    base = parts.path.rsplit("/", 1)[0] + "/"
    master = get(parts.path + "?" + parts.query).decode()
    media = base + [l for l in master.splitlines() if l and not l.startswith("#")][0]
    seen, rows = set(), []
    skip = 3
    end = time.time() + a.seconds
    screen = None
    if a.screen_seconds > 0:
        screen = subprocess.Popen(
            ["node", os.path.join(os.path.dirname(__file__), "support", "hls_screen_latency.mjs"),
             url, str(a.screen_seconds)], stdout=subprocess.PIPE, text=True)
    while time.time() < end:
        text = get(media).decode()
        now = time.time()
        for uri, pdt, dur in parse_playlist(text):
            if uri in seen:
                continue
            seen.add(uri)
            if pdt is None:
                raise RuntimeError("no EXT-X-PROGRAM-DATE-TIME in the playlist")
            if skip > 0:
                skip -= 1
                continue
            get(base + uri)
            fetched = time.time()
            rows.append({"duration_s": dur, "first_to_playlist": now - pdt,
                         "last_to_playlist": now - (pdt + dur), "first_to_fetched": fetched - pdt})
        time.sleep(a.poll_ms / 1000)
    result = {k: percentiles([r[k] for r in rows])
              for k in ("first_to_playlist", "last_to_playlist", "first_to_fetched")}
    result["segment_duration_s"] = statistics.fmean([r["duration_s"] for r in rows]) if rows else None
    if screen is not None:
        out, _ = screen.communicate(timeout=a.screen_seconds + 120)
        result["screen"] = json.loads(out.strip().splitlines()[-1]) if screen.returncode == 0 else {
            "error": "hls_screen_latency.mjs exited %d" % screen.returncode}
    json.dump(result, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
