#!/usr/bin/env bash
# kinesis.sh: Kinesis Data Streams throughput and latency with the native
# load generator (build/bin/kinesis_load: keep-alive HTTP/1.1, pre-encoded
# signed PutRecords). Starts osprey-server on a free 127.0.0.1 port with a
# fresh data directory and a pre-written credentials.toml, and kinesalite
# (npm, in-memory) as the peer, then runs the same generator against each:
#   throughput  32 connections, PutRecords of 500 x 1 KiB, --seconds
#   putrecord   4 connections, single-record PutRecord closed loop: p50/p99
#   visibility  PutRecord every 10 ms, polling GetRecords reader: put-to-get
#   subscribe   the same with SubscribeToShard (osprey only: kinesalite has
#               no enhanced fan-out)
# Server CPU is utime+stime from /proc/<pid>/stat around each phase.
# Prints the table and writes bench/results/kinesis.json.
#
# Usage: bench/kinesis.sh [--seconds 15] [--connections 32] [--no-peer]
#          [--peer-seconds 10] [--server PATH] [--load PATH]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SERVER="$ROOT/build/bin/osprey-server"
LOAD="$ROOT/build/bin/kinesis_load"
KINESALITE=${KINESALITE:-/opt/osprey/node/node_modules/.bin/kinesalite}
SECONDS_PER_RUN=15
PEER_SECONDS=10
CONNECTIONS=32
PEER=1
RESULTS="$ROOT/bench/results/kinesis.json"
COMMAND="bench/kinesis.sh $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    --peer-seconds) PEER_SECONDS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --no-peer) PEER=0; shift ;;
    --server) SERVER=$2; shift 2 ;;
    --load) LOAD=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
die() { echo "kinesis: $*" >&2; exit 1; }
[[ -x $SERVER ]] || die "$SERVER missing (cmake --build build --target osprey-server)"
[[ -x $LOAD ]] || die "$LOAD missing (cmake --build build --target kinesis_load)"
if [[ $PEER == 1 ]]; then
  [[ -x $KINESALITE ]] || die "kinesalite not found at $KINESALITE (npm install kinesalite, or --no-peer)"
fi

WORK=$(mktemp -d /tmp/osprey-kinesis.XXXXXX)
source "$ROOT/bench/support/processes.sh"
ulimit -n 65536 2>/dev/null || ulimit -n 4096


LOAD_AT_START=$(cut -d' ' -f1 /proc/loadavg)
AK=AKIDKINESISBENCH0001
SK=kinesisbenchsecretkinesisbenchsecret0001
write_credentials "$WORK/data" "$AK" "$SK"

# ---- osprey-server ----------------------------------------------------------------
OPORT=$(free_port)
"$SERVER" --listen "127.0.0.1:$OPORT" --data-dir "$WORK/data" --log-level warn >"$WORK/osprey.log" 2>&1 &
OPID=$!
PIDS+=("$OPID")
wait_port "$OPORT" "$OPID" osprey
echo "osprey-server pid $OPID on 127.0.0.1:$OPORT" >&2
"$LOAD" --port "$OPORT" --access-key "$AK" --secret-key "$SK" --server-pid "$OPID" \
  --seconds "$SECONDS_PER_RUN" --connections "$CONNECTIONS" \
  --phases throughput,putrecord,visibility,subscribe | tee "$WORK/osprey.jsonl" >&2

# ---- kinesalite ---------------------------------------------------------------------
: >"$WORK/kinesalite.jsonl"
KVERSION=""
if [[ $PEER == 1 ]]; then
  KPORT=$(free_port)
  "$KINESALITE" --port "$KPORT" --createStreamMs 0 --deleteStreamMs 0 --updateStreamMs 0 \
    --shardLimit 100 >"$WORK/kinesalite.log" 2>&1 &
  KPID=$!
  PIDS+=("$KPID")
  wait_port "$KPORT" "$KPID" kinesalite
  KVERSION=$(node -e "console.log(require('$(dirname "$(readlink -f "$KINESALITE")")/package.json').version)" 2>/dev/null || echo "?")
  echo "kinesalite $KVERSION pid $KPID on 127.0.0.1:$KPORT" >&2
  "$LOAD" --port "$KPORT" --access-key "$AK" --secret-key "$SK" --server-pid "$KPID" \
    --seconds "$PEER_SECONDS" --connections "$CONNECTIONS" \
    --phases throughput,putrecord,visibility | tee "$WORK/kinesalite.jsonl" >&2 ||
    echo "kinesis_load against kinesalite failed" >&2
