#include "segment_index.h"

#include <cstdio>
#include <fstream>
#include <iterator>

#include "osprey/base/crc32c.h"

namespace osprey::streams {
namespace {

constexpr std::string_view kIndexMagic = "OSPRIDX1";
// magic, base, last index, covered size, max arrival, entry count
constexpr size_t kIndexHeaderSize = 8 + 8 + 8 + 8 + 8 + 4;
constexpr size_t kEntrySize = 24;

void Put(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t Get(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

std::string IndexPathFor(const Segment& seg) {
  return seg.path.substr(0, seg.path.size() - 4) + ".idx";
}

Status WriteSegmentIndex(const Segment& seg, const SyncFn& sync) {
  std::string buf(kIndexMagic);
  Put(&buf, seg.base_index, 8);
  Put(&buf, seg.last_index, 8);
  Put(&buf, seg.size, 8);
  Put(&buf, static_cast<uint64_t>(seg.max_arrival_ms), 8);
  Put(&buf, seg.index.size(), 4);
  for (const IndexEntry& e : seg.index) {
    Put(&buf, e.index, 8);
    Put(&buf, e.offset, 8);
    Put(&buf, static_cast<uint64_t>(e.arrival_ms), 8);
  }
  Put(&buf, crc32c::Mask(crc32c::Value(buf)), 4);

  // FORMAT.md: written to <base>.idx.tmp, synced, renamed. The directory is
  // not synced here: the fsync that follows creating the next segment makes
  // the rename durable, and an index lost in a crash is rebuilt anyway.
  AtomicWriteOptions write;
  write.temp_suffix = ".tmp";
  write.sync = sync;
  write.sync_directory = false;
  return WriteFileAtomically(IndexPathFor(seg), buf, write);
}

bool LoadSegmentIndex(Segment* seg, uint64_t file_size) {
  std::ifstream in(IndexPathFor(*seg), std::ios::binary);
  if (!in) return false;
  std::string buf(std::istreambuf_iterator<char>(in), {});
  if (buf.size() < kIndexHeaderSize + 4 || buf.substr(0, 8) != kIndexMagic) return false;
  const size_t body = buf.size() - 4;
  if (crc32c::Unmask(static_cast<uint32_t>(Get(buf.data() + body, 4))) !=
      crc32c::Value(std::string_view(buf.data(), body))) {
    return false;
  }
  const char* p = buf.data() + 8;
  const uint64_t base = Get(p, 8);
  const uint64_t last = Get(p + 8, 8);
  const uint64_t size = Get(p + 16, 8);
  const int64_t max_arrival = static_cast<int64_t>(Get(p + 24, 8));
  const uint64_t count = Get(p + 32, 4);
  if (base != seg->base_index || size != file_size || last < base ||
      body != kIndexHeaderSize + count * kEntrySize || count == 0) {
    return false;
  }
  std::vector<IndexEntry> entries;
  entries.reserve(count);
  for (const char* e = buf.data() + kIndexHeaderSize; e < buf.data() + body; e += kEntrySize) {
    entries.push_back({Get(e, 8), Get(e + 8, 8), static_cast<int64_t>(Get(e + 16, 8))});
    const IndexEntry& x = entries.back();
    if (x.index < base || x.index > last || x.offset < format::kSegmentHeaderSize ||
        x.offset >= size ||
        (entries.size() > 1 && x.offset <= entries[entries.size() - 2].offset)) {
      return false;
    }
  }
  if (entries.front().index != base || entries.front().offset != format::kSegmentHeaderSize) {
    return false;
  }
  seg->index = std::move(entries);
  seg->last_index = last;
  seg->max_arrival_ms = max_arrival;
  seg->size = seg->durable_size = size;
  return true;
}

}  // namespace osprey::streams
