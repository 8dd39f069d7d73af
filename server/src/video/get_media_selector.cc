// StartSelector parsing and resolution (get_media.h).
#include <array>
#include <string_view>

#include "osprey/fragments/fragment_number.h"
#include "video/get_media.h"

namespace osprey::server::video {

namespace {

using Type = StartSelector::Type;

constexpr std::array<std::pair<std::string_view, Type>, 6> kTypes = {{
    {"FRAGMENT_NUMBER", Type::kFragmentNumber},
    {"SERVER_TIMESTAMP", Type::kServerTimestamp},
    {"PRODUCER_TIMESTAMP", Type::kProducerTimestamp},
    {"NOW", Type::kNow},
    {"EARLIEST", Type::kEarliest},
    {"CONTINUATION_TOKEN", Type::kContinuationToken},
}};

bool Digit(char c) { return c >= '0' && c <= '9'; }
bool TokenChar(char c) {
  return Digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' ||
         c == '-';
}

Status CheckPattern(std::string_view member, std::string_view value, bool (*ok)(char),
                    std::string_view pattern) {
  if (value.empty()) {
    return ValidationError(member, value, "Member must have length greater than or equal to 1");
  }
  if (value.size() > 128) {
    return ValidationError(member, value, "Member must have length less than or equal to 128");
  }
  for (char c : value) {
    if (!ok(c)) {
      return ValidationError(member, value,
                             "Member must satisfy regular expression pattern: " +
                                 std::string(pattern));
    }
  }
  return Status::Ok();
}

// The index of `number` in this stream, by the rules in get_media.h.
Result<uint64_t> IndexOfFragment(std::string_view number, const fragments::FragmentLog& log,
                                 int64_t stream_creation_ms, bool token) {
  Result<fragments::ParsedFragmentNumber> parsed = fragments::ParseFragmentNumber(number);
  if (!parsed.ok()) {
    if (token) {
      return Status::InvalidArgument("ContinuationToken " + std::string(number) +
                                     " is not valid for this stream");
    }
    return Status::NotFound("Fragment " + std::string(number) + " does not exist in this stream");
  }
  const uint64_t index = parsed.value().index;
  if (parsed.value().stream_creation_ms != stream_creation_ms) {
    if (token) {
      return Status::InvalidArgument("ContinuationToken " + std::string(number) +
                                     " belongs to another stream");
    }
    return Status::NotFound("Fragment " + std::string(number) + " does not exist in this stream");
  }
  if (log.Find(index)) return index;
  std::optional<fragments::FragmentMeta> earliest = log.Earliest();
  if (earliest && index < earliest->index) return index;  // removed by retention
  return Status::NotFound("Fragment " + std::string(number) + " does not exist in this stream");
}

}  // namespace

Result<StartSelector> ParseStartSelector(const JsonRequest& body) {
  OSPREY_ASSIGN_OR_RETURN(std::optional<JsonRequest> object, body.Object("StartSelector"));
  if (!object) return MissingMember("startSelector");
  OSPREY_ASSIGN_OR_RETURN(std::optional<std::string> type, object->String("StartSelectorType"));
  if (!type) return MissingMember("startSelector.startSelectorType");
  StartSelector out;
  bool known = false;
  for (const auto& [name, value] : kTypes) {
    if (*type == name) {
      out.type = value;
      known = true;
    }
  }
  if (!known) {
    return ValidationError("startSelector.startSelectorType", *type,
                           "Member must satisfy enum value set: [FRAGMENT_NUMBER, "
                           "SERVER_TIMESTAMP, PRODUCER_TIMESTAMP, NOW, EARLIEST, "
                           "CONTINUATION_TOKEN]");
  }
  switch (out.type) {
    case Type::kFragmentNumber: {
      OSPREY_ASSIGN_OR_RETURN(auto number, object->String("AfterFragmentNumber"));
      if (!number) return MissingMember("startSelector.afterFragmentNumber");
      OSPREY_RETURN_IF_ERROR(
          CheckPattern("startSelector.afterFragmentNumber", *number, Digit, "^[0-9]+$"));
      out.fragment_number = *number;
      break;
    }
    case Type::kContinuationToken: {
      OSPREY_ASSIGN_OR_RETURN(auto token, object->String("ContinuationToken"));
      if (!token) return MissingMember("startSelector.continuationToken");
      OSPREY_RETURN_IF_ERROR(CheckPattern("startSelector.continuationToken", *token, TokenChar,
                                          "^[a-zA-Z0-9_\\.\\-]+$"));
      out.fragment_number = *token;
      break;
    }
    case Type::kServerTimestamp:
    case Type::kProducerTimestamp: {
      OSPREY_ASSIGN_OR_RETURN(auto ts, object->TimestampMs("StartTimestamp"));
      if (!ts) return MissingMember("startSelector.startTimestamp");
      out.timestamp_ms = *ts;
      break;
    }
    case Type::kNow:
    case Type::kEarliest:
      break;
  }
  return out;
}

Result<uint64_t> ResolveStartSelector(const StartSelector& selector,
                                      const fragments::FragmentLog& log,
                                      int64_t stream_creation_ms) {
  switch (selector.type) {
    case Type::kNow: {
      std::optional<fragments::FragmentMeta> latest = log.Latest();
      return latest ? latest->index : uint64_t{0};
    }
    case Type::kEarliest:
      return uint64_t{0};
    case Type::kFragmentNumber:
    case Type::kContinuationToken:
      return IndexOfFragment(selector.fragment_number, log, stream_creation_ms,
                             selector.type == Type::kContinuationToken);
    case Type::kServerTimestamp:
    case Type::kProducerTimestamp: {
      // The head is taken first: a fragment persisted between the two
      // lookups is then sent rather than missed.
      std::optional<fragments::FragmentMeta> latest = log.Latest();
      std::optional<fragments::FragmentMeta> found = log.FindByTimestamp(
          selector.type == Type::kServerTimestamp ? fragments::TimestampKind::kServer
                                                  : fragments::TimestampKind::kProducer,
          selector.timestamp_ms);
      if (found) return found->index > 0 ? found->index - 1 : uint64_t{0};
      return latest ? latest->index : uint64_t{0};
    }
  }
  return Status::Internal("unknown StartSelectorType");
}

}  // namespace osprey::server::video
