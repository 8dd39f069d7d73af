// FirehoseEngine: the delivery-stream engine behind the Firehose API.
//
// It owns
//  * the registry of delivery streams (name, type, status, version id,
//    timestamps, tags and the destination description), persisted in
//    {root_dir}/streams.json, rewritten atomically on every change;
//  * per stream, a durable record log (streams::ShardLog at
//    {root_dir}/{name}/log): a Put is acknowledged only once its records
//    are fsynced there, and one PutRecordBatch is one append (group commit
//    with concurrent appends);
//  * per stream, one delivery worker thread: it reads the
//    log from its checkpoint ({root_dir}/{name}/checkpoint), buffers by
//    SizeInMBs / IntervalInSeconds, processes, compresses, names and writes
//    objects to the ObjectStore, and advances the checkpoint only once every
//    object of the batch is confirmed. After kill -9 delivery resumes at the
//    checkpoint: at-least-once, duplicates only for the batch in flight.
//  * per KinesisStreamAsSource stream, one reader thread copying the source
//    data stream (options.data_streams) into that log, checkpointed in
//    {root_dir}/{name}/source_checkpoint (docs/firehose.md "Kinesis stream
//    as source"); Put on such a stream is InvalidArgument.
//
// Status is CREATING for create_delay_ms after CreateDeliveryStream, then
// ACTIVE (computed from the clock; no timer). Delete removes the stream, its
// log and undelivered data at once.
//
// Errors (the API adapter maps them): NotFound "Firehose {name} under account
// {acct} not found."; AlreadyExists (name in use); FailedPrecondition
// (wrong status; a version mismatch is a FailedPrecondition whose message
// starts "Cannot update firehose:"); ResourceExhausted (stream or tag
// quota); InvalidArgument (configuration).
//
// Thread safety: every method may be called from any thread, except Close()
// and the destructor (once, after all other calls returned). Put callbacks
// run on a log's internal thread or, for errors found up front, on the
// caller's thread before PutRecordsAsync returns; they must be quick.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/base/status.h"
#include "osprey/base/value.h"
#include "osprey/firehose/object_store.h"
#include "osprey/firehose/processor.h"

namespace osprey::streams {
class StreamEngine;
}  // namespace osprey::streams

