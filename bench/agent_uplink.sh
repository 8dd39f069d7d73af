#!/usr/bin/env bash
# agent_uplink.sh: how fast osprey-agent drains a spooled backlog over its two
# uplinks, chunked HTTP PutMedia (POST /putMedia) and the WebSocket ingest
# (GET /ws/putMedia through libwebsockets), side by side. Records one backlog
# with the server down, then uploads a copy of it to a fresh osprey-server per
# run, timing the spool's ACKED marker (bench/support/agent_uplink_bench.py).
# Prints the table and writes bench/results/agent_uplink.json.
#
# Usage: bench/agent_uplink.sh [--record-seconds 30] [--runs 3] [--width 1280]
#          [--height 720] [--fps 15] [--bitrate-kbps 4000]
#          [--build DIR (default build; osprey-agent and osprey-server in DIR/bin)]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$ROOT/build"
COMMAND="bench/agent_uplink.sh $*"
ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) BUILD=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
for bin in osprey-agent osprey-server; do
  [[ -x $BUILD/bin/$bin ]] || { echo "agent_uplink: $BUILD/bin/$bin missing" >&2; exit 1; }
done
exec /usr/bin/python3 "$ROOT/bench/support/agent_uplink_bench.py" \
  --agent "$BUILD/bin/osprey-agent" --server "$BUILD/bin/osprey-server" \
  --results "$ROOT/bench/results/agent_uplink.json" --command "$COMMAND" "${ARGS[@]}"
