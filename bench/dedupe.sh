#!/usr/bin/env bash
# dedupe.sh: what recognising retried fragments costs per fragment (issue 4
# item 5; docs/video-ingest.md "Retries after a lost ACK"). Runs
# fragment_dedupe_measure: the content hash (XXH3-64) of 64 KiB, 1 MiB and
# 8 MiB Clusters side by side with the CRC-32C the store already computes
# per record and with SHA-256 (the alternative), then the two lookups over a
# full 1000-fragment window. The end-to-end check is bench/ingest.sh run
# with the server built before and after (docs/benchmarks.md).
#
# Usage: bench/dedupe.sh [--bin PATH] [--dir DIR (scratch store; default $TMPDIR)]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/build/bin/fragment_dedupe_measure"
DIR=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
[[ -x $BIN ]] || { echo "dedupe: $BIN missing (cmake --build build --target fragment_dedupe_measure)" >&2; exit 1; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1 /proc/loadavg)"
"$BIN" ${DIR:+"$DIR"}
