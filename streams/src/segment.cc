#include "segment.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace osprey::streams {

Segment::Segment(std::string p, int f, uint64_t base)
    : path(std::move(p)), fd(f), base_index(base), last_index(base - 1) {}

Segment::~Segment() {
  if (fd >= 0) ::close(fd);
}

void Segment::NoteRecord(uint64_t record_index, uint64_t offset, int64_t arrival_ms,
                         uint64_t interval) {
  if (index.empty() || offset - index.back().offset >= interval) {
    index.push_back({record_index, offset, arrival_ms});
  }
  last_index = record_index;
  max_arrival_ms = arrival_ms;
}

uint64_t Segment::SeekIndex(uint64_t i) const {
  auto it = std::upper_bound(index.begin(), index.end(), i,
                             [](uint64_t v, const IndexEntry& e) { return v < e.index; });
  return it == index.begin() ? format::kSegmentHeaderSize : std::prev(it)->offset;
}

uint64_t Segment::SeekTime(int64_t t) const {
  // Last entry strictly older than t: records between it and the next entry
  // may still be >= t, so the scan must start there, not at the next entry.
  auto it = std::lower_bound(index.begin(), index.end(), t,
                             [](const IndexEntry& e, int64_t v) { return e.arrival_ms < v; });
  return it == index.begin() ? format::kSegmentHeaderSize : std::prev(it)->offset;
}

std::string SegmentPath(const std::string& dir, uint64_t base_index) {
  char name[32];
  std::snprintf(name, sizeof(name), "%020llu.log", static_cast<unsigned long long>(base_index));
  return dir + "/" + name;
}

bool ParseSegmentName(std::string_view name, uint64_t* base_index) {
  if (name.size() != 24 || name.substr(20) != ".log") return false;
  uint64_t v = 0;
  for (char c : name.substr(0, 20)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *base_index = v;
  return true;
}

Result<std::shared_ptr<Segment>> CreateSegment(const std::string& dir, uint64_t base_index,
                                               const SyncFn& sync) {
  std::string path = SegmentPath(dir, base_index);
  // O_TRUNC: a leftover file of this name can only be an empty segment whose
  // creation crashed (recovery removes the rest), so starting over is safe.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno("create " + path, errno);
  auto seg = std::make_shared<Segment>(path, fd, base_index);
  std::string header;
  format::AppendSegmentHeader(base_index, &header);
  OSPREY_RETURN_IF_ERROR(WriteFully(fd, header));
  OSPREY_RETURN_IF_ERROR(sync(fd));
  OSPREY_RETURN_IF_ERROR(SyncDirectory(dir));
  return seg;
}

}  // namespace osprey::streams
