#include "kinesis/event_stream.h"

#include <zlib.h>

namespace osprey::server::kinesis {

namespace {

constexpr uint32_t kMaxMessage = 16u << 20;
constexpr uint32_t kMaxHeaders = 128u << 10;

uint32_t Crc32(std::string_view bytes, uint32_t crc = 0) {
  return static_cast<uint32_t>(
      crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint32_t GetU32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}

}  // namespace

std::string EncodeEventStreamMessage(const EventHeaders& headers, std::string_view payload) {
  std::string h;
  for (const auto& [name, value] : headers) {
    h.push_back(static_cast<char>(name.size()));
    h += name;
    h.push_back(7);  // string
    h.push_back(static_cast<char>(value.size() >> 8));
    h.push_back(static_cast<char>(value.size() & 0xFF));
    h += value;
  }
  std::string out;
  uint32_t total = static_cast<uint32_t>(16 + h.size() + payload.size());
  out.reserve(total);
  PutU32(&out, total);
  PutU32(&out, static_cast<uint32_t>(h.size()));
  PutU32(&out, Crc32(out));
  out += h;
  out.append(payload);
  PutU32(&out, Crc32(out));
  return out;
}

std::string EncodeEvent(std::string_view event_type, std::string_view content_type,
                        std::string_view payload) {
  return EncodeEventStreamMessage({{":message-type", "event"},
                                   {":event-type", std::string(event_type)},
                                   {":content-type", std::string(content_type)}},
                                  payload);
}

std::string EncodeException(std::string_view exception_type, std::string_view content_type,
                            std::string_view payload) {
  return EncodeEventStreamMessage({{":message-type", "exception"},
                                   {":exception-type", std::string(exception_type)},
                                   {":content-type", std::string(content_type)}},
                                  payload);
}

Result<EventStreamMessage> DecodeEventStreamMessage(std::string_view bytes) {
  if (bytes.size() < 12) return Status::Unavailable("need more bytes");
  uint32_t total = GetU32(bytes, 0);
  uint32_t headers_len = GetU32(bytes, 4);
  if (Crc32(bytes.substr(0, 8)) != GetU32(bytes, 8)) return Status::Corruption("prelude CRC mismatch");
  if (total < 16 || total > kMaxMessage || headers_len > kMaxHeaders || headers_len > total - 16) {
    return Status::Corruption("bad message or header length");
  }
  if (bytes.size() < total) return Status::Unavailable("need more bytes");
  if (Crc32(bytes.substr(0, total - 4)) != GetU32(bytes, total - 4)) {
    return Status::Corruption("message CRC mismatch");
  }
  EventStreamMessage m;
  m.encoded_size = total;
  std::string_view h = bytes.substr(12, headers_len);
  size_t i = 0;
  while (i < h.size()) {
    size_t name_len = static_cast<uint8_t>(h[i++]);
    if (i + name_len + 1 > h.size()) return Status::Corruption("truncated header");
    std::string name(h.substr(i, name_len));
    i += name_len;
    uint8_t type = static_cast<uint8_t>(h[i++]);
    size_t value_len = 0;
    switch (type) {
      case 0: case 1: value_len = 0; break;
      case 2: value_len = 1; break;
      case 3: value_len = 2; break;
      case 4: value_len = 4; break;
      case 5: case 8: value_len = 8; break;
      case 9: value_len = 16; break;
      case 6: case 7:
        if (i + 2 > h.size()) return Status::Corruption("truncated header");
        value_len = static_cast<size_t>(static_cast<uint8_t>(h[i]) << 8 | static_cast<uint8_t>(h[i + 1]));
        i += 2;
        break;
      default: return Status::Corruption("unknown header type");
    }
    if (i + value_len > h.size()) return Status::Corruption("truncated header");
    std::string value = type == 0 ? "true" : type == 1 ? "false" : std::string(h.substr(i, value_len));
    i += value_len;
    m.headers.emplace_back(std::move(name), std::move(value));
  }
  m.payload = std::string(bytes.substr(12 + headers_len, total - 16 - headers_len));
  return m;
}

}  // namespace osprey::server::kinesis
