// Firehose RecordIds (PutRecord/PutRecordBatch answers).
//
// Format (Osprey; opaque to clients, spec only asks 32+ characters, unique):
//   {16 lowercase hex: the stream's incarnation}{20 decimal digits: log index}
// e.g. "9f86d081884c7d650000000000000000000042" (36 characters). The
// incarnation is a random 64-bit value drawn when the delivery stream is
// created, so a stream deleted and re-created with the same name never hands
// out an id twice; the index is the record's position in the stream's
// durable log (1, 2, ...), which is also its delivery order.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace osprey::firehose {

struct RecordIdParts {
  std::string incarnation;  // 16 hex digits
  uint64_t index = 0;
};

std::string EncodeRecordId(std::string_view incarnation, uint64_t index);
std::optional<RecordIdParts> DecodeRecordId(std::string_view id);

}  // namespace osprey::firehose
