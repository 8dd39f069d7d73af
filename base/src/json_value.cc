#include "osprey/base/json_value.h"

#include <simdjson.h>

#include "osprey/base/base64.h"
#include "osprey/base/json_writer.h"

namespace osprey {
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
  // A parser per thread: its buffers are reused across calls (the Kinesis
  // hot path parses every request body). The DOM it returns lives until the
  // next parse on this thread, so it is converted before returning.
  thread_local dom::parser parser;
  dom::element e;
  if (parser.parse(text.data(), text.size()).get(e) != simdjson::SUCCESS) {
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

}  // namespace osprey
