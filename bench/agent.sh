#!/usr/bin/env bash
# agent.sh: osprey-agent per-camera cost and backlog catch-up (issue "Edge
# agent", benchmark). Everything runs on 127.0.0.1 with free ports and temp
# dirs, and is stopped by PID on exit.
#
#  1. RTSP pass-through, 1080p30 at ~4 Mbit/s (an x264 clip made once, served
#     looping by osprey-test-rtsp-camera over RTSP/TCP), 1 and N cameras: one
#     osprey-agent per camera uploading to osprey-server. Peer: ffmpeg
#     `-rtsp_transport tcp -i URL -c copy -f segment` writing 2 s MKV segments
#     to disk (the common edge recorder; it records, it does not upload).
#     Then 1 camera over RTSP/UDP, agent and ffmpeg alike.
#  2. 720p30 test pattern encoded with x264 by the agent (--source testsrc).
#     Peer: gst-launch-1.0 with the same videotestsrc ! x264enc settings into
#     splitmuxsink (MKV, 2 s): the same encode without Osprey.
#  3. Backlog catch-up: the agent records --backlog-seconds of the 1080p RTSP
#     camera with the server down, then the server starts; the time until the
#     spool's ACKED marker covers the backlog gives "x real time".
#
# CPU is % of one core from /proc/PID/stat (utime + stime) over --window
# seconds after --warmup seconds; RSS is VmRSS at the end of the window and
# VmHWM (peak). Prints the table and writes bench/results/agent.json.
#
# Usage: bench/agent.sh [--build DIR (default build)] [--cameras 4]
#          [--window 20] [--warmup 5] [--backlog-seconds 60]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$ROOT/build"
CAMERAS=4
WINDOW=20
WARMUP=5
BACKLOG_S=60
RESULTS="$ROOT/bench/results/agent.json"
COMMAND="bench/agent.sh $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) BUILD=$(cd "$2" && pwd); shift 2 ;;
    --cameras) CAMERAS=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --backlog-seconds) BACKLOG_S=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
SERVER="$BUILD/bin/osprey-server"
AGENT="$BUILD/bin/osprey-agent"
CAMERA="$BUILD/bin/osprey-test-rtsp-camera"
HELPER="$ROOT/bench/support/agent_bench.py"
for b in "$SERVER" "$AGENT" "$CAMERA"; do
  [[ -x $b ]] || { echo "agent: $b missing (cmake --build $BUILD --target $(basename "$b"); the camera needs libgstrtspserver-1.0-dev)" >&2; exit 1; }
