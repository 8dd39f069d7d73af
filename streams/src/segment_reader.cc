#include "segment_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace osprey::streams {
namespace {
// Large enough that a scan of small records costs one syscall per 256 KiB.
constexpr uint64_t kReadChunk = 256 * 1024;
}  // namespace

SegmentReader::SegmentReader(int fd, uint64_t offset, uint64_t end, uint32_t max_record_bytes)
    : fd_(fd),
      end_(end),
      max_record_bytes_(max_record_bytes),
      pos_(offset),
      record_offset_(offset) {}

bool SegmentReader::Fill(uint64_t n) {
  if (pos_ >= buf_start_ && pos_ + n <= buf_start_ + buf_.size()) return true;
  if (pos_ + n > end_) return false;
  uint64_t want = std::min(std::max(n, kReadChunk), end_ - pos_);
  buf_.resize(want);
  buf_start_ = pos_;
  uint64_t got = 0;
  while (got < want) {
    ssize_t r = ::pread(fd_, buf_.data() + got, want - got, static_cast<off_t>(pos_ + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      status_ = Status::FromErrno("pread", errno);
      buf_.clear();
      return false;
    }
    if (r == 0) break;  // file shorter than we were told: treat as torn
    got += static_cast<uint64_t>(r);
  }
  buf_.resize(got);
  return got >= n;
}

SegmentReader::Outcome SegmentReader::Next(format::RecordView* record) {
  record_offset_ = pos_;
  if (pos_ >= end_) return Outcome::kEnd;
  std::string why;
  size_t frame = 0;
  uint64_t need = format::kFrameHeaderSize;
  // At most two rounds: the header tells how much the whole frame needs.
  for (int round = 0; round < 2; ++round) {
    if (!Fill(need)) return status_.ok() ? Outcome::kTorn : Outcome::kIOError;
    std::string_view avail(buf_.data() + (pos_ - buf_start_), buf_start_ + buf_.size() - pos_);
    switch (format::DecodeRecord(avail, max_record_bytes_, record, &frame, &why)) {
      case format::Decode::kOk:
        pos_ += frame;
        return Outcome::kRecord;
      case format::Decode::kCorrupt:
        status_ = Status::Corruption(why);
        return Outcome::kCorrupt;
      case format::Decode::kTruncated: {
        uint32_t body = static_cast<uint8_t>(avail[4]) | static_cast<uint8_t>(avail[5]) << 8 |
                        static_cast<uint8_t>(avail[6]) << 16 |
                        static_cast<uint32_t>(static_cast<uint8_t>(avail[7])) << 24;
        need = format::kFrameHeaderSize + body;
        break;
      }
    }
  }
  return Outcome::kTorn;
}

}  // namespace osprey::streams
