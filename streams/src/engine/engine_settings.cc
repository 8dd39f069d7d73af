// StreamEngineImpl: retention period, tags, stream mode and consumers.
#include <algorithm>

#include "engine_impl.h"

namespace osprey::streams::engine {
namespace {

size_t Utf8Length(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Letters, digits, white space and _ . / = + - % @ (spec 5 "Tags"). Bytes
// of multi-byte UTF-8 sequences count as letters: the engine does not carry
// Unicode tables, and AWS accepts letters of any script.
bool TagChar(unsigned char c) {
  return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
         std::string_view("_./=+-%@").find(static_cast<char>(c)) != std::string_view::npos;
}

Status CheckRetentionHours(int32_t hours) {
  if (hours < 24) {
    return Status::InvalidArgument("Minimum allowed retention period is 24 hours. Requested retention period (" +
                                   std::to_string(hours) + " hours) is too short.");
  }
  if (hours > 8760) {
    return Status::InvalidArgument("Maximum allowed retention period is 8760 hours. Requested retention period (" +
                                   std::to_string(hours) + " hours) is too long.");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateTags(const std::map<std::string, std::string>& tags, size_t total, size_t max,
                    std::string_view stream) {
  for (const auto& [k, v] : tags) {
    if (k.empty() || Utf8Length(k) > 128 || Utf8Length(v) > 256) {
      return Status::InvalidArgument("1 validation error detected: Value '" + k +
                                     "' at 'tags' failed to satisfy constraint: Map keys must satisfy "
                                     "constraint: [Member must have length less than or equal to 128, "
                                     "Member must have length greater than or equal to 1]");
    }
    auto bad = [](const std::string& s) { return !std::all_of(s.begin(), s.end(), [](char c) { return TagChar(static_cast<unsigned char>(c)); }); };
    if (bad(k) || bad(v)) {
      return Status::InvalidArgument(
          "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white "
          "space, _ . / = + - % @.");
    }
    // AWS lists % as valid, then refuses it in a second check.
    if (k.find('%') != std::string::npos || v.find('%') != std::string::npos) {
      return Status::InvalidArgument("Some tags contain illegal characters: %");
    }
  }
  if (total > max) {
    return Status::InvalidArgument("Failed to add tags to stream " + std::string(stream) +
                                   " because a given stream cannot have more than " +
                                   std::to_string(max) + " tags associated with it.");
  }
  return Status::Ok();
}

Status StreamEngineImpl::IncreaseRetention(std::string_view name, int32_t hours) {
  OSPREY_RETURN_IF_ERROR(CheckRetentionHours(hours));
  return MutateStream(name, [&](StreamMeta& s, int64_t now) {
    if (auto st = StatusOf(s, now); st != StreamStatus::kActive) return NotActive(name, st);
    if (hours < s.retention_hours) {
      return Status::InvalidArgument(
          "Requested retention period (" + std::to_string(hours) + " hours) for stream " +
          s.name + " can not be shorter than existing retention period (" +
          std::to_string(s.retention_hours) + " hours). Use DecreaseRetentionPeriod API.");
    }
    s.retention_hours = hours;
    return Status::Ok();
  });
}

Status StreamEngineImpl::DecreaseRetention(std::string_view name, int32_t hours) {
  OSPREY_RETURN_IF_ERROR(CheckRetentionHours(hours));
  return MutateStream(name, [&](StreamMeta& s, int64_t now) {
    if (auto st = StatusOf(s, now); st != StreamStatus::kActive) return NotActive(name, st);
    if (hours > s.retention_hours) {
      return Status::InvalidArgument(
          "Requested retention period (" + std::to_string(hours) + " hours) for stream " +
          s.name + " can not be longer than existing retention period (" +
          std::to_string(s.retention_hours) + " hours). Use IncreaseRetentionPeriod API.");
    }
    s.retention_hours = hours;
    return Status::Ok();
  });
}

Status StreamEngineImpl::AddTags(std::string_view name, const std::map<std::string, std::string>& tags) {
  return MutateStream(name, [&](StreamMeta& s, int64_t) {
    size_t total = s.tags.size();
    for (const auto& [k, v] : tags) total += s.tags.contains(k) ? 0 : 1;
    OSPREY_RETURN_IF_ERROR(ValidateTags(tags, total, options_.max_tags, s.name));
    for (const auto& [k, v] : tags) s.tags[k] = v;
    return Status::Ok();
  });
}

Status StreamEngineImpl::RemoveTags(std::string_view name, const std::vector<std::string>& keys) {
  return MutateStream(name, [&](StreamMeta& s, int64_t) {
    for (const auto& k : keys) s.tags.erase(k);  // unknown keys are ignored
    return Status::Ok();
  });
}

Result<std::map<std::string, std::string>> StreamEngineImpl::ListTags(std::string_view name) {
  std::shared_lock lock(mu_);
  OSPREY_ASSIGN_OR_RETURN(const StreamMeta* s, FindStreamLocked(name));
  return s->tags;
}

Status StreamEngineImpl::UpdateStreamMode(std::string_view name, StreamMode mode) {
  return MutateStream(name, [&](StreamMeta& s, int64_t now) {
    if (auto st = StatusOf(s, now); st != StreamStatus::kActive) return NotActive(name, st);
    if (s.mode == mode) return Status::Ok();
    if (mode == StreamMode::kOnDemand) {
      uint32_t on_demand = 0;
      for (const auto& [_, other] : meta_.streams) on_demand += other.mode == StreamMode::kOnDemand;
      if (on_demand >= options_.on_demand_stream_limit) {
        return Status::ResourceExhausted("This request would exceed the limit of " +
                                         std::to_string(options_.on_demand_stream_limit) +
                                         " ON_DEMAND streams for the account " + Account() + ".");
      }
    }
    s.mode = mode;
    s.updating_until_ms = now + options_.update_delay_ms;
    return Status::Ok();
  });
}

// ---- Consumers --------------------------------------------------------

ConsumerStatus StreamEngineImpl::ConsumerStatusOf(const ConsumerMeta& c, int64_t now_ms) const {
  return now_ms < c.created_ms + options_.create_delay_ms ? ConsumerStatus::kCreating
                                                          : ConsumerStatus::kActive;
}

std::string StreamEngineImpl::ConsumerArn(const StreamMeta& s, const ConsumerMeta& c) const {
  return StreamArn(s.name) + "/consumer/" + c.name + ":" + std::to_string(c.created_ms / 1000);
}

ConsumerDescription StreamEngineImpl::DescribeConsumerMeta(const StreamMeta& s, const ConsumerMeta& c,
                                                           int64_t now_ms) const {
  return {c.name, ConsumerArn(s, c), ConsumerStatusOf(c, now_ms), c.created_ms, StreamArn(s.name)};
}

namespace {

Status ConsumerNotFound(std::string_view consumer, std::string_view stream, std::string_view account) {
  return Status::NotFound("Consumer " + std::string(consumer) + " under stream " + std::string(stream) +
                          " not found for account " + std::string(account) + ".");
}

}  // namespace

Result<ConsumerDescription> StreamEngineImpl::RegisterConsumer(std::string_view stream,
                                                               std::string_view consumer) {
  if (!ValidName(consumer)) {
    return Status::InvalidArgument("1 validation error detected: Value '" + std::string(consumer) +
                                   "' at 'consumerName' failed to satisfy constraint: Member must "
                                   "satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  }
  ConsumerDescription out;
  OSPREY_RETURN_IF_ERROR(MutateStream(stream, [&](StreamMeta& s, int64_t now) {
    if (auto st = StatusOf(s, now); st == StreamStatus::kCreating) return NotActive(stream, st);
    uint32_t creating = 0;
    for (const auto& c : s.consumers) {
      if (c.name == consumer) {
        return Status::AlreadyExists("Consumer " + c.name + " under stream " + s.name +
                                     " already exists for account " + Account() + ".");
      }
      creating += ConsumerStatusOf(c, now) == ConsumerStatus::kCreating;
    }
    if (s.consumers.size() >= options_.max_consumers) {
      return Status::ResourceExhausted("Consumer limit of " + std::to_string(options_.max_consumers) +
                                       " exceeded for stream " + s.name + " under account " + Account() + ".");
    }
    if (options_.max_creating_consumers != 0 && creating >= options_.max_creating_consumers) {
      return Status::ResourceExhausted("Rate exceeded: at most " +
                                       std::to_string(options_.max_creating_consumers) +
                                       " consumers can be in CREATING state for stream " + s.name + ".");
    }
    s.consumers.push_back({std::string(consumer), now});
    out = DescribeConsumerMeta(s, s.consumers.back(), now);
    return Status::Ok();
  }));
  return out;
}

Result<ConsumerDescription> StreamEngineImpl::DescribeConsumer(std::string_view stream,
                                                               std::string_view consumer) {
  std::shared_lock lock(mu_);
  OSPREY_ASSIGN_OR_RETURN(const StreamMeta* s, FindStreamLocked(stream));
  for (const auto& c : s->consumers) {
    if (c.name == consumer) return DescribeConsumerMeta(*s, c, Now());
  }
  return ConsumerNotFound(consumer, stream, Account());
}

Result<ConsumerDescription> StreamEngineImpl::DescribeConsumerByArn(std::string_view arn) {
  const size_t at = arn.find("/consumer/");
  const size_t colon = arn.rfind(':');
  if (at == std::string_view::npos || colon == std::string_view::npos || colon < at) {
    return Status::InvalidArgument("Invalid ConsumerARN " + std::string(arn) + ".");
  }
  OSPREY_ASSIGN_OR_RETURN(std::string stream, StreamNameFromArn(arn.substr(0, at)));
  const std::string_view name = arn.substr(at + 10, colon - at - 10);
  const std::string_view created_s = arn.substr(colon + 1);
  OSPREY_ASSIGN_OR_RETURN(ConsumerDescription d, DescribeConsumer(stream, name));
  // The creation second tells a consumer from an older one of the same name.
  if (std::to_string(d.created_ms / 1000) != created_s) return ConsumerNotFound(name, stream, Account());
  return d;
}

Result<std::vector<ConsumerDescription>> StreamEngineImpl::ListConsumers(std::string_view stream) {
  std::shared_lock lock(mu_);
  OSPREY_ASSIGN_OR_RETURN(const StreamMeta* s, FindStreamLocked(stream));
  const int64_t now = Now();
  std::vector<ConsumerDescription> out;
  for (const auto& c : s->consumers) out.push_back(DescribeConsumerMeta(*s, c, now));
  return out;
}

Status StreamEngineImpl::DeregisterConsumer(std::string_view stream, std::string_view consumer) {
  return MutateStream(stream, [&](StreamMeta& s, int64_t) {
    auto it = std::find_if(s.consumers.begin(), s.consumers.end(),
                           [&](const ConsumerMeta& c) { return c.name == consumer; });
    if (it == s.consumers.end()) return ConsumerNotFound(consumer, stream, Account());
    s.consumers.erase(it);
    return Status::Ok();
  });
}

}  // namespace osprey::streams::engine
