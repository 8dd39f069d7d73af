// FileSpool: the Spool of spool.h on POSIX files. Private to agent/.
// Layout and fsync rules: agent/FORMAT.md.
//
// Thread safety: every public method takes mu_; disk I/O runs under it.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "osprey/agent/spool.h"

namespace osprey::agent::spool {

class FileSpool final : public Spool {
 public:
  explicit FileSpool(SpoolOptions options);
  ~FileSpool() override;

  // Recovery (file_spool_open.cc). Called once by Spool::Open.
  Status Recover();

  Result<uint64_t> Append(int64_t producer_timestamp_ms, std::string_view stream_header,
                          std::string_view cluster) override;
  Result<std::optional<SpooledFragment>> ReadFrom(uint64_t seq) override;
  bool WaitFor(uint64_t seq, std::chrono::milliseconds timeout) override;
  Status Acknowledge(uint64_t seq) override;
  std::optional<int64_t> LastProducerTimestamp() const override;
  uint64_t acked_seq() const override;
  SpoolStats Stats() const override;
  void Close() override;

 private:
  struct Entry {
    uint64_t seq;
    uint64_t segment;  // first seq of the segment (its key in segments_)
    uint64_t offset;   // of the record header in the file
    uint64_t size;     // header + payload
  };
  struct Segment {
    std::string path;
    int fd = -1;
    uint64_t bytes = 0;
    uint64_t last_seq = 0;  // 0 while empty
  };

  std::string SegmentPath(uint64_t first_seq) const;
  // REQUIRES: mu_ held.
  Status RollLocked(uint64_t first_seq);
  void DeleteSegmentLocked(std::map<uint64_t, Segment>::iterator it);
  Status ScanSegmentLocked(uint64_t first_seq, Segment* segment);
  Status WriteMarkerLocked(uint64_t seq, int64_t ts);

  const SpoolOptions options_;
  uint64_t segment_bytes_ = 0;
  int lock_fd_ = -1;

  mutable std::mutex mu_;
  std::condition_variable appended_;
  std::map<uint64_t, Segment> segments_;  // by first seq; last one is active
  std::deque<Entry> entries_;             // every record on disk, seq order
  uint64_t total_bytes_ = 0;
  uint64_t next_seq_ = 1;
  uint64_t acked_seq_ = 0;
  int64_t acked_ts_ = 0;
  std::optional<int64_t> last_ts_;
  uint64_t dropped_ = 0;
  uint64_t truncated_ = 0;
  bool closed_ = false;
  Status sticky_error_;
};

}  // namespace osprey::agent::spool