fi

/usr/bin/python3 - "$RESULTS" "$COMMAND" "$LOAD_AT_START" "$WORK/osprey.jsonl" "$WORK/kinesalite.jsonl" "$KVERSION" <<'PY'
import json, os, platform, sys, time
path, command, load, ofile, kfile, kver = sys.argv[1:7]
def rows(f):
    return {r["phase"]: r for r in (json.loads(l) for l in open(f) if l.startswith("{"))}
o, k = rows(ofile), rows(kfile)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((l.split(":", 1)[1].strip() for l in open("/proc/meminfo") if l.startswith("MemTotal")), "?")
print(f"machine: {os.cpu_count()} cores, {cpu}, {mem}, load {load} at start")
def g(d, phase, key, fmt):
    r = d.get(phase)
    return "-" if r is None or key not in r else fmt.format(r[key])
lines = [
    ("records/s written, PutRecords 500 x 1 KiB", "throughput", "records_per_s", "{:,.0f}", ">= 150,000"),
    ("records per server CPU-second", "throughput", "records_per_cpu_s", "{:,.0f}", ">= 400,000 (30x kinesalite)"),
    ("server CPU-seconds (throughput phase)", "throughput", "server_cpu_s", "{:.2f}", ""),
    ("generator CPU-seconds (throughput phase)", "throughput", "generator_cpu_s", "{:.2f}", ""),
    ("PutRecords p50 / request", "throughput", "p50_ms", "{:.1f} ms", ""),
    ("PutRecords p99 / request", "throughput", "p99_ms", "{:.1f} ms", ""),
    ("PutRecord p50 (4 conns, closed loop)", "putrecord", "p50_ms", "{:.2f} ms", ""),
    ("PutRecord p99", "putrecord", "p99_ms", "{:.2f} ms", "<= 5 ms"),
    ("PutRecord req/s", "putrecord", "records_per_s", "{:,.0f}", ""),
    ("put-to-get p50, polling GetRecords", "visibility_poll", "p50_ms", "{:.2f} ms", "<= 10 ms"),
    ("put-to-get p99, polling GetRecords", "visibility_poll", "p99_ms", "{:.2f} ms", ""),
    ("put-to-get p50, SubscribeToShard", "visibility_subscribe", "p50_ms", "{:.2f} ms", "<= 2 ms"),
    ("put-to-get p99, SubscribeToShard", "visibility_subscribe", "p99_ms", "{:.2f} ms", ""),
]
print(f"| metric | osprey-server | kinesalite {kver} | target |")
print("|---|---|---|---|")
for name, phase, key, fmt, target in lines:
    print(f"| {name} | {g(o, phase, key, fmt)} | {g(k, phase, key, fmt)} | {target} |")
ot, kt = o.get("throughput", {}), k.get("throughput", {})
ratio = None
if ot.get("records_per_cpu_s") and kt.get("records_per_cpu_s"):
    ratio = ot["records_per_cpu_s"] / kt["records_per_cpu_s"]
    print(f"osprey / kinesalite records per CPU-second: {ratio:.1f}x (target >= 30x)")
errs = {n: r.get("errors", 0) for d in (o, k) for n, r in d.items()}
json.dump({"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "command": command,
           "machine": {"nproc": os.cpu_count(), "cpu": cpu, "mem": mem, "kernel": platform.release(),
                       "load_at_start": float(load)},
           "settings": {"protocol": "HTTP/1.1 keep-alive (both servers)", "batch": 500,
                        "record_bytes": 1024, "generator": "build/bin/kinesis_load, 1 thread"},
           "osprey": o, "kinesalite": k, "kinesalite_version": kver,
           "ratio_records_per_cpu_s": ratio}, open(path, "w"), indent=1)
PY
