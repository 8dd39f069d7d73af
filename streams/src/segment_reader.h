// Sequential, buffered reader of the records of one segment file region.
// Used by recovery (validating every frame) and by disk reads. Reads with
// pread, so many readers may share one fd. Not thread-safe itself.
#pragma once

#include <cstdint>
#include <string>

#include "osprey/base/status.h"
#include "record_format.h"

namespace osprey::streams {

class SegmentReader {
 public:
  enum class Outcome { kRecord, kEnd, kTorn, kCorrupt, kIOError };

  // Reads frames in [offset, end) of `fd`.
  SegmentReader(int fd, uint64_t offset, uint64_t end, uint32_t max_record_bytes);

  // The next record; the view stays valid until the next call. kTorn: the
  // region ends inside a frame. kCorrupt/kIOError: see status().
  Outcome Next(format::RecordView* record);

  // Offset of the frame last returned, or where a failure was found.
  uint64_t record_offset() const { return record_offset_; }
  // Offset just past the last frame returned.
  uint64_t position() const { return pos_; }
  const Status& status() const { return status_; }

 private:
  // Makes [pos_, pos_ + n) available in buf_; false if the region is shorter.
  bool Fill(uint64_t n);

  const int fd_;
  const uint64_t end_;
  const uint32_t max_record_bytes_;
  uint64_t pos_;
  uint64_t record_offset_;
  std::string buf_;
  uint64_t buf_start_ = 0;  // file offset of buf_[0]
  Status status_;
};

}  // namespace osprey::streams
