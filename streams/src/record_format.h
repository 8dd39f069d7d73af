// Byte layout of segment files (streams/FORMAT.md is the reference): the
// segment header and the framing of one record. Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "osprey/streams/record.h"

namespace osprey::streams::format {

inline constexpr std::string_view kSegmentMagic = "OSPRSLG1";
inline constexpr size_t kSegmentHeaderSize = 16;  // magic + u64 base index
inline constexpr size_t kFrameHeaderSize = 8;     // u32 masked crc + u32 body length
// seq(8) arrival(8) flags(1) key_len(2) hash_key_len(1) data_len(4)
inline constexpr size_t kBodyFixedSize = 24;
inline constexpr uint8_t kFlagHasHashKey = 0x01;
// The data field holds an encryption envelope (FORMAT.md "Encrypted
// records"). Writers before the flag existed refused any other bit, so an
// old reader rejects such a frame as corrupt rather than misreading it.
inline constexpr uint8_t kFlagEncrypted = 0x02;
inline constexpr uint8_t kKnownFlags = kFlagHasHashKey | kFlagEncrypted;

void AppendSegmentHeader(uint64_t base_index, std::string* out);
// False when the header is not ours.
bool ParseSegmentHeader(std::string_view header, uint64_t* base_index);

// Encoded size of a record (frame header included).
size_t EncodedSize(const RecordInput& in);
void EncodeRecord(uint64_t index, int64_t arrival_ms, const RecordInput& in, std::string* out);

// A decoded record pointing into the buffer it was decoded from.
struct RecordView {
  uint64_t index = 0;
  int64_t arrival_ms = 0;
  std::string_view partition_key;
  bool has_hash_key = false;
  std::string_view hash_key;
  std::string_view data;
  bool encrypted = false;

  Record ToRecord() const;
};

enum class Decode {
  kOk,
  kTruncated,  // buffer ends inside the frame: torn write (or buffer too short)
  kCorrupt,    // bad length, checksum or inner lengths
};

// Decodes the frame at the start of `buf`. On kOk fills `out` and
// `*frame_size`; on kCorrupt sets `*why`. A length field above
// max_record_bytes is kCorrupt even if the buffer is short.
Decode DecodeRecord(std::string_view buf, uint32_t max_record_bytes, RecordView* out,
                    size_t* frame_size, std::string* why);

}  // namespace osprey::streams::format
