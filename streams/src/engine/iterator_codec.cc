// Shard iterator tokens: packing, base64, HMAC-SHA256 tag, key file.
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

#include "osprey/base/logging.h"
#include "osprey/streams/iterator.h"

namespace osprey::streams {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kTagBytes = 16;
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kB64[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Unbase64(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < in.size(); i += 4) {
    uint32_t v = 0;
    int pad = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = in[i + j];
      int d;
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        d = 0;
        ++pad;
      } else {
        if (pad != 0) return std::nullopt;
        const char* p = c == 0 ? nullptr : std::strchr(kB64, c);
        if (p == nullptr) return std::nullopt;
        d = static_cast<int>(p - kB64);
      }
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    out.push_back(static_cast<char>(v >> 16));
    if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xff));
  }
  return out;
}

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
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno("open " + tmp, errno);
  bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
            ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return Status::FromErrno("write " + tmp, err);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Status::FromErrno("rename " + tmp, errno);
  return Status::Ok();
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
  return Base64(body);
}

Result<IteratorToken> IteratorCodec::Decode(std::string_view token, int64_t now_ms,
                                            int64_t ttl_ms) const {
  constexpr size_t kFixed = 1 + 8 + 4 + 8 + 8 + 1;
  if (token.size() > 512) return Invalid();
  auto raw = Unbase64(token);
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