namespace osprey::firehose {

struct FirehoseOptions {
  // Where the registry, logs and checkpoints live; created if missing.
  std::string root_dir;
  // Root of the local folder object store (bucket NAME -> {s3_root}/NAME/),
  // used when object_store is null.
  std::string s3_root;
  std::shared_ptr<ObjectStore> object_store;
  std::string region = "us-east-1";
  std::string account = "000000000000";
  int64_t create_delay_ms = 500;  // CREATING -> ACTIVE
  size_t max_streams = 5000;
  size_t max_tags = 50;
  // Epoch ms. Default: system clock. Also the logs' arrival clock.
  std::function<int64_t()> clock;
  // false: no worker threads; tests call TEST_RunDeliveryOnce.
  bool start_workers = true;
  // How often an idle worker looks at its log and its interval deadline.
  int64_t poll_interval_ms = 100;
  // Destination retries: exponential backoff from retry_initial_ms (x2,
  // capped at retry_max_ms, +-15% jitter) for the destination's retry
  // duration, or s3_retry_duration_ms when it has none; then the records go
  // to the error output (spec 5.4).
  int64_t retry_initial_ms = 1000;
  int64_t retry_max_ms = 120'000;
  int64_t s3_retry_duration_ms = 24ll * 3600 * 1000;
  // LambdaArn -> "exec:COMMAND" or "http://..." (processor.h); used when
  // lambda_invoker is null.
  std::map<std::string, std::string> lambda_functions;
  std::shared_ptr<LambdaInvoker> lambda_invoker;
  // HttpEndpoint destinations: accept http:// URLs too (spec:
  // firehose.allow_plain_http); https:// is always accepted (http_client.h:
  // verified against the system CA store or SSL_CERT_FILE / SSL_CERT_DIR).
  bool allow_plain_http = false;
  // Log segments whose records are all older than this are deleted, whether
  // delivered or not (spec 5.1: undelivered DirectPut data is kept <= 24 h).
  // Checked by each worker about once a minute. Default 24 h.
  int64_t log_retention_ms = 24ll * 3600 * 1000;
  // KinesisStreamAsSource: the data-stream engine whose streams delivery
  // streams may read (kinesis_reader.h). Null: such streams are refused at
  // create and not started at open. Must outlive the FirehoseEngine; the
  // server passes its own engine in (server/src/app/app_streams.cc).
  streams::StreamEngine* data_streams = nullptr;
};

enum class StreamStatus { kCreating, kActive, kDeleting };
std::string_view StatusName(StreamStatus status);

// Destination kinds as the API names them.
inline constexpr std::string_view kExtendedS3 = "ExtendedS3";
inline constexpr std::string_view kS3 = "S3";
inline constexpr std::string_view kHttpEndpoint = "HttpEndpoint";

struct DeliveryStreamInfo {
  std::string name;
  std::string arn;
  std::string type = "DirectPut";
  StreamStatus status = StreamStatus::kCreating;
  int64_t version_id = 1;
  int64_t create_ms = 0;
  int64_t update_ms = 0;        // 0: never updated
  int64_t throughput_hint_mbs = 0;  // 0: not given
  std::string destination_kind;  // kExtendedS3, kS3 or kHttpEndpoint
  Value destination;             // description document, defaults filled in
  std::map<std::string, std::string> tags;
  std::string incarnation;       // 16 hex digits, see record_id.h
  // KinesisStreamAsSource only: the source and when reading started
  // (records that arrived in the data stream before it are not delivered).
  std::string source_stream_arn;
  std::string source_role_arn;
  int64_t delivery_start_ms = 0;
  // DeliveryStreamDescription.FailureDescription, when delivery cannot
  // proceed: today only a deleted Kinesis source stream (type
  // "UNKNOWN_ERROR", spec 7). Empty type: no failure. Not stored: computed
  // by Describe.
  std::string failure_type;
  std::string failure_details;
};

struct CreateRequest {
  std::string name;
  std::string type = "DirectPut";
  int64_t throughput_hint_mbs = 0;
  std::string destination_kind;
  Value destination;
  std::map<std::string, std::string> tags;
  // KinesisStreamAsSource only (type "KinesisStreamAsSource"): the data
  // stream's ARN, which must name a stream of options.data_streams
  // (InvalidArgument otherwise), and the role (stored, not used).
  std::string source_stream_arn;
  std::string source_role_arn;
};

// Delivery counters, for tests and metrics.
struct DeliveryStats {
  uint64_t checkpoint = 0;        // next log index to deliver
  uint64_t objects_written = 0;
  uint64_t error_objects_written = 0;
  uint64_t failed_attempts = 0;
};

class FirehoseEngine {
 public:
  // Opens the registry and every stream's log (with recovery) and starts
  // the workers. IOError/Corruption when the root cannot be used.
  static Result<std::unique_ptr<FirehoseEngine>> Open(FirehoseOptions options);
  virtual ~FirehoseEngine() = default;

  virtual Status Create(const CreateRequest& request) = 0;
  virtual Result<DeliveryStreamInfo> Describe(const std::string& name) = 0;
  // Names in ascending order, optionally only of one type ("" = all).
  virtual std::vector<std::string> List(const std::string& type_filter) = 0;
  virtual Status Delete(const std::string& name) = 0;

  // Appends `records` as one durable batch and calls `done` with their
  // RecordIds in order. NotFound when the stream is unknown or not ACTIVE;
  // InvalidArgument for a non-DirectPut stream; IOError from the log.
  using PutCallback = std::function<void(Result<std::vector<std::string>>)>;
  virtual void PutRecordsAsync(const std::string& name, std::vector<std::string> records,
                               PutCallback done) = 0;

  // Checks status (ACTIVE, else FailedPrecondition) and version id (else
  // FailedPrecondition "Cannot update firehose: ..."), then calls `mutate`
  // with the current info; it returns the new (kind, description). The
  // description is parsed (InvalidArgument), stored, the version id bumped
  // and the worker reconfigured (its open buffer flushes under the old
  // settings first).
  using Mutation = std::function<Result<std::pair<std::string, Value>>(const DeliveryStreamInfo&)>;
  virtual Status UpdateDestination(const std::string& name, int64_t expected_version,
                                   const Mutation& mutate) = 0;

  virtual Status Tag(const std::string& name, const std::map<std::string, std::string>& tags) = 0;
  virtual Status Untag(const std::string& name, const std::vector<std::string>& keys) = 0;

  // Stops workers (undelivered records stay in the logs) and closes logs.
  virtual Status Close() = 0;

  // Tests: runs one delivery step of every stream's worker on the caller's
  // thread (only with start_workers = false).
  virtual void TEST_RunDeliveryOnce() = 0;
  virtual Result<DeliveryStats> TEST_Stats(const std::string& name) = 0;
};

}  // namespace osprey::firehose
