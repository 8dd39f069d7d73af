#include "osprey/base/json_writer.h"

#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

namespace osprey {
namespace {

// U+FFFD REPLACEMENT CHARACTER in UTF-8.
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Per-byte class: 0 copies as is, 1 needs an escape, 2 starts (or is an
// invalid) multi-byte UTF-8 sequence.
constexpr std::array<uint8_t, 256> MakeByteClass() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  for (int c = 0x80; c < 0x100; ++c) t[c] = 2;
  return t;
}
constexpr std::array<uint8_t, 256> kByteClass = MakeByteClass();

// True if any of the 8 bytes in `w` is < 0x20, '"', '\\' or >= 0x80. The
// classic SWAR "has zero byte" / "has byte less than" tricks; they may report
// a false positive only in words that also contain a true positive, which is
// fine because the byte loop then finds the real one.
inline bool WordNeedsAttention(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
  const uint64_t quote = has_zero(w ^ (kOnes * '"'));
  const uint64_t backslash = has_zero(w ^ (kOnes * '\\'));
  return ((w & kHigh) | below_space | quote | backslash) != 0;
}

void AppendEscape(std::string* out, unsigned char c) {
  switch (c) {
    case '"': out->append("\\\"", 2); return;
    case '\\': out->append("\\\\", 2); return;
    case '\b': out->append("\\b", 2); return;
    case '\f': out->append("\\f", 2); return;
    case '\n': out->append("\\n", 2); return;
    case '\r': out->append("\\r", 2); return;
    case '\t': out->append("\\t", 2); return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out->append(esc, 6);
    }
  }
}

// Length of the valid UTF-8 sequence starting at p[0] (a byte >= 0x80), or,
// if it is invalid, minus the length of its maximal invalid subpart (at
// least 1). Ranges from the Unicode Standard, table 3-7.
inline int Utf8Sequence(const unsigned char* p, size_t avail) {
  const unsigned char b = p[0];
  int continuation;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    continuation = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    continuation = 2;
    if (b == 0xE0) lo = 0xA0;  // no overlongs
    if (b == 0xED) hi = 0x9F;  // no surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    continuation = 3;
    if (b == 0xF0) lo = 0x90;  // no overlongs
    if (b == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return -1;  // stray continuation byte, C0, C1, F5..FF
  }
  size_t j = 1;
  if (j >= avail || p[j] < lo || p[j] > hi) return -1;
  ++j;
  for (int k = 1; k < continuation; ++k, ++j) {
    if (j >= avail || (p[j] & 0xC0) != 0x80) return -static_cast<int>(j);
  }
  return static_cast<int>(j);
}

void AppendEscapedBody(std::string* out, std::string_view value) {
  const auto* p = reinterpret_cast<const unsigned char*>(value.data());
  const size_t n = value.size();
  size_t start = 0;  // first byte not yet appended
  size_t i = 0;
  while (i < n) {
    // Skip plain ASCII 8 bytes at a time; base64 payloads are all plain.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (WordNeedsAttention(w)) break;
      i += 8;
    }
    while (i < n && kByteClass[p[i]] == 0) ++i;
    if (i == n) break;
    if (kByteClass[p[i]] == 1) {
      out->append(value.data() + start, i - start);
      AppendEscape(out, p[i]);
      start = ++i;
      continue;
    }
    const int len = Utf8Sequence(p + i, n - i);
    if (len > 0) {
      i += len;  // valid: stays in the pending run
      continue;
    }
    out->append(value.data() + start, i - start);
    out->append(kReplacement);
    i += -len;
    start = i;
  }
  out->append(value.data() + start, n - start);
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view value) {
  out->push_back('"');
  AppendEscapedBody(out, value);
  out->push_back('"');
}

std::string JsonEscape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  AppendEscapedBody(&out, value);
  return out;
}

