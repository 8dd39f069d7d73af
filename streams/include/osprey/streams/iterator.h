// Shard iterator tokens (spec data-streams-api.md 4.5): what GetShardIterator
// hands out and GetRecords takes back. A token is opaque to clients:
//
//   base64( u8 version=1 | u64 stream id | u32 shard index | u64 position |
//           i64 issued ms | u8 name length | stream name | 16-byte tag )
//
// (integers little-endian; tag = first 16 bytes of HMAC-SHA256 over
// everything before it, with a 32-byte key). At most 232 characters for a
// 128-character name, within the 512 the API allows. The stream id tells a
// token of a deleted-and-recreated stream from a current one.
//
// Thread safety: an IteratorCodec is immutable after construction; Encode
// and Decode may be called from any thread concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "osprey/base/result.h"

namespace osprey::streams {

struct IteratorToken {
  uint64_t stream_id = 0;
  std::string stream_name;
  uint32_t shard_index = 0;
  uint64_t position = 0;  // first sequence index to read
  int64_t issued_ms = 0;
  friend bool operator==(const IteratorToken&, const IteratorToken&) = default;
};

class IteratorCodec {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr int64_t kDefaultTtlMs = 300000;

  // Loads the key from `key_path`, or creates it (random, mode 0600, written
  // atomically) when the file is missing or not kKeyBytes long (iterators
  // live five minutes, so a new key costs clients one re-fetch at most).
  // IOError when the file can be neither read nor written.
  static Result<IteratorCodec> OpenKeyFile(const std::string& key_path);

  // `key` must be kKeyBytes long (asserted).
  explicit IteratorCodec(std::string key);

  std::string Encode(const IteratorToken& token) const;

  // InvalidArgument "Invalid ShardIterator." when the token does not decode,
  // its tag does not match, or it was issued more than a second after
  // `now_ms`; DeadlineExceeded "Iterator expired. The iterator was created
  // at time {..} while right now it is {..} which is further in the future
  // than the tolerated delay of {ttl} milliseconds." when now_ms - issued >
  // ttl_ms.
  Result<IteratorToken> Decode(std::string_view token, int64_t now_ms,
                               int64_t ttl_ms = kDefaultTtlMs) const;

 private:
  std::string key_;
};

}  // namespace osprey::streams
