#!/usr/bin/env bash
# firehose.sh: Firehose DirectPut delivery to the local bucket folder, with
# the native load generator in Firehose mode (build/bin/kinesis_load
# --target firehose: keep-alive HTTP/1.1, pre-encoded signed PutRecordBatch).
# Starts osprey-server on a free 127.0.0.1 port with a fresh data directory;
# delivery streams are GZIP with BufferingHints SizeInMBs=1 (the minimum),
# IntervalInSeconds=1. Phases:
#   lag         one 1-record PutRecordBatch every 50 ms on an idle server; a
#               watcher polls DATA_DIR/s3/<bucket> every 5 ms, gunzips each
#               new object and takes acknowledgement -> object-visible time
#               (objects are renamed into place whole, so visible = complete)
#   throughput  --connections connections of PutRecordBatch 500 x 1 KiB for
#               --seconds, then waits until the stream's delivery checkpoint
#               reaches every accepted record, gunzips every object and checks
#               each accepted record appears exactly as often as it was
#               acknowledged (bodies are re-sent, so counts, not just 0/1)
#               The backlog is what the checkpoint had not reached when the
#               puts ended; its drain rate is delivery alone, without puts.
# Server CPU is utime+stime from /proc/<pid>/stat from the start of the
# throughput phase to the end of delivery. There is no Firehose peer to run
# offline, so the table has one column. Prints the table and writes
# bench/results/firehose.json.
#
# Usage: bench/firehose.sh [--seconds 20] [--connections 8] [--lag-seconds 20]
#          [--server PATH] [--load PATH]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SERVER="$ROOT/build/bin/osprey-server"
LOAD="$ROOT/build/bin/kinesis_load"
SECONDS_PER_RUN=20
LAG_SECONDS=20
CONNECTIONS=8
RESULTS="$ROOT/bench/results/firehose.json"
COMMAND="bench/firehose.sh $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    --lag-seconds) LAG_SECONDS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --server) SERVER=$2; shift 2 ;;
    --load) LOAD=$2; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
die() { echo "firehose: $*" >&2; exit 1; }
[[ -x $SERVER ]] || die "$SERVER missing (cmake --build build --target osprey-server)"
[[ -x $LOAD ]] || die "$LOAD missing (cmake --build build --target kinesis_load)"

WORK=$(mktemp -d /tmp/osprey-firehose.XXXXXX)
source "$ROOT/bench/support/processes.sh"
ulimit -n 65536 2>/dev/null || ulimit -n 4096

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
AK=AKIDFIREHOSEBENCH001
SK=firehosebenchsecretfirehosebenchsecret01
DATA="$WORK/data"
write_credentials "$DATA" "$AK" "$SK"

OPORT=$(free_port)
"$SERVER" --listen "127.0.0.1:$OPORT" --data-dir "$DATA" --log-level warn >"$WORK/osprey.log" 2>&1 &
OPID=$!
PIDS+=("$OPID")
wait_port "$OPORT" "$OPID" osprey
echo "osprey-server pid $OPID on 127.0.0.1:$OPORT" >&2
GEN=("$LOAD" --target firehose --port "$OPORT" --access-key "$AK" --secret-key "$SK"
     --server-pid "$OPID" --stream bench --size-mb 1 --interval-s 1)

server_cpu() {  # utime+stime of the server in seconds
  /usr/bin/python3 -c 'import os,sys; f=open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")",1)[1].split(); print((int(f[11])+int(f[12]))/os.sysconf("SC_CLK_TCK"))' "$OPID"
}

# ---- lag: watcher on the lag bucket, then the timed writer ------------------------
# time.monotonic_ns() and the generator's steady_clock are both CLOCK_MONOTONIC.
/usr/bin/python3 - "$DATA/s3/bench-lag" "$WORK/lag_seen.json" "$WORK/lag.stop" <<'PY' &
import gzip, json, os, sys, time
root, out, stop = sys.argv[1:4]
seen, done, stop_at = {}, set(), None
while True:
    if stop_at is None and os.path.exists(stop):
        stop_at = time.monotonic() + 3  # the last records need one interval more
    if stop_at is not None and time.monotonic() > stop_at:
        break
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            if ".tmp-" in f or p in done:
                continue
            t = time.monotonic_ns()
            done.add(p)
            for line in gzip.decompress(open(p, "rb").read()).split(b"\n"):
                if line.startswith(b"lag "):
                    seen.setdefault(int(line.split(b" ")[1]), t)
    time.sleep(0.005)
