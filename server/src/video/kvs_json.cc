#include "video/kvs_json.h"

#include <simdjson.h>

#include <cmath>
#include <deque>

#include "osprey/base/json_writer.h"
#include "osprey/base/logging.h"

namespace osprey::server::video {

namespace dom = simdjson::dom;

struct JsonRequest::Doc {
  dom::parser parser;
  // Objects handed out as JsonRequests. A deque keeps references stable.
  std::deque<dom::element> nodes;
};

namespace {

Status WrongType(std::string_view member, std::string_view want) {
  return Status::InvalidArgument("1 validation error detected: Value at '" + std::string(member) +
                                 "' failed to satisfy constraint: Member must be " +
                                 std::string(want));
}

// The member, or nullopt when absent or null.
std::optional<dom::element> Member(const dom::element& object, std::string_view member) {
  dom::element value;
  if (object.get_object().at_key(member).get(value) != simdjson::SUCCESS) return std::nullopt;
  if (value.is_null()) return std::nullopt;
  return value;
}

// Lower-camel name AWS uses in validation messages ("StreamName" -> "streamName").
std::string LowerCamel(std::string_view member) {
  std::string out(member);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

bool AllOf(std::string_view s, bool (*ok)(char)) {
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

Result<JsonRequest> JsonRequest::Parse(std::string_view body) {
  auto doc = std::make_shared<Doc>();
  std::string_view text = body;
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) text = "{}";
  dom::element root;
  if (doc->parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) {
    return Status::InvalidArgument("The request body is not valid JSON");
  }
  if (!root.is_object()) return Status::InvalidArgument("The request body must be a JSON object");
  doc->nodes.push_back(root);
  return JsonRequest(std::move(doc), 0);
}

Result<std::optional<std::string>> JsonRequest::String(std::string_view member) const {
  auto value = Member(doc_->nodes[node_], member);
  if (!value) return std::optional<std::string>();
  std::string_view s;
  if (value->get_string().get(s) != simdjson::SUCCESS) return WrongType(LowerCamel(member), "a string");
  return std::optional<std::string>(std::string(s));
}

Result<std::optional<int64_t>> JsonRequest::Int(std::string_view member) const {
  auto value = Member(doc_->nodes[node_], member);
  if (!value) return std::optional<int64_t>();
  int64_t v = 0;
  if (value->get_int64().get(v) != simdjson::SUCCESS) return WrongType(LowerCamel(member), "an integer");
  return std::optional<int64_t>(v);
}

Result<std::optional<int64_t>> JsonRequest::TimestampMs(std::string_view member) const {
  auto value = Member(doc_->nodes[node_], member);
  if (!value) return std::optional<int64_t>();
  double seconds = 0;
  if (value->get_double().get(seconds) != simdjson::SUCCESS || !std::isfinite(seconds) ||
      std::fabs(seconds) > 9.2e12) {
    return WrongType(LowerCamel(member), "a timestamp (epoch seconds)");
  }
  return std::optional<int64_t>(static_cast<int64_t>(std::llround(seconds * 1000.0)));
}

Result<std::optional<bool>> JsonRequest::Bool(std::string_view member) const {
  auto value = Member(doc_->nodes[node_], member);
  if (!value) return std::optional<bool>();
  bool v = false;
  if (value->get_bool().get(v) != simdjson::SUCCESS) return WrongType(LowerCamel(member), "a boolean");
  return std::optional<bool>(v);
}

Result<std::optional<JsonRequest>> JsonRequest::Object(std::string_view member) const {
  auto value = Member(doc_->nodes[node_], member);
  if (!value) return std::optional<JsonRequest>();
  if (!value->is_object()) return WrongType(LowerCamel(member), "an object");
  doc_->nodes.push_back(*value);
  return std::optional<JsonRequest>(JsonRequest(doc_, doc_->nodes.size() - 1));
}

Result<std::optional<std::vector<std::string>>> JsonRequest::StringList(
    std::string_view member) const {
  auto value = Member(doc_->nodes[node_], member);
  if (!value) return std::optional<std::vector<std::string>>();
  dom::array array;
  if (value->get_array().get(array) != simdjson::SUCCESS) {
    return WrongType(LowerCamel(member), "a list of strings");
  }
  std::vector<std::string> out;
  for (dom::element e : array) {
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) {
      return WrongType(LowerCamel(member), "a list of strings");
    }
    out.emplace_back(s);
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<std::map<std::string, std::string>>> JsonRequest::StringMap(
    std::string_view member) const {
  auto value = Member(doc_->nodes[node_], member);
  if (!value) return std::optional<std::map<std::string, std::string>>();
  dom::object object;
  if (value->get_object().get(object) != simdjson::SUCCESS) {
    return WrongType(LowerCamel(member), "a map of strings");
  }
  std::map<std::string, std::string> out;
  for (auto field : object) {
    std::string_view s;
    if (field.value.get_string().get(s) != simdjson::SUCCESS) {
      return WrongType(LowerCamel(member), "a map of strings");
    }
    out[std::string(field.key)] = std::string(s);
  }
  return std::optional<std::map<std::string, std::string>>(std::move(out));
}

Result<std::optional<std::vector<JsonRequest>>> JsonRequest::ObjectList(
    std::string_view member) const {
  auto value = Member(doc_->nodes[node_], member);
  if (!value) return std::optional<std::vector<JsonRequest>>();
  dom::array array;
  if (value->get_array().get(array) != simdjson::SUCCESS) {
    return WrongType(LowerCamel(member), "a list of objects");
  }
  std::vector<JsonRequest> out;
  for (dom::element e : array) {
    if (!e.is_object()) return WrongType(LowerCamel(member), "a list of objects");
    doc_->nodes.push_back(e);
    out.push_back(JsonRequest(doc_, doc_->nodes.size() - 1));
  }
  return std::optional<std::vector<JsonRequest>>(std::move(out));
}

Status ValidationError(std::string_view member, std::string_view value,
                       std::string_view constraint) {
  return Status::InvalidArgument("1 validation error detected: Value '" + std::string(value) +
                                 "' at '" + LowerCamel(member) +
                                 "' failed to satisfy constraint: " + std::string(constraint));
}

Status MissingMember(std::string_view member) {
  return ValidationError(member, "null", "Member must not be null");
}

Status CheckStreamName(std::string_view member, std::string_view name) {
  if (name.empty()) return ValidationError(member, name, "Member must have length greater than or equal to 1");
  if (name.size() > 256) return ValidationError(member, name, "Member must have length less than or equal to 256");
  if (!AllOf(name, NameChar)) {
    return ValidationError(member, name,
                           "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  }
  return Status::Ok();
}

Status CheckStreamArn(std::string_view member, std::string_view arn) {
  if (arn.empty()) return ValidationError(member, arn, "Member must have length greater than or equal to 1");
  if (arn.size() > 1024) return ValidationError(member, arn, "Member must have length less than or equal to 1024");
  if (arn.substr(0, 4) != "arn:") {
    return ValidationError(member, arn,
                           "Member must satisfy regular expression pattern: "
                           "arn:[a-z\\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+");
  }
  return Status::Ok();
}

Status CheckTags(const std::map<std::string, std::string>& tags) {
  if (tags.empty()) return ValidationError("Tags", "{}", "Member must have length greater than or equal to 1");
  if (tags.size() > 50) return ValidationError("Tags", "...", "Member must have length less than or equal to 50");
  for (const auto& [key, value] : tags) {
    if (key.empty() || key.size() > 128) {
      return ValidationError("Tags", key, "Map keys must have length between 1 and 128");
    }
    if (value.size() > 256) {
      return ValidationError("Tags", value, "Map values must have length less than or equal to 256");
    }
  }
  return Status::Ok();
}

Result<fragments::VideoStream> ResolveStream(const JsonRequest& body,
                                             const fragments::StreamCatalog& catalog) {
  OSPREY_ASSIGN_OR_RETURN(auto name, body.String("StreamName"));
  OSPREY_ASSIGN_OR_RETURN(auto arn, body.String("StreamARN"));
  if (!name && !arn) {
    return Status::InvalidArgument("Either the StreamName or the StreamARN must be given");
  }
  if (name) OSPREY_RETURN_IF_ERROR(CheckStreamName("StreamName", *name));
  if (arn) OSPREY_RETURN_IF_ERROR(CheckStreamArn("StreamARN", *arn));
  if (arn) {
    OSPREY_ASSIGN_OR_RETURN(auto stream, catalog.GetByArn(*arn));
    if (name && stream.name != *name) {
      return Status::InvalidArgument("StreamName and StreamARN name different streams");
    }
    return stream;
  }
  return catalog.GetByName(*name);
}

ApiError KvsError(const Status& status) {
  switch (status.code()) {
    case Status::Code::kNotFound:
      return {404, "ResourceNotFoundException", status.message()};
    case Status::Code::kAlreadyExists:
      return {400, "ResourceInUseException", status.message()};
    case Status::Code::kFailedPrecondition:
      return {400, "VersionMismatchException", status.message()};
    case Status::Code::kInvalidArgument:
      return {400, "InvalidArgumentException", status.message()};
    case Status::Code::kResourceExhausted:
      return {400, "ClientLimitExceededException", status.message()};
    case Status::Code::kPermissionDenied:
      return {401, "NotAuthorizedException", status.message()};
    default:
      log::Error("video", "internal error", {{"error", status.ToString()}});
      return {500, "InternalFailure", "The server encountered an internal error"};
  }
}

Response KvsOk(std::string body) { return Response::Json(200, std::move(body)); }

Response KvsFail(const Status& status) { return ErrorResponse(KvsError(status)); }

}  // namespace osprey::server::video
