#!/usr/bin/env bash
# kinesis_js.sh: PutRecords throughput through the AWS SDK for JavaScript v3
# (@aws-sdk/client-kinesis) against osprey-server and kinesalite (npm) in the
# same run, and each server's records per CPU-second (utime+stime of the
# server process from /proc around the load). Both servers start on free
# 127.0.0.1 ports (osprey-server with a fresh data directory and a
# pre-written credentials.toml; kinesalite in memory). Runs, in order:
#   osprey-server over HTTP/2 (h2c: the SDK's default for http://)
#   osprey-server over HTTP/1.1 (NodeHttpHandler, keep-alive)
#   kinesalite over HTTP/1.1 (it does not speak HTTP/2)
# each a fresh 4-shard stream, WORKERS concurrent PutRecords loops of 500 x
# 1 KiB for --seconds. Prints the table; writes bench/results/kinesis_js.json.
#
# Usage: bench/kinesis_js.sh [--seconds 15] [--workers 16] [--shards 4]
#          [--server PATH] [--node-modules DIR (default /opt/osprey/node/node_modules)]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SERVER="$ROOT/build/bin/osprey-server"
NODE_MODULES=/opt/osprey/node/node_modules
SECS=15
WORKERS=16
SHARDS=4
RESULTS="$ROOT/bench/results/kinesis_js.json"
COMMAND="bench/kinesis_js.sh $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --shards) SHARDS=$2; shift 2 ;;
    --server) SERVER=$2; shift 2 ;;
    --node-modules) NODE_MODULES=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
die() { echo "kinesis_js: $*" >&2; exit 1; }
command -v node >/dev/null || die "node not found"
[[ -x $SERVER ]] || die "$SERVER missing (cmake --build build --target osprey-server)"
[[ -d $NODE_MODULES/@aws-sdk/client-kinesis ]] || die "@aws-sdk/client-kinesis not in $NODE_MODULES"
KINESALITE=$NODE_MODULES/.bin/kinesalite
[[ -x $KINESALITE ]] || die "kinesalite not in $NODE_MODULES (npm install kinesalite)"

WORK=$(mktemp -d /tmp/osprey-kinesis-js.XXXXXX)
source "$ROOT/bench/support/processes.sh"


LOAD_AT_START=$(cut -d' ' -f1 /proc/loadavg)
export AWS_ACCESS_KEY_ID=AKIDKINESISJSBENCH01
export AWS_SECRET_ACCESS_KEY=kinesisjsbenchsecretkinesisjsbenchsecret
write_credentials "$WORK/data" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"

OPORT=$(free_port)
"$SERVER" --listen "127.0.0.1:$OPORT" --data-dir "$WORK/data" --log-level warn >"$WORK/osprey.log" 2>&1 &
OPID=$!
PIDS+=("$OPID")
wait_port "$OPORT" "$OPID" osprey
KPORT=$(free_port)
"$KINESALITE" --port "$KPORT" --createStreamMs 0 --deleteStreamMs 0 --updateStreamMs 0 \
  --shardLimit 100 >"$WORK/kinesalite.log" 2>&1 &
KPID=$!
PIDS+=("$KPID")
wait_port "$KPORT" "$KPID" kinesalite
KVERSION=$(node -p "require('$NODE_MODULES/kinesalite/package.json').version")
SDKVERSION=$(node -p "require('$NODE_MODULES/@aws-sdk/client-kinesis/package.json').version")

run() {  # run NAME PORT PID PROTOCOL
  echo "== $1 ($4) ==" >&2
  ENDPOINT="http://127.0.0.1:$2" SERVER_PID=$3 PROTOCOL=$4 STREAM="js-$1" NODE_MODULES=$NODE_MODULES \
    WORKERS=$WORKERS SECONDS=$SECS SHARDS=$SHARDS node "$ROOT/bench/kinesis_js_load.mjs" \
    | tee "$WORK/$1.json" >&2 || echo '{"error":"load failed"}' >"$WORK/$1.json"
}
run osprey_h2 "$OPORT" "$OPID" h2
run osprey_h1 "$OPORT" "$OPID" h1
run kinesalite_h1 "$KPORT" "$KPID" h1

/usr/bin/python3 - "$RESULTS" "$COMMAND" "$LOAD_AT_START" "$KVERSION" "$SDKVERSION" "$WORK" <<'PY'
import json, os, platform, sys, time
path, command, load, kver, sdkver, work = sys.argv[1:7]
runs = {}
for n in ("osprey_h2", "osprey_h1", "kinesalite_h1"):
    try:
        runs[n] = json.loads(open(f"{work}/{n}.json").read().strip().splitlines()[-1])
    except Exception as e:
        runs[n] = {"error": str(e)}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((l.split(":", 1)[1].strip() for l in open("/proc/meminfo") if l.startswith("MemTotal")), "?")
print(f"machine: {os.cpu_count()} cores, {cpu}, {mem}, load {load} at start; "
      f"@aws-sdk/client-kinesis {sdkver}, kinesalite {kver}")
names = {"osprey_h2": "osprey-server", "osprey_h1": "osprey-server", "kinesalite_h1": f"kinesalite {kver}"}
print("| server | protocol | records/s | server CPU-s | records per CPU-second | PutRecords p50 | p99 | errors |")
print("|---|---|---|---|---|---|---|---|")
for n, r in runs.items():
    if "records_per_s" not in r:
        print(f"| {names[n]} | - | failed: {r.get('error')} |")
        continue
    print(f"| {names[n]} | {r['protocol']} | {r['records_per_s']:,.0f} | {r['server_cpu_s']:.2f} | "
          f"{r['records_per_cpu_s']:,.0f} | {r['p50_ms']:.0f} ms | {r['p99_ms']:.0f} ms | {r['errors']} |")
k = runs["kinesalite_h1"].get("records_per_cpu_s")
ratios = {}
for n in ("osprey_h2", "osprey_h1"):
    o = runs[n].get("records_per_cpu_s")
    if o and k:
        ratios[n] = o / k
        print(f"{n} / kinesalite records per CPU-second: {o / k:.1f}x")
json.dump({"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "command": command,
           "machine": {"nproc": os.cpu_count(), "cpu": cpu, "mem": mem, "kernel": platform.release(),
                       "load_at_start": float(load)},
           "versions": {"client-kinesis": sdkver, "kinesalite": kver, "node": os.popen("node -v").read().strip()},
           "runs": runs, "ratio_vs_kinesalite": ratios}, open(path, "w"), indent=1)
PY
