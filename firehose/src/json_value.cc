#include "json_value.h"

#include <simdjson.h>

#include "osprey/base/base64.h"
#include "osprey/base/json_writer.h"

namespace osprey::firehose {
namespace {

namespace dom = simdjson::dom;

Value FromDom(const dom::element& e) {
  switch (e.type()) {
    case dom::element_type::OBJECT: {
      Value::Map m;
      for (auto field : dom::object(e)) m.emplace_back(std::string(field.key), FromDom(field.value));
      return Value::MakeMap(std::move(m));
    }
    case dom::element_type::ARRAY: {
      Value::Array a;
      for (dom::element x : dom::array(e)) a.push_back(FromDom(x));
      return Value::MakeArray(std::move(a));
    }
    case dom::element_type::STRING: return Value::String(std::string(std::string_view(e)));
    case dom::element_type::INT64: return Value::Int(int64_t(e));
    case dom::element_type::UINT64: return Value::Double(static_cast<double>(uint64_t(e)));
    case dom::element_type::DOUBLE: return Value::Double(double(e));
    case dom::element_type::BOOL: return Value::Bool(bool(e));
    case dom::element_type::NULL_VALUE: return Value();
  }
  return Value();
}

void Write(const Value& v, JsonWriter* w) {
  switch (v.type()) {
    case Value::Type::kNull: w->Null(); break;
    case Value::Type::kBool: w->Bool(v.as_bool()); break;
    case Value::Type::kInt:
    case Value::Type::kTimestamp: w->Int64(v.as_int()); break;
    case Value::Type::kDouble: w->Double(v.as_double()); break;
    case Value::Type::kString: w->String(v.as_string()); break;
    case Value::Type::kBytes: w->String(base64::Encode(v.as_string())); break;
    case Value::Type::kArray:
      w->BeginArray();
      for (const Value& x : v.as_array()) Write(x, w);
      w->EndArray();
      break;
    case Value::Type::kMap:
      w->BeginObject();
      for (const auto& [k, x] : v.as_map()) {
        w->Key(k);
        Write(x, w);
      }
      w->EndObject();
      break;
  }
}

}  // namespace

Result<Value> ParseJson(std::string_view text) {
  dom::parser parser;
  dom::element e;
  simdjson::padded_string padded(text);
  if (parser.parse(padded).get(e) != simdjson::SUCCESS) {
    return Status::Corruption("malformed JSON");
  }
  return FromDom(e);
}

std::string ToJson(const Value& value) {
  std::string out;
  JsonWriter w(&out);
  Write(value, &w);
  return out;
}

std::string GetString(const Value& map, std::string_view key, std::string_view fallback) {
  const Value* v = map.Find(key);
  if (v == nullptr || v->type() != Value::Type::kString) return std::string(fallback);
  return v->as_string();
}

int64_t GetInt(const Value& map, std::string_view key, int64_t fallback) {
  const Value* v = map.Find(key);
  if (v == nullptr) return fallback;
  if (v->type() == Value::Type::kInt) return v->as_int();
  if (v->type() == Value::Type::kDouble) return static_cast<int64_t>(v->as_double());
  return fallback;
}

bool GetBool(const Value& map, std::string_view key, bool fallback) {
  const Value* v = map.Find(key);
  if (v == nullptr || v->type() != Value::Type::kBool) return fallback;
  return v->as_bool();
}

}  // namespace osprey::firehose
