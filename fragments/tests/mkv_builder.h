// Test support: builds EBML by hand, so tests can write exactly the bytes a
// case needs (including malformed ones) without going through the writer.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "osprey/fragments/mkv_types.h"

namespace osprey::fragments::testing {

inline std::string Id(uint32_t id) {
  std::string out;
  const int len = id > 0xFFFFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1;
  for (int i = len - 1; i >= 0; --i) out.push_back(static_cast<char>((id >> (8 * i)) & 0xFF));
  return out;
}

// Size vint of `len` bytes (0: smallest that fits).
inline std::string Size(uint64_t size, int len = 0) {
  if (len == 0) {
    len = 1;
    while (len < 8 && size >= (uint64_t{1} << (7 * len)) - 1) ++len;
  }
  const uint64_t v = size | (uint64_t{1} << (7 * len));
  std::string out;
  for (int i = len - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return out;
}

inline constexpr std::string_view kUnknownSize = "\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF";

inline std::string El(uint32_t id, std::string_view body) {
  return Id(id) + Size(body.size()) + std::string(body);
}
inline std::string Unknown(uint32_t id, std::string_view body = {}) {
  return Id(id) + std::string(kUnknownSize) + std::string(body);
}
inline std::string Uint(uint32_t id, uint64_t v) {
  std::string body;
  int len = 1;
  while (len < 8 && (v >> (8 * len)) != 0) ++len;
  for (int i = len - 1; i >= 0; --i) body.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return El(id, body);
}
inline std::string Cat(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& p : parts) out += p;
  return out;
}

// Block body: one-byte track vint, int16 offset, flags, payload.
inline std::string BlockBody(int track, int16_t offset, uint8_t flags, std::string_view payload) {
  std::string b;
  b.push_back(static_cast<char>(0x80 | track));
  b.push_back(static_cast<char>((static_cast<uint16_t>(offset) >> 8) & 0xFF));
  b.push_back(static_cast<char>(static_cast<uint16_t>(offset) & 0xFF));
  b.push_back(static_cast<char>(flags));
  b.append(payload);
  return b;
}
inline std::string Simple(int track, int16_t offset, uint8_t flags, std::string_view payload) {
  return El(id::kSimpleBlock, BlockBody(track, offset, flags, payload));
}

inline std::string EbmlHeaderBytes(std::string_view doc_type = "matroska") {
  return El(id::kEbml, Cat({Uint(id::kEbmlVersion, 1), Uint(id::kEbmlReadVersion, 1),
                            El(id::kDocType, doc_type), Uint(id::kDocTypeVersion, 2)}));
}
inline std::string TracksBytes() {
  return El(id::kTracks, El(id::kTrackEntry, Cat({Uint(id::kTrackNumber, 1),
                                                  Uint(id::kTrackType, 1),
                                                  El(id::kCodecId, "V_MPEG4/ISO/AVC")})));
}
// EBML header, unknown-size Segment, Info (1 ms), one-track Tracks.
inline std::string StreamStart() {
  return EbmlHeaderBytes() + Unknown(id::kSegment) +
         El(id::kInfo, Uint(id::kTimecodeScale, 1000000)) + TracksBytes();
}

}  // namespace osprey::fragments::testing
