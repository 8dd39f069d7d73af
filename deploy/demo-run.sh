#!/usr/bin/env bash
# The full Osprey demo on already built binaries (deploy/demo.sh installs and
# builds first, then runs this):
#
#   osprey-server         the API, storage and web console on --port (9470)
#   a test camera         RTSP on 127.0.0.1 serving OpenCV's street clip
#                         vtest.avi (Debian opencv-doc) looped, re-encoded
#                         once to H.264; the moving test pattern without it
#   osprey-agent          records the camera (no re-encoding) and uploads it
#                         to the video stream demo-camera
#   osprey-ml             person detection, tracking and an armed zone on the
#                         lower-left lawn; events to the data stream
#                         osprey-events and the Firehose delivery stream
#                         osprey-events (files under DATA/s3/osprey-events)
#
#   deploy/demo-run.sh [--port 9470] [--data ./osprey-data] [--seconds 0]
#
# Prints the console URL with a sign-in link. Ctrl-C (or --seconds N) stops
# everything in order: osprey-ml, the agent (its spool is drained for up to
# 5 s), the camera, the server. Logs go to DATA/logs/. Exit 0 on a clean stop,
# 1 when a part fails to start or dies while running.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin=${DEMO_BIN_DIR:-$root/build/bin}
port=9470
data=$root/osprey-data
seconds=0
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "usage: deploy/demo-run.sh [--port P] [--data DIR] [--seconds N]" >&2; exit 2 ;;
  esac
done
mkdir -p "$data/logs" "$data/demo"
data=$(cd "$data" && pwd)
logs=$data/logs
stream=demo-camera
endpoint=http://127.0.0.1:$port
# osprey-server refuses OSPREY_* variables it does not know: the demo passes
# everything as flags and clears the environment of them.
for v in $(env | sed -n 's/^\(OSPREY_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done

for b in osprey-server osprey-agent osprey-ml osprey-test-rtsp-camera; do
  [ -x "$bin/$b" ] || { echo "demo: $bin/$b is missing: run deploy/demo.sh" >&2; exit 1; }
done

pids=()
names=()
# Each part runs in its own session, so a Ctrl-C in the terminal reaches only
# this script, which then stops the parts in order (the agent gets to drain
# its spool while the server still runs).
start() {  # start NAME CMD...: runs CMD in the background, logging to DATA/logs/NAME.log
  local name=$1; shift
  setsid "$@" >"$logs/$name.log" 2>&1 </dev/null &
  pids+=($!)
  names+=("$name")
}
stop_all() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    # The agent drains its spool for up to 5 s; the others stop at once.
    for _ in $(seq 100); do kill -0 "${pids[$i]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
}
fail() {
  echo "demo: $1 (log: $logs/$2.log)" >&2
  tail -5 "$logs/$2.log" >&2 || true
  stop_all
  exit 1
}
trap 'echo; echo "demo: stopping"; stop_all; echo "demo: stopped"; exit 0' INT TERM

# 1. The server.
start server "$bin/osprey-server" --listen "0.0.0.0:$port" --data-dir "$data"
for _ in $(seq 100); do
  curl -fsS "$endpoint/healthz" >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || fail "osprey-server did not start" server
  sleep 0.1
done
curl -fsS "$endpoint/healthz" >/dev/null 2>&1 || fail "osprey-server is not answering" server
key() { sed -n "s/^$1 *= *\"\(.*\)\"/\1/p" "$data/credentials.toml" | head -1; }
export AWS_ACCESS_KEY_ID=$(key access_key_id)
export AWS_SECRET_ACCESS_KEY=$(key secret_access_key)
export AWS_DEFAULT_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_PROFILE

