#include "osprey/streams/sequence_number.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

namespace osprey::streams {
namespace {

constexpr int kHexDigits = 47;
constexpr int64_t kMaxCreateSeconds = 16025175000;  // kinesalite's bound
constexpr uint64_t kNineHexMax = 0xfffffffffull;

// The number as hex nibbles, most significant first. 47 digits = 188 bits,
// beyond any built-in integer, and nibbles make field extraction trivial.
using Nibbles = std::array<uint8_t, kHexDigits>;

void PutField(Nibbles* n, int at, int width, uint64_t value) {
  for (int i = width - 1; i >= 0; --i) {
    (*n)[at + i] = static_cast<uint8_t>(value & 0xf);
    value >>= 4;
  }
}

uint64_t GetField(const Nibbles& n, int at, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) v = (v << 4) | n[at + i];
  return v;
}

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "EncodeSequenceNumber: %s out of range\n", what);
  std::abort();
}

Status Invalid(std::string_view why) {
  return Status::InvalidArgument(std::string("sequence number ") + std::string(why));
}

}  // namespace

std::string EncodeSequenceNumber(const SequenceNumberParts& p) {
  if (p.shard_create_s < 0 || p.shard_create_s >= kMaxCreateSeconds) Die("shard_create_s");
  if (p.seq_index > kMaxSeqIndex) Die("seq_index");
  if (p.record_time_s < 0 || static_cast<uint64_t>(p.record_time_s) > kNineHexMax) {
    Die("record_time_s");
  }
  Nibbles n{};
  n[0] = 2;
  PutField(&n, 1, 9, static_cast<uint64_t>(p.shard_create_s));
  PutField(&n, 10, 1, p.shard_index & 0xf);
  PutField(&n, 11, 16, p.seq_index);
  PutField(&n, 27, 2, 0);  // reserved
  PutField(&n, 29, 9, static_cast<uint64_t>(p.record_time_s));
  PutField(&n, 38, 8, p.shard_index);
  n[46] = 2;  // version

  // To decimal. The 47 nibbles (188 bits) go into 32-bit limbs, least
  // significant first; each pass divides the whole number by 10^9 and
  // yields nine digits. (Dividing by 10 a digit at a time cost a third of
  // the server's CPU under PutRecords load: docs/benchmarks.md.)
  std::array<uint32_t, 6> limbs{};
  for (size_t i = 0; i < n.size(); ++i) {
    size_t bit = 4 * (n.size() - 1 - i);
    limbs[bit / 32] |= static_cast<uint32_t>(n[i]) << (bit % 32);
  }
  constexpr uint64_t kChunk = 1'000'000'000;
  std::array<uint32_t, 8> chunks{};  // 9 digits each, least significant first
  size_t count = 0;
  bool zero = false;
  while (!zero) {
    uint64_t rem = 0;
    zero = true;
    for (size_t j = limbs.size(); j-- > 0;) {
      uint64_t cur = (rem << 32) | limbs[j];
      limbs[j] = static_cast<uint32_t>(cur / kChunk);
      rem = cur % kChunk;
      if (limbs[j] != 0) zero = false;
    }
    chunks[count++] = static_cast<uint32_t>(rem);
  }
  char buf[8 * 9 + 1];
  int len = std::snprintf(buf, sizeof buf, "%u", chunks[count - 1]);
  for (size_t j = count - 1; j-- > 0;) {
    len += std::snprintf(buf + len, sizeof buf - static_cast<size_t>(len), "%09u", chunks[j]);
  }
  return std::string(buf, static_cast<size_t>(len));
}

Result<SequenceNumberParts> DecodeSequenceNumber(std::string_view s) {
  if (s.empty() || s.size() > 129) return Invalid("has a bad length");
  if (s.size() > 1 && s[0] == '0') return Invalid("has a leading zero");
  // value = value * 10 + digit over 48 nibbles; a carry out of the top
  // nibble means it does not fit 47 hex digits.
  std::array<uint8_t, kHexDigits + 1> v{};
  for (char c : s) {
    if (c < '0' || c > '9') return Invalid("is not a decimal number");
    uint32_t carry = static_cast<uint32_t>(c - '0');
    for (int i = kHexDigits; i >= 0; --i) {
      uint32_t cur = v[i] * 10u + carry;
      v[i] = static_cast<uint8_t>(cur & 0xf);
      carry = cur >> 4;
    }
    if (carry != 0 || v[0] != 0) return Invalid("is too large");
  }
  Nibbles n;
  std::copy(v.begin() + 1, v.end(), n.begin());
  // Below 2^124 = fewer than 32 significant hex digits: the legacy layout.
  int first = 0;
  while (first < kHexDigits && n[first] == 0) ++first;
  if (kHexDigits - first < 32) return Invalid("uses the legacy layout");
  if (n[0] != 2 || n[46] != 2) return Invalid("has an unknown version");
  SequenceNumberParts p;
  p.shard_create_s = static_cast<int64_t>(GetField(n, 1, 9));
  if (n[11] > 7) return Invalid("has a sequence index above 2^63");
  p.seq_index = GetField(n, 11, 16);
  p.record_time_s = static_cast<int64_t>(GetField(n, 29, 9));
  p.shard_index = static_cast<uint32_t>(GetField(n, 38, 8));
  if (p.shard_create_s >= kMaxCreateSeconds) return Invalid("has a creation time too late");
  return p;
}

}  // namespace osprey::streams
