#!/usr/bin/env bash
# hls_segments.sh: HLS fMP4 media segments served by osprey-server from its
# segment cache, side by side with nginx serving the same bytes from disk,
# with the same wrk settings in the same run; and the cost of a cold remux.
#
#   1. osprey-agent records a generated clip (1280x720 H.264, 2 s GOP) into
#      a fresh osprey-server, as a camera would (in real time).
#   2. Cold remux: three rounds, each on a restarted server (empty segment
#      cache), of an ON_DEMAND session (GetHLSStreamingSessionURL, signed
#      with botocore) over the whole clip, fMP4 and MPEG-TS, every segment
#      fetched once in order: stored MKV bytes over the server's CPU time
#      (/proc utime+stime) is the cold remux cost in MB/s per core.
#   3. The fetched bytes are written to a directory nginx serves. wrk then
#      asks both servers for the segments round-robin (a Lua script walks the
#      same list of paths on each), keep-alive connections.
#
# Usage: bench/hls_segments.sh [options]
#   --bin DIR             osprey binaries (default build/bin)
#   --seconds N           clip length (default 30)
#   --bitrate-kbps K      clip bitrate (default 4000)
#   --threads N           wrk threads (default 2)
#   --connections N       wrk connections (default 32)
#   --duration S          measured seconds per target (default 10)
#   --warmup S            discarded warm-up seconds per target (default 2)
#   --results PATH        default bench/results/hls_segments.json
# Needs: wrk, /usr/sbin/nginx (nginx-light), ffmpeg, /usr/bin/python3 with
# botocore. Target (issue 5): osprey at least 80% of nginx's requests/s.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/build/bin"
SECONDS_CLIP=30
BITRATE=4000
THREADS=2
CONNECTIONS=32
DURATION=10
WARMUP=2
RESULTS="$ROOT/bench/results/hls_segments.json"
PY=/usr/bin/python3
NGINX=/usr/sbin/nginx
COMMAND="bench/hls_segments.sh $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --seconds) SECONDS_CLIP=$2; shift 2 ;;
    --bitrate-kbps) BITRATE=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --results) RESULTS=$2; shift 2 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

