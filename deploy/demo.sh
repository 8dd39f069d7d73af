#!/usr/bin/env bash
# Installs what is needed, builds, and starts osprey-server on this machine
# with its data in ./osprey-data. Prints the endpoint and the credentials to
# use with the AWS CLI, then serves until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target osprey-server

listen=${OSPREY_LISTEN:-0.0.0.0:9470}
port=${listen##*:}
data=${OSPREY_DATA_DIR:-./osprey-data}
echo
echo "Starting osprey-server on $listen (data in $data). Stop it with Ctrl-C."
build/bin/osprey-server --listen "$listen" --data-dir "$data" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
ak=$(sed -n 's/^access_key_id *= *"\(.*\)"/\1/p' "$data/credentials.toml" | head -1)
sk=$(sed -n 's/^secret_access_key *= *"\(.*\)"/\1/p' "$data/credentials.toml" | head -1)
cat <<MSG

Osprey is running.
  Endpoint:    http://127.0.0.1:$port
  Health:      curl http://127.0.0.1:$port/healthz
  Metrics:     curl http://127.0.0.1:$port/metrics
  Credentials: $data/credentials.toml

Use it with the AWS CLI (Debian's awscli v2 is /usr/bin/aws):
  export AWS_ACCESS_KEY_ID=$ak
  export AWS_SECRET_ACCESS_KEY=$sk
  export AWS_DEFAULT_REGION=us-east-1
  /usr/bin/aws --endpoint-url http://127.0.0.1:$port kinesis list-streams

(Only the server core exists so far: API calls are authenticated and then
answered with UnknownOperationException until the engines land.)
MSG
wait $pid
