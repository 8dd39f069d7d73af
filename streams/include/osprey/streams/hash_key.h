// Kinesis hash keys: 128-bit unsigned integers that route records to shards
// (spec data-streams-api.md 4.2, 4.3).
//
// A record's hash key is the MD5 of its partition key read as a big-endian
// 128-bit integer, or the ExplicitHashKey the producer gave. Each open shard
// owns an inclusive range [start, end] of keys; the open shards of a stream
// partition 0 .. 2^128-1 exactly.
//
// Thread safety: pure functions and plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace osprey::streams {

// GCC and Clang both provide it; __extension__ keeps -Wpedantic quiet.
__extension__ typedef unsigned __int128 HashKey;

inline constexpr HashKey kMaxHashKey = ~HashKey{0};  // 2^128 - 1

// Parses a decimal hash key: one or more ASCII digits (leading zeros
// allowed: the wire pattern is checked by the API layer), value at most
// 2^128 - 1. nullopt when empty, not all digits, or too large.
std::optional<HashKey> ParseHashKey(std::string_view decimal);

// Decimal text without leading zeros ("0" for zero).
std::string FormatHashKey(HashKey key);

// MD5 of the key's bytes (UTF-8 as the client sent them), big-endian.
// "a" -> 16955237001963240173058271559858726497.
HashKey HashPartitionKey(std::string_view partition_key);

struct HashKeyRange {
  HashKey start = 0;  // inclusive
  HashKey end = 0;    // inclusive
  bool Contains(HashKey k) const { return k >= start && k <= end; }
  friend bool operator==(const HashKeyRange&, const HashKeyRange&) = default;
};

// The ranges of n >= 1 new shards, as AWS assigns them (spec 4.3):
// step = floor(2^128 / n); shard i gets [i*step, (i+1)*step - 1] and the last
// one ends at 2^128 - 1.
std::vector<HashKeyRange> EvenSplit(uint32_t n);

}  // namespace osprey::streams