die() { echo "hls_segments: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk not found (deploy/install-deps.sh)"
command -v ffmpeg >/dev/null || die "ffmpeg not found (deploy/install-deps.sh)"
[[ -x $NGINX ]] || die "$NGINX not found (nginx-light)"
for b in osprey-server osprey-agent; do [[ -x $BIN/$b ]] || die "$BIN/$b missing: build it"; done

WORK=$(mktemp -d /tmp/osprey-hls-segments.XXXXXX)
# shellcheck source=bench/support/processes.sh
source "$ROOT/bench/support/processes.sh"
LOAD_AT_START=$(cut -d' ' -f1 /proc/loadavg)

# ---- 1. record a clip ---------------------------------------------------------
ffmpeg -v error -f lavfi -i "testsrc2=size=1280x720:rate=30" -t "$SECONDS_CLIP" \
  -c:v libx264 -preset veryfast -b:v "${BITRATE}k" -maxrate "${BITRATE}k" -bufsize "${BITRATE}k" \
  -g 60 -keyint_min 60 -sc_threshold 0 -bf 0 -pix_fmt yuv420p "$WORK/clip.mkv"
PORT=$(free_port)
"$BIN/osprey-server" --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --log-level warn \
  >"$WORK/osprey.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
wait_port "$PORT" "$SERVER_PID" osprey
for _ in $(seq 50); do [[ -s $WORK/data/credentials.toml ]] && break; sleep 0.1; done
AK=$(sed -n 's/^access_key_id *= *"\(.*\)"/\1/p' "$WORK/data/credentials.toml" | head -1)
SK=$(sed -n 's/^secret_access_key *= *"\(.*\)"/\1/p' "$WORK/data/credentials.toml" | head -1)
echo "hls_segments: recording ${SECONDS_CLIP} s of 1280x720 at ${BITRATE} kbit/s through osprey-agent"
AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK "$BIN/osprey-agent" \
  --endpoint "http://127.0.0.1:$PORT" --stream bench --source "file:$WORK/clip.mkv" \
  --spool-dir "$WORK/spool" --fragment-ms 2000 --drain-ms 20000 --log-level warn \
  >"$WORK/agent.log" 2>&1 || { tail -20 "$WORK/agent.log" >&2; die "osprey-agent failed"; }

# ---- 2. cold remux: a fresh server (empty cache) per round ---------------------
# cold.py FORMAT OUT [WWW]: an ON_DEMAND session of the whole clip in FORMAT
# (FRAGMENTED_MP4 or MPEG_TS), every media segment fetched once, in order;
# the server's CPU time for it; with WWW, the segments are saved for nginx.
cat >"$WORK/cold.py" <<'EOF2'
import json, os, sys, time, urllib.request
import boto3, botocore.config
fmt, out = sys.argv[1], sys.argv[2]
www = sys.argv[3] if len(sys.argv) > 3 else None
port, pid = os.environ["PORT"], int(os.environ["SERVER_PID"])
endpoint = "http://127.0.0.1:%s" % port
am = boto3.client("kinesis-video-archived-media", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=os.environ["AK"], aws_secret_access_key=os.environ["SK"],
                  config=botocore.config.Config(retries={"max_attempts": 1}))
frags = am.list_fragments(StreamName="bench", MaxResults=1000, FragmentSelector={
    "FragmentSelectorType": "SERVER_TIMESTAMP",
    "TimestampRange": {"StartTimestamp": 0, "EndTimestamp": time.time() + 60}})["Fragments"]
url = am.get_hls_streaming_session_url(
    StreamName="bench", PlaybackMode="ON_DEMAND", ContainerFormat=fmt,
    HLSFragmentSelector={"FragmentSelectorType": "SERVER_TIMESTAMP", "TimestampRange": {
        "StartTimestamp": min(f["ServerTimestamp"] for f in frags),
        "EndTimestamp": time.time() - 0.001}},
    MaxMediaPlaylistFragmentResults=1000)["HLSStreamingSessionURL"]
base = url.split("?")[0].rsplit("/", 1)[0] + "/"
get = lambda u: urllib.request.urlopen(u, timeout=30).read()
master = get(url).decode()
media_uri = [l for l in master.splitlines() if l and not l.startswith("#")][0]
media = get(base + media_uri).decode()
segments = [l for l in media.splitlines() if l and not l.startswith("#")]
def cpu():
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
cpu0, t0 = cpu(), time.time()
sizes = []
for i, s in enumerate(segments):
    body = get(base + s)
    sizes.append(len(body))
    if www:
        open(os.path.join(www, "seg", "%03d.m4s" % i), "wb").write(body)
wall, cpu_s = time.time() - t0, cpu() - cpu0
listed = {f["FragmentNumber"] for f in frags}
json.dump({"format": fmt, "fragments": len(frags), "segments": len(segments),
           "stored_bytes": sum(f["FragmentSizeInBytes"] for f in frags),
           "segment_bytes": sum(sizes), "wall_s": wall, "cpu_s": cpu_s,
           "osprey_paths": [base[len(endpoint):] + s for s in segments],
           "nginx_paths": ["/seg/%03d.m4s" % i for i in range(len(segments))]}, open(out, "w"))
EOF2
start_server() {
  "$BIN/osprey-server" --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --log-level warn \
    >>"$WORK/osprey.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_port "$PORT" "$SERVER_PID" osprey
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; }
mkdir -p "$WORK/www/seg"
chmod 755 "$WORK"  # nginx's workers run as www-data
ROUNDS=3
for round in $(seq $ROUNDS); do
  for fmt in FRAGMENTED_MP4 MPEG_TS; do
    stop_server
    start_server
    PORT=$PORT AK=$AK SK=$SK SERVER_PID=$SERVER_PID $PY "$WORK/cold.py" $fmt \
      "$WORK/cold-$fmt-$round.json" || die "cold round $round $fmt failed"
  done
done
# The server that stays up for wrk: its cache is warmed by one pass, whose
# bytes are what nginx serves.
PORT=$PORT AK=$AK SK=$SK SERVER_PID=$SERVER_PID $PY "$WORK/cold.py" FRAGMENTED_MP4 \
  "$WORK/cold.full.json" "$WORK/www"

# ---- 3. nginx on the same bytes -----------------------------------------------
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes $(nproc);
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on; tcp_nopush on; keepalive_requests 1000000;
  types { video/iso.segment m4s; }
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx;
  fastcgi_temp_path $WORK/nginx; uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/www; }
}
EOF
"$NGINX" -c "$WORK/nginx/nginx.conf" -g "daemon off;" >"$WORK/nginx.log" 2>&1 &
PIDS+=($!)
wait_port "$NGINX_PORT" "${PIDS[-1]}" nginx

