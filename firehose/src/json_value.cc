#include "json_value.h"

namespace osprey::firehose {

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
