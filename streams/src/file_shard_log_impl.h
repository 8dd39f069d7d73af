// FileShardLog: the ShardLog of file_shard_log.h. Private to the module.
//
// Split over three files: file_shard_log.cc (appends, the syncer thread,
// retention, close), file_shard_log_read.cc (reads), file_shard_log_open.cc
// (open and recovery).
//
// Locking: one mutex, mu_, guards all mutable state including the mutable
// fields of every Segment. Appenders hold it while writing to the page cache
// (so the file order is the index order); nobody holds it across fsync or
// disk reads: the syncer and readers copy what they need (shared_ptrs to
// segments, offsets) under mu_ and do I/O without it.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "osprey/streams/file_shard_log.h"
#include "segment.h"

namespace osprey::streams {

class FileShardLog final : public ShardLog {
 public:
  // Use OpenFileShardLog(); public for make_unique.
  FileShardLog(std::string dir, LogOptions options);
  ~FileShardLog() override;

  // Recovers the directory and starts the syncer. Called once, before any
  // other method.
  Status Open(RecoveryReport* report);

  void AppendAsync(std::vector<RecordInput> records, AppendCallback done) override;
  Result<ReadResult> Read(uint64_t from_index, const ReadLimits& limits) override;
  Result<ReadResult> ReadFromTimestamp(int64_t timestamp_ms, const ReadLimits& limits) override;
  uint64_t Latest() const override;
  uint64_t TrimHorizon() const override;
  Result<RetentionResult> ApplyRetention(int64_t now_ms, int64_t retention_ms) override;
  LogStats Stats() const override;
  Status Close() override;

 private:
  struct Pending {
    AppendResult result;
    AppendCallback done;
  };
  // Where a read starts: by index or by arrival time.
  struct Start {
    bool by_time;
    uint64_t index;
    int64_t time_ms;
  };
  // A slice of a segment that a read will scan without holding mu_.
  struct ReadPlan {
    std::shared_ptr<Segment> segment;
    uint64_t offset;
    uint64_t end;
  };

  Status RecoverSegment(const std::shared_ptr<Segment>& seg, bool is_last, RecoveryReport* report);
  // REQUIRES: mu_ held. Seals the active segment (fsync) and starts a new
  // one at next_index_.
  Status RollLocked();
  void SyncLoop();
  // REQUIRES: mu_ held. Drops tail records until within the byte budget.
  void TrimTailLocked();

  Result<ReadResult> ReadFrom(Start start, const ReadLimits& limits);
  // REQUIRES: mu_ held. True (and fills *out) when the tail cache covers the
  // start; records are copied out, so the caller can drop mu_ after.
  bool ReadTailLocked(Start start, uint64_t first, uint64_t last, const ReadLimits& limits,
                      ReadResult* out);
  // Scans plans (no lock held) for records in [first, last] matching start.
  Status ReadDisk(const std::vector<ReadPlan>& plans, Start start, uint64_t first, uint64_t last,
                  const ReadLimits& limits, ReadResult* out);
  // First acknowledged index with arrival >= t (Latest()+1 if none).
  Result<uint64_t> FindIndexByTime(int64_t t);

  const std::string dir_;
  const LogOptions options_;

  mutable std::mutex mu_;
  std::condition_variable sync_cv_;                 // syncer waits for pending_ or closing_
  std::vector<std::shared_ptr<Segment>> segments_;  // GUARDED_BY(mu_); ascending, last active
  uint64_t next_index_ = 0;                         // GUARDED_BY(mu_); index the next record gets
  uint64_t synced_index_ = 0;     // GUARDED_BY(mu_); newest acknowledged (visible) index
  uint64_t trim_horizon_ = 0;     // GUARDED_BY(mu_); oldest visible index
  int64_t last_arrival_ms_ = 0;   // GUARDED_BY(mu_); arrival time never decreases
  Status bg_error_;               // GUARDED_BY(mu_); sticky, leveldb-style
  std::vector<Pending> pending_;  // GUARDED_BY(mu_); written, awaiting fsync
  // Most recent written records, contiguous indices; the ones past
  // synced_index_ are not visible yet.
  std::deque<Record> tail_;  // GUARDED_BY(mu_)
  size_t tail_bytes_ = 0;    // GUARDED_BY(mu_)
  LogStats stats_;           // GUARDED_BY(mu_)
  bool closing_ = false;     // GUARDED_BY(mu_)
  bool open_ = false;        // GUARDED_BY(mu_)
  int lock_fd_ = -1;         // flock'ed LOCK file; written only by Open/Close
  std::thread syncer_;
};

}  // namespace osprey::streams
