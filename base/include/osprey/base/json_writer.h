// JsonWriter: a small, fast, streaming JSON writer that appends to a
// std::string. It is what every Osprey handler uses to build a response body
// (the Kinesis data-stream hot path writes tens of thousands per second; see
// docs/json.md for the measurements behind writing our own).
//
//   std::string body;
//   JsonWriter w(&body);
//   w.BeginObject();
//   w.Key("ShardId").String("shardId-000000000000");
//   w.Key("Records").BeginArray().Int64(1).Int64(2).EndArray();
//   w.EndObject();
//   // body == R"({"ShardId":"shardId-000000000000","Records":[1,2]})"
//
// Contract:
//  - The writer inserts commas and colons itself; callers only say what comes
//    next. Output is compact (no whitespace).
//  - Strings are always valid JSON: '"', '\\' and control characters are
//    escaped (\b \f \n \r \t in short form, the others as \u00XX) and every
//    invalid UTF-8 sequence is replaced by U+FFFD (one per maximal invalid
//    subpart, as Unicode recommends), so a garbage PartitionKey can never
//    make us emit a body a client cannot parse. Valid UTF-8, including '/',
//    DEL and U+2028, is copied unchanged.
//  - Double() writes the shortest digits that read back to the same double,
//    laid out as JavaScript's Number.prototype.toString does: fixed notation
//    for 1e-7 < |v| < 1e21 (1700000000.123 -> "1700000000.123", 1.0 -> "1"),
//    exponent form outside ("1e+21", "1e-7"). JSON has no NaN or infinity,
//    so those are written as null.
//  - Structure misuse (a value where a key is due, EndArray closing an
//    object, unbalanced End*) is a programming error: it asserts in debug
//    builds and produces unspecified (but memory-safe) output in release.
//    Structure is checked up to 64 levels of nesting.
//  - Raw() appends its argument verbatim as one value; the caller promises it
//    is one valid JSON value.
//
// Lifetime: `out` must outlive the writer; the writer only appends, so text
// already in `out` is kept.
//
// Thread safety: none. One writer (and its string) belongs to one thread at a
// time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace osprey {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();

  // The name of the next object member. Must be followed by one value.
  JsonWriter& Key(std::string_view name);

  JsonWriter& String(std::string_view value);
  JsonWriter& Int64(int64_t value);
  JsonWriter& Uint64(uint64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Appends `json` verbatim as one value (e.g. a cached, pre-rendered object).
  JsonWriter& Raw(std::string_view json);

  // Nesting depth: 0 outside any container.
  int depth() const { return depth_; }
  // True once a complete top-level value has been written.
  bool complete() const { return depth_ == 0 && need_comma_; }

  std::string* out() const { return out_; }

 private:
  // Called before every value and Begin*: writes ',' when a sibling precedes.
  void BeforeValue();
  void Push(bool is_object);
  void Pop(bool is_object);
  bool InObject() const;

  std::string* out_;
  int depth_ = 0;
  // True after a value at the current level, so the next one needs a comma.
  // Key() clears it, so the member's value never gets one.
  bool need_comma_ = false;
  // Kept in every build so the layout never depends on NDEBUG; only the
  // asserts that read them are debug-only.
  bool expect_value_ = false;  // set by Key(), cleared by the value
  uint64_t object_bits_ = 0;   // bit d set: level d+1 is an object
};

// Appends `value` to `out` as a quoted JSON string, escaped as described
// above.
void AppendJsonString(std::string* out, std::string_view value);

// Returns `value` escaped for use inside a JSON string literal, without the
// surrounding quotes.
std::string JsonEscape(std::string_view value);

// Appends the shortest round-trip text of `value` (null if not finite).
void AppendJsonDouble(std::string* out, double value);

}  // namespace osprey
