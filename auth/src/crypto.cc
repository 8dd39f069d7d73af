// SHA-256 and HMAC-SHA256 through OpenSSL's one-shot EVP functions, which
// keep OpenSSL types out of every header.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
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

std::string Sha256Hex(std::string_view bytes) {
  Digest digest;
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != digest.size()) {
    CryptoFailure("EVP_Digest");
  }
  return HexEncode(digest);
}

Digest HmacSha256(std::span<const uint8_t> key, std::string_view data) {
  Digest out;
  unsigned int len = 0;
  // HMAC() wants a non-null key pointer even for an empty key.
  static const uint8_t kNoKey = 0;
  const uint8_t* key_ptr = key.empty() ? &kNoKey : key.data();
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &len) == nullptr ||
      len != out.size()) {
    CryptoFailure("HMAC");
  }
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
