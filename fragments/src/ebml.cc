#include "ebml.h"

#include <bit>
#include <cstdio>
#include <cstring>

#include "osprey/fragments/mkv_types.h"

namespace osprey::fragments::ebml {

int VintLength(uint8_t first) {
  return first == 0 ? 0 : std::countl_zero(first) + 1;
}

Decode DecodeHeader(Bytes data, ElementHeader* out, std::string* error) {
  if (data.empty()) return Decode::kNeedMore;
  const int id_len = VintLength(data[0]);
  if (id_len == 0 || id_len > 4) {
    *error = "invalid element ID (first byte 0x" + [&] {
      char b[3];
      std::snprintf(b, sizeof b, "%02X", data[0]);
      return std::string(b);
    }() + ")";
    return Decode::kInvalid;
  }
  if (data.size() < static_cast<size_t>(id_len)) return Decode::kNeedMore;
  uint32_t id = 0;
  for (int i = 0; i < id_len; ++i) id = (id << 8) | data[i];
  // The value bits of an ID may be neither all zeros nor all ones (reserved).
  const uint32_t value_mask = (id_len == 4 ? 0xFFFFFFFFu : ((1u << (8 * id_len)) - 1)) >> id_len;
  const uint32_t value = id & value_mask;
  if (value == 0 || value == value_mask) {
    char b[64];
    std::snprintf(b, sizeof b, "reserved element ID 0x%X", id);
    *error = b;
    return Decode::kInvalid;
  }
  if (data.size() < static_cast<size_t>(id_len) + 1) return Decode::kNeedMore;
  const uint8_t first = data[id_len];
  const int size_len = VintLength(first);
  if (size_len == 0) {
    *error = "invalid element size (first byte 0x00)";
    return Decode::kInvalid;
  }
  if (data.size() < static_cast<size_t>(id_len + size_len)) return Decode::kNeedMore;
  uint64_t size = first & (0xFFu >> size_len);
  bool all_ones = size == (0xFFu >> size_len);
  for (int i = 1; i < size_len; ++i) {
    const uint8_t b = data[id_len + i];
    all_ones = all_ones && b == 0xFF;
    size = (size << 8) | b;
  }
  out->id = id;
  out->size = all_ones ? kUnknownSize : size;
  out->header_length = id_len + size_len;
  return Decode::kOk;
}

std::string ElementName(uint32_t element) {
  switch (element) {
    case id::kEbml: return "EBML";
    case id::kDocType: return "DocType";
    case id::kVoid: return "Void";
    case id::kCrc32: return "CRC-32";
    case id::kSegment: return "Segment";
    case id::kSeekHead: return "SeekHead";
    case id::kInfo: return "Info";
    case id::kTracks: return "Tracks";
    case id::kCluster: return "Cluster";
    case id::kCues: return "Cues";
    case id::kAttachments: return "Attachments";
    case id::kChapters: return "Chapters";
    case id::kTags: return "Tags";
    case id::kTimecodeScale: return "TimecodeScale";
    case id::kTrackEntry: return "TrackEntry";
    case id::kTrackNumber: return "TrackNumber";
    case id::kCodecPrivate: return "CodecPrivate";
    case id::kVideo: return "Video";
    case id::kAudio: return "Audio";
    case id::kSamplingFrequency: return "SamplingFrequency";
    case id::kTimecode: return "Timecode";
    case id::kSimpleBlock: return "SimpleBlock";
    case id::kBlockGroup: return "BlockGroup";
    case id::kBlock: return "Block";
    case id::kTag: return "Tag";
    case id::kSimpleTag: return "SimpleTag";
    default: {
      char b[16];
      std::snprintf(b, sizeof b, "0x%X", element);
      return b;
    }
  }
}

Status Corrupt(uint32_t element, uint64_t offset, std::string_view what) {
  std::string m = ElementName(element) + " at offset " + std::to_string(offset) + ": ";
  m.append(what);
  return Status::Corruption(m);
}

Result<uint64_t> ReadUint(Bytes body) {
  if (body.size() > 8) return Status::Corruption("unsigned integer longer than 8 bytes");
  uint64_t v = 0;
  for (uint8_t b : body) v = (v << 8) | b;
  return v;
}

Result<double> ReadFloat(Bytes body) {
  if (body.empty()) return 0.0;
  if (body.size() == 4) {
    uint32_t bits = 0;
    for (uint8_t b : body) bits = (bits << 8) | b;
    return static_cast<double>(std::bit_cast<float>(bits));
  }
  if (body.size() == 8) {
    uint64_t bits = 0;
    for (uint8_t b : body) bits = (bits << 8) | b;
    return std::bit_cast<double>(bits);
  }
  return Status::Corruption("float of " + std::to_string(body.size()) +
                            " bytes (must be 0, 4 or 8)");
}

std::string ReadString(Bytes body) {
  std::string_view s = AsView(body);
  while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
  return std::string(s);
}

Status ForEachChild(Bytes body, uint64_t base_offset, const ChildFn& fn) {
  size_t pos = 0;
  while (pos < body.size()) {
    ElementHeader h;
    std::string error;
    const uint64_t offset = base_offset + pos;
    switch (DecodeHeader(body.subspan(pos), &h, &error)) {
      case Decode::kNeedMore:
        return Status::Corruption("element at offset " + std::to_string(offset) +
                                  ": header overruns its parent");
      case Decode::kInvalid:
        return Status::Corruption("element at offset " + std::to_string(offset) + ": " + error);
      case Decode::kOk:
        break;
    }
    if (h.size == kUnknownSize) return Corrupt(h.id, offset, "unknown size not allowed here");
    const size_t rest = body.size() - pos - h.header_length;
    if (h.size > rest) {
      return Corrupt(h.id, offset, "size " + std::to_string(h.size) + " overruns its parent (" +
                                       std::to_string(rest) + " bytes left)");
    }
    OSPREY_RETURN_IF_ERROR(fn(h, body.subspan(pos + h.header_length, h.size), offset));
    pos += h.header_length + h.size;
  }
  return Status::Ok();
}

void AppendId(std::string* out, uint32_t element) {
  const int len = element > 0xFFFFFF ? 4 : element > 0xFFFF ? 3 : element > 0xFF ? 2 : 1;
  for (int i = len - 1; i >= 0; --i) out->push_back(static_cast<char>((element >> (8 * i)) & 0xFF));
}

void AppendSize(std::string* out, uint64_t size, int length) {
  if (length == 0) {
    length = 1;
    // A value of all ones means "unknown", so it needs one more byte.
    while (length < 8 && size >= (uint64_t{1} << (7 * length)) - 1) ++length;
  }
  const uint64_t v = size | (uint64_t{1} << (7 * length));
  for (int i = length - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void AppendUnknownSize(std::string* out) {
  out->append("\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8);
}

void AppendUint(std::string* out, uint32_t element, uint64_t value, int length) {
  if (length == 0) {
    length = 1;
    while (length < 8 && (value >> (8 * length)) != 0) ++length;
  }
  AppendId(out, element);
  AppendSize(out, length);
  for (int i = length - 1; i >= 0; --i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

void AppendFloat(std::string* out, uint32_t element, double value) {
  AppendId(out, element);
  AppendSize(out, 8);
  const uint64_t bits = std::bit_cast<uint64_t>(value);
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
}

void AppendBytes(std::string* out, uint32_t element, std::string_view value) {
  AppendId(out, element);
  AppendSize(out, value.size());
  out->append(value);
}

void AppendMaster(std::string* out, uint32_t element, std::string_view children) {
  AppendBytes(out, element, children);
}

}  // namespace osprey::fragments::ebml
