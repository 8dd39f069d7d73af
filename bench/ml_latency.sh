#!/usr/bin/env bash
# ml_latency.sh: end-to-end latency of osprey-ml events (issue "ML hooks"):
# from a fragment's PERSISTED to its first event being readable with
# GetRecords. Target: p50 <= 300 ms with 1-s fragments.
#
# Runs, on free 127.0.0.1 ports with a fresh data directory:
#   osprey-server   build/bin/osprey-server
#   osprey-agent    streaming vtest.avi in a loop (re-encoded to H.264 by the
#                   agent, paced to real time) with --fragment-ms 1000,
#                   through a relay (ml_latency.py proxy) that stamps each
#                   PERSISTED ack on its way to the agent: t_persisted
#   osprey-ml       --detectors motion (people walk through every second of
#                   vtest, so every fragment after the warm-up has events),
#                   publishing to the osprey-events data stream
#   a consumer      boto3 GetRecords from TRIM_HORIZON, polling every
#                   --poll-ms when a read returns nothing: t_readable
# osprey-ml publishes each frame's events once that frame is analysed
# (before 76b36d5: once the whole fragment was), part of what is measured.
# Prints the table and writes bench/results/ml_latency.json.
#
# Usage: bench/ml_latency.sh [--seconds 60] [--detectors motion] [--poll-ms 10]
#          [--bin DIR] [--results bench/results/ml_latency.json]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/build/bin"
VTEST=/usr/share/doc/opencv-doc/examples/data/vtest.avi
SECONDS_TO_RUN=60
DETECTORS=motion
POLL_MS=10
RESULTS="$ROOT/bench/results/ml_latency.json"
COMMAND="bench/ml_latency.sh $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_TO_RUN=$2; shift 2 ;;
    --detectors) DETECTORS=$2; shift 2 ;;
    --poll-ms) POLL_MS=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --results) RESULTS=$2; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
die() { echo "ml_latency: $*" >&2; exit 1; }
for b in osprey-server osprey-agent osprey-ml; do
  [[ -x $BIN/$b ]] || die "$BIN/$b missing (cmake --build build --target $b)"
done
[[ -r $VTEST ]] || die "$VTEST missing (apt-get install opencv-doc)"
/usr/bin/python3 -c 'import boto3' 2>/dev/null || die "boto3 missing"
HELPER="$ROOT/bench/ml_latency.py"

WORK=$(mktemp -d /tmp/osprey-mllat.XXXXXX)
source "$ROOT/bench/support/processes.sh"

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
export AWS_ACCESS_KEY_ID=AKIDMLLATENCYBENCH01
export AWS_SECRET_ACCESS_KEY=mllatencybenchsecretmllatencybench0001
write_credentials "$WORK/data" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"

SPORT=$(free_port)
"$BIN/osprey-server" --listen "127.0.0.1:$SPORT" --data-dir "$WORK/data" --log-level warn \
  >"$WORK/server.log" 2>&1 &
SPID=$!
PIDS+=("$SPID")
wait_port "$SPORT" "$SPID" server

PPORT=$(free_port)
/usr/bin/python3 "$HELPER" proxy "$PPORT" "$SPORT" "$WORK/persisted.txt" >"$WORK/proxy.log" 2>&1 &
PPID_=$!
PIDS+=("$PPID_")
wait_port "$PPORT" "$PPID_" proxy

STREAM=ml-bench
"$BIN/osprey-agent" --endpoint "http://127.0.0.1:$PPORT" --stream "$STREAM" \
  --source "file+loop:$VTEST" --fragment-ms 1000 --spool-dir "$WORK/spool" --log-level info \
  >"$WORK/agent.log" 2>&1 &
APID=$!
PIDS+=("$APID")
# osprey-ml reads from NOW: start it once the stream exists and has data.
for _ in $(seq 200); do
  [[ -s $WORK/persisted.txt ]] && break
  kill -0 "$APID" 2>/dev/null || { tail -n 20 "$WORK/agent.log" >&2; die "agent exited"; }
  sleep 0.1
done
[[ -s $WORK/persisted.txt ]] || die "no PERSISTED ack within 20 s (see $WORK/agent.log)"

/usr/bin/python3 "$HELPER" consume "http://127.0.0.1:$SPORT" osprey-events "$WORK/read.jsonl" \
  "$POLL_MS" >"$WORK/consumer.log" 2>&1 &
CPID=$!
PIDS+=("$CPID")

ML_START_MS=$(/usr/bin/python3 -c 'import time; print(int(time.time() * 1000))')
"$BIN/osprey-ml" --endpoint "http://127.0.0.1:$SPORT" --stream "$STREAM" \
  --detectors "$DETECTORS" --state-dir "$WORK/ml-state" --stats-seconds 10 --log-level info \
  >"$WORK/ml.log" 2>&1 &
MPID=$!
PIDS+=("$MPID")
echo "server $SPID :$SPORT, relay :$PPORT, agent $APID, osprey-ml $MPID, consumer $CPID;" \
  "running ${SECONDS_TO_RUN} s" >&2

LOADS=()
for ((i = 0; i < SECONDS_TO_RUN; i += 10)); do
  sleep 10
  for p in "$SPID" "$APID" "$MPID" "$CPID"; do
    kill -0 "$p" 2>/dev/null || { tail -n 20 "$WORK"/*.log >&2; die "process $p exited"; }
  done
  LOADS+=("$(cut -d' ' -f1 /proc/loadavg)")
done
# Stop the camera first, then let the last fragment reach the consumer.
kill -TERM "$APID"
wait "$APID" 2>/dev/null || true
sleep 3
kill -TERM "$CPID"
wait "$CPID" 2>/dev/null || true
LOAD_AT_END=$(cut -d' ' -f1-3 /proc/loadavg)
grep -h '"stats"\|stats' "$WORK/ml.log" | tail -n 2 >&2 || true

/usr/bin/python3 "$HELPER" report "$WORK/persisted.txt" "$WORK/read.jsonl" "$ML_START_MS" \
  >"$WORK/report.txt"
/usr/bin/python3 - "$RESULTS" "$COMMAND" "$LOAD_AT_START" "$LOAD_AT_END" "${LOADS[*]}" \
  "$WORK/report.txt" "$DETECTORS" "$POLL_MS" "$SECONDS_TO_RUN" <<'PY'
import json, os, platform, sys, time
path, command, load0, load1, loads, report, detectors, poll_ms, seconds = sys.argv[1:10]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
lines = open(report).read().splitlines()
result = json.loads(lines[-1])
print(f"machine: nproc {os.cpu_count()}, {cpu}; load average {load0} at start, "
      f"1-min every 10 s: {loads}, {load1} at end")
print("\n".join(lines[:-1]))
json.dump({"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "command": command,
           "machine": {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
                       "loadavg_start": load0, "loadavg_end": load1, "load1_every_10s": loads},
           "settings": {"source": "vtest.avi looped, agent re-encodes (x264 ultrafast zerolatency)",
                        "fragment_ms": 1000, "detectors": detectors, "sample_fps": 5,
                        "poll_ms": float(poll_ms), "seconds": int(seconds),
                        "t_persisted": "PERSISTED ack seen by a TCP relay in front of the server",
                        "t_readable": "first GetRecords response holding an event of the fragment"},
           **result}, open(path, "w"), indent=1)
PY
