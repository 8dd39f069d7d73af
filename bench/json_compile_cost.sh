#!/usr/bin/env bash
# json_compile_cost.sh: what including each JSON library costs one
# translation unit, in the project's Release (-O3) and Debug (-O0 -g) flags.
# It matters on a 2-core CI: every handler TU pays it.
#
# Each TU parses a PutRecord body and reads StreamName (or, for the writers,
# writes a small object), so the templates a handler needs are instantiated.
# Times are the minimum of RUNS compiles (g++ called directly, no ccache).
#
# Usage: bench/json_compile_cost.sh [RUNS]   (default 3)
# Output: a table on stdout and bench/results/json_compile_cost.json.
set -euo pipefail

RUNS=${1:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CXX=${CXX:-g++}
OUT_JSON="$ROOT/bench/results/json_compile_cost.json"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cat >"$WORK/baseline.cc" <<'EOF'
#include <string>
#include <string_view>
std::string Handle(std::string_view body) { return std::string(body.substr(0, 10)); }
EOF
cat >"$WORK/osprey_writer.cc" <<'EOF'
#include <string>
#include "osprey/base/json_writer.h"
std::string Handle(std::string_view id) {
  std::string out;
  osprey::JsonWriter w(&out);
  w.BeginObject().Key("ShardId").String(id).Key("Ts").Double(1.5).EndObject();
  return out;
}
EOF
cat >"$WORK/simdjson_ondemand.cc" <<'EOF'
#include <string>
#include <simdjson.h>
std::string Handle(const simdjson::padded_string& body) {
  static thread_local simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::string_view name;
  if (parser.iterate(body).get(doc) || doc["StreamName"].get_string().get(name)) return {};
  return std::string(name);
}
EOF
cat >"$WORK/simdjson_dom.cc" <<'EOF'
#include <string>
#include <simdjson.h>
std::string Handle(const simdjson::padded_string& body) {
  static thread_local simdjson::dom::parser parser;
  std::string_view name;
  if (parser.parse(body)["StreamName"].get_string().get(name)) return {};
  return std::string(name);
}
EOF
cat >"$WORK/rapidjson.cc" <<'EOF'
#include <string>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
std::string Handle(const std::string& body) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) return {};
  auto it = d.FindMember("StreamName");
  if (it == d.MemberEnd() || !it->value.IsString()) return {};
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject(); w.Key("StreamName"); w.String(it->value.GetString()); w.EndObject();
  return sb.GetString();
}
EOF
cat >"$WORK/nlohmann.cc" <<'EOF'
#include <string>
#include <nlohmann/json.hpp>
std::string Handle(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.contains("StreamName")) return {};
  nlohmann::json out = {{"StreamName", j["StreamName"]}};
  return out.dump();
}
EOF

TUS="baseline osprey_writer simdjson_ondemand simdjson_dom rapidjson nlohmann"
declare -A FLAGS=([release]="-O3 -DNDEBUG" [debug]="-O0 -g")

# min_time TU MODE: prints the minimum wall seconds over RUNS compiles.
min_time() {
  local tu=$1 mode=$2 best="" t
  for _ in $(seq "$RUNS"); do
    # shellcheck disable=SC2086  # the flags are several words on purpose
    /usr/bin/time -o "$WORK/time" -f %e "$CXX" -std=c++20 ${FLAGS[$mode]} \
      -I"$ROOT/base/include" -c "$WORK/$tu.cc" -o "$WORK/$tu.$mode.o"
    t=$(tail -n1 "$WORK/time")
    if [[ -z "$best" ]] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
  done
  echo "$best"
}

printf 'Machine: %s CPUs, %s, load average %s at start\n' "$(nproc)" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
  "$(cut -d' ' -f1 /proc/loadavg)"
printf '\n| %-17s | %12s | %12s | %16s | %12s |\n' "TU includes" "release (s)" "debug (s)" "preprocessed lines" "release .o (KiB)"
printf '|%s|%s|%s|%s|%s|\n' "-------------------" "--------------" "--------------" "--------------------" "------------------"
json_rows=""
for tu in $TUS; do
  rel=$(min_time "$tu" release)
  dbg=$(min_time "$tu" debug)
  lines=$("$CXX" -std=c++20 -I"$ROOT/base/include" -E "$WORK/$tu.cc" | wc -l)
  obj_kib=$(( $(stat -c %s "$WORK/$tu.release.o") / 1024 ))
  printf '| %-17s | %12s | %12s | %18s | %16s |\n' "$tu" "$rel" "$dbg" "$lines" "$obj_kib"
  json_rows+="${json_rows:+,}
    {\"tu\": \"$tu\", \"release_seconds\": $rel, \"debug_seconds\": $dbg, \"preprocessed_lines\": $lines, \"release_object_kib\": $obj_kib}"
done
echo
echo "Note: minimum of $RUNS compiles each; other builds may share the CPUs (see load average)."

mkdir -p "$(dirname "$OUT_JSON")"
cat >"$OUT_JSON" <<EOF
{
  "benchmark": "json_compile_cost",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "command": "bench/json_compile_cost.sh $RUNS",
  "machine": {"nproc": $(nproc), "cpu_model": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')", "ram_kib": $(awk '/MemTotal/{print $2}' /proc/meminfo), "load_average_1m_at_start": $(cut -d' ' -f1 /proc/loadavg)},
  "compiler": "$("$CXX" --version | head -n1)",
  "results": [$json_rows
  ]
}
EOF
echo "Results written to $OUT_JSON"
