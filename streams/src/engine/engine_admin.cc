// StreamEngineImpl: enhanced monitoring settings and stream encryption
// (StartStreamEncryption / StopStreamEncryption). Both are registry state
// (FORMAT.md "monitoring" and "encryption" lines); encryption also changes
// how the put path stores data (engine_put.cc seals, engine_read.cc opens).
#include <algorithm>
#include <set>

#include "engine_impl.h"

namespace osprey::streams::engine {
namespace {

constexpr size_t kMaxKeyIdBytes = 2048;  // the API's KeyId length limit

// The canonical set a request names: "ALL" is the seven names. nullopt when
// a name is unknown or the list is empty.
std::optional<std::set<std::string_view>> MetricSet(const std::vector<std::string>& names) {
  if (names.empty()) return std::nullopt;
  std::set<std::string_view> out;
  for (const auto& n : names) {
    if (n == "ALL") {
      out.insert(std::begin(kShardLevelMetrics), std::end(kShardLevelMetrics));
      continue;
    }
    auto it = std::find(std::begin(kShardLevelMetrics), std::end(kShardLevelMetrics), n);
    if (it == std::end(kShardLevelMetrics)) return std::nullopt;
    out.insert(*it);
  }
  return out;
}

// `set` in kShardLevelMetrics order, the order Describe and the answers use.
std::vector<std::string> Ordered(const std::set<std::string_view>& set) {
  std::vector<std::string> out;
  for (std::string_view m : kShardLevelMetrics) {
    if (set.contains(m)) out.emplace_back(m);
  }
  return out;
}

}  // namespace

Status StreamEngineImpl::TakeEncryptionChange(StreamMeta& s, int64_t now) const {
  const int64_t day_ago = now - 24 * 3600 * 1000;
  std::erase_if(s.encryption_changes_ms, [&](int64_t t) { return t <= day_ago; });
  const uint32_t max = options_.max_encryption_changes_per_day;
  if (max != 0 && s.encryption_changes_ms.size() >= max) {
    return Status::ResourceExhausted("Encryption settings of stream " + s.name + " under account " +
                                     Account() + " were changed " + std::to_string(max) +
                                     " times in the last 24 hours, the limit.");
  }
  s.encryption_changes_ms.push_back(now);
  s.updating_until_ms = now + options_.update_delay_ms;
  return Status::Ok();
}

Result<MonitoringChange> StreamEngineImpl::ChangeMonitoring(std::string_view name,
                                                            const std::vector<std::string>& metrics,
                                                            bool enable) {
  auto requested = MetricSet(metrics);
  if (!requested) {
    return Status::InvalidArgument(
        "ShardLevelMetrics must name 1 to 7 of IncomingBytes, IncomingRecords, OutgoingBytes, "
        "OutgoingRecords, WriteProvisionedThroughputExceeded, ReadProvisionedThroughputExceeded, "
        "IteratorAgeMilliseconds or ALL.");
  }
  MonitoringChange change;
  OSPREY_RETURN_IF_ERROR(MutateStream(name, [&](StreamMeta& s, int64_t now) {
    if (auto st = StatusOf(s, now); st != StreamStatus::kActive) return NotActive(name, st);
    std::set<std::string_view> current(s.shard_level_metrics.begin(), s.shard_level_metrics.end());
    std::set<std::string_view> desired = current;
    for (std::string_view m : *requested) {
      if (enable) {
        desired.insert(m);
      } else {
        desired.erase(m);
      }
    }
    change.current = Ordered(current);
    change.desired = Ordered(desired);
    s.shard_level_metrics = change.desired;
    return Status::Ok();
  }));
  return change;
}

Result<MonitoringChange> StreamEngineImpl::EnableMonitoring(std::string_view name,
                                                            const std::vector<std::string>& metrics) {
  return ChangeMonitoring(name, metrics, /*enable=*/true);
}

Result<MonitoringChange> StreamEngineImpl::DisableMonitoring(std::string_view name,
                                                             const std::vector<std::string>& metrics) {
  return ChangeMonitoring(name, metrics, /*enable=*/false);
}

Status StreamEngineImpl::StartEncryption(std::string_view name, std::string_view key_id) {
  if (key_id.empty() || key_id.size() > kMaxKeyIdBytes) {
    return Status::InvalidArgument("KeyId must be 1 to 2048 characters long.");
  }
  // Before the commit: a stream must never be marked encrypted while its
  // records could not be sealed for want of a master key.
  OSPREY_RETURN_IF_ERROR(keys_.Prepare());
  return MutateStream(name, [&](StreamMeta& s, int64_t now) {
    if (auto st = StatusOf(s, now); st != StreamStatus::kActive) return NotActive(name, st);
    OSPREY_RETURN_IF_ERROR(TakeEncryptionChange(s, now));
    s.kms_key_id = std::string(key_id);
    return Status::Ok();
  });
}

Status StreamEngineImpl::StopEncryption(std::string_view name, std::string_view key_id) {
  if (key_id.empty() || key_id.size() > kMaxKeyIdBytes) {
    return Status::InvalidArgument("KeyId must be 1 to 2048 characters long.");
  }
  return MutateStream(name, [&](StreamMeta& s, int64_t now) {
    if (auto st = StatusOf(s, now); st != StreamStatus::kActive) return NotActive(name, st);
    if (!s.kms_key_id) return Status::Ok();
    OSPREY_RETURN_IF_ERROR(TakeEncryptionChange(s, now));
    s.kms_key_id.reset();
    return Status::Ok();
  });
}

}  // namespace osprey::streams::engine
