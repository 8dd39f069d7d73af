// Reading KVS REST-JSON request bodies and answering in the KVS error model
// (shared/spec/video-api.md 1.2 and 1.4), shared by every video handler.
//
// JsonRequest wraps a parsed JSON object (simdjson DOM, kept out of this
// header). Accessors return nullopt for an absent member (or JSON null, as
// the SDKs send for unset optionals) and InvalidArgument naming the member
// when it has the wrong type, so handlers read a field in one line:
//   OSPREY_ASSIGN_OR_RETURN(auto name, body.String("StreamName"));
//
// Thread safety: a JsonRequest is a value; one object is used by one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/base/status.h"
#include "osprey/fragments/stream_catalog.h"
#include "osprey/server/http.h"

namespace osprey::server::video {

class JsonRequest {
 public:
  // An empty body counts as {}. InvalidArgument when `body` is not one JSON
  // object.
  static Result<JsonRequest> Parse(std::string_view body);

  Result<std::optional<std::string>> String(std::string_view member) const;
  // Integers only (1.5 is rejected; 2.0 too, as AWS's Coral does).
  Result<std::optional<int64_t>> Int(std::string_view member) const;
  // A KVS timestamp: epoch seconds as a JSON number, fraction allowed,
  // returned as epoch milliseconds (rounded to the nearest ms).
  Result<std::optional<int64_t>> TimestampMs(std::string_view member) const;
  Result<std::optional<bool>> Bool(std::string_view member) const;
  Result<std::optional<JsonRequest>> Object(std::string_view member) const;
  Result<std::optional<std::vector<std::string>>> StringList(std::string_view member) const;
  // A JSON object whose values are all strings (KVS Tags).
  Result<std::optional<std::map<std::string, std::string>>> StringMap(
      std::string_view member) const;
  // A JSON array of objects (e.g. Kinesis Records, Firehose records).
  Result<std::optional<std::vector<JsonRequest>>> ObjectList(std::string_view member) const;

  struct Doc;  // private: the parser holding the document, and its objects

 private:
  JsonRequest(std::shared_ptr<Doc> doc, size_t node) : doc_(std::move(doc)), node_(node) {}
  std::shared_ptr<Doc> doc_;  // shared by the objects nested in one body
  size_t node_ = 0;           // which object of doc_ this is
};

// AWS ValidationException wording, which KVS uses in InvalidArgumentException
// messages: "1 validation error detected: Value 'x' at 'streamName' failed to
// satisfy constraint: Member must have length less than or equal to 256".
Status ValidationError(std::string_view member, std::string_view value,
                       std::string_view constraint);
// The member is required and absent.
Status MissingMember(std::string_view member);

// Checks of the identifier formats in video-api.md section 2. Each returns
// InvalidArgument in the ValidationError wording.
Status CheckStreamName(std::string_view member, std::string_view name);
Status CheckStreamArn(std::string_view member, std::string_view arn);
Status CheckTags(const std::map<std::string, std::string>& tags);

// The stream a request names by StreamName or StreamARN (the KVS rule: one
// of the two is required; when both are given they must name the same
// stream). Formats are checked first (InvalidArgument), then the catalog
// (NotFound).
Result<fragments::VideoStream> ResolveStream(const JsonRequest& body,
                                             const fragments::StreamCatalog& catalog);

// The one mapping of engine Status codes to KVS errors:
//   NotFound -> 404 ResourceNotFoundException
//   AlreadyExists -> 400 ResourceInUseException
//   FailedPrecondition -> 400 VersionMismatchException
//   InvalidArgument -> 400 InvalidArgumentException
//   ResourceExhausted -> 400 ClientLimitExceededException
//   PermissionDenied -> 401 NotAuthorizedException
//   anything else -> 500 InternalFailure (message logged, not leaked)
ApiError KvsError(const Status& status);

// 200 application/json with `body`.
Response KvsOk(std::string body);
// The error response for `status`, via KvsError.
Response KvsFail(const Status& status);

}  // namespace osprey::server::video
