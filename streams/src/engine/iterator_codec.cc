// Shard iterator tokens: packing, HMAC-SHA256 tag, key file (base64 from base/).
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <algorithm>

#include "osprey/base/base64.h"
#include "osprey/base/file_util.h"
#include "osprey/base/logging.h"
#include "osprey/streams/iterator.h"

namespace osprey::streams {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kTagBytes = 16;
void PutU(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetU(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(in[at + i]);
  return v;
}

std::string Tag(const std::string& key, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len) == nullptr) {
    std::fprintf(stderr, "osprey::streams: HMAC-SHA256 failed\n");
    std::abort();
  }
  return std::string(reinterpret_cast<char*>(mac), kTagBytes);
}

// "Www Mmm dd HH:MM:SS UTC yyyy", as the AWS message prints times.
std::string AwsTime(int64_t ms) {
  time_t s = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&s, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S UTC %Y", &tm);
  return buf;
}

Status Invalid() { return Status::InvalidArgument("Invalid ShardIterator."); }

Status WriteKeyFile(const std::string& path, const std::string& key) {
  // Mode 0600 (FORMAT.md). The directory is not fsynced: a key lost in a
  // crash is replaced at the next open, which only invalidates iterators
  // handed out before it.
  AtomicWriteOptions write;
  write.temp_suffix = ".tmp";
  write.mode = 0600;
  write.sync_directory = false;
  return WriteFileAtomically(path, key, write);
}

}  // namespace

IteratorCodec::IteratorCodec(std::string key) : key_(std::move(key)) {
  if (key_.size() != kKeyBytes) {
    std::fprintf(stderr, "IteratorCodec: key must be %zu bytes\n", kKeyBytes);
    std::abort();
  }
}

Result<IteratorCodec> IteratorCodec::OpenKeyFile(const std::string& key_path) {
  std::string key(kKeyBytes + 1, '\0');
  int fd = ::open(key_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t r = ::read(fd, key.data(), key.size());
    ::close(fd);
    if (r == static_cast<ssize_t>(kKeyBytes)) {
      key.resize(kKeyBytes);
      return IteratorCodec(std::move(key));
    }
    log::Warn("streams", "iterator key file has the wrong size, making a new key",
              {{"path", key_path}});
  } else if (errno != ENOENT) {
    return Status::FromErrno("open " + key_path, errno);
  }
  key.resize(kKeyBytes);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(kKeyBytes)) != 1) {
    return Status::Internal("RAND_bytes failed");
  }
  OSPREY_RETURN_IF_ERROR(WriteKeyFile(key_path, key));
  return IteratorCodec(std::move(key));
}

std::string IteratorCodec::Encode(const IteratorToken& t) const {
  std::string body;
  body.push_back(static_cast<char>(kVersion));
  PutU(&body, t.stream_id, 8);
  PutU(&body, t.shard_index, 4);
  PutU(&body, t.position, 8);
  PutU(&body, static_cast<uint64_t>(t.issued_ms), 8);
  const size_t name_len = std::min<size_t>(t.stream_name.size(), 255);
  body.push_back(static_cast<char>(name_len));
  body.append(t.stream_name, 0, name_len);
  body += Tag(key_, body);
  return base64::Encode(body);
}

Result<IteratorToken> IteratorCodec::Decode(std::string_view token, int64_t now_ms,
                                            int64_t ttl_ms) const {
  constexpr size_t kFixed = 1 + 8 + 4 + 8 + 8 + 1;
  if (token.size() > 512) return Invalid();
  auto raw = base64::Decode(token);
  if (!raw || raw->size() < kFixed + kTagBytes || (*raw)[0] != static_cast<char>(kVersion)) {
    return Invalid();
  }
  const std::string_view r = *raw;
  const size_t name_len = static_cast<uint8_t>(r[kFixed - 1]);
  if (r.size() != kFixed + name_len + kTagBytes) return Invalid();
  const std::string_view body = r.substr(0, kFixed + name_len);
  // Compare in constant time: the tag is what stops forged positions.
  if (CRYPTO_memcmp(Tag(key_, body).data(), r.data() + body.size(), kTagBytes) != 0) {
    return Invalid();
  }
  IteratorToken t;
  t.stream_id = GetU(r, 1, 8);
  t.shard_index = static_cast<uint32_t>(GetU(r, 9, 4));
  t.position = GetU(r, 13, 8);
  t.issued_ms = static_cast<int64_t>(GetU(r, 21, 8));
  t.stream_name = std::string(r.substr(kFixed, name_len));
  if (t.issued_ms > now_ms + 1000) return Invalid();
  if (now_ms - t.issued_ms > ttl_ms) {
    return Status::DeadlineExceeded("Iterator expired. The iterator was created at time " +
                                    AwsTime(t.issued_ms) + " while right now it is " +
                                    AwsTime(now_ms) +
                                    " which is further in the future than the tolerated delay of " +
                                    std::to_string(ttl_ms) + " milliseconds.");
  }
  return t;
}

}  // namespace osprey::streams
