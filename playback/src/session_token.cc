// Session token encoding and HMAC (session_token.h). Payload layout, all
// integers big-endian:
//   u8 version (1) | i64 expires_ms | i64 created_ms | u64 session_id |
//   u64 anchor_index |
//   u8 mode | u8 selector | u8 container | u8 discontinuity | u8 flags
//   (bit0 display timestamp, bit1 has start, bit2 has end) | i64 start_ms |
//   i64 end_ms | u32 max_results | u16 n + store_id | u16 n + stream_name
// followed by the 32-byte HMAC-SHA256 of the payload.
#include "osprey/playback/session_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "osprey/base/base64.h"

namespace osprey::playback {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kMacSize = 32;
constexpr size_t kFixedSize = 1 + 8 + 8 + 8 + 8 + 5 + 8 + 8 + 4 + 2 + 2;

void PutU(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(char((v >> (8 * i)) & 0xFF));
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  uint64_t U(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | Byte();
    return v;
  }
  std::string Str() {
    const size_t n = size_t(U(2));
    if (s_.size() - pos_ < n) {
      failed_ = true;
      return {};
    }
    std::string v(s_.substr(pos_, n));
    pos_ += n;
    return v;
  }
  bool done() const { return !failed_ && pos_ == s_.size(); }

 private:
  uint8_t Byte() {
    if (pos_ >= s_.size()) {
      failed_ = true;
      return 0;
    }
    return uint8_t(s_[pos_++]);
  }
  std::string_view s_;
  size_t pos_ = 0;
  bool failed_ = false;
};

std::string Mac(const std::string& key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

Status Invalid() { return Status::PermissionDenied("session token is invalid"); }

}  // namespace

SessionTokenSigner::SessionTokenSigner(std::string key) : key_(std::move(key)) {
  if (key_.empty()) std::abort();  // programming error: tokens would be forgeable
}

std::string SessionTokenSigner::GenerateKey() {
  std::string key(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), int(key.size())) != 1) {
    std::abort();  // no entropy: refusing to run is safer than weak keys
  }
  return key;
}

std::string SessionTokenSigner::Encode(const SessionClaims& c) const {
  std::string p;
  p.reserve(kFixedSize + c.store_id.size() + c.stream_name.size() + kMacSize);
  p.push_back(char(kVersion));
  PutU(&p, uint64_t(c.expires_ms), 8);
  PutU(&p, uint64_t(c.created_ms), 8);
  PutU(&p, c.session_id, 8);
  PutU(&p, c.anchor_index, 8);
  p.push_back(char(c.mode));
  p.push_back(char(c.selector));
  p.push_back(char(c.container));
  p.push_back(char(c.discontinuity));
  p.push_back(char((c.display_fragment_timestamp ? 1 : 0) | (c.start_ms ? 2 : 0) |
                   (c.end_ms ? 4 : 0)));
  PutU(&p, uint64_t(c.start_ms.value_or(0)), 8);
  PutU(&p, uint64_t(c.end_ms.value_or(0)), 8);
  PutU(&p, c.max_results, 4);
  PutU(&p, c.store_id.size() & 0xFFFF, 2);
  p.append(c.store_id.substr(0, 0xFFFF));
  PutU(&p, c.stream_name.size() & 0xFFFF, 2);
  p.append(c.stream_name.substr(0, 0xFFFF));
  p += Mac(key_, p);
  return base64::EncodeUrl(p);
}

Result<SessionClaims> SessionTokenSigner::Decode(std::string_view token, int64_t now_ms) const {
  if (token.size() > 4096) return Invalid();
  std::optional<std::string> raw = base64::DecodeUrl(token);
  if (!raw || raw->size() < kFixedSize + kMacSize) return Invalid();
  const std::string_view payload = std::string_view(*raw).substr(0, raw->size() - kMacSize);
  const std::string expected = Mac(key_, payload);
  if (CRYPTO_memcmp(expected.data(), raw->data() + payload.size(), kMacSize) != 0) {
    return Invalid();
  }
  Reader r(payload);
  if (r.U(1) != kVersion) return Invalid();
  SessionClaims c;
  c.expires_ms = int64_t(r.U(8));
  c.created_ms = int64_t(r.U(8));
  c.session_id = r.U(8);
  c.anchor_index = r.U(8);
  const uint64_t mode = r.U(1), selector = r.U(1), container = r.U(1), disc = r.U(1);
  const uint64_t flags = r.U(1);
  const int64_t start = int64_t(r.U(8)), end = int64_t(r.U(8));
  c.max_results = uint32_t(r.U(4));
  c.store_id = r.Str();
  c.stream_name = r.Str();
  if (!r.done() || mode > 2 || selector > 1 || container > 1 || disc > 2 || flags > 7) {
    return Invalid();
  }
  c.mode = PlaybackMode(mode);
  c.selector = FragmentSelectorType(selector);
  c.container = ContainerFormat(container);
  c.discontinuity = DiscontinuityMode(disc);
  c.display_fragment_timestamp = flags & 1;
  if (flags & 2) c.start_ms = start;
  if (flags & 4) c.end_ms = end;
  if (now_ms >= c.expires_ms) return Status::PermissionDenied("session token has expired");
  return c;
}

}  // namespace osprey::playback
