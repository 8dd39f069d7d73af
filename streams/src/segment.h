// One segment file of a shard log. Internal to FileShardLog; the file
// helpers it and the log use (WriteFully, SyncDirectory) are
// osprey/base/file_util.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/base/file_util.h"
#include "osprey/base/result.h"
#include "osprey/base/status.h"
#include "osprey/streams/log_options.h"
#include "record_format.h"

namespace osprey::streams {

struct IndexEntry {
  uint64_t index;      // sequence index of the record at `offset`
  uint64_t offset;     // file offset of its frame
  int64_t arrival_ms;  // its arrival time
};

// A segment file. The fd is immutable and closed by the destructor; holding
// a shared_ptr keeps the file readable after retention unlinks it, so a
// reader never races a deletion.
//
// Every other field is guarded by the owning FileShardLog's mu_ (they are
// written by appenders and the syncer, read by readers planning a read).
// Invariant: records are contiguous, base_index .. last_index.
struct Segment {
  Segment(std::string path, int fd, uint64_t base_index);
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  const std::string path;
  const int fd;
  const uint64_t base_index;

  uint64_t size = format::kSegmentHeaderSize;          // bytes written
  uint64_t durable_size = format::kSegmentHeaderSize;  // bytes known fsynced
  uint64_t last_index;                                 // base_index - 1 while empty
  int64_t max_arrival_ms = 0;     // of the newest record; meaningless while empty
  std::vector<IndexEntry> index;  // sparse, ascending; first record always indexed

  bool empty() const { return last_index < base_index; }
  // Adds an index entry when the record at `offset` is the first one or at
  // least `interval` bytes past the last entry.
  void NoteRecord(uint64_t record_index, uint64_t offset, int64_t arrival_ms, uint64_t interval);
  // Offset to start scanning for the first record with index >= i (or
  // arrival >= t): the last index entry not past it, else the first record.
  uint64_t SeekIndex(uint64_t i) const;
  uint64_t SeekTime(int64_t t) const;
};

// "<dir>/<base index, 20 digits>.log": names sort in index order.
std::string SegmentPath(const std::string& dir, uint64_t base_index);
// True (and the base index) for a segment file name.
bool ParseSegmentName(std::string_view name, uint64_t* base_index);

// Creates a new segment: writes and syncs the header, then fsyncs the
// directory so the file survives a crash.
Result<std::shared_ptr<Segment>> CreateSegment(const std::string& dir, uint64_t base_index,
                                               const SyncFn& sync);

}  // namespace osprey::streams
