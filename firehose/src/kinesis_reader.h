// KinesisReader: the source side of a KinesisStreamAsSource delivery stream.
// It reads every shard of an Osprey data stream (streams::StreamEngine, the
// same process) and appends the records to the delivery stream's own
// durable log, from which the ordinary DeliveryWorker delivers them. So
// buffering, processors, destinations, retries and the delivery checkpoint
// are exactly those of a DirectPut stream.
//
// Positions: a shard seen for the first time starts AT_TIMESTAMP the
// delivery start time (spec 7; for shards created later that is their
// first record). Resharding: a shard is read only once each parent that is
// still listed has been read to its end (as KCL does), so the records of one
// hash key stay in order across a split or merge. Shards are visited in
// index order, so children can follow their parents in the same pass.
//
// Durability, without duplicates: each copied record carries its source
// position in the log record's explicit hash key ("shardId-N index"). The
// source checkpoint file ({dir}/source_checkpoint) holds the per-shard
// next index, the finished shards and the delivery log's end at the time
// it was written; on open the reader rescans the log from that end, so a
// crash between a log append and the checkpoint write neither copies a
// record twice nor skips one. (Delivery from the log onwards is the
// worker's at-least-once batch.)
//
// Threading: PollOnce may be called from any thread (serialised inside);
// with options.start_workers a thread calls it every poll_interval_ms.
// Close stops that thread (once, before the log is closed).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "osprey/base/result.h"
#include "osprey/firehose/engine.h"
#include "osprey/streams/shard_log.h"

namespace osprey::firehose {

class KinesisReader {
 public:
  // `engine` and `log` must outlive the reader. `stream` is the data
  // stream's name. Reads the checkpoint (Corruption if malformed) and
  // rescans the log past it.
  static Result<std::unique_ptr<KinesisReader>> Open(streams::StreamEngine* engine,
                                                     std::string stream, int64_t start_ms,
                                                     streams::ShardLog* log, std::string dir,
                                                     const FirehoseOptions* options);
  ~KinesisReader();

  // One pass over the stream's shards: copies what is new. Returns the
  // number of records copied; errors are logged and retried next pass.
  // Records in KPL's aggregated format are copied as their user records
  // (kpl_aggregation.h).
  size_t PollOnce();
  // Why the source cannot be read ("" while it can): set when the source
  // stream has been deleted, cleared once a pass lists its shards again.
  // Any thread.
  std::string Failure() const;
  void Close();

 private:
  KinesisReader() = default;
  void Loop();
  Status LoadCheckpoint();
  Status Rescan();
  Status SaveCheckpoint();
  // Copies what is new in one shard (REQUIRES poll_mu_).
  Result<size_t> CopyShard(const std::string& shard_id, uint32_t index, bool* changed);
  void SetFailure(std::string failure);

  streams::StreamEngine* engine_ = nullptr;
  std::string stream_;
  int64_t start_ms_ = 0;
  streams::ShardLog* log_ = nullptr;
  std::string checkpoint_path_;
  const FirehoseOptions* options_ = nullptr;

  std::mutex poll_mu_;
  std::map<std::string, uint64_t> next_;  // shard -> next index; guarded by poll_mu_
  std::set<std::string> finished_;        // read to SHARD_END; guarded by poll_mu_
  uint64_t log_end_ = 0;                  // log index after the checkpointed copies
  int64_t next_warning_ms_ = 0;           // guarded by poll_mu_
  mutable std::mutex failure_mu_;
  std::string failure_;  // guarded by failure_mu_

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace osprey::firehose
