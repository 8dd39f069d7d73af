#include "osprey/base/base64.h"

#include <array>
#include <cstdint>

namespace osprey::base64 {

namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> MakeReverse(const char* alphabet) {
  std::array<int8_t, 256> r{};
  for (auto& v : r) v = -1;
  for (int i = 0; i < 64; ++i) r[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return r;
}
constexpr auto kStdReverse = MakeReverse(kStd);
constexpr auto kUrlReverse = MakeReverse(kUrl);

void EncodeWith(std::string_view in, const char* alphabet, bool pad, std::string* out) {
  out->reserve(out->size() + (in.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(in[k])); };
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out->push_back(alphabet[v >> 18]);
    out->push_back(alphabet[(v >> 12) & 63]);
    out->push_back(alphabet[(v >> 6) & 63]);
    out->push_back(alphabet[v & 63]);
  }
  size_t rest = in.size() - i;
  if (rest == 0) return;
  uint32_t v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
  out->push_back(alphabet[v >> 18]);
  out->push_back(alphabet[(v >> 12) & 63]);
  if (rest == 2) out->push_back(alphabet[(v >> 6) & 63]);
  if (pad) out->append(rest == 1 ? "==" : "=");
}

// Decodes unpadded text; nullopt on a bad character, a length of 1 mod 4,
// or non-zero unused bits in the last character.
std::optional<std::string> DecodeWith(std::string_view in, const std::array<int8_t, 256>& rev) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int8_t v = rev[static_cast<uint8_t>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace

std::string Encode(std::string_view bytes) {
  std::string out;
  EncodeWith(bytes, kStd, true, &out);
  return out;
}

void AppendEncoded(std::string_view bytes, std::string* out) { EncodeWith(bytes, kStd, true, out); }

std::optional<std::string> Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  return DecodeWith(text.substr(0, text.size() - pad), kStdReverse);
}

std::string EncodeUrl(std::string_view bytes) {
  std::string out;
  EncodeWith(bytes, kUrl, false, &out);
  return out;
}

std::optional<std::string> DecodeUrl(std::string_view text) { return DecodeWith(text, kUrlReverse); }

}  // namespace osprey::base64
