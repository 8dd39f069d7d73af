// Kinesis SequenceNumber strings <-> their fields (spec data-streams-api.md
// 4.4): kinesalite's "version 2" layout, 47 hex digits printed in decimal.
//
//   hex digits  field
//   1           `2`
//   9           shard creation time, epoch seconds
//   1           shard index, low nibble
//   16          per-shard sequence index (63-bit)
//   2           reserved `00`
//   9           record arrival time, epoch seconds
//   8           shard index (32-bit)
//   1           `2` (layout version)
//
// Pure functions, no allocation beyond the returned string. The API layer
// turns InvalidArgument into the exact wire messages of the spec.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "osprey/base/result.h"

namespace osprey::streams {

struct SequenceNumberParts {
  int64_t shard_create_s = 0;  // < 16025175000 (9 hex digits, kinesalite's bound)
  uint64_t seq_index = 0;      // <= 0x7fffffffffffffff
  int64_t record_time_s = 0;   // 9 hex digits
  uint32_t shard_index = 0;
  friend bool operator==(const SequenceNumberParts&, const SequenceNumberParts&) = default;
};

// Largest per-shard index; a closed shard's EndingSequenceNumber uses it.
inline constexpr uint64_t kMaxSeqIndex = 0x7fffffffffffffffull;

// Decimal text of the parts. Fields out of range are a programming error
// and abort.
std::string EncodeSequenceNumber(const SequenceNumberParts& parts);

// Parses a client-supplied number. InvalidArgument when it is not a decimal
// integer without leading zeros, is below 2^124 (legacy layout), does not
// fit 47 hex digits, has a version other than 2, a seq nibble > 7, or a
// creation time >= 16025175000.
Result<SequenceNumberParts> DecodeSequenceNumber(std::string_view decimal);

}  // namespace osprey::streams
