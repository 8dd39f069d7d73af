#include "store/store_format.h"

#include <cstring>

#include "osprey/base/crc32c.h"

namespace osprey::fragments::store {
namespace {

constexpr char kMediaMagic[] = "OSPRFMD1";
constexpr char kIndexMagicV1[] = "OSPRFIX1";
constexpr char kIndexMagicV2[] = "OSPRFIX2";
constexpr char kHighWaterMagic[] = "OSPRFHW1";

void Put(std::string* out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t Get(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void SetU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// Masked CRC-32C of [p, p + n).
uint32_t Crc(const char* p, size_t n) { return crc32c::Mask(crc32c::Extend(0, p, n)); }

void PutMeta(std::string* out, const FragmentMeta& m) {
  Put(out, m.index, 8);
  Put(out, static_cast<uint64_t>(m.producer_timestamp_ms), 8);
  Put(out, static_cast<uint64_t>(m.server_timestamp_ms), 8);
  Put(out, static_cast<uint64_t>(m.duration_ms), 8);
  Put(out, m.cluster_timecode, 8);
}

void GetMeta(const char* p, FragmentMeta* m) {
  m->index = Get(p, 8);
  m->producer_timestamp_ms = static_cast<int64_t>(Get(p + 8, 8));
  m->server_timestamp_ms = static_cast<int64_t>(Get(p + 16, 8));
  m->duration_ms = static_cast<int64_t>(Get(p + 24, 8));
  m->cluster_timecode = Get(p + 32, 8);
}

}  // namespace

std::string EncodeFileHeader(FileKind kind, uint64_t base_index, uint64_t extra,
                             int index_version) {
  const char* magic = kind == FileKind::kMedia ? kMediaMagic
                      : index_version == 1     ? kIndexMagicV1
                                               : kIndexMagicV2;
  std::string out(magic, 8);
  Put(&out, base_index, 8);
  Put(&out, extra, 8);
  Put(&out, 0, 4);
  Put(&out, Crc(out.data(), out.size()), 4);
  return out;
}

bool DecodeFileHeader(FileKind kind, std::string_view b, uint64_t* base_index, uint64_t* extra,
                      int* index_version) {
  if (b.size() < kFileHeaderSize) return false;
  int version = 0;
  if (kind == FileKind::kMedia) {
    if (std::memcmp(b.data(), kMediaMagic, 8) != 0) return false;
  } else if (std::memcmp(b.data(), kIndexMagicV2, 8) == 0) {
    version = 2;
  } else if (std::memcmp(b.data(), kIndexMagicV1, 8) == 0) {
    version = 1;
  } else {
    return false;
  }
  if (Get(b.data() + 28, 4) != Crc(b.data(), 28) || Get(b.data() + 24, 4) != 0) return false;
  *base_index = Get(b.data() + 8, 8);
  *extra = Get(b.data() + 16, 8);
  if (index_version != nullptr) *index_version = version;
  return true;
}

uint64_t MediaRecordSize(const FragmentInput& f) {
  uint64_t n = kMediaRecordHeaderSize + f.stream_header.size() + f.cluster.size() + 2;
  for (const auto& t : f.metadata) n += 4 + t.name.size() + t.value.size();
  return n;
}

size_t EncodeMediaRecord(const FragmentInput& f, std::string* out) {
  const size_t start = out->size();
  const uint64_t size = MediaRecordSize(f);
  Put(out, 0, 4);  // CRC, set below
  Put(out, size - 8, 4);
  PutMeta(out, f.meta);
  Put(out, f.stream_header.size(), 4);
  Put(out, f.cluster.size(), 4);
  out->append(f.stream_header);
  out->append(f.cluster);
  Put(out, f.metadata.size(), 2);
  for (const auto& t : f.metadata) {
    Put(out, t.name.size(), 2);
    Put(out, t.value.size(), 2);
    out->append(t.name);
    out->append(t.value);
  }
  SetU32(out->data() + start, Crc(out->data() + start + 4, size - 4));
  return size;
}

Result<StoredFragment> DecodeMediaRecord(std::string_view b, uint64_t expect_index) {
  auto bad = [&](const char* why) {
    return Status::Corruption("fragment " + std::to_string(expect_index) + ": " + why);
  };
  if (b.size() < kMediaRecordHeaderSize || Get(b.data() + 4, 4) != b.size() - 8) {
    return bad("bad media record length");
  }
  if (Get(b.data(), 4) != Crc(b.data() + 4, b.size() - 4)) return bad("media checksum mismatch");
  StoredFragment f;
  GetMeta(b.data() + 8, &f.meta);
  if (f.meta.index != expect_index) return bad("media record holds another index");
  const uint64_t h = Get(b.data() + 48, 4);
  const uint64_t c = Get(b.data() + 52, 4);
  size_t pos = kMediaRecordHeaderSize;
  if (h + c + 2 > b.size() - pos) return bad("bad media record section lengths");
  f.stream_header.assign(b.data() + pos, h);
  pos += h;
  f.cluster.assign(b.data() + pos, c);
  pos += c;
  f.meta.size_bytes = c;
  const uint64_t tags = Get(b.data() + pos, 2);
  pos += 2;
  for (uint64_t i = 0; i < tags; ++i) {
    if (b.size() - pos < 4) return bad("bad metadata length");
    const size_t n = Get(b.data() + pos, 2);
    const size_t v = Get(b.data() + pos + 2, 2);
    pos += 4;
    if (b.size() - pos < n + v) return bad("bad metadata length");
    f.metadata.push_back({std::string(b.data() + pos, n), std::string(b.data() + pos + n, v)});
    pos += n + v;
  }
  if (pos != b.size()) return bad("trailing bytes in media record");
  return f;
}

void EncodeIndexEntry(const IndexEntry& e, int version, std::string* out) {
  const size_t start = out->size();
  const size_t size = IndexEntrySize(version);
  Put(out, 0, 4);
  Put(out, e.length, 4);
  PutMeta(out, e.meta);
  Put(out, e.offset, 8);
  Put(out, e.meta.size_bytes, 8);
  if (version >= 2) {
    Put(out, e.meta.content_hash, 8);
    Put(out, 0, 8);  // reserved
  }
  SetU32(out->data() + start, Crc(out->data() + start + 4, size - 4));
}

bool DecodeIndexEntry(std::string_view b, int version, IndexEntry* e) {
  const size_t size = IndexEntrySize(version);
  if (b.size() < size) return false;
  if (Get(b.data(), 4) != Crc(b.data() + 4, size - 4)) return false;
  e->length = static_cast<uint32_t>(Get(b.data() + 4, 4));
  GetMeta(b.data() + 8, &e->meta);
  e->offset = Get(b.data() + 48, 8);
  e->meta.size_bytes = Get(b.data() + 56, 8);
  // Bytes 72..79 of a version 2 entry are reserved: written as zero,
  // ignored here, so a later writer may use them without a new version.
  e->meta.content_hash = version >= 2 ? Get(b.data() + 64, 8) : 0;
  return e->length >= kMediaRecordHeaderSize && e->meta.size_bytes < e->length;
}

std::string EncodeHighWater(uint64_t value) {
  std::string out(kHighWaterMagic, 8);
  Put(&out, value, 8);
  Put(&out, Crc(out.data(), out.size()), 4);
  return out;
}

bool DecodeHighWater(std::string_view b, uint64_t* value) {
  if (b.size() != kHighWaterSize || std::memcmp(b.data(), kHighWaterMagic, 8) != 0) return false;
  if (Get(b.data() + 16, 4) != Crc(b.data(), 16)) return false;
  *value = Get(b.data() + 8, 8);
  return true;
}

}  // namespace osprey::fragments::store
