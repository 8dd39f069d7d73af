// ListFragments NextToken (archived_media.h).
#include <cstring>

#include "osprey/base/base64.h"
#include "osprey/base/crc32c.h"
#include "video/archived_media.h"

namespace osprey::server::video {

namespace {

constexpr uint8_t kVersion = 1;
// version, kind, start, end, after, store id hash, crc
constexpr size_t kTokenBytes = 1 + 1 + 8 + 8 + 8 + 4 + 4;

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

Status Invalid() {
  return Status::InvalidArgument("NextToken is not valid: pass the NextToken of a previous "
                                 "ListFragments response for the same stream unchanged");
}

}  // namespace

std::string EncodeListToken(const ListCursor& cursor, std::string_view store_id) {
  std::string raw;
  raw.push_back(static_cast<char>(kVersion));
  raw.push_back(cursor.kind == fragments::TimestampKind::kServer ? 0 : 1);
  PutU64(&raw, static_cast<uint64_t>(cursor.start_ms));
  PutU64(&raw, static_cast<uint64_t>(cursor.end_ms));
  PutU64(&raw, cursor.after_index);
  PutU32(&raw, crc32c::Value(store_id));
  PutU32(&raw, crc32c::Mask(crc32c::Value(raw)));
  return base64::Encode(raw);
}

Result<ListCursor> DecodeListToken(std::string_view token, std::string_view store_id) {
  if (token.size() > 4096) return Invalid();
  std::optional<std::string> raw = base64::Decode(token);
  if (!raw || raw->size() != kTokenBytes) return Invalid();
  const char* p = raw->data();
  const uint32_t crc = crc32c::Unmask(GetU32(p + kTokenBytes - 4));
  if (crc != crc32c::Value(std::string_view(p, kTokenBytes - 4))) return Invalid();
  if (static_cast<uint8_t>(p[0]) != kVersion || (p[1] != 0 && p[1] != 1)) return Invalid();
  if (GetU32(p + 26) != crc32c::Value(store_id)) {
    return Status::InvalidArgument("NextToken belongs to another stream");
  }
  ListCursor c;
  c.kind = p[1] == 0 ? fragments::TimestampKind::kServer : fragments::TimestampKind::kProducer;
  c.start_ms = static_cast<int64_t>(GetU64(p + 2));
  c.end_ms = static_cast<int64_t>(GetU64(p + 10));
  c.after_index = GetU64(p + 18);
  if (c.start_ms > c.end_ms) return Invalid();
  return c;
}

}  // namespace osprey::server::video
