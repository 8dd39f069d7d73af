#include "store/segment.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "store/store_format.h"

namespace osprey::fragments::store {
namespace {

std::string SegmentName(uint64_t base, const char* ext) {
  char name[40];
  std::snprintf(name, sizeof(name), "%020llu.%s", static_cast<unsigned long long>(base), ext);
  return name;
}

}  // namespace

Segment::Segment(std::string d, uint64_t base, int mfd, int ifd)
    : dir(std::move(d)), base_index(base), media_fd(mfd), index_fd(ifd) {}

Segment::~Segment() {
  if (media_fd >= 0) ::close(media_fd);
  if (index_fd >= 0) ::close(index_fd);
}

std::string Segment::media_path() const { return MediaPath(dir, base_index); }
std::string Segment::index_path() const { return IndexPath(dir, base_index); }

std::string MediaPath(const std::string& dir, uint64_t base) {
  return dir + "/" + SegmentName(base, "media");
}
std::string IndexPath(const std::string& dir, uint64_t base) {
  return dir + "/" + SegmentName(base, "index");
}

bool ParseSegmentName(std::string_view name, uint64_t* base_index, bool* is_media) {
  if (name.size() < 21 || name[20] != '.') return false;
  std::string_view ext = name.substr(21);
  if (ext != "media" && ext != "index") return false;
  uint64_t v = 0;
  for (char c : name.substr(0, 20)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *base_index = v;
  *is_media = ext == "media";
  return true;
}

Result<std::shared_ptr<Segment>> CreateSegment(const std::string& dir, uint64_t base,
                                               uint64_t high_water) {
  // O_TRUNC: a leftover file of this name can only come from a creation cut
  // short (recovery deletes segments without entries), so starting over is
  // safe.
  const int flags = O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC;
  const std::string mpath = MediaPath(dir, base);
  const std::string ipath = IndexPath(dir, base);
  int mfd = ::open(mpath.c_str(), flags, 0644);
  if (mfd < 0) return Status::FromErrno("create " + mpath, errno);
  int ifd = ::open(ipath.c_str(), flags, 0644);
  if (ifd < 0) {
    int err = errno;
    ::close(mfd);
    return Status::FromErrno("create " + ipath, err);
  }
  auto seg = std::make_shared<Segment>(dir, base, mfd, ifd);
  OSPREY_RETURN_IF_ERROR(WriteFully(mfd, EncodeFileHeader(FileKind::kMedia, base, 0)));
  OSPREY_RETURN_IF_ERROR(
      WriteFully(ifd, EncodeFileHeader(FileKind::kIndex, base, high_water, kIndexVersion)));
  seg->index_version = kIndexVersion;
  seg->media_size = seg->durable_size = kFileHeaderSize;
  seg->index_size = kFileHeaderSize;
  seg->needs_create_sync = true;
  return seg;
}

}  // namespace osprey::fragments::store
