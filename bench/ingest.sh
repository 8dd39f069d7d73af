#!/usr/bin/env bash
# ingest.sh: PutMedia ingest under load (issue 3's benchmark). Starts
# osprey-server on a free 127.0.0.1 port with a fresh data directory, then for
# each N runs bench ingest_load with N producers at --bitrate (2 Mbit/s,
# 2-s fragments by default) for --seconds, and once with one producer at full
# speed. Server CPU comes from /proc/<pid>/stat (utime + stime) around each
# run. Prints the table and writes bench/results/ingest.json.
#
# There is no peer in this table: KVS is a cloud service and no other KVS
# PutMedia server is packaged in Debian. The "target" column is the issue's.
#
# Usage: bench/ingest.sh [--streams "50 200 500"] [--seconds 20]
#          [--bitrate 2000000] [--full-speed-seconds 10] [--server PATH]
#          [--load PATH] [--data-dir DIR (default: a temp dir, removed)]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SERVER="$ROOT/build/bin/osprey-server"
LOAD="$ROOT/build/bin/ingest_load"
STREAMS="50 200 500"
SECONDS_PER_RUN=20
BITRATE=2000000
FULL_SECONDS=10
DATA=""
RESULTS="$ROOT/bench/results/ingest.json"
COMMAND="bench/ingest.sh $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --streams) STREAMS=$2; shift 2 ;;
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    --bitrate) BITRATE=$2; shift 2 ;;
    --full-speed-seconds) FULL_SECONDS=$2; shift 2 ;;
    --server) SERVER=$2; shift 2 ;;
    --load) LOAD=$2; shift 2 ;;
    --data-dir) DATA=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
[[ -x $SERVER ]] || { echo "ingest: $SERVER missing (cmake --build build --target osprey-server)" >&2; exit 1; }
[[ -x $LOAD ]] || { echo "ingest: $LOAD missing (cmake --build build --target ingest_load)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/osprey-ingest.XXXXXX)
[[ -n $DATA ]] || DATA="$WORK/data"
source "$ROOT/bench/support/processes.sh"
die() { echo "ingest: $*" >&2; exit 1; }

ulimit -n 65536 2>/dev/null || ulimit -n 4096
AK=AKIDINGESTBENCH00001
SK=ingestbenchsecretingestbenchsecret000001
write_credentials "$DATA" "$AK" "$SK"
PORT=$(free_port)
"$SERVER" --listen "127.0.0.1:$PORT" --data-dir "$DATA" --log-level warn >"$WORK/osprey.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
wait_port "$PORT" "$SERVER_PID" osprey

TICKS=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$TICKS" '{print ($14 + $15) / t}' "/proc/$SERVER_PID/stat"; }

ROWS=()
run() {  # run NAME ARGS...
  local name=$1; shift
  local before after start end out
  before=$(cpu_seconds); start=$(date +%s.%N)
  out=$("$LOAD" --port "$PORT" --access-key "$AK" --secret-key "$SK" --prefix "$name-" "$@") || {
    echo "ingest_load failed for $name: $out" >&2; }
  end=$(date +%s.%N); after=$(cpu_seconds)
  ROWS+=("$(/usr/bin/python3 - "$name" "$out" "$before" "$after" "$start" "$end" <<'PY'
import json, sys
name, out, before, after, start, end = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
r = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
r["name"] = name
r["server_cpu_s"] = after - before
r["wall_s"] = end - start
r["cpu_pct_per_stream"] = 100.0 * r["server_cpu_s"] / r["wall_s"] / max(1, r.get("streams", 1))
print(json.dumps(r))
PY
)")
}

for n in $STREAMS; do
  run "n$n" --streams "$n" --seconds "$SECONDS_PER_RUN" --bitrate "$BITRATE"
done
run "fullspeed" --streams 1 --seconds "$FULL_SECONDS" --full-speed --bitrate 40000000 --fps 25

/usr/bin/python3 - "$RESULTS" "$COMMAND" "${ROWS[@]}" <<'PY'
import json, os, platform, sys, time
path, command, rows = sys.argv[1], sys.argv[2], [json.loads(r) for r in sys.argv[3:]]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"machine: {os.cpu_count()} cores, {cpu}, load {os.getloadavg()[0]:.2f}")
print(f"{'run':<10} {'streams':>7} {'frag/s':>8} {'MB/s':>8} {'cpu%/stream':>11} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6}  target")
for r in rows:
    target = "p99<100ms, <0.2%/stream" if not r.get("full_speed") else ">=400 MB/s"
    print(f"{r['name']:<10} {r.get('streams',0):>7} {r.get('fragments_per_s',0):>8.1f} {r.get('mb_per_s',0):>8.1f} "
          f"{r['cpu_pct_per_stream']:>11.3f} {r.get('ack_p50_ms',0):>8.1f} {r.get('ack_p99_ms',0):>8.1f} "
          f"{r.get('ack_max_ms',0):>8.1f} {r.get('errors',0):>6}  {target}")
json.dump({"date": time.strftime("%Y-%m-%d %H:%M:%S"), "command": command,
           "machine": {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release()},
           "rows": rows}, open(path, "w"), indent=1)
PY
