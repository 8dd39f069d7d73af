#!/usr/bin/env bash
# Installs every Debian package Osprey needs to build, run and test.
# Idempotent: packages already present are skipped by apt, and a second run
# is a no-op apart from `apt-get update` (which is skipped when the package
# lists are fresh, to keep repeated test runs quick).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang libclang-rt-14-dev
  # server core
  libboost-dev libboost-system-dev libssl-dev libsimdjson-dev libtomlplusplus-dev
  rapidjson-dev nlohmann-json3-dev libnghttp2-dev
  # storage
  libsqlite3-dev sqlite3 zlib1g-dev libminizip-dev libsnappy-dev
  # GZIP objects of Firehose delivery (firehose/src/compression.cc)
  libdeflate-dev
  # XXH3-64, the content hash of stored video fragments (fragments/FORMAT.md)
  libxxhash-dev
  # media
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev ffmpeg mkvtoolnix
  libopencv-dev opencv-data opencv-doc libwebsockets-dev
  # RTSP camera stand-in for the agent tests and bench (tests/tools/)
  libgstrtspserver-1.0-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  awscli python3 python3-boto3 python3-pytest curl wrk nginx-light procps nghttp2-client
  faketime
  # the openssl command: a second, untrusted CA in test_tls.py
  openssl
  # systemd-analyze verify/security for the units in deploy/systemd (test_deploy.py)
  systemd
  # the web console's real-browser test (tests/integration/test_console.py)
  chromium
)

# Test peers and clients from npm, installed under /opt/osprey/node (not on
# PATH): s3rver, the S3-compatible server firehose_s3_store_test delivers
# to; @aws-sdk/client-kinesis, the JavaScript SDK the Kinesis integration
# test drives; kinesalite, the peer of the data-stream benchmark; hls.js,
# the player the web console embeds at build (server/src/console); and
# playwright-core, which drives Debian's chromium in test_console.py. npm comes
# from Debian (below) unless the machine already has one.
NODE_PREFIX=/opt/osprey/node
NODE_TOOLS=(s3rver@3.7.1 @aws-sdk/client-kinesis@3.1143.0 kinesalite@3.3.3
            hls.js@1.7.4 playwright-core@1.65.1)
install_node_tools() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: npm not found; skipping ${NODE_TOOLS[*]} (firehose_s3_store_test will skip)"
    return 0
  fi
  local tool name missing_tools=()
  for tool in "${NODE_TOOLS[@]}"; do
    name=${tool%@*}
    [ -f "$NODE_PREFIX/node_modules/$name/package.json" ] || missing_tools+=("$tool")
  done
  [ ${#missing_tools[@]} -eq 0 ] && return 0
  echo "install-deps: installing ${missing_tools[*]} under $NODE_PREFIX"
  $SUDO mkdir -p "$NODE_PREFIX"
  $SUDO npm install --prefix "$NODE_PREFIX" --no-audit --no-fund --silent "${NODE_TOOLS[@]}"
}

# Node.js and npm for the npm tools below and the console's browser tests.
# A machine that already has npm (nodesource's nodejs bundles it) keeps it:
# Debian's npm package would conflict with that nodejs.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(nodejs npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  install_node_tools
  exit 0
fi

echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
# Refresh the package lists unless they are less than 6 hours old (a fresh
# machine has none, so it always refreshes).
lists_age=999999
if ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
  newest=$(stat -c %Y /var/lib/apt/lists/*_Packages | sort -n | tail -1)
  lists_age=$(( $(date +%s) - newest ))
fi
if [ "$lists_age" -gt 21600 ]; then
  $SUDO apt-get update -qq
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  # Lists a few hours old can name versions the mirror no longer has.
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
install_node_tools
echo "install-deps: done"
