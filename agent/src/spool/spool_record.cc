#include "spool/spool_record.h"

#include <cstring>

#include "osprey/base/crc32c.h"

namespace osprey::agent::spool {
namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// The CRC covers the length field and the payload, so a torn length is
// caught as surely as a torn payload.
uint32_t RecordCrc(const char* length_field, std::string_view payload) {
  uint32_t crc = crc32c::Extend(0, length_field, 4);
  return crc32c::Mask(crc32c::Extend(crc, payload.data(), payload.size()));
}

}  // namespace

void EncodeRecord(uint64_t seq, int64_t producer_timestamp_ms, std::string_view stream_header,
                  std::string_view cluster, std::string* out) {
  std::string payload;
  payload.reserve(kPayloadFixedSize + stream_header.size() + cluster.size());
  PutU64(&payload, seq);
  PutU64(&payload, static_cast<uint64_t>(producer_timestamp_ms));
  PutU32(&payload, static_cast<uint32_t>(stream_header.size()));
  payload.append(stream_header);
  payload.append(cluster);
  size_t start = out->size();
  PutU32(out, kRecordMagic);
  PutU32(out, static_cast<uint32_t>(payload.size()));
  PutU32(out, RecordCrc(out->data() + start + 4, payload));
  out->append(payload);
}

Status DecodeRecordHeader(std::string_view header, uint32_t* payload_length) {
  if (header.size() != kRecordHeaderSize) return Status::Corruption("short record header");
  if (GetU32(header.data()) != kRecordMagic) return Status::Corruption("bad record magic");
  uint32_t length = GetU32(header.data() + 4);
  if (length < kPayloadFixedSize || length > kMaxPayload) {
    return Status::Corruption("implausible record length");
  }
  *payload_length = length;
  return Status::Ok();
}

Result<RecordView> DecodeRecordPayload(std::string_view header, std::string_view payload) {
  if (header.size() != kRecordHeaderSize || payload.size() < kPayloadFixedSize) {
    return Status::Corruption("short record");
  }
  if (RecordCrc(header.data() + 4, payload) != GetU32(header.data() + 8)) {
    return Status::Corruption("record CRC mismatch");
  }
  RecordView view;
  view.seq = GetU64(payload.data());
  view.producer_timestamp_ms = static_cast<int64_t>(GetU64(payload.data() + 8));
  uint32_t header_length = GetU32(payload.data() + 16);
  if (header_length > payload.size() - kPayloadFixedSize) {
    return Status::Corruption("stream header length past the record");
  }
  view.stream_header = payload.substr(kPayloadFixedSize, header_length);
  view.cluster = payload.substr(kPayloadFixedSize + header_length);
  return view;
}

std::string EncodeMarker(uint64_t acked_seq, int64_t producer_timestamp_ms) {
  std::string out;
  PutU64(&out, acked_seq);
  PutU64(&out, static_cast<uint64_t>(producer_timestamp_ms));
  PutU32(&out, crc32c::Mask(crc32c::Value(out)));
  return out;
}

Status DecodeMarker(std::string_view bytes, uint64_t* acked_seq, int64_t* producer_timestamp_ms) {
  if (bytes.size() != kMarkerSize) return Status::Corruption("ack marker has the wrong size");
  if (crc32c::Mask(crc32c::Value(bytes.substr(0, 16))) != GetU32(bytes.data() + 16)) {
    return Status::Corruption("ack marker CRC mismatch");
  }
  *acked_seq = GetU64(bytes.data());
  *producer_timestamp_ms = static_cast<int64_t>(GetU64(bytes.data() + 8));
  return Status::Ok();
}

}  // namespace osprey::agent::spool
