#!/usr/bin/env bash
# http_rps.sh: requests/s and p50/p99 latency of a small *signed* Kinesis
# JSON request over keep-alive connections, osprey-server against nginx
# serving a static JSON answer, with the same wrk settings in the same run.
#
# One SigV4 signature stays valid for 5 minutes, so the script signs one
# `POST /` (X-Amz-Target: Kinesis_20131202.ListStreams, body {}) with
# botocore and replays it with wrk: the server still parses, authenticates
# (full SigV4 verification on every request), routes and writes a JSON
# answer each time.
#
# Usage: bench/http_rps.sh [options]
#   --server PATH         osprey-server binary (default build/bin/osprey-server)
#   --server-args "ARGS"  extra arguments for osprey-server (e.g. a thread flag)
#   --nginx-workers N     nginx worker_processes (default: nproc, which is
#                         what osprey-server uses by default)
#   --threads N           wrk threads (default 2)
#   --connections N       wrk keep-alive connections (default 64)
#   --duration S          measured seconds (default 10)
#   --warmup S            discarded warm-up seconds per target (default 2)
#   --region R            SigV4 region (default us-east-1)
#   --peer-only           run only nginx (to test the script without a server)
#   --results PATH        default bench/results/http_rps.json
# Needs: wrk, /usr/sbin/nginx (nginx-light), /usr/bin/python3 with botocore
# (python3-botocore; `python3` on PATH may lack it, so we never use that).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SERVER="$ROOT/build/bin/osprey-server"
SERVER_ARGS=""
NGINX_WORKERS=$(nproc)
THREADS=2
CONNECTIONS=64
DURATION=10
WARMUP=2
REGION=us-east-1
PEER_ONLY=0
RESULTS="$ROOT/bench/results/http_rps.json"
PY=/usr/bin/python3
NGINX=/usr/sbin/nginx
COMMAND="bench/http_rps.sh $*"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --server) SERVER=$2; shift 2 ;;
    --server-args) SERVER_ARGS=$2; shift 2 ;;
    --nginx-workers) NGINX_WORKERS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --region) REGION=$2; shift 2 ;;
    --peer-only) PEER_ONLY=1; shift ;;
    --results) RESULTS=$2; shift 2 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

