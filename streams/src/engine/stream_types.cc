// Wire names of the engine's enums, shard ids, and the error classification
// of stream_errors.h.
#include "osprey/streams/stream_types.h"

#include <cstdio>

#include "osprey/streams/stream_errors.h"

namespace osprey::streams {

std::string_view StreamModeName(StreamMode mode) {
  return mode == StreamMode::kOnDemand ? "ON_DEMAND" : "PROVISIONED";
}

std::string_view StreamStatusName(StreamStatus status) {
  switch (status) {
    case StreamStatus::kCreating: return "CREATING";
    case StreamStatus::kDeleting: return "DELETING";
    case StreamStatus::kActive: return "ACTIVE";
    case StreamStatus::kUpdating: return "UPDATING";
  }
  return "ACTIVE";
}

std::string_view ConsumerStatusName(ConsumerStatus status) {
  switch (status) {
    case ConsumerStatus::kCreating: return "CREATING";
    case ConsumerStatus::kDeleting: return "DELETING";
    case ConsumerStatus::kActive: return "ACTIVE";
  }
  return "ACTIVE";
}

std::string_view IteratorTypeName(IteratorType type) {
  switch (type) {
    case IteratorType::kAtSequenceNumber: return "AT_SEQUENCE_NUMBER";
    case IteratorType::kAfterSequenceNumber: return "AFTER_SEQUENCE_NUMBER";
    case IteratorType::kTrimHorizon: return "TRIM_HORIZON";
    case IteratorType::kLatest: return "LATEST";
    case IteratorType::kAtTimestamp: return "AT_TIMESTAMP";
  }
  return "LATEST";
}

std::optional<StreamMode> ParseStreamMode(std::string_view name) {
  if (name == "PROVISIONED") return StreamMode::kProvisioned;
  if (name == "ON_DEMAND") return StreamMode::kOnDemand;
  return std::nullopt;
}

std::optional<IteratorType> ParseIteratorType(std::string_view name) {
  for (auto t : {IteratorType::kAtSequenceNumber, IteratorType::kAfterSequenceNumber,
                 IteratorType::kTrimHorizon, IteratorType::kLatest, IteratorType::kAtTimestamp}) {
    if (IteratorTypeName(t) == name) return t;
  }
  return std::nullopt;
}

std::string ShardIdFor(uint32_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "shardId-%012u", index);
  return buf;
}

std::optional<uint32_t> ParseShardId(std::string_view id) {
  constexpr std::string_view kPrefix = "shardId-";
  if (id.size() <= kPrefix.size() || id.size() > kPrefix.size() + 20 ||
      id.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (char c : id.substr(kPrefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > 2147483647u) return std::nullopt;
  }
  return static_cast<uint32_t>(v);
}

namespace {

// "<n> validation error detected: " or "<n> validation errors detected: ".
bool IsValidationMessage(std::string_view m) {
  size_t i = 0;
  while (i < m.size() && m[i] >= '0' && m[i] <= '9') ++i;
  if (i == 0) return false;
  m.remove_prefix(i);
  return m.starts_with(" validation error detected: ") ||
         m.starts_with(" validation errors detected: ");
}

}  // namespace

StreamError ClassifyError(const Status& status) {
  const std::string& m = status.message();
  switch (status.code()) {
    case Status::Code::kOk: return StreamError::kNone;
    case Status::Code::kNotFound: return StreamError::kResourceNotFound;
    case Status::Code::kAlreadyExists:
    case Status::Code::kFailedPrecondition: return StreamError::kResourceInUse;
    case Status::Code::kInvalidArgument:
      return IsValidationMessage(m) ? StreamError::kValidation : StreamError::kInvalidArgument;
    case Status::Code::kResourceExhausted:
      return m.starts_with("Rate exceeded for shard ") ? StreamError::kProvisionedThroughputExceeded
                                                       : StreamError::kLimitExceeded;
    case Status::Code::kDeadlineExceeded: return StreamError::kExpiredIterator;
    default: return StreamError::kInternalFailure;
  }
}

std::string_view ErrorTypeName(StreamError error) {
  switch (error) {
    case StreamError::kNone: return "";
    case StreamError::kResourceNotFound: return "ResourceNotFoundException";
    case StreamError::kResourceInUse: return "ResourceInUseException";
    case StreamError::kInvalidArgument: return "InvalidArgumentException";
    case StreamError::kValidation: return "ValidationException";
    case StreamError::kLimitExceeded: return "LimitExceededException";
    case StreamError::kProvisionedThroughputExceeded: return "ProvisionedThroughputExceededException";
    case StreamError::kExpiredIterator: return "ExpiredIteratorException";
    case StreamError::kInternalFailure: return "InternalFailure";
  }
  return "InternalFailure";
}

}  // namespace osprey::streams
