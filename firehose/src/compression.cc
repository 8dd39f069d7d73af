#include "osprey/firehose/compression.h"

#include <libdeflate.h>
#include <snappy.h>
#include <unistd.h>
#include <zlib.h>

#include <minizip/unzip.h>
#include <minizip/zip.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "osprey/base/crc32c.h"
#include "osprey/base/file_util.h"

namespace osprey::firehose {
namespace {

// libdeflate rather than zlib's deflate: at the same level (6, zlib's
// default) it writes the same format (one gzip member) about twice as fast
// with a slightly smaller output; GZIP compression was 84% of the delivery
// worker's CPU with zlib (docs/firehose.md, "Delivery throughput").
Result<std::string> Gzip(std::string_view data) {
  constexpr int kLevel = 6;
  std::unique_ptr<libdeflate_compressor, void (*)(libdeflate_compressor*)> c(
      libdeflate_alloc_compressor(kLevel), libdeflate_free_compressor);
  if (!c) return Status::ResourceExhausted("libdeflate_alloc_compressor failed");
  std::string out;
  out.resize(libdeflate_gzip_compress_bound(c.get(), data.size()));
  size_t n = libdeflate_gzip_compress(c.get(), data.data(), data.size(), out.data(), out.size());
  if (n == 0) return Status::Internal("gzip compression failed");  // bound too small: a bug
  out.resize(n);
  return out;
}

Result<std::string> Gunzip(std::string_view data) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return Status::Internal("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[65536];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Status::Corruption("bad gzip data");
    }
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&zs);
  return out;
}

// minizip 1.1 writes to files only; a private temp file keeps this simple.
std::string TempPath() {
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir && *dir ? dir : "/tmp") + "/osprey-zip-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd >= 0) ::close(fd);
  return path;
}

Result<std::string> Zip(std::string_view data, std::string_view entry_name) {
  std::string path = TempPath();
  zipFile zf = zipOpen64(path.c_str(), APPEND_STATUS_CREATE);
  if (zf == nullptr) return Status::IOError("zipOpen " + path);
  zip_fileinfo info{};
  std::string name(entry_name.empty() ? "data" : entry_name);
  int rc = zipOpenNewFileInZip64(zf, name.c_str(), &info, nullptr, 0, nullptr, 0, nullptr,
                                 Z_DEFLATED, Z_DEFAULT_COMPRESSION, data.size() >= 0xffffffffu);
  if (rc == ZIP_OK && !data.empty()) {
    rc = zipWriteInFileInZip(zf, data.data(), static_cast<unsigned>(data.size()));
  }
  if (rc == ZIP_OK) rc = zipCloseFileInZip(zf);
  int close_rc = zipClose(zf, nullptr);
  if (rc != ZIP_OK || close_rc != ZIP_OK) {
    ::unlink(path.c_str());
    return Status::Internal("zip writing failed");
  }
  auto out = ReadFile(path);
  ::unlink(path.c_str());
  return out;
}

