// ShardLog: the durable, append-only record log of one Kinesis shard.
//
// This is the storage interface of the data-stream engine. The file
// implementation (file_shard_log.h) keeps segment files on local disk; a
// cluster backend (NATS JetStream) can implement the same interface later.
//
// Contract, for every implementation:
//  * Sequence indices are assigned in acceptance order, consecutive, never
//    reused, and survive restarts.
//  * An append is acknowledged (callback with OK) only once its records are
//    durable (fsynced). Readers see only acknowledged records, so a reader
//    can never observe a record that a crash could later take away, and any
//    acknowledged record is readable immediately (Kinesis semantics).
//  * After a storage failure (write or fsync error) the log is failed: the
//    error sticks and every later append gets it. Reads of already
//    acknowledged records keep working.
//  * Records older than the retention are invisible once ApplyRetention()
//    has run with a "now" past their expiry.
//
// Thread safety: every method may be called from any thread concurrently,
// except that nothing may be called after (or during) Close() or the
// destructor. Append callbacks run on an internal thread; they must be quick
// and must not call AppendAndWait() on the same log (it would wait for the
// thread that is running the callback).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/base/status.h"
#include "osprey/streams/record.h"

namespace osprey::streams {

using AppendCallback = std::function<void(Result<AppendResult>)>;

struct RetentionResult {
  uint64_t segments_deleted = 0;
  uint64_t bytes_deleted = 0;
  uint64_t trim_horizon = 0;  // TrimHorizon() afterwards
};

// Counters for metrics and tests; monotonic since Open.
struct LogStats {
  uint64_t appends = 0;  // Append calls that were accepted
  uint64_t records = 0;  // records written
  uint64_t bytes = 0;    // encoded bytes written
  uint64_t syncs = 0;    // calls of the sync function, group commits and segment rolls
  uint64_t segments_rolled = 0;
};

class ShardLog {
 public:
  virtual ~ShardLog() = default;

  // Appends `records` (non-empty) as one batch with consecutive indices and
  // calls `done` once they are durable, or with the error that prevented it:
  // InvalidArgument (empty batch, oversized record), FailedPrecondition
  // (closed), IOError (storage failure, sticky). `done` may run before
  // AppendAsync returns (on errors detected up front) or later on the
  // log's internal thread. Concurrent appends share fsyncs (group commit).
  virtual void AppendAsync(std::vector<RecordInput> records, AppendCallback done) = 0;

  // Blocking convenience: AppendAsync and wait for the acknowledgement.
  Result<AppendResult> AppendAndWait(std::vector<RecordInput> records);

  // Acknowledged records with index >= max(from_index, TrimHorizon()), in
  // order, up to `limits`. Corruption if a stored record fails its checksum.
  virtual Result<ReadResult> Read(uint64_t from_index, const ReadLimits& limits) = 0;

  // Like Read, starting at the first acknowledged record whose arrival time
  // is >= `timestamp_ms` (arrival times never decrease within a shard).
  virtual Result<ReadResult> ReadFromTimestamp(int64_t timestamp_ms, const ReadLimits& limits) = 0;

  // Index of the newest acknowledged record; TrimHorizon() - 1 when there
  // is none.
  virtual uint64_t Latest() const = 0;

  // Index of the oldest record still visible (TRIM_HORIZON); Latest() + 1
  // when there is none.
  virtual uint64_t TrimHorizon() const = 0;

  // Hides records whose arrival time is older than now_ms - retention_ms and
  // deletes the storage that holds only such records. The caller decides
  // when to run it (a periodic timer) and supplies "now".
  virtual Result<RetentionResult> ApplyRetention(int64_t now_ms, int64_t retention_ms) = 0;

  virtual LogStats Stats() const = 0;

  // Waits for in-flight appends to be acknowledged (or failed), stops the
  // internal thread and releases files. Returns the sticky error, if any.
  // Idempotent.
  virtual Status Close() = 0;
};

}  // namespace osprey::streams
