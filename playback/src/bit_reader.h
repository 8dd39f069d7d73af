// Bit reader over an RBSP (emulation prevention bytes removed), for SPS
// parsing. Reading past the end returns zeros and sets failed(); callers
// check failed() once at the end instead of after every field.
//
// Thread safety: one object per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace osprey::playback {

// Removes the 0x03 of every 0x00 0x00 0x03 sequence (H.264/H.265 7.4.1).
inline std::string NalToRbsp(std::string_view nal) {
  std::string out;
  out.reserve(nal.size());
  int zeros = 0;
  for (char c : nal) {
    const uint8_t b = uint8_t(c);
    if (zeros >= 2 && b == 3) {
      zeros = 0;
      continue;
    }
    zeros = b == 0 ? zeros + 1 : 0;
    out.push_back(c);
  }
  return out;
}

class BitReader {
 public:
  explicit BitReader(std::string_view data) : data_(data) {}

  uint32_t Bits(int n) {  // n <= 32
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 1) | Bit();
    return v;
  }
  uint32_t Bit() {
    if (pos_ >= data_.size() * 8) {
      failed_ = true;
      return 0;
    }
    const uint32_t b = (uint8_t(data_[pos_ / 8]) >> (7 - pos_ % 8)) & 1;
    ++pos_;
    return b;
  }
  void Skip(size_t n) {
    for (size_t i = 0; i < n; ++i) Bit();
  }
  // Exp-Golomb ue(v); more than 31 leading zeros fails (no valid field needs it).
  uint32_t Ue() {
    int zeros = 0;
    while (Bit() == 0) {
      if (failed_ || ++zeros > 31) {
        failed_ = true;
        return 0;
      }
    }
    if (zeros == 0) return 0;
    return uint32_t((uint64_t(1) << zeros) - 1 + Bits(zeros));
  }
  int32_t Se() {
    const uint32_t k = Ue();
    return (k & 1) ? int32_t((k + 1) / 2) : -int32_t(k / 2);
  }
  bool failed() const { return failed_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace osprey::playback
