// libFuzzer target for MkvParser. The first input byte picks parser options
// (small limits reach the limit paths; bit 0 allows several Segments) and
// the second and third a split point; the rest is the stream. It is parsed
// whole, in two pieces at the split point, and one byte at a time; all three
// must give the same events and the same Status. ASan/UBSan catch the rest.
//
//   cmake -S . -B build-frag-fuzz -G Ninja -DOSPREY_FUZZ=ON -DOSPREY_BUILD_TESTS=OFF \
//     -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
//   cmake --build build-frag-fuzz --target fuzz_mkv_parser
//   cp -r fragments/fuzz/corpus/mkv_parser /tmp/mkv-corpus
//   build-frag-fuzz/fuzz/fuzz_mkv_parser -max_total_time=30 /tmp/mkv-corpus
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "event_recorder.h"

namespace {

using osprey::fragments::ParserOptions;
using osprey::fragments::testing::ParseInChunks;
using osprey::fragments::testing::ParseOutcome;
using osprey::fragments::testing::ParseSplit;

void Compare(const ParseOutcome& a, const ParseOutcome& b, const char* how) {
  if (a.recorder.events == b.recorder.events && a.status == b.status &&
      a.recorder.frames == b.recorder.frames) {
    return;
  }
  std::fprintf(stderr, "%s differs from whole: status %s vs %s, %zu vs %zu events\n", how,
               b.status.ToString().c_str(), a.status.ToString().c_str(), b.recorder.events.size(),
               a.recorder.events.size());
  const size_t n = std::min(a.recorder.events.size(), b.recorder.events.size());
  for (size_t i = 0; i < n; ++i) {
    if (a.recorder.events[i] != b.recorder.events[i]) {
      std::fprintf(stderr, "event %zu: %s | %s\n", i, a.recorder.events[i].c_str(),
                   b.recorder.events[i].c_str());
      break;
    }
  }
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const ParserOptions options = osprey::fragments::testing::OptionsFromModeByte(data[0]);
  const size_t split_hint = (size_t{data[1]} << 8) | data[2];
  const std::string_view stream(reinterpret_cast<const char*>(data + 3), size - 3);

  const ParseOutcome whole = ParseInChunks(stream, 0, options);
  if (!whole.status.ok() && whole.status.message().empty()) {
    std::fprintf(stderr, "error without a message\n");
    std::abort();
  }
  Compare(whole, ParseSplit(stream, stream.empty() ? 0 : split_hint % (stream.size() + 1), options),
          "two pieces");
  Compare(whole, ParseInChunks(stream, 1, options), "byte by byte");
  return 0;
}
