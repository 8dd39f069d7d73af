// Value: a small document tree that the AWS JSON and CBOR protocols both
// decode into, so one handler per operation serves both codecs (Kinesis
// accepts application/x-amz-json-1.1 and application/x-amz-cbor-1.1 with the
// same members; shared/spec/data-streams-api.md section 1).
//
// Types follow what the two codecs can say: null, bool, integer (int64;
// CBOR integers outside int64 become doubles), double, text, bytes (CBOR
// byte strings; JSON has none and sends base64 text), array, map (text keys,
// insertion order kept, duplicates kept: Find returns the first), and a
// timestamp (CBOR tag 1, in epoch milliseconds as AWS's CBOR uses them).
//
// Thread safety: a value type. Copies are deep.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace osprey {

class Value {
 public:
  enum class Type { kNull, kBool, kInt, kDouble, kString, kBytes, kArray, kMap, kTimestamp };
  using Array = std::vector<Value>;
  using Map = std::vector<std::pair<std::string, Value>>;

  Value() = default;  // null
  static Value Bool(bool b) { return Value(Type::kBool, b); }
  static Value Int(int64_t i) { return Value(Type::kInt, i); }
  static Value Double(double d) { return Value(Type::kDouble, d); }
  static Value String(std::string s) { return Value(Type::kString, std::move(s)); }
  static Value Bytes(std::string b) { return Value(Type::kBytes, std::move(b)); }
  static Value MakeArray(Array a = {}) { return Value(Type::kArray, std::move(a)); }
  static Value MakeMap(Map m = {}) { return Value(Type::kMap, std::move(m)); }
  static Value TimestampMs(int64_t ms) { return Value(Type::kTimestamp, ms); }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }

  // Accessors require the matching type (asserted); check type() first.
  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return std::get<int64_t>(data_); }  // kInt and kTimestamp
  double as_double() const { return std::get<double>(data_); }
  const std::string& as_string() const { return std::get<std::string>(data_); }  // kString, kBytes
  const Array& as_array() const { return std::get<Array>(data_); }
  Array& as_array() { return std::get<Array>(data_); }
  const Map& as_map() const { return std::get<Map>(data_); }
  Map& as_map() { return std::get<Map>(data_); }

  // The first member named `key` of a map; null for other types or absent.
  const Value* Find(std::string_view key) const;

  friend bool operator==(const Value& a, const Value& b) {
    return a.type_ == b.type_ && a.data_ == b.data_;
  }

  // Names for messages: "null", "boolean", "integer", ...
  static const char* TypeName(Type type);

 private:
  using Data = std::variant<std::monostate, bool, int64_t, double, std::string, Array, Map>;
  template <typename T>
  Value(Type type, T&& v) : type_(type), data_(std::forward<T>(v)) {}

  Type type_ = Type::kNull;
  Data data_;
};

}  // namespace osprey
