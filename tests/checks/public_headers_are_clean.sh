#!/usr/bin/env bash
# STYLE.md 4.8: no third-party header in any public include/osprey/ header, so
# heavy dependencies stay inside the one module that needs them. Prints each
# offending line and fails if there is one.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
pattern='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](boost|gst|glib|libav|libsw|opencv2|openssl|toml\+\+|simdjson|rapidjson|nlohmann|libwebsockets|sqlite3|gtest|gmock|benchmark|curl|zlib|snappy)'
found=$(grep -rnE "$pattern" "$root"/*/include/osprey 2>/dev/null || true)
if [ -n "$found" ]; then
  echo "third-party includes in public headers:"
  echo "$found"
  exit 1
fi
count=$(find "$root"/*/include/osprey -name '*.h' | wc -l)
echo "public headers checked: $count, third-party includes: 0"
