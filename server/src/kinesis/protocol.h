// The AWS JSON 1.1 / CBOR 1.1 protocol of Kinesis Data Streams (and
// Firehose, which speaks the same JSON dialect), shared by every action
// handler so that one handler per operation serves both codecs
// (shared/spec/data-streams-api.md sections 1 and 2).
//
//  * Codec: chosen from Content-Type (media type only); the answer uses the
//    same codec and echoes the content type.
//  * Input: the decoded body as a Value tree with typed accessors that
//    enforce the member-type check (400 SerializationException) the way the
//    protocol defines blobs (base64 text in JSON, byte strings in CBOR) and
//    timestamps (epoch seconds in JSON, tag-1 milliseconds in CBOR).
//  * Validation: collects constraint violations and renders the
//    ValidationException text of spec 2.3 ("2 validation errors detected:
//    ...; ...", at most 10 entries).
//  * Output: one writer interface over JsonWriter and CborWriter.
//
// Thread safety: values and per-request objects; nothing is shared.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/base/value.h"
#include "osprey/server/http.h"

namespace osprey::server::kinesis {

enum class Codec { kJson, kCbor };

inline constexpr std::string_view kJsonContentType = "application/x-amz-json-1.1";
inline constexpr std::string_view kCborContentType = "application/x-amz-cbor-1.1";

// The codec of a request from its Content-Type (parameters ignored); nullopt
// for anything else (the caller answers UnknownOperationException).
std::optional<Codec> CodecFromContentType(std::string_view content_type);
std::string_view ContentTypeOf(Codec codec);

// Reads typed members of a decoded request object.
class Input {
 public:
  // Decodes `body` in `codec`. An empty body is a SerializationException,
  // as kinesalite and AWS answer it.
  static Result<Input> Decode(Codec codec, std::string_view body);
  Input(Codec codec, Value root) : codec_(codec), root_(std::move(root)) {}

  Codec codec() const { return codec_; }
  const Value& root() const { return root_; }

  // Each returns nullopt when the member is absent or null, and
  // Status::Corruption (SerializationException) when it has the wrong type.
  Result<std::optional<std::string>> String(std::string_view member) const;
  // Blob: base64 text in JSON (strictly decoded), a byte string (or base64
  // text) in CBOR.
  Result<std::optional<std::string>> Blob(std::string_view member) const;
  // Integer members; values above 2^31-1 are clamped to 2147483647 (spec 1).
  Result<std::optional<int64_t>> Int(std::string_view member) const;
  Result<std::optional<bool>> Bool(std::string_view member) const;
  // Epoch milliseconds: JSON epoch seconds (fraction allowed); CBOR tag 1
  // milliseconds, or an untagged number taken as milliseconds.
  Result<std::optional<int64_t>> TimestampMs(std::string_view member) const;
  Result<std::optional<Input>> Object(std::string_view member) const;
  Result<std::optional<std::vector<Input>>> ObjectList(std::string_view member) const;
  Result<std::optional<std::vector<std::string>>> StringList(std::string_view member) const;
  Result<std::optional<std::map<std::string, std::string>>> StringMap(
      std::string_view member) const;

 private:
  Codec codec_;
  Value root_;
};

// Collects ValidationException entries in request order.
class Validation {
 public:
  // `path` is the member path as AWS writes it (lower-case first letter is
  // applied here): "StreamName" -> 'streamName', "Records.1.Data" ->
  // 'records.1.data'. `value` is rendered as 'value', or null when absent.
  void Add(std::string_view path, std::optional<std::string_view> value, std::string_view rule);

  void Required(std::string_view path, bool present);
  void Length(std::string_view path, const std::optional<std::string>& value, size_t min,
              size_t max);
  void Range(std::string_view path, const std::optional<int64_t>& value, int64_t min, int64_t max);
  void Pattern(std::string_view path, const std::optional<std::string>& value,
               std::string_view pattern_text, bool (*matches)(std::string_view));
  void Enum(std::string_view path, const std::optional<std::string>& value,
            const std::vector<std::string_view>& allowed);
  // For a blob: the value renders as java.nio.HeapByteBuffer[pos=0 lim=N cap=N].
  void BlobLength(std::string_view path, const std::optional<std::string>& value, size_t min,
                  size_t max);

  bool ok() const { return entries_.empty(); }
  // InvalidArgument whose message is the full ValidationException text
  // ("N validation error(s) detected: ..."), which ToApiError recognises.
  Status ToStatus() const;

 private:
  std::vector<std::string> entries_;
  size_t total_ = 0;
};

// Status to Kinesis/Firehose error. The engine's own table
// (streams/stream_errors.h: NotFound, ResourceInUse, Validation, Limit,
// ProvisionedThroughput, ExpiredIterator, InternalFailure) is used as is;
// the protocol adds what only the adapter produces:
//   Corruption -> SerializationException (member "Message")
//   DeadlineExceeded mentioning NextToken -> ExpiredNextTokenException
//   PermissionDenied -> AccessDeniedException
// Every error is 400 except InternalFailure (500; logged, not leaked).
ApiError ToApiError(const Status& status);

// Writes a response body in either codec.
class Output {
 public:
  static std::unique_ptr<Output> For(Codec codec, std::string* out);
  virtual ~Output() = default;
  virtual Output& BeginObject() = 0;
  virtual Output& EndObject() = 0;
  virtual Output& BeginArray() = 0;
  virtual Output& EndArray() = 0;
  virtual Output& Key(std::string_view key) = 0;
  virtual Output& String(std::string_view s) = 0;
  virtual Output& Blob(std::string_view bytes) = 0;  // base64 in JSON
  virtual Output& Int64(int64_t v) = 0;
  virtual Output& Double(double v) = 0;
  virtual Output& Bool(bool v) = 0;
  virtual Output& Null() = 0;
  // JSON: epoch seconds with the millisecond fraction; CBOR: tag 1 + ms.
  virtual Output& TimestampMs(int64_t epoch_ms) = 0;
};

// 200 with `body` in `codec`'s content type.
Response Success(Codec codec, std::string body);
// An error in the codec: {"__type": type, "message": message} ("Message"
// for SerializationException), x-amzn-ErrorType, the status.
Response Failure(Codec codec, const ApiError& error);

}  // namespace osprey::server::kinesis