json.dump({"seen_ns": seen, "objects": len(done)}, open(out, "w"))
PY
WPID=$!
PIDS+=("$WPID")
"${GEN[@]}" --phases fh_lag --visibility-seconds "$LAG_SECONDS" --visibility-interval-ms 50 \
  >"$WORK/lag.jsonl"
touch "$WORK/lag.stop"
wait "$WPID"

# ---- throughput, then wait for delivery of everything accepted --------------------
CPU0=$(server_cpu)
"${GEN[@]}" --phases fh_throughput --seconds "$SECONDS_PER_RUN" --connections "$CONNECTIONS" \
  --batch 500 --record-bytes 1024 | tee "$WORK/throughput.jsonl" >&2
T_END=$(date +%s.%N)
CKPT_AT_END=$(cat "$DATA/firehose/bench/checkpoint" 2>/dev/null || echo 1)
ACCEPTED=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["records"])' "$WORK/throughput.jsonl")
CKPT="$DATA/firehose/bench/checkpoint"
for _ in $(seq 9000); do  # up to 900 s: delivery can trail the puts by minutes
  [[ -f $CKPT && $(cat "$CKPT") -ge $ACCEPTED ]] && break
  sleep 0.1
done
T_DRAINED=$(date +%s.%N)
CPU1=$(server_cpu)
DELIVERED_INDEX=$(cat "$CKPT" 2>/dev/null || echo 0)
LOAD_AT_END=$(cut -d' ' -f1-3 /proc/loadavg)

/usr/bin/python3 - "$RESULTS" "$COMMAND" "$LOAD_AT_START" "$LOAD_AT_END" "$WORK" "$DATA" \
  "$CPU0" "$CPU1" "$T_END" "$T_DRAINED" "$DELIVERED_INDEX" "$CKPT_AT_END" <<'PY'
import collections, gzip, json, os, platform, sys, time
(path, command, load0, load1, work, data, cpu0, cpu1, t_end, t_drained, ckpt, ckpt_end) = sys.argv[1:13]
lag = json.loads(open(f"{work}/lag.jsonl").readline())
seen = json.load(open(f"{work}/lag_seen.json"))
tp = json.loads(open(f"{work}/throughput.jsonl").readline())

acks = lag["ack_ns"]
lags = sorted((seen["seen_ns"][str(i)] - a) / 1e6 for i, a in enumerate(acks) if str(i) in seen["seen_ns"])
def pct(v, p):
    return v[min(len(v) - 1, int(p / 100 * len(v)))] if v else None

# Correctness: every (body, index) must appear acked_per_body[body] times.
counts = collections.Counter()
objects = gz_bytes = bad_lines = 0
root = f"{data}/s3/bench"
for d, _, files in os.walk(root):
    for f in files:
        if ".tmp-" in f:
            continue
        raw = open(os.path.join(d, f), "rb").read()
        objects += 1
        gz_bytes += len(raw)
        for line in gzip.decompress(raw).split(b"\n"):
            if not line:
                continue
            parts = line.split(b" ", 2)
            try:
                counts[(int(parts[0]), int(parts[1]))] += 1
            except (ValueError, IndexError):
                bad_lines += 1
acked = tp["acked_per_body"]
batch = tp["records_per_request"]
missing = dup = 0
for b, n in enumerate(acked):
    for i in range(batch):
        c = counts.get((b, i), 0)
        missing += max(0, n - c)
        dup += max(0, c - n)
unknown = sum(c for (b, i), c in counts.items() if b >= len(acked) or i >= batch) + bad_lines
delivered = sum(counts.values())

