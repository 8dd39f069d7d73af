#include "osprey/firehose/record_id.h"

#include <cstdio>

namespace osprey::firehose {

std::string EncodeRecordId(std::string_view incarnation, uint64_t index) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(index));
  std::string out(incarnation);
  out += digits;
  return out;
}

std::optional<RecordIdParts> DecodeRecordId(std::string_view id) {
  if (id.size() != 36) return std::nullopt;
  RecordIdParts parts;
  for (size_t i = 0; i < 16; ++i) {
    char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  parts.incarnation = std::string(id.substr(0, 16));
  uint64_t index = 0;
  for (size_t i = 16; i < 36; ++i) {
    char c = id[i];
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t next = index * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != index) return std::nullopt;  // overflow
    index = next;
  }
  parts.index = index;
  return parts;
}

}  // namespace osprey::firehose
