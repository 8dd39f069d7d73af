#include "firehose/firehose_common.h"

#include "access/access_control.h"
#include "osprey/base/logging.h"

namespace osprey::server::firehose {

ApiError FirehoseError(const Status& status) {
  const std::string& m = status.message();
  switch (status.code()) {
    case Status::Code::kCorruption: return {400, "SerializationException", m};
    case Status::Code::kInvalidArgument: {
      std::string_view text = m;
      // Validation::ToStatus texts: "N validation error(s) detected: ...".
      if (text.find(" validation error detected: ") != std::string_view::npos ||
          text.find(" validation errors detected: ") != std::string_view::npos) {
        return {400, "ValidationException", m};
      }
      return {400, "InvalidArgumentException", m};
    }
    case Status::Code::kNotFound: return {400, "ResourceNotFoundException", m};
    case Status::Code::kAlreadyExists: return {400, "ResourceInUseException", m};
    case Status::Code::kFailedPrecondition:
      if (m.rfind("Cannot update firehose:", 0) == 0) return {400, "ConcurrentModificationException", m};
      return {400, "ResourceInUseException", m};
    case Status::Code::kResourceExhausted:
      if (m == "Slow down.") return {503, "ServiceUnavailableException", m};
      return {400, "LimitExceededException", m};
    case Status::Code::kUnavailable: return {503, "ServiceUnavailableException", m};
    case Status::Code::kPermissionDenied: return {400, "AccessDeniedException", m};
    default:
      log::Error("firehose", "internal error", {{"error", status.ToString()}});
      return {500, "InternalFailure", ""};
  }
}

Response Ok(Codec codec, std::string body) { return kinesis::Success(codec, std::move(body)); }

Response Fail(Codec codec, const Status& status) {
  return kinesis::Failure(codec, FirehoseError(status));
}

namespace {

Status AuthorizeKinesisSource(const access::AccessControl& access, const Request& request,
                              const Input& input) {
  auto source = input.Object("KinesisStreamSourceConfiguration");
  if (!source.ok() || !source->has_value()) return Status::Ok();
  auto arn = (*source)->String("KinesisStreamARN");
  if (!arn.ok() || !arn->has_value()) return Status::Ok();
  return access.Authorize(request, access::Call{"kinesis", "GetRecords", {**arn}, false});
}

}  // namespace

Route MakeRoute(FirehoseContext* ctx, std::string action, Handler handler) {
  Route route;
  route.api = action;
  route.service = "firehose";
  route.body = Route::Body::kBuffered;
  route.buffered = [ctx, action, handler = std::move(handler)](Request request,
                                                              Responder respond) {
    // Every SDK sends application/x-amz-json-1.1 for Firehose; anything but
    // CBOR is read as JSON.
    Codec codec = kinesis::CodecFromContentType(request.headers.Get("content-type").value_or(""))
                      .value_or(Codec::kJson);
    auto input = Input::Decode(codec, request.body);
    if (!input.ok()) {
      respond(Fail(codec, input.status()));
      return;
    }
    if (ctx->access != nullptr) {
      access::Call call{"firehose", action, {}, false};
      auto name = input->String("DeliveryStreamName");
      if (name.ok() && name->has_value()) call.streams.push_back(**name);
      respond = ctx->access->Audited(request, call, std::move(respond));
      Status denied = ctx->access->Authorize(request, call);
      // A delivery stream reading a Kinesis stream would hand its records
      // to whoever may read the delivery stream's output: its creator must
      // be allowed to read the source too.
      if (denied.ok()) denied = AuthorizeKinesisSource(*ctx->access, request, *input);
      if (!denied.ok()) {
        respond(Fail(codec, denied));
        return;
      }
    }
    handler(*input, std::move(respond));
  };
  return route;
}

bool IsStreamName(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return !s.empty();
}

void ValidateStreamName(Validation* v, const std::optional<std::string>& name, std::string_view path) {
  v->Required(path, name.has_value());
  v->Length(path, name, 1, 64);
  if (name && !name->empty()) v->Pattern(path, name, "[a-zA-Z0-9_.-]+", &IsStreamName);
}

void WriteValue(const Value& value, Output* out) {
  switch (value.type()) {
    case Value::Type::kNull: out->Null(); break;
    case Value::Type::kBool: out->Bool(value.as_bool()); break;
    case Value::Type::kInt: out->Int64(value.as_int()); break;
    case Value::Type::kTimestamp: out->TimestampMs(value.as_int()); break;
    case Value::Type::kDouble: out->Double(value.as_double()); break;
    case Value::Type::kString: out->String(value.as_string()); break;
    case Value::Type::kBytes: out->Blob(value.as_string()); break;
    case Value::Type::kArray:
      out->BeginArray();
      for (const Value& x : value.as_array()) WriteValue(x, out);
      out->EndArray();
      break;
    case Value::Type::kMap:
      out->BeginObject();
      for (const auto& [k, x] : value.as_map()) {
        out->Key(k);
        WriteValue(x, out);
      }
      out->EndObject();
      break;
  }
}

Value BufferingHintsDescription(const Value* given) {
  int64_t size = 5, interval = 300;
  if (given != nullptr && given->type() == Value::Type::kMap) {
    if (const Value* s = given->Find("SizeInMBs"); s && s->type() == Value::Type::kInt) {
      size = s->as_int();
    }
    if (const Value* i = given->Find("IntervalInSeconds"); i && i->type() == Value::Type::kInt) {
      interval = i->as_int();
    }
  }
  return Value::MakeMap({{"SizeInMBs", Value::Int(size)}, {"IntervalInSeconds", Value::Int(interval)}});
}

}  // namespace osprey::server::firehose
