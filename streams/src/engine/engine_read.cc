// StreamEngineImpl: iterator positions, shard reads, iterator tokens.
#include "engine_impl.h"
#include "osprey/streams/sequence_number.h"

namespace osprey::streams::engine {
namespace {

constexpr size_t kMaxGetRecordsBytes = 10u << 20;
constexpr size_t kMaxGetRecordsRecords = 10000;

Status CheckRequest(const IteratorRequest& req, int64_t now_ms) {
  const bool by_seq = req.type == IteratorType::kAtSequenceNumber ||
                      req.type == IteratorType::kAfterSequenceNumber;
  const std::string type(IteratorTypeName(req.type));
  const std::string_view kMust =
      "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
      "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
      "Request specified ";
  if (by_seq && !req.starting_sequence_number) {
    return Status::InvalidArgument(std::string(kMust) + type + " and no StartingSequenceNumber.");
  }
  if ((req.type == IteratorType::kTrimHorizon || req.type == IteratorType::kLatest) &&
      req.starting_sequence_number) {
    return Status::InvalidArgument(std::string(kMust) + type + " and also a StartingSequenceNumber.");
  }
  if (req.type == IteratorType::kAtTimestamp) {
    if (!req.timestamp_ms) {
      return Status::InvalidArgument(
          "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current "
          "request has no timestamp parameter.");
    }
    if (*req.timestamp_ms > now_ms) {
      return Status::InvalidArgument(
          "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
          "timestampInMillis: " + std::to_string(*req.timestamp_ms) +
          ", currentTimestampInMillis: " + std::to_string(now_ms));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ShardPosition> StreamEngineImpl::ResolvePosition(std::string_view stream, std::string_view shard_id,
                                                        const IteratorRequest& request) {
  uint64_t id;
  return ResolvePositionImpl(stream, shard_id, request, &id);
}

Result<ShardPosition> StreamEngineImpl::ResolvePositionImpl(std::string_view stream,
                                                            std::string_view shard_id,
                                                            const IteratorRequest& req,
                                                            uint64_t* stream_id) {
  const std::string where = " in stream " + std::string(stream) + " under account " + Account();
  const auto index = ParseShardId(shard_id);
  if (!index) return Status::NotFound("Could not find shard " + std::string(shard_id) + where + ".");
  const int64_t now = Now();
  OSPREY_RETURN_IF_ERROR(CheckRequest(req, now));
  std::shared_ptr<ShardRuntime> rt;
  int64_t created_ms;
  {
    std::shared_lock lock(mu_);
    if (closed_) return Status::FailedPrecondition("engine closed");
    OSPREY_ASSIGN_OR_RETURN(const StreamMeta* s, FindStreamLocked(stream));
    if (StatusOf(*s, now) == StreamStatus::kCreating) return StreamNotFound(stream);
    const ShardMeta* sh = s->FindShard(*index);
    if (sh == nullptr) return Status::NotFound("Shard " + ShardIdFor(*index) + where + " does not exist");
    rt = runtime_.find(stream)->second.shards.at(*index);
    created_ms = sh->created_ms;
    *stream_id = s->id;
  }
  ShardPosition pos{*index, 0};
  switch (req.type) {
    case IteratorType::kTrimHorizon:
      pos.index = rt->log->TrimHorizon();
      break;
    case IteratorType::kLatest:
      pos.index = rt->log->Latest() + 1;
      break;
    case IteratorType::kAtTimestamp: {
      // First record arriving at or after T; before the trim horizon that
      // is the oldest visible one, and with none the tip.
      OSPREY_ASSIGN_OR_RETURN(ReadResult r, rt->log->ReadFromTimestamp(*req.timestamp_ms, ReadLimits{1, 0}));
      pos.index = r.records.empty() ? r.next_index : r.records.front().sequence_index;
      break;
    }
    case IteratorType::kAtSequenceNumber:
    case IteratorType::kAfterSequenceNumber: {
      const std::string& n = *req.starting_sequence_number;
      const std::string used = "StartingSequenceNumber " + n + " used in GetShardIterator on shard " +
                               ShardIdFor(*index) + where + " is invalid";
      auto parts = DecodeSequenceNumber(n);
      if (!parts.ok()) return Status::InvalidArgument(used + ".");
      if (parts->shard_index != *index) {
        return Status::InvalidArgument("Invalid StartingSequenceNumber. It encodes " +
                                       ShardIdFor(parts->shard_index) +
                                       ", while it was used in a call to a shard with " + ShardIdFor(*index));
      }
      if (parts->shard_create_s != created_ms / 1000) {
        return Status::InvalidArgument(used + " because it did not come from this stream.");
      }
      pos.index = parts->seq_index + (req.type == IteratorType::kAfterSequenceNumber ? 1 : 0);
      break;
    }
  }
  return pos;
}

Result<ShardReadResult> StreamEngineImpl::ReadShard(std::string_view stream, uint32_t shard_index,
                                                    uint64_t from_index, const ReadLimits& limits) {
  return ReadShardImpl(stream, nullptr, shard_index, from_index, limits);
}

Result<ShardReadResult> StreamEngineImpl::ReadShardImpl(std::string_view stream, const uint64_t* expected_id,
                                                        uint32_t shard_index, uint64_t from_index,
                                                        const ReadLimits& limits) {
  std::shared_ptr<ShardRuntime> rt;
  bool closed;
  int64_t created_ms;
  std::vector<ChildShard> children;
  const int64_t now = Now();
  {
    std::shared_lock lock(mu_);
    if (closed_) return Status::FailedPrecondition("engine closed");
    OSPREY_ASSIGN_OR_RETURN(const StreamMeta* s, FindStreamLocked(stream));
    if ((expected_id != nullptr && s->id != *expected_id) ||
        StatusOf(*s, now) == StreamStatus::kCreating) {
      return StreamNotFound(stream);
    }
    const ShardMeta* sh = s->FindShard(shard_index);
    if (sh == nullptr) {
      return Status::NotFound("Shard " + ShardIdFor(shard_index) + " in stream " + std::string(stream) +
                              " under account " + Account() + " does not exist");
    }
    rt = runtime_.find(stream)->second.shards.at(shard_index);
    closed = !sh->open();
    created_ms = sh->created_ms;
    if (closed) {
      for (const auto& c : s->shards) {
        if (c.parent != shard_index && c.adjacent_parent != shard_index) continue;
        ChildShard child{ShardIdFor(c.index), {}, c.range};
        if (c.parent) child.parent_shards.push_back(ShardIdFor(*c.parent));
        if (c.adjacent_parent) child.parent_shards.push_back(ShardIdFor(*c.adjacent_parent));
        children.push_back(std::move(child));
      }
    }
  }
  OSPREY_ASSIGN_OR_RETURN(ReadResult read, rt->log->Read(from_index, limits));
  ShardReadResult out;
  out.next_index = read.next_index;
  out.records.reserve(read.records.size());
  const int64_t created_s = created_ms / 1000;
  for (Record& r : read.records) {
    // Records written while the stream was encrypted; the envelope names
    // its key, so this works whatever the stream's setting is now.
    const bool sealed = r.encrypted;
    if (sealed) OSPREY_RETURN_IF_ERROR(keys_.Open(&r));
    StreamRecord sr;
    sr.encrypted = sealed;
    sr.sequence_number = EncodeSequenceNumber({created_s, r.sequence_index, r.arrival_ms / 1000, shard_index});
    sr.sequence_index = r.sequence_index;
    sr.arrival_ms = r.arrival_ms;
    sr.partition_key = std::move(r.partition_key);
    sr.explicit_hash_key = std::move(r.explicit_hash_key);
    sr.data = std::move(r.data);
    out.records.push_back(std::move(sr));
  }
  // A shard closed under mu_ receives no new appends; once none is pending
  // its Latest() is final (pending is read first for that reason).
  const bool settled = closed && rt->pending->load() == 0;
  const uint64_t latest = rt->log->Latest();
  if (out.next_index <= latest && !out.records.empty()) {
    out.millis_behind_latest = std::max<int64_t>(0, now - out.records.back().arrival_ms);
  }
  if (settled && out.next_index > latest) {
    out.shard_end = true;
    out.child_shards = std::move(children);
  }
  return out;
}

Result<std::string> StreamEngineImpl::GetShardIterator(std::string_view stream, std::string_view shard_id,
                                                       const IteratorRequest& request) {
  uint64_t stream_id = 0;
  OSPREY_ASSIGN_OR_RETURN(ShardPosition pos, ResolvePositionImpl(stream, shard_id, request, &stream_id));
  return codec_->Encode({stream_id, std::string(stream), pos.shard_index, pos.index, Now()});
}

Result<GetRecordsResult> StreamEngineImpl::GetRecords(std::string_view iterator, size_t limit) {
  const int64_t now = Now();
  OSPREY_ASSIGN_OR_RETURN(IteratorToken t, codec_->Decode(iterator, now, options_.iterator_ttl_ms));
  ReadLimits limits;
  limits.max_records = std::clamp<size_t>(limit == 0 ? kMaxGetRecordsRecords : limit, 1, kMaxGetRecordsRecords);
  limits.max_bytes = kMaxGetRecordsBytes;
  GetRecordsResult out;
  OSPREY_ASSIGN_OR_RETURN(out.read, ReadShardImpl(t.stream_name, &t.stream_id, t.shard_index, t.position, limits));
  if (!out.read.shard_end) {
    out.next_shard_iterator = codec_->Encode({t.stream_id, t.stream_name, t.shard_index, out.read.next_index, now});
  }
  return out;
}

}  // namespace osprey::streams::engine