die() { echo "http_rps: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
[[ -x $NGINX ]] || die "$NGINX not found (apt-get install nginx-light)"
$PY -c 'import botocore' 2>/dev/null || die "$PY lacks botocore (apt-get install python3-botocore)"
if [[ $PEER_ONLY == 0 && ! -x $SERVER ]]; then
  die "$SERVER not found: build it (cmake --build build --target osprey-server) or pass --peer-only"
fi

WORK=$(mktemp -d /tmp/osprey-http-rps.XXXXXX)
PIDS=()     # servers we started; they run until cleanup
WRK_PID=""  # the wrk running now, if any (cleared once reaped: never kill a reused PID)
cleanup() {
  local pid
  for pid in $WRK_PID "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $WRK_PID "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT PID NAME: until something accepts on PORT (10 s at most).
wait_port() {
  for _ in $(seq 100); do
    if ! kill -0 "$2" 2>/dev/null; then
      tail -n 20 "$WORK/$3.log" >&2 || true
      die "$3 exited during start-up (its log is above)"
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "$3 did not listen on 127.0.0.1:$1 within 10 s"
}

# The Lua script replays one fixed request; done() prints one machine-
# readable line next to wrk's own --latency output.
write_lua() {  # write_lua FILE METHOD BODY HEADERS_FILE (lines "Name: value")
  {
    echo "wrk.method = \"$2\""
    echo "wrk.body = '$3'"
    while IFS= read -r line; do
      local name=${line%%: *} value=${line#*: }
      printf 'wrk.headers["%s"] = "%s"\n' "$name" "$value"
    done <"$4"
    cat <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKRESULT {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
    '"errors_timeout":%d,"non_2xx_3xx":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, e.connect, e.read,
    e.write, e.timeout, e.status))
end
EOF
  } >"$1"
}

# run_wrk NAME URL LUA: warm-up, then the measured run; keeps the WRKRESULT line.
# wrk runs in the background and we `wait`: bash runs a trap only between
# commands, and `wait` is the one it interrupts, so Ctrl-C or TERM stops
# wrk and the servers at once.
run_wrk() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$3" "$2" >/dev/null &
  WRK_PID=$!
  wait "$WRK_PID"
  WRK_PID=""
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$3" "$2" >"$WORK/$1.wrk" &
  WRK_PID=$!
  wait "$WRK_PID"
  WRK_PID=""
  cat "$WORK/$1.wrk"
  grep '^WRKRESULT ' "$WORK/$1.wrk" | sed 's/^WRKRESULT //' >"$WORK/$1.result"
}

LOAD_AT_START=$(cut -d' ' -f1 /proc/loadavg)
NOTES=()

# ---- osprey-server ------------------------------------------------------------
if [[ $PEER_ONLY == 0 ]]; then
  OSPREY_PORT=$(free_port)
  mkdir -p "$WORK/data"
  # shellcheck disable=SC2086  # SERVER_ARGS is a list of words on purpose
  "$SERVER" --listen "127.0.0.1:$OSPREY_PORT" --data-dir "$WORK/data" --log-level warn \
    $SERVER_ARGS >"$WORK/osprey.log" 2>&1 &
  OSPREY_PID=$!
  PIDS+=("$OSPREY_PID")
  wait_port "$OSPREY_PORT" "$OSPREY_PID" osprey
  for _ in $(seq 50); do
    [[ -s $WORK/data/credentials.toml ]] && break
    sleep 0.1
  done
  [[ -s $WORK/data/credentials.toml ]] || die "no $WORK/data/credentials.toml after start-up"

  # Sign once with botocore, using the first [[keys]] entry the server made.
  PORT=$OSPREY_PORT REGION=$REGION CREDS="$WORK/data/credentials.toml" $PY - >"$WORK/osprey.headers" <<'EOF'
import os, tomllib
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
with open(os.environ["CREDS"], "rb") as f:
    key = tomllib.load(f)["keys"][0]
req = AWSRequest(method="POST", url="http://127.0.0.1:%s/" % os.environ["PORT"], data=b"{}",
                 headers={"Content-Type": "application/x-amz-json-1.1",
                          "X-Amz-Target": "Kinesis_20131202.ListStreams"})
SigV4Auth(Credentials(key["access_key_id"], key["secret_access_key"]), "kinesis",
          os.environ["REGION"]).add_auth(req)
req.headers["Host"] = "127.0.0.1:%s" % os.environ["PORT"]
for name, value in req.headers.items():
    print("%s: %s" % (name, value))
EOF
  write_lua "$WORK/osprey.lua" POST '{}' "$WORK/osprey.headers"

  # One request first: a 403 means the signature was refused, and then the
  # benchmark would measure the auth failure path, not the request path.
  CURL_HEADERS=()
  while IFS= read -r line; do CURL_HEADERS+=(-H "$line"); done <"$WORK/osprey.headers"
  OSPREY_STATUS=$(curl -s -o "$WORK/osprey.first" -w '%{http_code}' -X POST --data-binary '{}' \
    "${CURL_HEADERS[@]}" "http://127.0.0.1:$OSPREY_PORT/")
  OSPREY_ANSWER=$(head -c 300 "$WORK/osprey.first")
  echo "osprey-server answered HTTP $OSPREY_STATUS: $OSPREY_ANSWER"
  case "$OSPREY_STATUS" in
    200) NOTES+=("osprey: ListStreams answered 200") ;;
    400)
      OSPREY_ERROR=$(echo "$OSPREY_ANSWER" | grep -o '"__type" *: *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' || true)
      OSPREY_ERROR=${OSPREY_ERROR:-error}
      NOTES+=("osprey: HTTP 400 $OSPREY_ERROR (UnknownOperationException until the data-streams engine lands); still exercises HTTP parse, SigV4 verification, routing and the JSON error response") ;;
    *) die "osprey-server answered HTTP $OSPREY_STATUS to the signed request: $OSPREY_ANSWER" ;;
  esac
  OSPREY_THREADS=$(awk '/^Threads:/{print $2}' "/proc/$OSPREY_PID/status")
  run_wrk osprey "http://127.0.0.1:$OSPREY_PORT/" "$WORK/osprey.lua"
  # wrk counts non-2xx answers but not which ones: ask once more, so a
  # signature that stopped being accepted mid-run cannot go unnoticed.
  AFTER_STATUS=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary '{}' \
    "${CURL_HEADERS[@]}" "http://127.0.0.1:$OSPREY_PORT/")
  if [[ $AFTER_STATUS != "$OSPREY_STATUS" ]]; then
    NOTES+=("WARNING: osprey answered HTTP $AFTER_STATUS after the run, $OSPREY_STATUS before")
    echo "http_rps: WARNING: HTTP $AFTER_STATUS after the run, $OSPREY_STATUS before" >&2
  fi
fi

