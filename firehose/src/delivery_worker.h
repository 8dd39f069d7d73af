// DeliveryWorker: moves one delivery stream's records from its durable log
// to the object store.
//
// One Step():
//  1. If batches are in flight (cut, not all objects confirmed), retry the
//     oldest when its backoff has passed; else
//  2. read new records from the log (from the in-memory read position, which
//     starts at the persisted checkpoint) into the buffer, up to the size
//     hint;
//  3. when the buffer reached SizeInMBs, or its oldest record is
//     IntervalInSeconds old, or `force` (reconfiguration), cut a batch:
//     process (processor.h), group by evaluated prefix, name. With a backlog
//     (the buffer refills to SizeInMBs at once) up to ParallelBatches()
//     full batches are cut, so that their objects compress on that many
//     threads;
//  4. deliver the batches in log order: write every object of the oldest;
//     once all are confirmed, persist the checkpoint (= last index of the
//     batch + 1, written atomically and fsynced), drop it, go on with the
//     next; then refill the buffer, so that NextDeadline() says "now" while
//     a backlog remains.
// Objects of one batch are written in order; a batch is written only after
// the one before it is checkpointed, so the checkpoint is always "everything
// before it is delivered". A crash between an object write and the
// checkpoint re-delivers that batch (duplicates only for the batch being
// written; batches cut but not yet written are simply cut again).
//
// Retries: a failed object write is retried with exponential backoff until
// the retry duration has passed since the batch's first failure; then each
// still-undelivered data object is replaced by an error-output object
// (errorCode S3.*, spec 5.4) that is retried without end.
//
// Threading: Step() and Reconfigure() are called by the owner's thread only
// (the per-stream worker thread, or the test thread); not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "osprey/firehose/config.h"
#include "osprey/firehose/engine.h"
#include "osprey/firehose/object_store.h"
#include "osprey/firehose/processor.h"
#include "osprey/streams/shard_log.h"

namespace osprey::firehose {

struct WorkerConfig {
  std::string stream_name;
  std::string stream_arn;
  std::string region;
  std::string incarnation;
  int64_t version_id = 1;
  // S3 streams: the destination. HttpEndpoint streams: the S3Configuration
  // (backup and failed data), with `http` set.
  S3Destination destination;
  std::optional<HttpEndpointDestination> http;
};

class DeliveryWorker {
 public:
  // `log`, `store`, `invoker` must outlive the worker. `checkpoint_path` is
  // read here (missing: start at the log's first index).
  static Result<std::unique_ptr<DeliveryWorker>> Open(WorkerConfig config, streams::ShardLog* log,
                                                      ObjectStore* store, LambdaInvoker* invoker,
                                                      std::string checkpoint_path,
                                                      const FirehoseOptions* options);

  // One step at `now_ms`; `force` flushes a non-empty buffer now. May run
  // compression on helper threads that it joins before returning.
  void Step(int64_t now_ms, bool force = false);

  // Flushes the open buffer under the old config, then switches.
  void Reconfigure(WorkerConfig config, int64_t now_ms);

  const DeliveryStats& stats() const { return stats_; }
  // When Step should next run, given nothing new arrives (epoch ms); 0 when
  // a full buffer is waiting (a backlog), so the caller should not sleep.
  int64_t NextDeadline() const;

 private:
  struct Object {
    std::string key;
    std::string body;  // uncompressed until CompressCut() ran
    std::string entry;  // ZIP entry name (the key's suffix without extension)
    bool compressed = false;
    bool error_output = false;
    std::vector<size_t> records;  // indices into Batch::records (data objects)
  };
  struct Batch {
    std::vector<streams::Record> records;
    std::vector<Object> objects;
    size_t next_object = 0;
    uint64_t end_index = 0;  // checkpoint once delivered
    int attempts = 0;
    int64_t first_failure_ms = 0;
    int64_t next_attempt_ms = 0;
    std::string last_error;
    // HttpEndpoint: the request still to be acknowledged by the endpoint.
    bool http_pending = false;
    std::string http_body;
    std::string request_id;
    std::vector<size_t> http_records;  // indices into records
    int http_attempts = 0;
    int64_t http_first_failure_ms = 0;
  };

  DeliveryWorker(WorkerConfig config, streams::ShardLog* log, ObjectStore* store,
                 LambdaInvoker* invoker, std::string checkpoint_path, const FirehoseOptions* options,
                 uint64_t checkpoint);

  void Fill();
  std::unique_ptr<Batch> CutBatch(int64_t now_ms);
  // Compresses the objects of every cut batch not compressed yet, on up to
  // ParallelBatches() threads.
  void CompressCut();
  // Delivers cut batches in order until one must wait for a retry.
  void DeliverCut(int64_t now_ms);
  // Writes the oldest batch; true once it is delivered and checkpointed.
  bool TryDeliver(int64_t now_ms);
  // HttpEndpoint: one POST attempt; false while a retry is scheduled.
  bool TryHttp(int64_t now_ms);
  int64_t Backoff(int attempts) const;
  uint64_t BufferLimit() const;
  bool BufferFull() const;
  size_t ParallelBatches() const;
  int64_t IntervalMs() const;
  Status PersistCheckpoint(uint64_t index);

  WorkerConfig config_;
  streams::ShardLog* log_;
  ObjectStore* store_;
  LambdaInvoker* invoker_;
  std::string checkpoint_path_;
  const FirehoseOptions* options_;

  uint64_t read_index_;  // next log index to read into the buffer
  std::vector<streams::Record> buffer_;
  uint64_t buffer_bytes_ = 0;
  std::deque<std::unique_ptr<Batch>> batches_;  // cut, in log order
  DeliveryStats stats_;
};

}  // namespace osprey::firehose
