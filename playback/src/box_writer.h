// Appends ISO BMFF boxes to a std::string: Begin() writes a placeholder size
// and End() patches it, so nested boxes need no size precomputation.
//
// Thread safety: one object per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace osprey::playback {

class BoxWriter {
 public:
  explicit BoxWriter(std::string* out) : out_(out) {}

  size_t Begin(std::string_view type) {
    const size_t at = out_->size();
    U32(0);
    out_->append(type.data(), 4);
    return at;
  }
  size_t BeginFull(std::string_view type, uint8_t version, uint32_t flags) {
    const size_t at = Begin(type);
    U32((uint32_t(version) << 24) | (flags & 0xFFFFFF));
    return at;
  }
  void End(size_t at) { PatchU32(at, uint32_t(out_->size() - at)); }

  void U8(uint32_t v) { out_->push_back(char(v & 0xFF)); }
  void U16(uint32_t v) { U8(v >> 8); U8(v); }
  void U24(uint32_t v) { U8(v >> 16); U16(v); }
  void U32(uint32_t v) { U16(v >> 16); U16(v); }
  void U64(uint64_t v) { U32(uint32_t(v >> 32)); U32(uint32_t(v)); }
  void Bytes(std::string_view b) { out_->append(b); }
  void Zeros(size_t n) { out_->append(n, '\0'); }
  void PatchU32(size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) (*out_)[at + i] = char((v >> (24 - 8 * i)) & 0xFF);
  }
  size_t size() const { return out_->size(); }

  // The identity matrix of mvhd/tkhd.
  void Matrix() {
    const uint32_t m[9] = {0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000};
    for (uint32_t v : m) U32(v);
  }

 private:
  std::string* out_;
};

// round(us x timescale / 1e6) without 64-bit overflow for epoch times.
inline int64_t UsToTicks(int64_t us, uint32_t timescale) {
  const int64_t s = us / 1'000'000;
  const int64_t rem = us % 1'000'000;
  int64_t frac = rem * int64_t(timescale);
  frac = frac >= 0 ? (frac + 500'000) / 1'000'000 : -((-frac + 500'000) / 1'000'000);
  return s * int64_t(timescale) + frac;
}

}  // namespace osprey::playback
