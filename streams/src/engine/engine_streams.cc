// StreamEngineImpl: create, delete, describe and list streams and shards.
#include <algorithm>
#include <filesystem>

#include "engine_impl.h"
#include "osprey/streams/sequence_number.h"

namespace osprey::streams::engine {
namespace {

Status Validation(std::string_view value, std::string_view path, std::string_view rule) {
  return Status::InvalidArgument("1 validation error detected: Value '" + std::string(value) +
                                 "' at '" + std::string(path) +
                                 "' failed to satisfy constraint: " + std::string(rule));
}

}  // namespace

Status ValidateStreamName(std::string_view name) {
  if (ValidName(name)) return Status::Ok();
  return Validation(name, "streamName",
                    name.empty() || name.size() > 128
                        ? "Member must have length between 1 and 128"
                        : "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
}

Status StreamEngineImpl::CreateStream(std::string_view name, const CreateStreamOptions& options) {
  OSPREY_RETURN_IF_ERROR(ValidateStreamName(name));
  uint32_t n = 4;  // ON_DEMAND streams start with 4 shards, as AWS
  if (options.mode == StreamMode::kProvisioned) {
    if (!options.shard_count) {
      return Status::InvalidArgument("ShardCount is required for streams in PROVISIONED mode.");
    }
    n = *options.shard_count;
    if (n == 0) {
      return Validation("0", "shardCount", "Member must have value greater than or equal to 1");
    }
  }
  if (options.max_record_size_kib < 1024 || options.max_record_size_kib > 10240) {
    return Validation(std::to_string(options.max_record_size_kib), "maxRecordSizeInKiB",
                      "Member must have value between 1024 and 10240");
  }
  OSPREY_RETURN_IF_ERROR(ValidateTags(options.tags, options.tags.size(), options_.max_tags, name));

  std::unique_lock lock(mu_);
  if (closed_) return Status::FailedPrecondition("engine closed");
  const int64_t now = Now();
  if (meta_.streams.contains(name)) {
    return Status::AlreadyExists("Stream " + std::string(name) + " under account " + Account() +
                                 " already exists.");
  }
  uint32_t creating = 0;
  uint32_t on_demand = 0;
  for (const auto& [_, s] : meta_.streams) {
    if (StatusOf(s, now) == StreamStatus::kCreating) ++creating;
    if (s.mode == StreamMode::kOnDemand) ++on_demand;
  }
  if (options_.max_creating_streams != 0 && creating >= options_.max_creating_streams) {
    return Status::ResourceExhausted("This request would exceed the limit of " +
                                     std::to_string(options_.max_creating_streams) +
                                     " streams in CREATING state for the account " + Account() +
                                     ".");
  }
  if (options.mode == StreamMode::kOnDemand && on_demand >= options_.on_demand_stream_limit) {
    return Status::ResourceExhausted("This request would exceed the limit of " +
                                     std::to_string(options_.on_demand_stream_limit) +
                                     " ON_DEMAND streams for the account " + Account() + ".");
  }
  if (uint64_t{OpenShardsLocked()} + n > options_.shard_limit) return ShardLimitExceeded(n);

  RegistryMeta next = meta_;
  StreamMeta s;
  s.id = next.next_stream_id++;
  s.name = std::string(name);
  s.mode = options.mode;
  s.created_ms = now;
  s.max_record_size_kib = options.max_record_size_kib;
  s.tags = options.tags;
  const auto ranges = EvenSplit(n);
  for (uint32_t i = 0; i < n; ++i) {
    ShardMeta sh;
    sh.index = i;
    sh.range = ranges[i];
    sh.created_ms = now;
    s.shards.push_back(sh);
  }
  s.next_shard_index = n;

  StreamRuntime rt;
  rt.dir = StreamDir(s);
  Status st;
  for (const auto& sh : s.shards) {
    auto opened = OpenShard(rt.dir, sh.index);
    if (!opened.ok()) {
      st = opened.status();
      break;
    }
    rt.shards[sh.index] = std::move(opened).value();
  }
  if (st.ok()) {
    next.streams.emplace(s.name, s);
    st = CommitLocked(std::move(next));
  }
  if (!st.ok()) {
    rt.shards.clear();  // logs are new and idle: closing them is quick
    std::error_code ec;
    std::filesystem::remove_all(rt.dir, ec);
    return st;
  }
  RebuildRoutesLocked(s, &rt);
  runtime_.emplace(s.name, std::move(rt));
  return Status::Ok();
}

Status StreamEngineImpl::DeleteStream(std::string_view name, bool enforce_consumer_deletion) {
  StreamRuntime gone;
  {
    std::unique_lock lock(mu_);
    if (closed_) return Status::FailedPrecondition("engine closed");
    OSPREY_ASSIGN_OR_RETURN(const StreamMeta* s, FindStreamLocked(name));
    const StreamStatus status = StatusOf(*s, Now());
    if (status == StreamStatus::kCreating) return NotActive(name, status);
    if (!s->consumers.empty() && !enforce_consumer_deletion) {
      return Status::FailedPrecondition(
          "Stream " + std::string(name) + " under account " + Account() +
          " has registered consumers. Deregister them first or set EnforceConsumerDeletion.");
    }
    RegistryMeta next = meta_;
    next.streams.erase(next.streams.find(name));
    OSPREY_RETURN_IF_ERROR(CommitLocked(std::move(next)));
    auto it = runtime_.find(name);
    gone = std::move(it->second);
    runtime_.erase(it);
  }
  // Outside mu_: closing the logs joins their threads. A reader still
  // holding a shard keeps its open files readable until it finishes.
  const std::string dir = gone.dir;
  gone = StreamRuntime();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return Status::Ok();
}

ShardDescription StreamEngineImpl::DescribeShard(const ShardMeta& sh) const {
  ShardDescription d;
  d.shard_id = ShardIdFor(sh.index);
  d.index = sh.index;
  if (sh.parent) d.parent_shard_id = ShardIdFor(*sh.parent);
  if (sh.adjacent_parent) d.adjacent_parent_shard_id = ShardIdFor(*sh.adjacent_parent);
  d.hash_key_range = sh.range;
  const int64_t created_s = sh.created_ms / 1000;
  d.starting_sequence_number = EncodeSequenceNumber({created_s, 0, created_s, sh.index});
  if (sh.closed_ms) {
    d.ending_sequence_number =
        EncodeSequenceNumber({created_s, kMaxSeqIndex, *sh.closed_ms / 1000, sh.index});
  }
  d.created_ms = sh.created_ms;
  d.closed_ms = sh.closed_ms;
  return d;
}

Result<StreamDescription> StreamEngineImpl::DescribeStream(std::string_view name) {
  std::shared_lock lock(mu_);
  OSPREY_ASSIGN_OR_RETURN(const StreamMeta* s, FindStreamLocked(name));
  const int64_t now = Now();
  StreamDescription d;
  d.name = s->name;
  d.arn = StreamArn(name);
  d.status = StatusOf(*s, now);
  d.mode = s->mode;
  d.retention_hours = s->retention_hours;
  d.created_ms = s->created_ms;
  d.consumer_count = static_cast<uint32_t>(s->consumers.size());
  d.max_record_size_kib = s->max_record_size_kib;
  d.shard_level_metrics = s->shard_level_metrics;
  d.kms_key_id = s->kms_key_id;
  if (d.status != StreamStatus::kCreating) {
    d.open_shard_count = s->OpenShardCount();
    for (const auto& sh : s->shards) {
      // Closed shards past retention are listed until the next sweep
      // removes them; hide them already.
      if (sh.closed_ms && *sh.closed_ms + s->retention_ms() <= now) continue;
      d.shards.push_back(DescribeShard(sh));
    }
  }
  return d;
}

ListStreamsResult StreamEngineImpl::ListStreams(std::string_view exclusive_start, size_t limit) {
  std::shared_lock lock(mu_);
  const int64_t now = Now();
  ListStreamsResult out;
  auto it = exclusive_start.empty() ? meta_.streams.begin() : meta_.streams.upper_bound(exclusive_start);
  for (; it != meta_.streams.end(); ++it) {
    if (out.streams.size() >= limit) {
      out.has_more = true;
      break;
    }
    const StreamMeta& s = it->second;
    out.streams.push_back({s.name, StreamArn(s.name), StatusOf(s, now), s.mode, s.created_ms});
  }
  return out;
}

Result<std::vector<ShardDescription>> StreamEngineImpl::ListShards(std::string_view name,
                                                                   const ShardFilter& filter) {
  using Type = ShardFilter::Type;
  const bool wants_id = filter.type == Type::kAfterShardId;
  const bool wants_ts = filter.type == Type::kAtTimestamp || filter.type == Type::kFromTimestamp;
  if (wants_id != filter.shard_id.has_value()) {
    return Status::InvalidArgument(wants_id ? "ShardId must be specified for the AFTER_SHARD_ID ShardFilter type."
                                            : "ShardId can only be specified for the AFTER_SHARD_ID ShardFilter type.");
  }
  if (wants_ts != filter.timestamp_ms.has_value()) {
    return Status::InvalidArgument(
        wants_ts ? "Timestamp must be specified for the AT_TIMESTAMP and FROM_TIMESTAMP ShardFilter types."
                 : "Timestamp can only be specified for the AT_TIMESTAMP and FROM_TIMESTAMP ShardFilter types.");
  }
  std::optional<uint32_t> after;
  if (wants_id) {
    after = ParseShardId(*filter.shard_id);
    if (!after) return Status::InvalidArgument("Invalid ShardId " + *filter.shard_id + " in ShardFilter.");
  }
  std::shared_lock lock(mu_);
  OSPREY_ASSIGN_OR_RETURN(const StreamMeta* s, FindStreamLocked(name));
  const int64_t now = Now();
  const StreamStatus status = StatusOf(*s, now);
  if (status == StreamStatus::kCreating) return NotActive(name, status);
  // Times before the stream existed mean its first shards.
  const int64_t horizon = std::max(now - s->retention_ms(), s->created_ms);
  const int64_t t = filter.timestamp_ms ? std::max(*filter.timestamp_ms, s->created_ms) : 0;
  std::vector<ShardDescription> out;
  for (const auto& sh : s->shards) {
    const bool live_at = [&](int64_t at) {
      return sh.created_ms <= at && (sh.open() || *sh.closed_ms >= at);
    }(filter.type == Type::kAtTrimHorizon ? horizon : t);
    bool keep = sh.open() || *sh.closed_ms >= horizon;  // not expired
    switch (filter.type) {
      case Type::kAfterShardId: keep = keep && sh.index > *after; break;
      case Type::kAtTrimHorizon: keep = keep && live_at; break;
      case Type::kFromTrimHorizon: break;
      case Type::kAtLatest: keep = sh.open(); break;
      case Type::kAtTimestamp: keep = keep && live_at; break;
      case Type::kFromTimestamp:
        keep = keep && (t < horizon || sh.open() || *sh.closed_ms >= t);
        break;
    }
    if (keep) out.push_back(DescribeShard(sh));
  }
  return out;
}

AccountLimits StreamEngineImpl::DescribeLimits() {
  std::shared_lock lock(mu_);
  AccountLimits l;
  l.shard_limit = options_.shard_limit;
  l.open_shard_count = OpenShardsLocked();
  l.on_demand_stream_limit = options_.on_demand_stream_limit;
  for (const auto& [_, s] : meta_.streams) {
    if (s.mode == StreamMode::kOnDemand) ++l.on_demand_stream_count;
  }
  return l;
}

std::string StreamEngineImpl::StreamArn(std::string_view name) const {
  return "arn:aws:kinesis:" + options_.region + ":" + options_.account + ":stream/" +
         std::string(name);
}

Result<std::string> StreamEngineImpl::StreamNameFromArn(std::string_view arn) const {
  // arn:<partition>:kinesis:<region>:<account>:stream/<name>
  std::vector<std::string_view> f;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return Status::InvalidArgument("Invalid StreamARN " + std::string(arn) + ".");
    f.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  std::string_view rest = arn.substr(start);
  if (f[0] != "arn" || !f[1].starts_with("aws") || f[2] != "kinesis" || !rest.starts_with("stream/") ||
      !ValidName(rest.substr(7))) {
    return Status::InvalidArgument("Invalid StreamARN " + std::string(arn) + ".");
  }
  std::string name(rest.substr(7));
  if (f[3] != options_.region || f[4] != options_.account) {
    return Status::NotFound("Stream " + name + " under account " + std::string(f[4]) + " not found.");
  }
  return name;
}

}  // namespace osprey::streams::engine
