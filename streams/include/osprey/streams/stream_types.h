// Plain values of the data-stream engine (stream_engine.h): enums with their
// wire names, stream/shard/consumer descriptions, requests and results.
// Times are epoch milliseconds (the API layer converts to the wire's epoch
// seconds or CBOR milliseconds). Hash keys are numbers (hash_key.h); the API
// layer prints them with FormatHashKey.
//
// Thread safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/base/status.h"
#include "osprey/streams/hash_key.h"

namespace osprey::streams {

enum class StreamMode { kProvisioned, kOnDemand };
enum class StreamStatus { kCreating, kDeleting, kActive, kUpdating };
enum class ConsumerStatus { kCreating, kDeleting, kActive };
enum class IteratorType { kAtSequenceNumber, kAfterSequenceNumber, kTrimHorizon, kLatest, kAtTimestamp };

// Wire names ("PROVISIONED", "ACTIVE", "AT_TIMESTAMP", ...) and their parsers
// (exact, case-sensitive; nullopt for anything else).
std::string_view StreamModeName(StreamMode mode);
std::string_view StreamStatusName(StreamStatus status);
std::string_view ConsumerStatusName(ConsumerStatus status);
std::string_view IteratorTypeName(IteratorType type);
std::optional<StreamMode> ParseStreamMode(std::string_view name);
std::optional<IteratorType> ParseIteratorType(std::string_view name);

// "shardId-" + the index zero-padded to 12 digits.
std::string ShardIdFor(uint32_t index);
// Lenient, as AWS: "shardId-" followed by 1..20 digits with any padding
// ("shardId-0"), value <= 2147483647. nullopt for anything else.
std::optional<uint32_t> ParseShardId(std::string_view shard_id);

struct CreateStreamOptions {
  // Required for PROVISIONED (>= 1); ignored for ON_DEMAND, which starts
  // with 4 shards as AWS does.
  std::optional<uint32_t> shard_count;
  StreamMode mode = StreamMode::kProvisioned;
  std::map<std::string, std::string> tags;
  uint32_t max_record_size_kib = 1024;  // 1024..10240: data + key of one record
};

struct ShardDescription {
  std::string shard_id;
  uint32_t index = 0;
  std::optional<std::string> parent_shard_id;
  std::optional<std::string> adjacent_parent_shard_id;
  HashKeyRange hash_key_range;
  std::string starting_sequence_number;
  std::optional<std::string> ending_sequence_number;  // set once closed
  int64_t created_ms = 0;
  std::optional<int64_t> closed_ms;
  bool open() const { return !closed_ms.has_value(); }
};

struct StreamDescription {
  std::string name;
  std::string arn;
  StreamStatus status = StreamStatus::kActive;
  StreamMode mode = StreamMode::kProvisioned;
  int32_t retention_hours = 24;
  int64_t created_ms = 0;
  // Every listed shard (open, and closed ones not yet past retention), by
  // index. Empty while CREATING, as AWS.
  std::vector<ShardDescription> shards;
  uint32_t open_shard_count = 0;
  uint32_t consumer_count = 0;
  uint32_t max_record_size_kib = 1024;
  // EnhancedMonitoring ShardLevelMetrics, in kShardLevelMetrics order.
  std::vector<std::string> shard_level_metrics;
  // Set while encryption is on (EncryptionType KMS); absent for NONE.
  std::optional<std::string> kms_key_id;
};

// The seven metric names of Enable/DisableEnhancedMonitoring, in the order
// AWS lists them ("ALL" expands to these).
inline constexpr std::string_view kShardLevelMetrics[] = {
    "IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
    "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds"};

// Enable/DisableEnhancedMonitoring's answer: the metrics before and after.
struct MonitoringChange {
  std::vector<std::string> current;
  std::vector<std::string> desired;
};

struct StreamSummary {
  std::string name;
  std::string arn;
  StreamStatus status = StreamStatus::kActive;
  StreamMode mode = StreamMode::kProvisioned;
  int64_t created_ms = 0;
};

struct ListStreamsResult {
  std::vector<StreamSummary> streams;  // byte order of names
  bool has_more = false;
};

// ListShards ShardFilter (spec section 5). Timestamps in epoch ms.
struct ShardFilter {
  enum class Type { kAfterShardId, kAtTrimHorizon, kFromTrimHorizon, kAtLatest, kAtTimestamp, kFromTimestamp };
  Type type = Type::kFromTrimHorizon;
  std::optional<std::string> shard_id;   // AFTER_SHARD_ID only
  std::optional<int64_t> timestamp_ms;   // AT_TIMESTAMP and FROM_TIMESTAMP only
};

struct UpdateShardCountResult {
  uint32_t current_shard_count = 0;  // open shards before
  uint32_t target_shard_count = 0;
};

struct AccountLimits {
  uint32_t shard_limit = 0;
  uint32_t open_shard_count = 0;
  uint32_t on_demand_stream_count = 0;
  uint32_t on_demand_stream_limit = 0;
};

struct ConsumerDescription {
  std::string name;
  std::string arn;  // {StreamARN}/consumer/{name}:{creation epoch seconds}
  ConsumerStatus status = ConsumerStatus::kActive;
  int64_t created_ms = 0;
  std::string stream_arn;
};

// One PutRecords entry's outcome. status is OK (shard_id, sequence_number
// set) or a per-entry failure: ResourceExhausted "Rate exceeded for shard
// ..." (ProvisionedThroughputExceededException) or a storage error (the API
// answers InternalFailure "Internal Service Failure").
struct PutRecordResult {
  Status status;
  std::string shard_id;
  std::string sequence_number;
  uint64_t sequence_index = 0;
  int64_t arrival_ms = 0;
  bool encrypted = false;  // stored sealed (the API reports EncryptionType KMS)
};

struct IteratorRequest {
  IteratorType type = IteratorType::kTrimHorizon;
  std::optional<std::string> starting_sequence_number;  // AT_/AFTER_SEQUENCE_NUMBER only
  std::optional<int64_t> timestamp_ms;                  // AT_TIMESTAMP only
};

// Where reading starts: the first record of the shard with sequence index
// >= index (records older than retention are skipped).
struct ShardPosition {
  uint32_t shard_index = 0;
  uint64_t index = 0;
};

struct StreamRecord {
  std::string sequence_number;
  uint64_t sequence_index = 0;
  int64_t arrival_ms = 0;  // ApproximateArrivalTimestamp
  std::string partition_key;
  std::optional<std::string> explicit_hash_key;
  std::string data;        // always the plaintext
  bool encrypted = false;  // stored sealed (EncryptionType KMS)
};

struct ChildShard {
  std::string shard_id;
  std::vector<std::string> parent_shards;  // one, or two for a merge
  HashKeyRange hash_key_range;
};

// One read of a shard and what GetRecords needs around it.
struct ShardReadResult {
  std::vector<StreamRecord> records;
  // Where the next read starts (the position of NextShardIterator).
  uint64_t next_index = 0;
  // True when the shard is closed and every record was read: the API omits
  // NextShardIterator and returns child_shards (never empty then, unless
  // the children themselves expired). False: a NextShardIterator is due and
  // child_shards is empty (KCL rejects any other combination).
  bool shard_end = false;
  std::vector<ChildShard> child_shards;
  // 0 when nothing follows the batch, else now - arrival of the last
  // returned record (spec section 6).
  int64_t millis_behind_latest = 0;
};

struct GetRecordsResult {
  ShardReadResult read;
  std::optional<std::string> next_shard_iterator;  // absent iff read.shard_end
};

struct RetentionSweepResult {
  uint64_t segments_deleted = 0;
  uint64_t bytes_deleted = 0;
  uint64_t shards_removed = 0;  // closed shards past retention, now gone
};

}  // namespace osprey::streams
