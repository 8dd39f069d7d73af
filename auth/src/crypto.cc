// SHA-256 (OpenSSL EVP) and HMAC-SHA256 built on it; OpenSSL types stay in
// this file.
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstring>
#include <cstdlib>

#include "osprey/auth/sigv4.h"

namespace osprey::auth {
namespace {

[[noreturn]] void CryptoFailure(const char* what) {
  // Hashing a buffer in memory cannot fail short of a broken OpenSSL
  // install; carrying on would silently accept or reject everything.
  std::fprintf(stderr, "osprey::auth: OpenSSL %s failed\n", what);
  std::abort();
}

}  // namespace

std::string HexEncode(std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.resize(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xF];
  }
  return out;
}

namespace {

// OpenSSL 3 looks an algorithm up (under a read-write lock) every time
// EVP_sha256() or HMAC() is used. SigV4 hashes six times per request, so we
// fetch SHA-256 once and reuse one digest context per thread; HMAC is then
// the RFC 2104 construction over it.
class Sha256 {
 public:
  static Sha256& ForThisThread() {
    thread_local Sha256 instance;
    return instance;
  }
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr) CryptoFailure("EVP_MD_CTX_new");
  }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }

  void Begin() {
    if (EVP_DigestInit_ex2(ctx_, Algorithm(), nullptr) != 1) CryptoFailure("EVP_DigestInit_ex2");
  }
  void Update(const void* data, size_t size) {
    if (size > 0 && EVP_DigestUpdate(ctx_, data, size) != 1) CryptoFailure("EVP_DigestUpdate");
  }
  Digest End() {
    Digest out;
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 || len != out.size()) {
      CryptoFailure("EVP_DigestFinal_ex");
    }
    return out;
  }

 private:
  static const EVP_MD* Algorithm() {
    static const EVP_MD* md = [] {
      EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
      if (fetched == nullptr) CryptoFailure("EVP_MD_fetch(SHA2-256)");
      return fetched;  // kept for the life of the process
    }();
    return md;
  }
  EVP_MD_CTX* ctx_;
};

constexpr size_t kBlockSize = 64;  // SHA-256 block size, as HMAC needs it

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  Sha256& sha = Sha256::ForThisThread();
  sha.Begin();
  sha.Update(bytes.data(), bytes.size());
  return HexEncode(sha.End());
}

Digest HmacSha256(std::span<const uint8_t> key, std::string_view data) {
  Sha256& sha = Sha256::ForThisThread();
  uint8_t block[kBlockSize] = {};
  if (key.size() > kBlockSize) {
    sha.Begin();
    sha.Update(key.data(), key.size());
    Digest hashed = sha.End();
    std::memcpy(block, hashed.data(), hashed.size());
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  uint8_t pad[kBlockSize];
  for (size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ 0x36;
  sha.Begin();
  sha.Update(pad, kBlockSize);
  sha.Update(data.data(), data.size());
  Digest inner = sha.End();
  for (size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ 0x5c;
  sha.Begin();
  sha.Update(pad, kBlockSize);
  sha.Update(inner.data(), inner.size());
  Digest out = sha.End();
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
  return out;
}

Digest SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                  std::string_view service) {
  std::string k_secret = "AWS4";
  k_secret.append(secret);
  auto as_bytes = [](std::string_view s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  Digest k_date = HmacSha256(as_bytes(k_secret), date);
  Digest k_region = HmacSha256(k_date, region);
  Digest k_service = HmacSha256(k_region, service);
  Digest k_signing = HmacSha256(k_service, kTerminator);
  // The secret should not linger in freed heap memory.
  OPENSSL_cleanse(k_secret.data(), k_secret.size());
  return k_signing;
}

std::string SignatureHex(const Digest& signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Lengths are public (signatures are always 64 hex digits); only the
  // content comparison must not leak where the first difference is.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace osprey::auth
