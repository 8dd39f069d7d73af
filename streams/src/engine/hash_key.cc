// Hash keys: decimal text, MD5 routing, even splits.
#include "osprey/streams/hash_key.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace osprey::streams {
namespace {

[[noreturn]] void CryptoFailure(const char* what) {
  // Hashing memory cannot fail short of a broken OpenSSL install; routing
  // records anywhere else would break the partition-key contract silently.
  std::fprintf(stderr, "osprey::streams: OpenSSL %s failed\n", what);
  std::abort();
}

// OpenSSL 3 looks an algorithm up under a lock on every EVP_md5() use; fetch
// MD5 once and keep one context per thread (the put path hashes per record).
const EVP_MD* Md5() {
  static const EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "MD5", nullptr);
    if (fetched == nullptr) CryptoFailure("EVP_MD_fetch(MD5)");
    return fetched;  // kept for the life of the process
  }();
  return md;
}

struct DigestContext {
  DigestContext() : ctx(EVP_MD_CTX_new()) {
    if (ctx == nullptr) CryptoFailure("EVP_MD_CTX_new");
  }
  ~DigestContext() { EVP_MD_CTX_free(ctx); }
  EVP_MD_CTX* ctx;
};

}  // namespace

std::optional<HashKey> ParseHashKey(std::string_view s) {
  if (s.empty()) return std::nullopt;
  HashKey v = 0;
  constexpr HashKey kLimit = kMaxHashKey / 10;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    auto digit = static_cast<unsigned>(c - '0');
    // v * 10 + digit <= max  <=>  v < max/10, or v == max/10 and digit <= max%10.
    if (v > kLimit || (v == kLimit && digit > static_cast<unsigned>(kMaxHashKey % 10))) {
      return std::nullopt;
    }
    v = v * 10 + digit;
  }
  return v;
}

std::string FormatHashKey(HashKey key) {
  std::string out;
  do {
    out.push_back(static_cast<char>('0' + static_cast<int>(key % 10)));
    key /= 10;
  } while (key != 0);
  std::reverse(out.begin(), out.end());
  return out;
}

HashKey HashPartitionKey(std::string_view partition_key) {
  thread_local DigestContext digest;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(digest.ctx, Md5(), nullptr) != 1 ||
      EVP_DigestUpdate(digest.ctx, partition_key.data(), partition_key.size()) != 1 ||
      EVP_DigestFinal_ex(digest.ctx, md, &len) != 1 || len != 16) {
    CryptoFailure("MD5");
  }
  HashKey v = 0;
  for (unsigned i = 0; i < 16; ++i) v = (v << 8) | md[i];
  return v;
}

std::vector<HashKeyRange> EvenSplit(uint32_t n) {
  std::vector<HashKeyRange> out;
  if (n == 0) return out;
  // floor(2^128 / n) without a 129-bit type: (2^128 - 1) / n, plus one when
  // n divides 2^128 (n a power of two), i.e. when the remainder is n - 1.
  HashKey step = kMaxHashKey / n;
  if (kMaxHashKey % n == n - 1) ++step;
  out.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    HashKeyRange r;
    r.start = step * i;
    r.end = i + 1 == n ? kMaxHashKey : step * (i + 1) - 1;
    out.push_back(r);
  }
  return out;
}

}  // namespace osprey::streams