Result<std::string> Unzip(std::string_view data) {
  std::string path = TempPath();
  OSPREY_RETURN_IF_ERROR(WriteFileAtomically(path, data));
  unzFile uf = unzOpen64(path.c_str());
  std::string out;
  Status status;
  if (uf == nullptr || unzGoToFirstFile(uf) != UNZ_OK || unzOpenCurrentFile(uf) != UNZ_OK) {
    status = Status::Corruption("bad zip archive");
  } else {
    char buf[65536];
    int n;
    while ((n = unzReadCurrentFile(uf, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    if (n < 0) status = Status::Corruption("bad zip entry");
    unzCloseCurrentFile(uf);
  }
  if (uf != nullptr) unzClose(uf);
  ::unlink(path.c_str());
  if (!status.ok()) return status;
  return out;
}

void PutLe(std::string* out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutBe32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetLe(std::string_view s, size_t at, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  return v;
}
uint32_t GetBe32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

constexpr char kSnappyStreamId[] = "\xff\x06\x00\x00sNaPpY";

std::string SnappyFramed(std::string_view data) {
  std::string out(kSnappyStreamId, 10);
  for (size_t at = 0; at < data.size(); at += 65536) {
    std::string_view chunk = data.substr(at, 65536);
    std::string compressed;
    snappy::Compress(chunk.data(), chunk.size(), &compressed);
    uint32_t crc = crc32c::Mask(crc32c::Value(chunk));
    bool use_raw = compressed.size() >= chunk.size();
    std::string_view body = use_raw ? chunk : std::string_view(compressed);
    out.push_back(use_raw ? '\x01' : '\x00');
    PutLe(&out, static_cast<uint32_t>(body.size() + 4), 3);
    PutLe(&out, crc, 4);
    out.append(body);
  }
  return out;
}

Result<std::string> SnappyUnframe(std::string_view data) {
  if (data.substr(0, 10) != std::string_view(kSnappyStreamId, 10)) {
    return Status::Corruption("missing snappy stream identifier");
  }
  std::string out;
  size_t at = 10;
  while (at < data.size()) {
    if (at + 4 > data.size()) return Status::Corruption("truncated snappy chunk header");
    uint8_t type = static_cast<uint8_t>(data[at]);
    uint32_t len = GetLe(data, at + 1, 3);
    if (at + 4 + len > data.size()) return Status::Corruption("truncated snappy chunk");
    std::string_view body = data.substr(at + 4, len);
    at += 4 + len;
    if (type != 0x00 && type != 0x01) continue;  // padding / skippable
    if (len < 4) return Status::Corruption("short snappy chunk");
    uint32_t crc = GetLe(body, 0, 4);
    std::string chunk;
    if (type == 0x00) {
      if (!snappy::Uncompress(body.data() + 4, body.size() - 4, &chunk)) {
        return Status::Corruption("bad snappy chunk");
      }
    } else {
      chunk.assign(body.substr(4));
    }
    if (crc32c::Mask(crc32c::Value(chunk)) != crc) return Status::Corruption("snappy chunk CRC mismatch");
    out += chunk;
  }
  return out;
}

constexpr size_t kHadoopBlock = 256 * 1024;

std::string HadoopSnappy(std::string_view data) {
  std::string out;
  for (size_t at = 0; at < data.size(); at += kHadoopBlock) {
    std::string_view block = data.substr(at, kHadoopBlock);
    std::string compressed;
    snappy::Compress(block.data(), block.size(), &compressed);
    PutBe32(&out, static_cast<uint32_t>(block.size()));
    PutBe32(&out, static_cast<uint32_t>(compressed.size()));
    out += compressed;
  }
  return out;
}

Result<std::string> HadoopUnsnappy(std::string_view data) {
  std::string out;
  size_t at = 0;
  while (at < data.size()) {
    if (at + 4 > data.size()) return Status::Corruption("truncated hadoop block");
    uint32_t raw_len = GetBe32(data, at);
    at += 4;
    std::string block;
    while (block.size() < raw_len) {
      if (at + 4 > data.size()) return Status::Corruption("truncated hadoop chunk");
      uint32_t len = GetBe32(data, at);
      at += 4;
      if (at + len > data.size()) return Status::Corruption("truncated hadoop chunk");
      std::string piece;
      if (!snappy::Uncompress(data.data() + at, len, &piece)) return Status::Corruption("bad snappy");
      at += len;
      block += piece;
    }
    out += block;
  }
  return out;
}

}  // namespace

std::string_view DefaultExtension(Compression compression) {
  switch (compression) {
    case Compression::kUncompressed: return "";
    case Compression::kGzip: return ".gz";
    case Compression::kZip: return ".zip";
    case Compression::kSnappy:
    case Compression::kHadoopSnappy: return ".snappy";
  }
  return "";
}

Result<std::string> Compress(Compression compression, std::string_view data,
                             std::string_view entry_name) {
  switch (compression) {
    case Compression::kUncompressed: return std::string(data);
    case Compression::kGzip: return Gzip(data);
    case Compression::kZip: return Zip(data, entry_name);
    case Compression::kSnappy: return SnappyFramed(data);
    case Compression::kHadoopSnappy: return HadoopSnappy(data);
  }
  return Status::Internal("unknown compression");
}

Result<std::string> Decompress(Compression compression, std::string_view data) {
  switch (compression) {
    case Compression::kUncompressed: return std::string(data);
    case Compression::kGzip: return Gunzip(data);
    case Compression::kZip: return Unzip(data);
    case Compression::kSnappy: return SnappyUnframe(data);
    case Compression::kHadoopSnappy: return HadoopUnsnappy(data);
  }
  return Status::Internal("unknown compression");
}

}  // namespace osprey::firehose