write_paths_lua() {  # FILE KEY: round-robin over the paths in cold.full.json[KEY]
  $PY - "$WORK/cold.full.json" "$2" >"$1" <<'EOF'
import json, sys
paths = json.load(open(sys.argv[1]))[sys.argv[2]]
print("local paths = {" + ",".join('"%s"' % p for p in paths) + "}")
print("""local i = 0
setup = function(thread) thread:set("offset", math.random(#paths)) end
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i + (offset or 0)) % #paths + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKRESULT {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"errors":%d,"non_2xx_3xx":%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(99), latency.max, e.connect + e.read + e.write + e.timeout, e.status))
end""")
EOF
}
run_wrk() {  # NAME BASE_URL LUA
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$3" "$2" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$3" "$2" >"$WORK/$1.wrk"
  grep '^WRKRESULT ' "$WORK/$1.wrk" | sed 's/^WRKRESULT //' >"$WORK/$1.result"
}
write_paths_lua "$WORK/osprey.lua" osprey_paths
write_paths_lua "$WORK/nginx.lua" nginx_paths
echo "hls_segments: wrk ${DURATION}s, $THREADS threads, $CONNECTIONS connections, osprey then nginx"
run_wrk osprey "http://127.0.0.1:$PORT" "$WORK/osprey.lua"
run_wrk nginx "http://127.0.0.1:$NGINX_PORT" "$WORK/nginx.lua"

# ---- report -------------------------------------------------------------------
mkdir -p "$(dirname "$RESULTS")"
WORK=$WORK RESULTS=$RESULTS LOAD=$LOAD_AT_START COMMAND="$COMMAND" CONNECTIONS=$CONNECTIONS \
THREADS=$THREADS DURATION=$DURATION $PY - <<'EOF'
import json, os, platform, time
w = os.environ["WORK"]
cold = json.load(open(os.path.join(w, "cold.full.json")))
rows = {}
for name in ("osprey", "nginx"):
    r = json.loads(open(os.path.join(w, name + ".result")).read())
    secs = r["duration_us"] / 1e6
    rows[name] = {"rps": r["requests"] / secs, "mb_s": r["bytes"] / secs / 1e6,
                  "p50_ms": r["p50_us"] / 1e3, "p99_ms": r["p99_us"] / 1e3,
                  "errors": r["errors"], "non_2xx": r["non_2xx_3xx"]}
print()
print("HLS fMP4 segments, %d segments of %.0f KiB average, wrk -t%s -c%s -d%ss" % (
    cold["segments"], cold["segment_bytes"] / cold["segments"] / 1024,
    os.environ["THREADS"], os.environ["CONNECTIONS"], os.environ["DURATION"]))
print("%-28s %12s %10s %10s %10s %8s" % ("server", "requests/s", "MB/s", "p50 ms", "p99 ms", "errors"))
for name, label in (("osprey", "osprey-server (cache)"), ("nginx", "nginx (files, sendfile)")):
    r = rows[name]
    print("%-28s %12.0f %10.1f %10.2f %10.2f %8d" % (label, r["rps"], r["mb_s"], r["p50_ms"],
                                                      r["p99_ms"], r["errors"] + r["non_2xx"]))
ratio = rows["osprey"]["rps"] / rows["nginx"]["rps"]
print("osprey / nginx requests/s: %.0f%% (target: at least 80%%)" % (100 * ratio))
import glob
cold_rows = {}
for fmt in ("FRAGMENTED_MP4", "MPEG_TS"):
    runs = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(w, "cold-%s-*.json" % fmt)))]
    mb = sum(r["stored_bytes"] for r in runs) / 1e6
    cpu_s = sum(r["cpu_s"] for r in runs)
    wall = sum(r["wall_s"] for r in runs)
    cold_rows[fmt] = {"rounds": len(runs), "stored_mb": mb, "cpu_s": cpu_s, "wall_s": wall,
                      "mb_per_cpu_s": mb / cpu_s if cpu_s > 0 else None}
    print("cold remux %-14s %d rounds x %d fragments, %.1f MB of MKV: %.2f s wall, %.2f s server CPU"
          " -> %s MB/s per core" % (fmt, len(runs), runs[0]["fragments"], mb, wall, cpu_s,
          "%.0f" % (mb / cpu_s) if cpu_s > 0 else "(under the 10 ms tick)"))
print("load average at start %s; %s" % (os.environ["LOAD"], platform.node()))
json.dump({"command": os.environ["COMMAND"], "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "load_at_start": os.environ["LOAD"], "nproc": os.cpu_count(), "rows": rows,
           "ratio": ratio, "cold": cold_rows},
          open(os.environ["RESULTS"], "w"), indent=1)
EOF