done
command -v ffmpeg >/dev/null || { echo "agent: ffmpeg missing (apt-get install ffmpeg)" >&2; exit 1; }
command -v gst-launch-1.0 >/dev/null || { echo "agent: gst-launch-1.0 missing (gstreamer1.0-tools)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/osprey-agent-bench.XXXXXX)
source "$ROOT/bench/support/processes.sh"
die() { echo "agent: $*" >&2; exit 1; }
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

stop_pids() {  # SIGTERM, wait: the PIDs given (each was also added to PIDS)
  local pid
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

# The 1080p30 clip: 10 s of a moving test pattern with noise, so that x264
# needs the full ~4 Mbit/s (a clean pattern would compress to far less).
CLIP="$WORK/clip1080.h264"
echo "agent: encoding the 1080p30 4 Mbit/s clip (once)..." >&2
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=1920x1080:rate=30" \
  -vf "noise=alls=12:allf=t" -frames:v 300 -c:v libx264 -preset ultrafast -bf 0 \
  -g 60 -keyint_min 60 -sc_threshold 0 -b:v 4M -maxrate 4M -bufsize 4M \
  -pix_fmt yuv420p -f h264 "$CLIP"
CLIP_KBPS=$(( $(stat -c %s "$CLIP") * 8 / 10 / 1000 ))

AK=AKIDAGENTBENCH000001
SK=agentbenchsecretagentbenchsecret00000001
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK
start_server() {  # PORT: osprey-server on $WORK/data; sets SERVER_PID
  write_credentials "$WORK/data" "$AK" "$SK"
  "$SERVER" --listen "127.0.0.1:$1" --data-dir "$WORK/data" --log-level warn >>"$WORK/osprey.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_port "$1" "$SERVER_PID" osprey
}

start_camera() {  # NAME [TRANSPORT]: sets CAMERA_URL, CAMERA_PID
  "$CAMERA" --port 0 --path "/$1" --file "$CLIP" --transport "${2:-tcp}" >"$WORK/$1.url" 2>"$WORK/$1.log" &
  CAMERA_PID=$!
  PIDS+=("$CAMERA_PID")
  for _ in $(seq 300); do
    [[ -s $WORK/$1.url ]] && break
    kill -0 "$CAMERA_PID" 2>/dev/null || die "camera $1 exited: $(cat "$WORK/$1.log")"
    sleep 0.1
  done
  CAMERA_URL=$(head -1 "$WORK/$1.url")
  [[ $CAMERA_URL == rtsp://* ]] || die "camera $1 not ready"
}

start_agent() {  # NAME ENDPOINT SOURCE [FLAGS...]: sets AGENT_PID
  local name=$1 endpoint=$2 source=$3; shift 3
  "$AGENT" --endpoint "$endpoint" --stream "$name" --source "$source" \
    --spool-dir "$WORK/spool-$name" --fragment-ms 2000 --log-level warn "$@" \
    >"$WORK/agent-$name.log" 2>&1 &
  AGENT_PID=$!
  PIDS+=("$AGENT_PID")
}

ROWS=()
measure() {  # ROW PEER CAMERAS TARGET PIDS...: appends a JSON row
  local row=$1 who=$2 n=$3 target=$4; shift 4
  sleep "$WARMUP"
  local pid
  for pid in "$@"; do kill -0 "$pid" 2>/dev/null || die "$who ($row) exited early: see $WORK"; done
  local out
  out=$(/usr/bin/python3 "$HELPER" measure "$WINDOW" "$@")
  ROWS+=("$(/usr/bin/python3 - "$row" "$who" "$n" "$target" "$out" <<'PY'
import json, sys
row, who, n, target, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
procs = [json.loads(l) for l in out.splitlines()]
print(json.dumps({"row": row, "who": who, "cameras": n, "target": target, "procs": procs,
                  "cpu_pct_per_camera": sum(p["cpu_pct"] for p in procs) / n,
                  "rss_mib_per_camera": sum(p["rss_mib"] for p in procs) / n,
                  "anon_mib_per_camera": sum(p["anon_mib"] for p in procs) / n,
                  "hwm_mib_max": max(p["hwm_mib"] for p in procs)}))
PY
)")
}

PORT=$(free_port)
ENDPOINT="http://127.0.0.1:$PORT"
start_server "$PORT"

# 1. RTSP pass-through, 1 and N cameras over RTSP/TCP (interleaved), then 1
# over UDP (the camera refuses TCP; rtspsrc tries UDP first anyway).
for run in "1 tcp" "$CAMERAS tcp" "1 udp"; do
  read -r n transport <<<"$run"
  urls=()
  cams=()
  for i in $(seq "$n"); do
    start_camera "cam$n-$transport-$i" "$transport"; urls+=("$CAMERA_URL"); cams+=("$CAMERA_PID")
  done
  agents=()
  for i in $(seq "$n"); do
    start_agent "pass$n-$transport-$i" "$ENDPOINT" "${urls[$((i - 1))]}"; agents+=("$AGENT_PID")
  done
  echo "agent: RTSP/$transport pass-through, $n camera(s): osprey-agent..." >&2
  measure "rtsp/$transport 1080p30 copy" osprey-agent "$n" "<2% CPU, <30 MiB" "${agents[@]}"
  stop_pids "${agents[@]}"
  peers=()
  for i in $(seq "$n"); do
    mkdir -p "$WORK/ffmpeg-$n-$transport-$i"
    ffmpeg -nostdin -loglevel error -rtsp_transport "$transport" -i "${urls[$((i - 1))]}" -c copy \
      -f segment -segment_time 2 -reset_timestamps 1 "$WORK/ffmpeg-$n-$transport-$i/seg%05d.mkv" \
      >"$WORK/ffmpeg-$n-$transport-$i.log" 2>&1 &
    peers+=($!); PIDS+=($!)
  done
  echo "agent: RTSP/$transport pass-through, $n camera(s): ffmpeg -c copy..." >&2
  measure "rtsp/$transport 1080p30 copy" "ffmpeg -c copy -f segment (peer)" "$n" "" "${peers[@]}"
  stop_pids "${peers[@]}"
  stop_pids "${cams[@]}"
done

# 2. 720p30 test pattern, x264 in the agent; peer: the same encode in gst-launch.
echo "agent: 720p30 test pattern + x264: osprey-agent..." >&2
start_agent enc720 "$ENDPOINT" testsrc --width 1280 --height 720 --fps 30 --bitrate-kbps 2000
measure "testsrc 720p30 x264 encode" osprey-agent 1 "" "$AGENT_PID"
stop_pids "$AGENT_PID"
echo "agent: 720p30 test pattern + x264: gst-launch-1.0..." >&2
gst-launch-1.0 -q videotestsrc is-live=true pattern=ball \
  ! video/x-raw,width=1280,height=720,framerate=30/1 ! videoconvert \
  ! x264enc tune=zerolatency speed-preset=ultrafast bframes=0 key-int-max=60 bitrate=2000 \
    option-string=scenecut=0 ! h264parse \
  ! splitmuxsink muxer=matroskamux max-size-time=2000000000 location="$WORK/gst-%05d.mkv" \
  >"$WORK/gst.log" 2>&1 &
GST_PID=$!; PIDS+=("$GST_PID")
measure "testsrc 720p30 x264 encode" "gst-launch-1.0 x264enc ! splitmuxsink (peer)" 1 "" "$GST_PID"
stop_pids "$GST_PID"

# 3. Backlog catch-up: record with the server down, then start it.
stop_pids "$SERVER_PID"
echo "agent: backlog: recording ${BACKLOG_S} s of 1080p RTSP with the server down..." >&2
start_camera backlog
start_agent backlog "$ENDPOINT" "$CAMERA_URL"
BACKLOG_AGENT=$AGENT_PID
sleep "$BACKLOG_S"
kill -0 "$BACKLOG_AGENT" 2>/dev/null || die "agent exited while offline: $(tail "$WORK/agent-backlog.log")"
SERVER_START=$(date +%s.%N)
start_server "$PORT"
BACKLOG=$(/usr/bin/python3 "$HELPER" backlog "$WORK/spool-backlog")
LAST_SEQ=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("last_seq", 0))' "$BACKLOG")
WAITED=$(/usr/bin/python3 "$HELPER" wait-acked "$WORK/spool-backlog" "$LAST_SEQ" 120) || die "backlog not PERSISTED in 120 s: $WAITED"
stop_pids "$BACKLOG_AGENT"

/usr/bin/python3 - "$RESULTS" "$COMMAND" "$LOAD_AT_START" "$CLIP_KBPS" "$WINDOW" "$SERVER_START" \
  "$BACKLOG" "$WAITED" "$WORK/agent-backlog.log" "${ROWS[@]}" <<'PY'
import datetime, json, os, platform, re, sys, time
path, command, load, clip_kbps, window, server_start, backlog, waited, agent_log = sys.argv[1:10]
rows = [json.loads(r) for r in sys.argv[10:]]
backlog, waited, server_start = json.loads(backlog), json.loads(waited), float(server_start)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
print(f"machine: {os.cpu_count()} cores, {cpu}, {int(mem) // 1024 // 1024} GiB; "
      f"load at start {load}, at end {os.getloadavg()[0]:.2f}")
print(f"clip: 1080p30 H.264, {clip_kbps} kbit/s; CPU and RSS over {window} s, per camera")
print(f"{'workload':<28} {'process':<47} {'cams':>4} {'CPU %/cam':>9} {'RSS MiB/cam':>11} "
      f"{'(private)':>9} {'peak MiB':>8}  target")
for r in rows:
    print(f"{r['row']:<28} {r['who']:<47} {r['cameras']:>4} {r['cpu_pct_per_camera']:>9.2f} "
          f"{r['rss_mib_per_camera']:>11.1f} {r['anon_mib_per_camera']:>9.1f} "
          f"{r['hwm_mib_max']:>8.1f}  {r['target']}")
span_s = (backlog["last_ts_ms"] - backlog["first_ts_ms"]) / 1000 + 2  # + the last 2 s fragment
total = waited["done_t"] - server_start
first = waited["first_ack"]["t"]
# The agent retries a failed upload after a backoff (doubling to 2 s,
# UplinkOptions::backoff_max); its log says when it gave up last and for how
# long, so the retry that found the server up started at last + backoff.
# Where the server's start falls in that cycle is set by this script's
# timing, so the figure from server start is one draw between ~0 and 2 s of
# waiting; the worst case assumes the full 2 s (UplinkOptions::backoff_max).
retry_at = None
for line in open(agent_log):
    m = re.search(r'ts=(\S+)Z .*upload interrupted.*backoff_ms=(\d+)', line)
    if m:
        t = datetime.datetime.fromisoformat(m.group(1)).replace(
            tzinfo=datetime.timezone.utc).timestamp()
        if t < server_start:
            retry_at = t + int(m.group(2)) / 1000
wait = max(0.0, retry_at - server_start) if retry_at else None
upload = waited["done_t"] - max(server_start, retry_at or server_start)
catchup = {"fragments": backlog["count"], "bytes": backlog["bytes"], "media_s": span_s,
           "from_server_start_s": total, "x_real_time": span_s / total,
           "first_ack_after_s": first - server_start, "retry_wait_s": wait,
           "upload_s": upload, "x_real_time_upload": span_s / upload,
           "x_real_time_worst_wait": span_s / (2.0 + upload)}
print(f"backlog catch-up: {backlog['count']} fragments, {span_s:.1f} s of video, "
      f"{backlog['bytes'] / 1e6:.1f} MB; all PERSISTED {total:.2f} s after the server started "
      f"= {catchup['x_real_time']:.1f}x real time (target >= 20x), of which "
      + (f"{wait:.2f} s waiting for the agent's next retry" if wait is not None else "? s retry wait")
      + f" and {upload:.2f} s uploading = {catchup['x_real_time_upload']:.0f}x; with the "
      f"longest wait (2 s backoff): {catchup['x_real_time_worst_wait']:.1f}x")
json.dump({"date": time.strftime("%Y-%m-%d %H:%M:%S"), "command": command,
           "machine": {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
                       "load_at_start": load},
           "clip_kbps": int(clip_kbps), "window_s": float(window), "rows": rows,
           "backlog": catchup}, open(path, "w"), indent=1)
PY