# 2. The camera: the street clip re-encoded once to H.264 with a keyframe
# every second (it is MPEG-4 part 2), or the test pattern.
clip=/usr/share/doc/opencv-doc/examples/data/vtest.avi
camera=(--width 1280 --height 720 --fps 15 --bitrate-kbps 2000 --gop 15)
if [ -f "$clip" ]; then
  if [ ! -s "$data/demo/street.mkv" ]; then
    ffmpeg -v error -y -i "$clip" -an -c:v libx264 -preset veryfast -g 10 -bf 0 \
      -pix_fmt yuv420p "$data/demo/street.tmp.mkv" && mv "$data/demo/street.tmp.mkv" "$data/demo/street.mkv"
  fi
  camera=(--file "$data/demo/street.mkv")
fi
start camera "$bin/osprey-test-rtsp-camera" --port 0 --path /street "${camera[@]}"
rtsp=""
for _ in $(seq 100); do
  rtsp=$(grep -o -m1 'rtsp://[^ ]*' "$logs/camera.log" || true)
  [ -n "$rtsp" ] && break
  kill -0 "${pids[1]}" 2>/dev/null || fail "the test camera did not start" camera
  sleep 0.1
done
[ -n "$rtsp" ] || fail "the test camera printed no URL" camera

# 3. The Firehose delivery stream for the events, flushed every 10 s so the
# demo shows files soon (osprey-ml would create it with AWS's 60 s default).
# The SDK models refuse intervals under 60 s; curl signs the call itself.
curl -sS --aws-sigv4 "aws:amz:us-east-1:firehose" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  -H 'Content-Type: application/x-amz-json-1.1' \
  -H 'X-Amz-Target: Firehose_20150804.CreateDeliveryStream' \
  -d '{"DeliveryStreamName":"osprey-events","DeliveryStreamType":"DirectPut",
       "ExtendedS3DestinationConfiguration":{"BucketARN":"arn:aws:s3:::osprey-events",
       "RoleARN":"arn:aws:iam::000000000000:role/demo","Prefix":"events/",
       "BufferingHints":{"IntervalInSeconds":10,"SizeInMBs":1}}}' \
  "$endpoint/" >"$logs/create-delivery-stream.log" 2>&1 || true

# 4. The agent: RTSP pass-through, 1 s fragments, creates demo-camera.
start agent "$bin/osprey-agent" --endpoint "$endpoint" --stream "$stream" --source "$rtsp" \
  --spool-dir "$data/agent-spool" --fragment-ms 1000
# 5. osprey-ml: people, tracks, an intrusion zone on the lawn (armed: rules
# are armed unless `osprey-ml arm --disarm` says otherwise).
start ml "$bin/osprey-ml" --endpoint "$endpoint" --stream "$stream" --detectors person \
  --sample-fps 5 --state-dir "$data/ml-state" --snapshot-dir "$data/s3/osprey-events" \
  --zone "lawn=0,0.72;0.6,0.72;0.6,1;0,1" --intrusion lawn --stats-seconds 30

password=$(cat "$data/console-password" 2>/dev/null || true)
cat <<MSG

Osprey demo is running.
  Web console:  $endpoint/console#signin=$password&camera=$stream
                (the link signs you in; the password is in $data/console-password)
  Camera:       $rtsp  ->  video stream "$stream"
  Events:       data stream "osprey-events", files in $data/s3/osprey-events/events/
  Logs:         $logs/

With the AWS CLI (Debian's awscli v2 is /usr/bin/aws):
  export AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
  export AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
  export AWS_DEFAULT_REGION=us-east-1
  aws --endpoint-url $endpoint kinesisvideo describe-stream --stream-name $stream
  aws --endpoint-url $endpoint kinesis describe-stream-summary --stream-name osprey-events
  $bin/osprey --endpoint $endpoint records tail --stream osprey-events

Stop with Ctrl-C.
MSG

started=$(date +%s)
while :; do
  sleep 1
  for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || fail "${names[$i]} exited" "${names[$i]}"
  done
  if [ "$seconds" -gt 0 ] && [ $(( $(date +%s) - started )) -ge "$seconds" ]; then
    echo "demo: $seconds s are up; stopping"
    stop_all
    echo "demo: stopped"
    exit 0
  fi
done
