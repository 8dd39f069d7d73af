#!/usr/bin/env bash
# Installs what is needed, builds, and runs the full demo (deploy/demo-run.sh):
# osprey-server with its data in ./osprey-data, a test camera over RTSP
# serving a street clip, osprey-agent recording it, osprey-ml detecting
# people with an armed zone, events to a data stream and a Firehose folder.
# Prints the web console's sign-in link; Ctrl-C stops everything.
#
#   ./deploy/demo.sh [--port 9470] [--data ./osprey-data] [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" \
  --target osprey-server osprey-agent osprey-ml osprey osprey-test-rtsp-camera
exec bash deploy/demo-run.sh "$@"
