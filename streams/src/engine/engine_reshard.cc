// StreamEngineImpl: SplitShard, MergeShards, UpdateShardCount. Validation
// here; the metadata edits are in reshard.cc. Each commits atomically with
// the registry; the stream is UPDATING for update_delay_ms afterwards.
#include "engine_impl.h"
#include "reshard.h"

namespace osprey::streams::engine {
namespace {

Status OnDemandRefused(std::string_view operation) {
  return Status::InvalidArgument(
      "1 validation error detected: Value 'ON_DEMAND' at 'streamModeDetails.streamMode' failed to "
      "satisfy constraint: " + std::string(operation) + " is not supported for streams in ON_DEMAND mode");
}

}  // namespace

Status StreamEngineImpl::SplitShard(std::string_view name, std::string_view shard_id,
                                    std::string_view new_starting_hash_key) {
  return MutateStream(name, [&](StreamMeta& s, int64_t now) {
    if (s.mode == StreamMode::kOnDemand) return OnDemandRefused("SplitShard");
    if (auto st = StatusOf(s, now); st != StreamStatus::kActive) return NotActive(name, st);
    const auto index = ParseShardId(shard_id);
    const ShardMeta* sh = index ? s.FindShard(*index) : nullptr;
    if (sh == nullptr || !sh->open()) {
      return Status::NotFound("Could not find shard " + std::string(shard_id) + " in stream " +
                              s.name + " under account " + Account() + ".");
    }
    const auto k = ParseHashKey(new_starting_hash_key);
    // Valid iff start + 1 < k < end (written so that start + 1 cannot wrap).
    if (!k || *k <= sh->range.start || *k - sh->range.start <= 1 || *k >= sh->range.end) {
      return Status::InvalidArgument(
          "NewStartingHashKey " + std::string(new_starting_hash_key) + " used in SplitShard() on shard " +
          ShardIdFor(sh->index) + " in stream " + s.name + " under account " + Account() +
          " is not both greater than one plus the shard's StartingHashKey " +
          FormatHashKey(sh->range.start) + " and less than the shard's EndingHashKey " +
          FormatHashKey(sh->range.end) + ".");
    }
    if (uint64_t{OpenShardsLocked()} + 1 > options_.shard_limit) return ShardLimitExceeded(1);
    SplitShardMeta(&s, sh->index, *k, now);
    s.updating_until_ms = now + options_.update_delay_ms;
    return Status::Ok();
  });
}

Status StreamEngineImpl::MergeShards(std::string_view name, std::string_view shard_to_merge,
                                     std::string_view adjacent_shard_to_merge) {
  return MutateStream(name, [&](StreamMeta& s, int64_t now) {
    if (s.mode == StreamMode::kOnDemand) return OnDemandRefused("MergeShards");
    if (auto st = StatusOf(s, now); st != StreamStatus::kActive) return NotActive(name, st);
    const ShardMeta* found[2] = {nullptr, nullptr};
    const std::string_view ids[2] = {shard_to_merge, adjacent_shard_to_merge};
    for (int i = 0; i < 2; ++i) {
      const auto index = ParseShardId(ids[i]);
      found[i] = index ? s.FindShard(*index) : nullptr;
      if (found[i] == nullptr || !found[i]->open()) {
        return Status::NotFound("Could not find shard " + std::string(ids[i]) + " in stream " +
                                s.name + " under account " + Account() + ".");
      }
    }
    const HashKeyRange a = found[0]->range;
    const HashKeyRange b = found[1]->range;
    // Adjacent: the union of the two ranges has no gap, in either order.
    const bool adjacent = (a.end != kMaxHashKey && a.end + 1 == b.start) ||
                          (b.end != kMaxHashKey && b.end + 1 == a.start);
    if (!adjacent) {
      return Status::InvalidArgument("Shards " + ShardIdFor(found[0]->index) + " and " +
                                     ShardIdFor(found[1]->index) + " in stream " + s.name +
                                     " under account " + Account() +
                                     " are not an adjacent pair of shards eligible for merging");
    }
    MergeShardsMeta(&s, found[0]->index, found[1]->index, now);
    s.updating_until_ms = now + options_.update_delay_ms;
    return Status::Ok();
  });
}

Result<UpdateShardCountResult> StreamEngineImpl::UpdateShardCount(std::string_view name, uint32_t target) {
  UpdateShardCountResult out;
  OSPREY_RETURN_IF_ERROR(MutateStream(name, [&](StreamMeta& s, int64_t now) {
    if (s.mode == StreamMode::kOnDemand) return OnDemandRefused("UpdateShardCount");
    if (auto st = StatusOf(s, now); st != StreamStatus::kActive) return NotActive(name, st);
    const uint32_t open = s.OpenShardCount();
    const uint64_t lo = (uint64_t{open} + 1) / 2;
    const uint64_t hi = std::min<uint64_t>(uint64_t{open} * 2, 10000);
    if (target < lo || target > hi) {
      return Status::InvalidArgument(
          "UpdateShardCount failed for stream " + s.name + " under account " + Account() +
          ". TargetShardCount " + std::to_string(target) + " must be between " + std::to_string(lo) +
          " and " + std::to_string(hi) + " (half to double the current open shard count of " +
          std::to_string(open) + ", at most 10000).");
    }
    const int64_t day_ago = now - 24 * 3600 * 1000;
    std::erase_if(s.shard_count_updates_ms, [&](int64_t t) { return t <= day_ago; });
    if (options_.max_shard_count_updates_per_day != 0 &&
        s.shard_count_updates_ms.size() >= options_.max_shard_count_updates_per_day) {
      return Status::ResourceExhausted(
          "UpdateShardCount failed for stream " + s.name + " under account " + Account() +
          ". Exceeded the limit of " + std::to_string(options_.max_shard_count_updates_per_day) +
          " UpdateShardCount calls in a rolling 24-hour period.");
    }
    if (target > open && uint64_t{OpenShardsLocked()} + (target - open) > options_.shard_limit) {
      return ShardLimitExceeded(target - open);
    }
    ScaleUniformly(&s, target, now);
    s.shard_count_updates_ms.push_back(now);
    s.updating_until_ms = now + options_.update_delay_ms;
    out = {open, target};
    return Status::Ok();
  }));
  return out;
}

}  // namespace osprey::streams::engine
