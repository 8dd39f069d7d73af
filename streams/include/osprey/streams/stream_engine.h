// StreamEngine: the Kinesis Data Streams engine above the shard logs. It
// owns the stream registry (streams, shards and their lineage, tags,
// consumers), routes records to shards by hash key, resolves iterator
// positions and reads shards. No HTTP or JSON here: the API adapter
// (streams/api/, later) maps requests onto these calls and Status codes onto
// exception names (stream_errors.h).
//
// Storage (FORMAT.md "Engine"): under EngineOptions::root_dir a registry file
// (rewritten atomically on every control-plane change), the iterator key,
// and one ShardLog (file_shard_log.h) per shard in
// streams/<stream id>-<name>/shardId-NNNNNNNNNNNN/.
//
// Lifecycle and status: CreateStream makes a stream CREATING for
// create_delay_ms (default 500 ms, as the spec), then ACTIVE; resharding,
// UpdateStreamMode and Start/StopEncryption make it UPDATING for
// update_delay_ms. The change itself
// is committed (and visible in Describe) at once; the status is only what
// waiters poll for and what makes a second reshard wait. Status is computed
// from the clock, so no timer runs. DeleteStream removes the stream at once
// (DELETING is never observed). Consumers are CREATING for create_delay_ms.
//
// Errors: every method returns the Status codes listed in stream_errors.h,
// with the spec's message texts where it gives them. Names are stream names
// (the API layer resolves ARNs with StreamNameFromArn first).
//
// Thread safety: every method may be called from any thread concurrently,
// except Close() and the destructor, which must be called once, after all
// other calls have returned. Put callbacks run on a shard log's internal
// thread (or, for errors found up front, on the caller's thread before
// PutRecordsAsync returns); they must be quick and must not call the
// blocking PutRecords.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/streams/log_options.h"
#include "osprey/streams/record.h"
#include "osprey/streams/stream_types.h"

namespace osprey::streams {

struct EngineOptions {
  // Directory of everything the engine stores; created if missing.
  std::string root_dir;
  std::string region = "us-east-1";
  std::string account = "000000000000";  // 12 digits, used in ARNs and messages

  // CREATING and UPDATING periods (spec 4.1). Tests set 0.
  int64_t create_delay_ms = 500;
  int64_t update_delay_ms = 500;

  // Quotas (spec 4.8), always enforced; 0 = unlimited where noted.
  uint32_t shard_limit = 500;              // open shards over all streams
  uint32_t on_demand_stream_limit = 50;
  uint32_t max_creating_streams = 5;       // 0 = unlimited
  uint32_t max_tags = 50;
  uint32_t max_consumers = 20;
  uint32_t max_creating_consumers = 5;     // 0 = unlimited
  uint32_t max_shard_count_updates_per_day = 10;  // UpdateShardCount; 0 = unlimited
  uint32_t max_encryption_changes_per_day = 25;   // Start/StopEncryption; 0 = unlimited

  // Per-shard write throughput (spec 4.8), off by default. When on, records
  // beyond it fail per entry with ResourceExhausted "Rate exceeded for shard
  // {id} in stream {s} under account {a}." Token buckets holding one
  // second's worth.
  bool enforce_throughput_limits = false;
  uint64_t shard_write_bytes_per_second = 1 << 20;  // data + partition key
  uint64_t shard_write_records_per_second = 1000;

  int64_t iterator_ttl_ms = 300000;

  // Epoch ms; default system_clock. Also given to every shard log, so that
  // arrival times, retention and status share one clock.
  ClockFn clock;
  // For every shard log (its clock field is replaced by `clock`).
  LogOptions log_options;
};

class StreamEngine {
 public:
  using PutRecordsCallback = std::function<void(Result<std::vector<PutRecordResult>>)>;

  virtual ~StreamEngine() = default;

  // ---- Streams ----------------------------------------------------------
  // AlreadyExists "Stream {s} under account {a} already exists."; InvalidArgument
  // (PROVISIONED without shard_count, shard_count 0, bad record size, tags);
  // ResourceExhausted (shard limit with the spec's text, CREATING or
  // on-demand quota).
  virtual Status CreateStream(std::string_view name, const CreateStreamOptions& options) = 0;
  // NotFound; FailedPrecondition when CREATING, or when consumers are
  // registered and enforce_consumer_deletion is false.
  virtual Status DeleteStream(std::string_view name, bool enforce_consumer_deletion) = 0;
  virtual Result<StreamDescription> DescribeStream(std::string_view name) = 0;
  // Names after `exclusive_start` (byte order), at most `limit`.
  virtual ListStreamsResult ListStreams(std::string_view exclusive_start, size_t limit) = 0;
  // Listed shards passing `filter`, by index (pagination is the caller's).
  virtual Result<std::vector<ShardDescription>> ListShards(std::string_view name,
                                                           const ShardFilter& filter) = 0;
  virtual Status IncreaseRetention(std::string_view name, int32_t hours) = 0;
  virtual Status DecreaseRetention(std::string_view name, int32_t hours) = 0;
  // Overwrites existing keys. InvalidArgument for bad characters or more
  // than max_tags in total.
  virtual Status AddTags(std::string_view name, const std::map<std::string, std::string>& tags) = 0;
  virtual Status RemoveTags(std::string_view name, const std::vector<std::string>& keys) = 0;
  virtual Result<std::map<std::string, std::string>> ListTags(std::string_view name) = 0;
  // Needs ACTIVE; the same mode again is accepted and changes nothing.
  virtual Status UpdateStreamMode(std::string_view name, StreamMode mode) = 0;
  virtual AccountLimits DescribeLimits() = 0;

