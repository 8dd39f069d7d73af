// One segment of a stream's fragment log: a media file and its index file,
// both named after the index of the segment's first fragment. Private to the
// store; its POSIX file helpers (WriteFully, PreadFully, SyncDirectory) are
// osprey/base/file_util.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "osprey/base/file_util.h"
#include "osprey/base/result.h"
#include "osprey/base/status.h"

namespace osprey::fragments::store {

// Both fds are immutable and closed by the destructor; a reader holding the
// shared_ptr can still pread a segment that retention has unlinked.
//
// Mutable fields: media_size, first_server_ms, last_written_index,
// durable_size are guarded by the owning log's mutex. index_size is touched
// only by the syncer thread (the only writer of index files) and by recovery
// before the syncer sees the segment. needs_create_sync is set at creation
// and cleared by the syncer once files and directory entry are durable.
struct Segment {
  Segment(std::string dir, uint64_t base_index, int media_fd, int index_fd);
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  const std::string dir;
  const uint64_t base_index;
  const int media_fd;
  const int index_fd;
  // Layout of the index file (store_format.h kIndexVersion); set before the
  // segment is shared. Appends go to version-2 segments only.
  int index_version = 2;

  uint64_t media_size = 0;          // bytes written (page cache)
  uint64_t durable_size = 0;        // end of the newest acknowledged record
  uint64_t last_written_index = 0;  // newest fragment written; 0 while none
  int64_t first_server_ms = 0;      // of its first fragment, for media_file_ms
  uint64_t index_size = 0;          // bytes of the index file (syncer only)
  std::atomic<bool> needs_create_sync{false};

  std::string media_path() const;
  std::string index_path() const;
};

// "<dir>/<base, 20 digits>.media" and ".index": names sort in index order.
std::string MediaPath(const std::string& dir, uint64_t base_index);
std::string IndexPath(const std::string& dir, uint64_t base_index);
// True for "<20 digits>.media" / ".index"; sets the base and which one.
bool ParseSegmentName(std::string_view name, uint64_t* base_index, bool* is_media);

// Creates both files with their headers, written but not synced: appends
// run on network threads and never fsync, so the syncer makes the files and
// the directory entry durable (needs_create_sync) before any index entry of
// the segment is written.
Result<std::shared_ptr<Segment>> CreateSegment(const std::string& dir, uint64_t base_index,
                                               uint64_t high_water);


}  // namespace osprey::fragments::store