# ---- nginx (peer) ---------------------------------------------------------------
NGINX_PORT=$(free_port)
NG="$WORK/nginx"
mkdir -p "$NG/tmp"
USER_LINE=""
[[ $EUID == 0 ]] && USER_LINE="user root;"  # workers must reach the 0700 temp dir
STATIC_BODY='{"StreamNames":[],"HasMoreStreams":false,"StreamSummaries":[]}'
cat >"$NG/nginx.conf" <<EOF
$USER_LINE
worker_processes $NGINX_WORKERS;
daemon off;
pid $NG/nginx.pid;
error_log $NG/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  client_body_temp_path $NG/tmp/body;
  proxy_temp_path $NG/tmp/proxy;
  fastcgi_temp_path $NG/tmp/fastcgi;
  uwsgi_temp_path $NG/tmp/uwsgi;
  scgi_temp_path $NG/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      default_type application/x-amz-json-1.1;
      return 200 '$STATIC_BODY';
    }
  }
}
EOF
"$NGINX" -p "$NG" -c "$NG/nginx.conf" -e "$NG/error.log" >"$WORK/nginx.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
wait_port "$NGINX_PORT" "$NGINX_PID" nginx
# Same request shape (same headers, unsigned content is irrelevant to nginx).
printf 'Content-Type: application/x-amz-json-1.1\nX-Amz-Target: Kinesis_20131202.ListStreams\n' \
  >"$WORK/nginx.headers"
[[ -s $WORK/osprey.headers ]] && grep -v "^Host:" "$WORK/osprey.headers" >"$WORK/nginx.headers"
write_lua "$WORK/nginx.lua" POST '{}' "$WORK/nginx.headers"
NOTES+=("nginx $($NGINX -v 2>&1 | sed 's/.*nginx\///'): static 200 JSON via 'return', $NGINX_WORKERS worker(s), access_log off; no parsing or auth")
run_wrk nginx "http://127.0.0.1:$NGINX_PORT/" "$WORK/nginx.lua"

# ---- table and JSON ---------------------------------------------------------------
NOTES+=("wrk ${THREADS} threads, ${CONNECTIONS} keep-alive connections, ${DURATION} s after ${WARMUP} s warm-up; wrk shares the $(nproc) CPUs with the server under test")
[[ -n ${OSPREY_THREADS:-} ]] && NOTES+=("osprey-server had $OSPREY_THREADS threads (all kinds) during the run")
NOTES+=("load average at start: $LOAD_AT_START (other builds may have been running)")

WORK=$WORK RESULTS=$RESULTS COMMAND=$COMMAND OSPREY_STATUS=${OSPREY_STATUS:-} \
OSPREY_ERROR=${OSPREY_ERROR:-} \
NOTES_TEXT="$(printf '%s\n' "${NOTES[@]}")" $PY - <<'EOF'
import datetime, json, os
work = os.environ["WORK"]
notes = [n for n in os.environ["NOTES_TEXT"].split("\n") if n]
rows = []
for target in ("osprey", "nginx"):
    path = os.path.join(work, target + ".result")
    if not os.path.exists(path):
        continue
    r = json.load(open(path))
    r["target"] = "osprey-server" if target == "osprey" else "nginx (static)"
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    if target == "osprey":
        r["first_answer_status"] = int(os.environ["OSPREY_STATUS"])
    rows.append(r)

def ms(us):
    return "%.2f ms" % (us / 1000.0)

print()
header = ["target", "req/s", "p50", "p99", "notes"]
lines = []
for r in rows:
    errs = r["errors_connect"] + r["errors_read"] + r["errors_write"] + r["errors_timeout"]
    if not r["non_2xx_3xx"]:
        note = "all 2xx"
    elif r["target"] == "osprey-server" and os.environ["OSPREY_STATUS"] == "400":
        note = "HTTP 400 %s (expected, see note)" % os.environ["OSPREY_ERROR"]
        if r["non_2xx_3xx"] != r["requests"]:
            note = "%d of %d answers non-2xx" % (r["non_2xx_3xx"], r["requests"])
    else:
        note = "%d non-2xx" % r["non_2xx_3xx"]
    if errs:
        note += ", %d socket errors" % errs
    lines.append([r["target"], "%.0f" % r["rps"], ms(r["p50_us"]), ms(r["p99_us"]), note])
widths = [max(len(x) for x in col) for col in zip(header, *lines)]
fmt = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
print(fmt(header))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for l in lines:
    print(fmt(l))
print()
for n in notes:
    print("Note: " + n)

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
ram = next((int(l.split()[1]) * 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
out = {
    "benchmark": "http_rps",
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "command": os.environ["COMMAND"],
    "machine": {"nproc": os.cpu_count(), "cpu_model": cpu, "ram_bytes": ram},
    "notes": notes,
    "results": rows,
}
os.makedirs(os.path.dirname(os.environ["RESULTS"]), exist_ok=True)
with open(os.environ["RESULTS"], "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
print("Results written to " + os.environ["RESULTS"])
EOF
