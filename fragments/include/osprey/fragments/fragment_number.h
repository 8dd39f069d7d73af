// The 47-digit decimal FragmentNumber of the KVS API (video-api.md section 2)
// and its mapping to (stream creation time, per-stream fragment index).
//
// Layout, all fixed width so numeric and string order agree:
//   "9" + creation time of the stream in epoch ms (13 digits)
//       + fragment index (33 digits, zero padded)
// Within one stream the numbers increase with the index, in ingest order.
// A number names its stream's incarnation: one from a deleted stream, or
// from another stream, is recognised as not belonging here (NotFound rather
// than another stream's data).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "osprey/base/result.h"

namespace osprey::fragments {

inline constexpr size_t kFragmentNumberDigits = 47;

std::string FormatFragmentNumber(int64_t stream_creation_ms, uint64_t index);

struct ParsedFragmentNumber {
  int64_t stream_creation_ms = 0;
  uint64_t index = 0;
};

// InvalidArgument unless `text` is 47 digits in the layout above.
Result<ParsedFragmentNumber> ParseFragmentNumber(std::string_view text);

}  // namespace osprey::fragments
