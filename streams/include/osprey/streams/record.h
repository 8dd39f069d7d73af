// The values that flow through a shard log: what an appender hands in, what
// a reader gets back, and the bounds of a read.
//
// A per-shard "sequence index" is a plain uint64 counter (1, 2, 3, ...); the
// Kinesis decimal SequenceNumber is derived from it by the API layer
// (sequence_number.h), so the log never deals with 56-digit strings.
//
// Thread safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace osprey::streams {

// One record to append. The log assigns its sequence index and arrival time.
struct RecordInput {
  std::string partition_key;                     // 1..256 bytes (checked by the API layer)
  std::optional<std::string> explicit_hash_key;  // decimal text, <= 255 bytes
  std::string data;                              // the blob, may be empty
  // `data` is an encryption envelope (record_crypto.h), not the caller's
  // blob: set by the engine, stored as frame flag bit 1 (FORMAT.md).
  bool encrypted = false;
};

// One stored record, as a reader sees it.
struct Record {
  uint64_t sequence_index = 0;
  int64_t arrival_ms = 0;  // server time when the log accepted it (epoch ms)
  std::string partition_key;
  std::optional<std::string> explicit_hash_key;
  std::string data;
  bool encrypted = false;  // as RecordInput::encrypted

  // Bytes counted against read limits (data + partition key), as Kinesis does.
  size_t PayloadBytes() const { return data.size() + partition_key.size(); }
  friend bool operator==(const Record&, const Record&) = default;
};

// What an acknowledged append reports. The records of one Append got
// consecutive indices first_index..last_index and share one arrival time.
struct AppendResult {
  uint64_t first_index = 0;
  uint64_t last_index = 0;
  int64_t arrival_ms = 0;
};

// Bounds of one read. At least one record is returned when one is available,
// even if it alone exceeds max_bytes (otherwise a big record could never be
// read).
struct ReadLimits {
  size_t max_records = 10000;           // Kinesis GetRecords limit
  size_t max_bytes = 10 * 1024 * 1024;  // payload bytes, see Record::PayloadBytes
};

struct ReadResult {
  std::vector<Record> records;  // consecutive indices, ascending
  // Where the next read should start: last returned index + 1, or, when no
  // record was returned, the (horizon-clamped) starting index.
  uint64_t next_index = 0;
};

}  // namespace osprey::streams