accepted = tp["records"]
mb = accepted * tp["record_bytes"] / 1e6
cpu = float(cpu1) - float(cpu0)
drain_s = float(t_drained) - float(t_end)
# The backlog left when the puts ended (checkpoint = next log index, from 1)
# and how fast the worker drained it with the machine free of puts.
backlog_mb = (accepted - (int(ckpt_end) - 1)) * tp["record_bytes"] / 1e6
r = {
    "throughput": {"records_per_s": accepted / tp["wall_s"], "payload_mb_per_s": mb / tp["wall_s"],
                   "wire_mb_per_s": tp["mb_per_s"], "records": accepted, "wall_s": tp["wall_s"],
                   "connections": tp["connections"], "batch": batch, "record_bytes": tp["record_bytes"],
                   "putrecordbatch_p50_ms": tp["p50_ms"], "putrecordbatch_p99_ms": tp["p99_ms"],
                   "errors": tp["errors"], "server_cpu_s_during_puts": tp["server_cpu_s"],
                   "generator_cpu_s": tp["generator_cpu_s"]},
    "delivery": {"drain_after_puts_s": drain_s, "payload_mb_per_s": mb / (tp["wall_s"] + drain_s),
                 "backlog_at_puts_end_mb": backlog_mb,
                 "drain_mb_per_s": backlog_mb / drain_s if drain_s > 0.2 else None,
                 "checkpoint": int(ckpt), "objects": objects,
                 "gzip_bytes": gz_bytes, "gzip_ratio": gz_bytes / mb / 1e6 if mb else None,
                 "records_delivered": delivered, "missing": missing, "duplicates": dup,
                 "unknown": unknown, "correct": missing == 0 and dup == 0 and unknown == 0},
    "cpu": {"server_cpu_s": cpu, "server_cpu_ms_per_mb": cpu * 1000 / mb if mb else None},
    "lag": {"sent": len(acks), "seen": len(lags), "interval_ms": lag["interval_ms"],
            "objects": seen["objects"], "p50_ms": pct(lags, 50), "p99_ms": pct(lags, 99),
            "max_ms": pct(lags, 100), "min_ms": pct(lags, 0)},
}
cpuname = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"machine: {os.cpu_count()} cores, {cpuname}, load {load0} at start, {load1} at end")
t, dl, c, lg = r["throughput"], r["delivery"], r["cpu"], r["lag"]
f = lambda v, s: "-" if v is None else s.format(v)
print("| metric | osprey-server |")
print("|---|---|")
rows = [
    (f"PutRecordBatch records/s ({t['connections']} conns, {batch} x {t['record_bytes']} B)", f(t["records_per_s"], "{:,.0f}")),
    ("PutRecordBatch payload MB/s", f(t["payload_mb_per_s"], "{:.1f}")),
    ("PutRecordBatch p50 / p99 per request", f"{t['putrecordbatch_p50_ms']:.1f} / {t['putrecordbatch_p99_ms']:.1f} ms"),
    ("delivery finished after the last put", f(drain_s, "{:.1f} s")),
    ("delivery rate (payload MB / (put time + drain))", f(dl["payload_mb_per_s"], "{:.1f} MB/s")),
    ("backlog when the puts ended; drained at", f"{backlog_mb:,.0f} MB; {f(dl['drain_mb_per_s'], '{:.1f} MB/s')}"),
    ("records accepted / delivered (after gunzip)", f"{accepted:,} / {delivered:,}"),
    ("missing / duplicated / unknown records", f"{missing} / {dup} / {unknown}"),
    ("objects, gzip bytes / payload bytes", f"{objects}, {f(dl['gzip_ratio'], '{:.2f}')}"),
    ("server CPU per MB accepted+delivered", f(c["server_cpu_ms_per_mb"], "{:.1f} ms")),
    (f"delivery lag p50 (ack -> object visible, 1 s interval, {lg['seen']}/{lg['sent']} seen)", f(lg["p50_ms"], "{:.0f} ms")),
    ("delivery lag p99 / max", f"{f(lg['p99_ms'], '{:.0f}')} / {f(lg['max_ms'], '{:.0f}')} ms"),
]
for name, v in rows:
    print(f"| {name} | {v} |")
json.dump({"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "command": command,
           "machine": {"nproc": os.cpu_count(), "cpu": cpuname, "kernel": platform.release(),
                       "loadavg_start": load0, "loadavg_end": load1},
           "settings": {"compression": "GZIP", "size_in_mbs": 1, "interval_in_seconds": 1,
                        "destination": "local bucket folder DATA_DIR/s3/bench",
                        "generator": "build/bin/kinesis_load --target firehose, 1 thread",
                        "lag_poll_ms": 5},
           "peer": "none: no Firehose implementation runs offline",
           **r}, open(path, "w"), indent=1)
if not r["delivery"]["correct"] or lg["seen"] != lg["sent"] or t["errors"]:
    sys.exit("firehose: correctness check failed (see table)")
PY