  // "arn:aws:kinesis:{region}:{account}:stream/{name}" (whether or not it exists).
  virtual std::string StreamArn(std::string_view name) const = 0;
  // The stream name of an ARN of this engine's region and account:
  // InvalidArgument when it is no stream ARN, NotFound for another
  // region/account (spec 3 "Addr").
  virtual Result<std::string> StreamNameFromArn(std::string_view arn) const = 0;

  // ---- Monitoring and encryption (engine_admin.cc) ----------------------
  // `metrics` are names of kShardLevelMetrics or "ALL" (InvalidArgument for
  // others or an empty list). Needs ACTIVE (FailedPrecondition otherwise).
  // The set is stored in the registry and shown by DescribeStream; the
  // stream does not become UPDATING. Only a setting: no metrics are emitted.
  virtual Result<MonitoringChange> EnableMonitoring(std::string_view name,
                                                    const std::vector<std::string>& metrics) = 0;
  virtual Result<MonitoringChange> DisableMonitoring(std::string_view name,
                                                     const std::vector<std::string>& metrics) = 0;
  // Needs ACTIVE (FailedPrecondition otherwise); ResourceExhausted past
  // max_encryption_changes_per_day (Start and Stop count alike). The
  // stream is UPDATING for update_delay_ms. From the commit on, records put are sealed with
  // AES-256-GCM under the data key of `key_id` (non-empty, <= 2048 bytes),
  // FORMAT.md "Encrypted records"; reads decrypt transparently.
  virtual Status StartEncryption(std::string_view name, std::string_view key_id) = 0;
  // Needs ACTIVE; new records are stored in clear again (old ones stay
  // readable) and the stream is UPDATING for update_delay_ms. When
  // encryption is already off this changes nothing and succeeds. `key_id`
  // is not compared with the stream's key (records name their own key).
  virtual Status StopEncryption(std::string_view name, std::string_view key_id) = 0;

  // ---- Resharding (spec 4.6; needs ACTIVE and PROVISIONED) --------------
  virtual Status SplitShard(std::string_view name, std::string_view shard_id,
                            std::string_view new_starting_hash_key) = 0;
  virtual Status MergeShards(std::string_view name, std::string_view shard_to_merge,
                             std::string_view adjacent_shard_to_merge) = 0;
  // UNIFORM_SCALING (the only scaling type).
  virtual Result<UpdateShardCountResult> UpdateShardCount(std::string_view name,
                                                          uint32_t target) = 0;

  // ---- Consumers --------------------------------------------------------
  virtual Result<ConsumerDescription> RegisterConsumer(std::string_view stream,
                                                       std::string_view consumer) = 0;
  virtual Result<ConsumerDescription> DescribeConsumer(std::string_view stream,
                                                       std::string_view consumer) = 0;
  virtual Result<ConsumerDescription> DescribeConsumerByArn(std::string_view consumer_arn) = 0;
  // In registration order.
  virtual Result<std::vector<ConsumerDescription>> ListConsumers(std::string_view stream) = 0;
  virtual Status DeregisterConsumer(std::string_view stream, std::string_view consumer) = 0;

  // ---- Data plane -------------------------------------------------------
  // Routes each record to the open shard owning its hash key and appends
  // it; `done` gets one result per record, in request order, once every
  // shard involved has made its records durable. Records of one shard get
  // increasing sequence numbers in request order. Whole-call failures
  // (passed to `done` as the Result's error): NotFound (no such stream, or
  // CREATING), InvalidArgument (empty batch, bad ExplicitHashKey with the
  // spec's text, record over max_record_size_kib, batch over 5 MiB).
  virtual void PutRecordsAsync(std::string_view stream, std::vector<RecordInput> records,
                               PutRecordsCallback done) = 0;
  // Blocking convenience (tests, tools).
  Result<std::vector<PutRecordResult>> PutRecords(std::string_view stream,
                                                  std::vector<RecordInput> records);

  // GetShardIterator semantics (spec section 6): NotFound "Could not find
  // shard ..." / "Shard {id} in stream {s} under account {a} does not
  // exist"; InvalidArgument for sequence numbers and timestamps, with the
  // spec's texts.
  virtual Result<ShardPosition> ResolvePosition(std::string_view stream, std::string_view shard_id,
                                                const IteratorRequest& request) = 0;
  // Reads up to `limits` from `from_index` (see ShardReadResult).
  virtual Result<ShardReadResult> ReadShard(std::string_view stream, uint32_t shard_index,
                                            uint64_t from_index, const ReadLimits& limits) = 0;
  // ResolvePosition + an HMAC-signed token (iterator.h).
  virtual Result<std::string> GetShardIterator(std::string_view stream, std::string_view shard_id,
                                               const IteratorRequest& request) = 0;
  // Decodes the token (InvalidArgument / DeadlineExceeded, see iterator.h;
  // NotFound when its stream or shard is gone) and reads up to `limit`
  // records (and 10 MiB), issuing a fresh NextShardIterator unless at the
  // end of a closed shard.
  virtual Result<GetRecordsResult> GetRecords(std::string_view iterator, size_t limit) = 0;

  // Hides and deletes records older than each stream's retention, and
  // removes closed shards closed longer than the retention ago (they leave
  // ListShards/DescribeStream, as AWS). Run it from a periodic timer.
  virtual Result<RetentionSweepResult> ApplyRetention(int64_t now_ms) = 0;

  // Waits for in-flight appends and closes every shard log. Returns the
  // first error met. Idempotent.
  virtual Status Close() = 0;
};

// Opens (creating if needed) the engine in options.root_dir: loads the
// registry and opens every shard log (recovering them). Corruption when the
// registry file fails its checksum; FailedPrecondition when another engine
// has the directory open; IOError.
Result<std::unique_ptr<StreamEngine>> OpenStreamEngine(const EngineOptions& options);

}  // namespace osprey::streams
