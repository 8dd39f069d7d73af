// StreamEngineImpl: the StreamEngine of stream_engine.h. Private.
//
// Split by concern: engine_open.cc (open, commit, shard logs, lookups,
// retention, close), engine_streams.cc (stream control plane),
// engine_settings.cc (retention period, tags, mode, consumers),
// engine_admin.cc (enhanced monitoring, encryption),
// engine_reshard.cc, engine_put.cc, engine_read.cc.
//
// Locking: mu_ (a shared_mutex) guards meta_ and runtime_. Control-plane
// changes hold it exclusively across the registry write (an fsync; they are
// rate-limited operations). The put path holds it shared while it routes
// records and hands them to the shard logs (AppendAsync only writes to the
// page cache), so a reshard, which takes it exclusively, never interleaves
// with a half-routed batch: once a shard is closed under mu_, no append to
// it can start. Reads hold it shared only to copy what they need
// (shared_ptr to the shard runtime, shard metadata) and read the log
// without it. Shard logs are destroyed (which joins their syncer thread)
// only after mu_ is released, and never from an append callback: callbacks
// hold no reference to a ShardRuntime.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "osprey/streams/iterator.h"
#include "osprey/streams/shard_log.h"
#include "osprey/streams/stream_engine.h"
#include "record_crypto.h"
#include "registry.h"

namespace osprey::streams::engine {

struct ShardRuntime {
  uint32_t index = 0;
  std::string dir;
  std::unique_ptr<ShardLog> log;
  // Appends handed to the log and not yet acknowledged. A closed shard with
  // none pending has its final Latest() (see ReadShardImpl).
  std::shared_ptr<std::atomic<int64_t>> pending = std::make_shared<std::atomic<int64_t>>(0);

  // Write throughput token buckets (EngineOptions::enforce_throughput_limits).
  std::mutex throttle_mu;
  double byte_tokens = -1;    // GUARDED_BY(throttle_mu); < 0: not started
  double record_tokens = -1;  // GUARDED_BY(throttle_mu)
  int64_t refill_ms = 0;      // GUARDED_BY(throttle_mu)
};

struct Route {
  HashKeyRange range;
  std::shared_ptr<ShardRuntime> shard;
  int64_t created_ms = 0;
};

struct StreamRuntime {
  std::string dir;
  std::map<uint32_t, std::shared_ptr<ShardRuntime>> shards;
  std::vector<Route> routes;  // the open shards, by range start
};

class StreamEngineImpl final : public StreamEngine {
 public:
  explicit StreamEngineImpl(EngineOptions options);
  ~StreamEngineImpl() override;

  Status Open();

  Status CreateStream(std::string_view name, const CreateStreamOptions& options) override;
  Status DeleteStream(std::string_view name, bool enforce_consumer_deletion) override;
  Result<StreamDescription> DescribeStream(std::string_view name) override;
  ListStreamsResult ListStreams(std::string_view exclusive_start, size_t limit) override;
  Result<std::vector<ShardDescription>> ListShards(std::string_view name,
                                                   const ShardFilter& filter) override;
  Status IncreaseRetention(std::string_view name, int32_t hours) override;
  Status DecreaseRetention(std::string_view name, int32_t hours) override;
  Status AddTags(std::string_view name, const std::map<std::string, std::string>& tags) override;
  Status RemoveTags(std::string_view name, const std::vector<std::string>& keys) override;
  Result<std::map<std::string, std::string>> ListTags(std::string_view name) override;
  Status UpdateStreamMode(std::string_view name, StreamMode mode) override;
  AccountLimits DescribeLimits() override;
  std::string StreamArn(std::string_view name) const override;
  Result<std::string> StreamNameFromArn(std::string_view arn) const override;

  Result<MonitoringChange> EnableMonitoring(std::string_view name,
                                            const std::vector<std::string>& metrics) override;
  Result<MonitoringChange> DisableMonitoring(std::string_view name,
                                             const std::vector<std::string>& metrics) override;
  Status StartEncryption(std::string_view name, std::string_view key_id) override;
  Status StopEncryption(std::string_view name, std::string_view key_id) override;

  Status SplitShard(std::string_view name, std::string_view shard_id,
                    std::string_view new_starting_hash_key) override;
  Status MergeShards(std::string_view name, std::string_view shard_to_merge,
                     std::string_view adjacent_shard_to_merge) override;
  Result<UpdateShardCountResult> UpdateShardCount(std::string_view name, uint32_t target) override;

  Result<ConsumerDescription> RegisterConsumer(std::string_view stream,
                                               std::string_view consumer) override;
  Result<ConsumerDescription> DescribeConsumer(std::string_view stream,
                                               std::string_view consumer) override;
  Result<ConsumerDescription> DescribeConsumerByArn(std::string_view consumer_arn) override;
  Result<std::vector<ConsumerDescription>> ListConsumers(std::string_view stream) override;
  Status DeregisterConsumer(std::string_view stream, std::string_view consumer) override;