void AppendJsonDouble(std::string* out, double value) {
  if (!std::isfinite(value)) {
    out->append("null", 4);
    return;
  }
  // Shortest round-trip digits in scientific form, e.g. "-1.700000000123e+09".
  char sci[32];
  const auto [sci_end, ec] =
      std::to_chars(sci, sci + sizeof(sci), value, std::chars_format::scientific);
  assert(ec == std::errc());
  (void)ec;
  const char* p = sci;
  if (*p == '-') out->push_back(*p++);
  char digits[20];
  int k = 0;  // significant digits
  for (; *p != 'e'; ++p) {
    if (*p != '.') digits[k++] = *p;
  }
  int exp10 = 0;
  std::from_chars(p + (p[1] == '+' ? 2 : 1), sci_end, exp10);
  // Lay the digits out as ECMAScript Number.prototype.toString does: fixed
  // notation for 1e-7 < |v| < 1e21, so timestamps read "1700000000.123"
  // rather than "1.700000000123e+09"; both are the same JSON number.
  const int n = exp10 + 1;  // position of the decimal point
  if (k <= n && n <= 21) {
    out->append(digits, k);
    out->append(n - k, '0');
  } else if (0 < n && n <= 21) {
    out->append(digits, n);
    out->push_back('.');
    out->append(digits + n, k - n);
  } else if (-6 < n && n <= 0) {
    out->append("0.", 2);
    out->append(-n, '0');
    out->append(digits, k);
  } else {
    out->push_back(digits[0]);
    if (k > 1) {
      out->push_back('.');
      out->append(digits + 1, k - 1);
    }
    out->push_back('e');
    out->push_back(n - 1 < 0 ? '-' : '+');
    char buf[8];
    const auto [end, ec2] = std::to_chars(buf, buf + sizeof(buf), n - 1 < 0 ? 1 - n : n - 1);
    (void)ec2;
    out->append(buf, end - buf);
  }
}

bool JsonWriter::InObject() const {
  return depth_ > 0 && depth_ <= 64 && ((object_bits_ >> (depth_ - 1)) & 1) != 0;
}

void JsonWriter::BeforeValue() {
  assert(!InObject() || expect_value_);  // a value inside an object needs a Key
  assert(!(depth_ == 0 && need_comma_)); // one top-level value only
  if (need_comma_) out_->push_back(',');
  expect_value_ = false;
}

void JsonWriter::Push(bool is_object) {
  if (depth_ < 64) {
    const uint64_t bit = uint64_t{1} << depth_;
    object_bits_ = is_object ? (object_bits_ | bit) : (object_bits_ & ~bit);
  }
  ++depth_;
  need_comma_ = false;
}

void JsonWriter::Pop(bool is_object) {
  assert(depth_ > 0);
  assert(!expect_value_);  // a Key without its value
  assert(depth_ > 64 || InObject() == is_object);
  (void)is_object;
  --depth_;
  need_comma_ = true;
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_->push_back('{');
  Push(true);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  Pop(true);
  out_->push_back('}');
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_->push_back('[');
  Push(false);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  Pop(false);
  out_->push_back(']');
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view name) {
  assert(InObject() && !expect_value_);
  if (need_comma_) out_->push_back(',');
  AppendJsonString(out_, name);
  out_->push_back(':');
  need_comma_ = false;
  expect_value_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  BeforeValue();
  AppendJsonString(out_, value);
  need_comma_ = true;
  return *this;
}

namespace {

template <typename Int>
void AppendInteger(std::string* out, Int value) {
  char buf[24];  // 20 digits and a sign fit
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;
  out->append(buf, end - buf);
}

}  // namespace

JsonWriter& JsonWriter::Int64(int64_t value) {
  BeforeValue();
  AppendInteger(out_, value);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::Uint64(uint64_t value) {
  BeforeValue();
  AppendInteger(out_, value);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::Double(double value) {
  BeforeValue();
  AppendJsonDouble(out_, value);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  if (value) {
    out_->append("true", 4);
  } else {
    out_->append("false", 5);
  }
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_->append("null", 4);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_->append(json);
  need_comma_ = true;
  return *this;
}

}  // namespace osprey
