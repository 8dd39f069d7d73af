// Byte layout of one spool record and of the ack marker (agent/FORMAT.md).
// Pure functions; callable from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "osprey/base/result.h"

namespace osprey::agent::spool {

inline constexpr uint32_t kRecordMagic = 0x4650534f;  // "OSPF" little-endian
inline constexpr size_t kRecordHeaderSize = 12;        // magic, length, crc
inline constexpr size_t kPayloadFixedSize = 20;        // seq, ts, header length
inline constexpr uint32_t kMaxPayload = 256u << 20;    // sanity bound on length
inline constexpr size_t kMarkerSize = 20;              // seq, ts, crc

struct RecordView {
  uint64_t seq = 0;
  int64_t producer_timestamp_ms = 0;
  std::string_view stream_header;
  std::string_view cluster;
};

// Appends the framed record to `out`.
void EncodeRecord(uint64_t seq, int64_t producer_timestamp_ms, std::string_view stream_header,
                  std::string_view cluster, std::string* out);

// Reads the 12-byte record header: fills the payload length. Corruption on a
// bad magic or an implausible length.
Status DecodeRecordHeader(std::string_view header, uint32_t* payload_length);

// Checks the CRC of `payload` (exactly payload_length bytes after the header
// `header`) and splits it. Views point into `payload`.
Result<RecordView> DecodeRecordPayload(std::string_view header, std::string_view payload);

std::string EncodeMarker(uint64_t acked_seq, int64_t producer_timestamp_ms);
// Corruption when the size or CRC is wrong.
Status DecodeMarker(std::string_view bytes, uint64_t* acked_seq, int64_t* producer_timestamp_ms);

}  // namespace osprey::agent::spool
