#include "kinesis/protocol.h"

#include <cmath>

#include "osprey/base/base64.h"
#include "osprey/base/cbor.h"
#include "osprey/base/json_value.h"
#include "osprey/base/json_writer.h"
#include "osprey/base/logging.h"
#include "osprey/streams/stream_errors.h"

namespace osprey::server::kinesis {

namespace {

// Java's wording, which kinesalite and AWS use for member type errors.
Status TypeError(std::string_view java_type, const Value& got) {
  if (got.type() == Value::Type::kArray) return Status::Corruption("Start of list found where not expected");
  if (got.type() == Value::Type::kMap) return Status::Corruption("Start of structure or map found where not expected.");
  std::string from = got.type() == Value::Type::kString ? "java.lang.String"
                     : got.type() == Value::Type::kBool ? "java.lang.Boolean"
                     : got.type() == Value::Type::kInt ? "java.lang.Long"
                                                       : "java.lang.Double";
  return Status::Corruption("class " + from + " can not be converted to " + std::string(java_type));
}

const Value* Get(const Value& root, std::string_view member) {
  const Value* v = root.Find(member);
  return v && !v->is_null() ? v : nullptr;
}

std::string LowerFirst(std::string_view path) {
  std::string out(path);
  // Every dotted segment starts lower-case: Records.1.Data -> records.1.data.
  bool start = true;
  for (char& c : out) {
    if (start && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    start = c == '.';
  }
  return out;
}

// The forwarding both codecs share; each adds its own blob and timestamp
// rules.
template <typename Writer>
class WriterOutput : public Output {
 public:
  explicit WriterOutput(std::string* out) : w_(out) {}
  Output& BeginObject() override { w_.BeginObject(); return *this; }
  Output& EndObject() override { w_.EndObject(); return *this; }
  Output& BeginArray() override { w_.BeginArray(); return *this; }
  Output& EndArray() override { w_.EndArray(); return *this; }
  Output& Key(std::string_view k) override { w_.Key(k); return *this; }
  Output& String(std::string_view s) override { w_.String(s); return *this; }
  Output& Int64(int64_t v) override { w_.Int64(v); return *this; }
  Output& Double(double v) override { w_.Double(v); return *this; }
  Output& Bool(bool v) override { w_.Bool(v); return *this; }
  Output& Null() override { w_.Null(); return *this; }

 protected:
  Writer w_;
};

class JsonOutput : public WriterOutput<JsonWriter> {
 public:
  using WriterOutput::WriterOutput;
  Output& Blob(std::string_view b) override {
    std::string encoded;
    base64::AppendEncoded(b, &encoded);
    w_.String(encoded);
    return *this;
  }
  // Epoch seconds with the millisecond fraction.
  Output& TimestampMs(int64_t ms) override {
    w_.Double(static_cast<double>(ms) / 1000.0);
    return *this;
  }
};

class CborOutput : public WriterOutput<CborWriter> {
 public:
  using WriterOutput::WriterOutput;
  Output& Blob(std::string_view b) override { w_.Bytes(b); return *this; }
  Output& TimestampMs(int64_t ms) override { w_.TimestampMs(ms); return *this; }
};

}  // namespace

std::optional<Codec> CodecFromContentType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  if (EqualsIgnoreCase(media, kJsonContentType)) return Codec::kJson;
  if (EqualsIgnoreCase(media, kCborContentType)) return Codec::kCbor;
  return std::nullopt;
}

std::string_view ContentTypeOf(Codec codec) {
  return codec == Codec::kJson ? kJsonContentType : kCborContentType;
}

Result<Input> Input::Decode(Codec codec, std::string_view body) {
  if (body.empty()) return Status::Corruption("The request body is empty");
  Value root;
  if (codec == Codec::kCbor) {
    auto decoded = DecodeCbor(body);
    if (!decoded.ok()) return Status::Corruption("Could not parse the CBOR request body");
    root = std::move(*decoded);
  } else {
    // ParseJson reuses one parser per thread across requests.
    auto parsed = ParseJson(body);
    if (!parsed.ok()) return Status::Corruption("Could not parse the JSON request body");
    root = std::move(*parsed);
  }
  if (root.type() != Value::Type::kMap) return Status::Corruption("The request body is not a structure");
  return Input(codec, std::move(root));
}

Result<std::optional<std::string>> Input::String(std::string_view member) const {
  const Value* v = Get(root_, member);
  if (!v) return std::optional<std::string>();
  if (v->type() != Value::Type::kString) return TypeError("String", *v);
  return std::optional<std::string>(v->as_string());
}

Result<std::optional<std::string>> Input::Blob(std::string_view member) const {
  const Value* v = Get(root_, member);
  if (!v) return std::optional<std::string>();
  if (v->type() == Value::Type::kBytes) return std::optional<std::string>(v->as_string());
  if (v->type() != Value::Type::kString) return TypeError("ByteBuffer", *v);
  auto decoded = base64::Decode(v->as_string());
  if (!decoded) {
    return Status::Corruption("Base64 encoded value of " + std::string(member) + " is invalid");
  }
  return std::optional<std::string>(std::move(*decoded));
}

Result<std::optional<int64_t>> Input::Int(std::string_view member) const {
  const Value* v = Get(root_, member);
  if (!v) return std::optional<int64_t>();
  constexpr int64_t kIntMax = 2147483647;
  if (v->type() == Value::Type::kInt) return std::optional<int64_t>(std::min(v->as_int(), kIntMax));
  if (v->type() == Value::Type::kDouble && v->as_double() >= 2147483647.0) {
    return std::optional<int64_t>(kIntMax);
  }
  return TypeError("Integer", *v);
}

Result<std::optional<bool>> Input::Bool(std::string_view member) const {
  const Value* v = Get(root_, member);
  if (!v) return std::optional<bool>();
  if (v->type() != Value::Type::kBool) return TypeError("Boolean", *v);
  return std::optional<bool>(v->as_bool());
}

Result<std::optional<int64_t>> Input::TimestampMs(std::string_view member) const {
  const Value* v = Get(root_, member);
  if (!v) return std::optional<int64_t>();
  if (v->type() == Value::Type::kTimestamp) return std::optional<int64_t>(v->as_int());
  double number = 0;
  if (v->type() == Value::Type::kInt) number = static_cast<double>(v->as_int());
  else if (v->type() == Value::Type::kDouble) number = v->as_double();
  else return TypeError("Date", *v);
  // JSON carries seconds; untagged CBOR numbers are milliseconds (spec 1).
  double ms = codec_ == Codec::kJson ? number * 1000.0 : number;
  if (!std::isfinite(ms) || std::fabs(ms) > 9.0e15) return TypeError("Date", *v);
  return std::optional<int64_t>(static_cast<int64_t>(std::llround(ms)));
}

Result<std::optional<Input>> Input::Object(std::string_view member) const {
  const Value* v = Get(root_, member);
  if (!v) return std::optional<Input>();
  if (v->type() != Value::Type::kMap) return TypeError("Structure", *v);
  return std::optional<Input>(Input(codec_, *v));
}

Result<std::optional<std::vector<Input>>> Input::ObjectList(std::string_view member) const {
  const Value* v = Get(root_, member);
  if (!v) return std::optional<std::vector<Input>>();
  if (v->type() != Value::Type::kArray) return TypeError("List", *v);
  std::vector<Input> out;
  out.reserve(v->as_array().size());
  for (const Value& item : v->as_array()) {
    if (item.type() != Value::Type::kMap) return TypeError("Structure", item);
    out.emplace_back(codec_, item);
  }
  return std::optional<std::vector<Input>>(std::move(out));
}

Result<std::optional<std::vector<std::string>>> Input::StringList(std::string_view member) const {
  const Value* v = Get(root_, member);
  if (!v) return std::optional<std::vector<std::string>>();
  if (v->type() != Value::Type::kArray) return TypeError("List", *v);
  std::vector<std::string> out;
  for (const Value& item : v->as_array()) {
    if (item.type() != Value::Type::kString) return TypeError("String", item);
    out.push_back(item.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<std::map<std::string, std::string>>> Input::StringMap(
    std::string_view member) const {
  const Value* v = Get(root_, member);
  if (!v) return std::optional<std::map<std::string, std::string>>();
  if (v->type() != Value::Type::kMap) return TypeError("Map", *v);
  std::map<std::string, std::string> out;
  for (const auto& [k, item] : v->as_map()) {
    if (item.type() != Value::Type::kString) return TypeError("String", item);
    out[k] = item.as_string();
  }
  return std::optional<std::map<std::string, std::string>>(std::move(out));
}

void Validation::Add(std::string_view path, std::optional<std::string_view> value,
                     std::string_view rule) {
  ++total_;
  if (entries_.size() >= 10) return;
  std::string v = value ? "'" + std::string(*value) + "'" : "null";
  entries_.push_back("Value " + v + " at '" + LowerFirst(path) +
                     "' failed to satisfy constraint: " + std::string(rule));
}

void Validation::Required(std::string_view path, bool present) {
  if (!present) Add(path, std::nullopt, "Member must not be null");
}

void Validation::Length(std::string_view path, const std::optional<std::string>& value, size_t min,
                        size_t max) {
  if (!value) return;
  if (value->size() < min) {
    Add(path, *value, "Member must have length greater than or equal to " + std::to_string(min));
  } else if (value->size() > max) {
    Add(path, *value, "Member must have length less than or equal to " + std::to_string(max));
  }
}

void Validation::Range(std::string_view path, const std::optional<int64_t>& value, int64_t min,
                       int64_t max) {
  if (!value) return;
  std::string text = std::to_string(*value);
  if (*value < min) {
    Add(path, text, "Member must have value greater than or equal to " + std::to_string(min));
  } else if (*value > max) {
    Add(path, text, "Member must have value less than or equal to " + std::to_string(max));
  }
}

void Validation::Pattern(std::string_view path, const std::optional<std::string>& value,
                         std::string_view pattern_text, bool (*matches)(std::string_view)) {
  if (value && !matches(*value)) {
    Add(path, *value, "Member must satisfy regular expression pattern: " + std::string(pattern_text));
  }
}

void Validation::Enum(std::string_view path, const std::optional<std::string>& value,
                      const std::vector<std::string_view>& allowed) {
  if (!value) return;
  for (auto a : allowed) {
    if (*value == a) return;
  }
  std::string set;
  for (auto a : allowed) set += (set.empty() ? "" : ", ") + std::string(a);
  Add(path, *value, "Member must satisfy enum value set: [" + set + "]");
}

void Validation::BlobLength(std::string_view path, const std::optional<std::string>& value,
                            size_t min, size_t max) {
  if (!value) return;
  std::string n = std::to_string(value->size());
  std::string shown = "java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]";
  if (value->size() < min) {
    Add(path, shown, "Member must have length greater than or equal to " + std::to_string(min));
  } else if (value->size() > max) {
    Add(path, shown, "Member must have length less than or equal to " + std::to_string(max));
  }
}

Status Validation::ToStatus() const {
  if (entries_.empty()) return Status::Ok();
  std::string text = std::to_string(total_) +
                     (total_ == 1 ? " validation error detected: " : " validation errors detected: ");
  for (size_t i = 0; i < entries_.size(); ++i) text += (i ? "; " : "") + entries_[i];
  return Status::InvalidArgument(text);
}

std::unique_ptr<Output> Output::For(Codec codec, std::string* out) {
  if (codec == Codec::kCbor) return std::make_unique<CborOutput>(out);
  return std::make_unique<JsonOutput>(out);
}

ApiError ToApiError(const Status& status) {
  const std::string& m = status.message();
  switch (status.code()) {
    case Status::Code::kCorruption: return {400, "SerializationException", m};
    case Status::Code::kPermissionDenied: return {400, "AccessDeniedException", m};
    case Status::Code::kDeadlineExceeded:
      if (m.find("NextToken") != std::string::npos) return {400, "ExpiredNextTokenException", m};
      break;
    default: break;
  }
  streams::StreamError e = streams::ClassifyError(status);
  if (e == streams::StreamError::kInternalFailure) {
    log::Error("kinesis", "internal error", {{"error", status.ToString()}});
    return {500, "InternalFailure", ""};
  }
  return {400, std::string(streams::ErrorTypeName(e)), m};
}

Response Success(Codec codec, std::string body) {
  return Response::Json(200, std::move(body), ContentTypeOf(codec));
}

Response Failure(Codec codec, const ApiError& error) {
  if (codec == Codec::kJson) {
    if (error.type == "SerializationException") {
      // Serialization errors name their text "Message" (spec 1, step 7).
      std::string body;
      JsonWriter w(&body);
      w.BeginObject().Key("__type").String(error.type).Key("Message").String(error.message).EndObject();
      Response r = ErrorResponse(error, kJsonContentType);
      r.body = std::move(body);
      return r;
    }
    return ErrorResponse(error, kJsonContentType);
  }
  Response r = ErrorResponse(error, kCborContentType);
  std::string body;
  CborWriter w(&body);
  w.BeginObject().Key("__type").String(error.type);
  if (!error.message.empty()) {
    w.Key(error.type == "SerializationException" ? "Message" : "message").String(error.message);
  }
  w.EndObject();
  r.body = std::move(body);
  return r;
}

}  // namespace osprey::server::kinesis
