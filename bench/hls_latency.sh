#!/usr/bin/env bash
# hls_latency.sh: how far behind the camera standard HLS runs (issue 5:
# "standard HLS at most one fragment duration plus 0.5 s behind").
#
# For each fragment length (--fragments, default 1000 and 2000 ms): a fresh
# osprey-server, osprey-agent streaming the live test pattern (x264, GOP =
# the fragment length) over PutMedia, and bench/hls_latency.py polling a LIVE
# session's media playlist (PRODUCER_TIMESTAMP, EXT-X-PROGRAM-DATE-TIME) for
# glass-to-playlist and glass-to-segment, plus hls.js in Debian's chromium
# for glass-to-screen (bench/support/hls_screen_latency.mjs; skipped without
# node/chromium/playwright-core). Producer timestamps come from the agent's
# capture clock, so "glass" is the moment a frame left the encoder's source.
#
# Usage: bench/hls_latency.sh [--seconds 40] [--fragments "1000 2000"]
#          [--bin DIR] [--results bench/results/hls_latency.json]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/build/bin"
SECONDS_TO_RUN=40
FRAGMENTS="1000 2000"
RESULTS="$ROOT/bench/results/hls_latency.json"
COMMAND="bench/hls_latency.sh $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_TO_RUN=$2; shift 2 ;;
    --fragments) FRAGMENTS=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --results) RESULTS=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
die() { echo "hls_latency: $*" >&2; exit 1; }
for b in osprey-server osprey-agent; do [[ -x $BIN/$b ]] || die "$BIN/$b missing"; done
SCREEN=$SECONDS_TO_RUN
if ! command -v node >/dev/null || [[ ! -x /usr/bin/chromium ]] ||
   [[ ! -d /opt/osprey/node/node_modules/playwright-core ]]; then
  echo "hls_latency: no node/chromium/playwright-core: glass-to-screen skipped" >&2
  SCREEN=0
fi

WORK=$(mktemp -d /tmp/osprey-hls-latency.XXXXXX)
source "$ROOT/bench/support/processes.sh"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
export AWS_ACCESS_KEY_ID=AKIDHLSLATENCYBENCH1
export AWS_SECRET_ACCESS_KEY=hlslatencybenchsecrethlslatencybench001
export AWS_DEFAULT_REGION=us-east-1

for frag in $FRAGMENTS; do
  data="$WORK/data-$frag"
  write_credentials "$data" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"
  port=$(free_port)
  "$BIN/osprey-server" --listen "127.0.0.1:$port" --data-dir "$data" --log-level warn \
    >"$WORK/server-$frag.log" 2>&1 &
  spid=$!
  PIDS+=("$spid")
  wait_port "$port" "$spid" "server-$frag"
  fps=30
  "$BIN/osprey-agent" --endpoint "http://127.0.0.1:$port" --stream live --source testsrc \
    --width 1280 --height 720 --fps $fps --bitrate-kbps 2000 --fragment-ms "$frag" \
    --spool-dir "$WORK/spool-$frag" --log-level warn >"$WORK/agent-$frag.log" 2>&1 &
  apid=$!
  PIDS+=("$apid")
  # LIVE needs a fragment in the last 30 s: wait for the first ones.
  sleep $(( frag / 1000 * 3 + 2 ))
  kill -0 "$apid" 2>/dev/null || { tail -20 "$WORK/agent-$frag.log" >&2; die "agent exited"; }
  echo "hls_latency: ${frag} ms fragments, measuring ${SECONDS_TO_RUN} s"
  /usr/bin/python3 "$ROOT/bench/hls_latency.py" --endpoint "http://127.0.0.1:$port" --stream live \
    --seconds "$SECONDS_TO_RUN" --screen-seconds "$SCREEN" --out "$WORK/result-$frag.json"
  kill "$apid" "$spid"
  wait "$apid" "$spid" 2>/dev/null || true
done

mkdir -p "$(dirname "$RESULTS")"
WORK=$WORK FRAGMENTS=$FRAGMENTS RESULTS=$RESULTS LOAD="$LOAD_AT_START" COMMAND="$COMMAND" \
/usr/bin/python3 - <<'EOF'
import json, os, time
w = os.environ["WORK"]
all_results = {}
print()
print("Standard HLS (fMP4, LIVE) behind the camera, seconds: p50 / p90 / max")
print("%-10s %-22s %-22s %-22s %-18s %-18s %s" % ("fragment", "first frame->playlist",
      "last frame->playlist", "first frame->segment", "screen hls.js dflt", "screen sync=1",
      "target (frag + 0.5 s)"))
fmt = lambda d: "%.2f / %.2f / %.2f" % (d["p50"], d["p90"], d["max"]) if d else "-"
for frag in os.environ["FRAGMENTS"].split():
    r = json.load(open(os.path.join(w, "result-%s.json" % frag)))
    all_results[frag] = r
    screen = r.get("screen") or {}
    target = int(frag) / 1000 + 0.5
    print("%-10s %-22s %-22s %-22s %-18s %-18s %.1f s: %s" % (
        frag + " ms", fmt(r["first_to_playlist"]), fmt(r["last_to_playlist"]),
        fmt(r["first_to_fetched"]),
        "%.2f / %.2f" % (screen["hlsjs_default"]["p50"], screen["hlsjs_default"]["p90"]) if "hlsjs_default" in screen else "-",
        "%.2f / %.2f" % (screen["hlsjs_sync1"]["p50"], screen["hlsjs_sync1"]["p90"]) if "hlsjs_sync1" in screen else "-",
        target, "met at p90" if r["first_to_playlist"]["p90"] <= target else "NOT met at p90"))
print("load average at start: %s" % os.environ["LOAD"])
json.dump({"command": os.environ["COMMAND"], "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "load_at_start": os.environ["LOAD"], "results": all_results},
          open(os.environ["RESULTS"], "w"), indent=1)
EOF