  void PutRecordsAsync(std::string_view stream, std::vector<RecordInput> records,
                       PutRecordsCallback done) override;
  Result<ShardPosition> ResolvePosition(std::string_view stream, std::string_view shard_id,
                                        const IteratorRequest& request) override;
  Result<ShardReadResult> ReadShard(std::string_view stream, uint32_t shard_index,
                                    uint64_t from_index, const ReadLimits& limits) override;
  Result<std::string> GetShardIterator(std::string_view stream, std::string_view shard_id,
                                       const IteratorRequest& request) override;
  Result<GetRecordsResult> GetRecords(std::string_view iterator, size_t limit) override;
  Result<RetentionSweepResult> ApplyRetention(int64_t now_ms) override;
  Status Close() override;

 private:
  // An edit of one stream's metadata for MutateStream: validates against
  // `s` (the copy being edited) and changes it, or returns why not.
  using StreamEdit = std::function<Status(StreamMeta& s, int64_t now_ms)>;

  int64_t Now() const { return options_.clock(); }
  StreamStatus StatusOf(const StreamMeta& s, int64_t now_ms) const;
  ConsumerStatus ConsumerStatusOf(const ConsumerMeta& c, int64_t now_ms) const;
  std::string ConsumerArn(const StreamMeta& s, const ConsumerMeta& c) const;
  ConsumerDescription DescribeConsumerMeta(const StreamMeta& s, const ConsumerMeta& c,
                                           int64_t now_ms) const;
  ShardDescription DescribeShard(const ShardMeta& sh) const;

  // Spec message texts.
  Status StreamNotFound(std::string_view name) const;
  Status NotActive(std::string_view name, StreamStatus status) const;
  Status ShardLimitExceeded(uint32_t additional) const;
  std::string Account() const { return options_.account; }

  // REQUIRES: mu_ held (either mode). NotFound when absent.
  Result<const StreamMeta*> FindStreamLocked(std::string_view name) const;
  // REQUIRES: mu_ held. Open shards over every stream.
  uint32_t OpenShardsLocked() const;

  // Applies `edit` to stream `name` under an exclusive lock: on a copy of
  // the registry, opening logs for shards the edit adds, then commits.
  // Closed-and-removed shard runtimes are dropped after the lock.
  Status MutateStream(std::string_view name, const StreamEdit& edit);
  // REQUIRES: mu_ held exclusively. Writes `next` and adopts it.
  Status CommitLocked(RegistryMeta next);
  Result<std::shared_ptr<ShardRuntime>> OpenShard(const std::string& stream_dir, uint32_t index);
  std::string StreamDir(const StreamMeta& s) const;
  // REQUIRES: mu_ held exclusively. Rebuilds routes from meta_.
  void RebuildRoutesLocked(const StreamMeta& s, StreamRuntime* rt);
  // Removes directories the registry does not know (a crash between
  // creating a directory and committing, or between committing a delete
  // and removing the directory).
  void RemoveOrphans();

  // ResolvePosition, also reporting the stream's id (for iterator tokens).
  Result<ShardPosition> ResolvePositionImpl(std::string_view stream, std::string_view shard_id,
                                            const IteratorRequest& request, uint64_t* stream_id);
  Result<ShardReadResult> ReadShardImpl(std::string_view stream, const uint64_t* expected_id,
                                        uint32_t shard_index, uint64_t from_index,
                                        const ReadLimits& limits);
  // REQUIRES: the shard's throttle_mu is not held. True when the shard has
  // budget for `bytes` in one more record now, and takes it.
  bool TakeWriteBudget(ShardRuntime* shard, size_t bytes, int64_t now_ms);
  // Counts one Start/StopEncryption against the daily quota (pruning
  // entries older than 24 h) and makes `s` UPDATING; ResourceExhausted
  // when the quota is spent.
  Status TakeEncryptionChange(StreamMeta& s, int64_t now) const;
  Result<MonitoringChange> ChangeMonitoring(std::string_view name,
                                            const std::vector<std::string>& metrics, bool enable);
  const EngineOptions options_;
  const std::string registry_path_;
  std::unique_ptr<IteratorCodec> codec_;
  int lock_fd_ = -1;
  bool closed_ = false;

  mutable std::shared_mutex mu_;
  RegistryMeta meta_;                                         // GUARDED_BY(mu_)
  std::map<std::string, StreamRuntime, std::less<>> runtime_;  // GUARDED_BY(mu_)
  // Master key and data keys of encrypted streams (record_crypto.h); after
  // options_, from which it is built.
  KeyRing keys_;
};

// Stream and consumer names: [a-zA-Z0-9_.-]{1,128} (also keeps them safe
// as parts of directory names).
bool ValidName(std::string_view name);
// InvalidArgument in the ValidationException grammar for a bad stream name.
Status ValidateStreamName(std::string_view name);
// Tag keys 1..128 and values 0..256 characters of the allowed set; at most
// `max` tags once added (`total` = the stream's tag count afterwards).
Status ValidateTags(const std::map<std::string, std::string>& tags, size_t total, size_t max,
                    std::string_view stream);

}  // namespace osprey::streams::engine
