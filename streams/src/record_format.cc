#include "record_format.h"

#include <cstring>

#include "osprey/base/crc32c.h"

namespace osprey::streams::format {
namespace {

// Little-endian on disk whatever the host, so files move between machines.
void PutU16(std::string* out, uint16_t v) {
  char b[2] = {static_cast<char>(v), static_cast<char>(v >> 8)};
  out->append(b, 2);
}
void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetLE(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
void SetU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

}  // namespace

void AppendSegmentHeader(uint64_t base_index, std::string* out) {
  out->append(kSegmentMagic);
  PutU64(out, base_index);
}

bool ParseSegmentHeader(std::string_view header, uint64_t* base_index) {
  if (header.size() < kSegmentHeaderSize || header.substr(0, 8) != kSegmentMagic) return false;
  *base_index = GetLE(header.data() + 8, 8);
  return true;
}

size_t EncodedSize(const RecordInput& in) {
  return kFrameHeaderSize + kBodyFixedSize + in.partition_key.size() +
         (in.explicit_hash_key ? in.explicit_hash_key->size() : 0) + in.data.size();
}

void EncodeRecord(uint64_t index, int64_t arrival_ms, const RecordInput& in, std::string* out) {
  const size_t start = out->size();
  const size_t body = EncodedSize(in) - kFrameHeaderSize;
  PutU32(out, 0);  // crc, filled below
  PutU32(out, static_cast<uint32_t>(body));
  PutU64(out, index);
  PutU64(out, static_cast<uint64_t>(arrival_ms));
  out->push_back(static_cast<char>((in.explicit_hash_key ? kFlagHasHashKey : 0) |
                                   (in.encrypted ? kFlagEncrypted : 0)));
  PutU16(out, static_cast<uint16_t>(in.partition_key.size()));
  out->push_back(static_cast<char>(in.explicit_hash_key ? in.explicit_hash_key->size() : 0));
  PutU32(out, static_cast<uint32_t>(in.data.size()));
  out->append(in.partition_key);
  if (in.explicit_hash_key) out->append(*in.explicit_hash_key);
  out->append(in.data);
  // The CRC covers the length field too, so a damaged length is caught.
  uint32_t crc = crc32c::Extend(0, out->data() + start + 4, body + 4);
  SetU32(out->data() + start, crc32c::Mask(crc));
}

Record RecordView::ToRecord() const {
  Record r;
  r.sequence_index = index;
  r.arrival_ms = arrival_ms;
  r.partition_key.assign(partition_key);
  if (has_hash_key) r.explicit_hash_key.emplace(hash_key);
  r.data.assign(data);
  r.encrypted = encrypted;
  return r;
}

Decode DecodeRecord(std::string_view buf, uint32_t max_record_bytes, RecordView* out,
                    size_t* frame_size, std::string* why) {
  if (buf.size() < kFrameHeaderSize) return Decode::kTruncated;
  const uint32_t stored = static_cast<uint32_t>(GetLE(buf.data(), 4));
  const uint32_t body = static_cast<uint32_t>(GetLE(buf.data() + 4, 4));
  if (body < kBodyFixedSize || body > max_record_bytes) {
    *why = "bad record length " + std::to_string(body);
    return Decode::kCorrupt;
  }
  if (buf.size() < kFrameHeaderSize + body) return Decode::kTruncated;
  const char* p = buf.data() + 4;
  if (crc32c::Unmask(stored) != crc32c::Extend(0, p, body + 4)) {
    *why = "checksum mismatch";
    return Decode::kCorrupt;
  }
  const char* b = buf.data() + kFrameHeaderSize;
  out->index = GetLE(b, 8);
  out->arrival_ms = static_cast<int64_t>(GetLE(b + 8, 8));
  const uint8_t flags = static_cast<uint8_t>(b[16]);
  const size_t key_len = GetLE(b + 17, 2);
  const size_t hash_len = GetLE(b + 19, 1);
  const size_t data_len = GetLE(b + 20, 4);
  // A matching CRC over wrong inner lengths means a writer bug, not disk rot;
  // still refuse it rather than read out of bounds.
  if ((flags & ~kKnownFlags) != 0 || kBodyFixedSize + key_len + hash_len + data_len != body ||
      (!(flags & kFlagHasHashKey) && hash_len != 0)) {
    *why = "inconsistent record fields";
    return Decode::kCorrupt;
  }
  const char* v = b + kBodyFixedSize;
  out->partition_key = std::string_view(v, key_len);
  out->has_hash_key = (flags & kFlagHasHashKey) != 0;
  out->hash_key = std::string_view(v + key_len, hash_len);
  out->data = std::string_view(v + key_len + hash_len, data_len);
  out->encrypted = (flags & kFlagEncrypted) != 0;
  *frame_size = kFrameHeaderSize + body;
  return Decode::kOk;
}

}  // namespace osprey::streams::format
