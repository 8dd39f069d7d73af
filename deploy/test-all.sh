#!/usr/bin/env bash
# Installs what is needed, builds everything and runs every test:
#   1. deploy/install-deps.sh (Debian packages)
#   2. Release build of all modules, binaries and tests (build/)
#   3. libFuzzer targets built with clang (build-fuzz/), each run for a bounded
#      time (OSPREY_TEST_FUZZ_SECONDS, default 60) from its seed corpus
#   4. the same tests built with AddressSanitizer + UBSan (build-asan/), so
#      memory errors in the asynchronous server code fail the run
#      (OSPREY_TEST_SANITIZE=0 skips this step)
#   5. ctest: unit tests, then integration tests against the real binaries
# Under CI=true warnings are errors. .ci/run calls exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash deploy/install-deps.sh

jobs=$(nproc)
start=$(date +%s)
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
echo "test-all: release build took $(( $(date +%s) - start ))s"

fuzz_seconds=${OSPREY_TEST_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$jobs"
  mkdir -p build-fuzz/logs
  for fuzzer in build-fuzz/fuzz/fuzz_*; do
    [ -x "$fuzzer" ] || continue
    name=${fuzzer##*/fuzz_}
    corpus=$(find "$root" -path "$root/build*" -prune -o -type d -path "*/fuzz/corpus/$name" -print | head -1)
    work=$(mktemp -d)
    [ -n "$corpus" ] && cp -r "$corpus"/. "$work"/
    echo "test-all: fuzzing $name for ${fuzz_seconds}s"
    if ! "$fuzzer" -max_total_time="$fuzz_seconds" -print_final_stats=1 "$work" \
         >"build-fuzz/logs/$name.log" 2>&1; then
      tail -50 "build-fuzz/logs/$name.log"
      echo "test-all: fuzzer $name found a failure (log: build-fuzz/logs/$name.log)"
      exit 1
    fi
    grep -E '^stat::number_of_executed_units' "build-fuzz/logs/$name.log" || true
    rm -rf "$work"
  done
fi

if [ "${OSPREY_TEST_SANITIZE:-1}" != 0 ]; then
  start=$(date +%s)
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  echo "test-all: asan build took $(( $(date +%s) - start ))s"
  # halt_on_error: the first report fails the test that caused it. The
  # kill -9 loops (label crash) test durability, which the release pass
  # below covers; under the sanitizers they would only add minutes. The
  # demo (label demo) runs parts that have their own ASan suites.
  ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --preset asan -j "$jobs" -LE "crash|demo"
fi

ctest --preset release -j "$jobs"
