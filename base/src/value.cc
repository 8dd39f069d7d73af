#include "osprey/base/value.h"

namespace osprey {

const Value* Value::Find(std::string_view key) const {
  if (type_ != Type::kMap) return nullptr;
  for (const auto& [k, v] : std::get<Map>(data_)) {
    if (k == key) return &v;
  }
  return nullptr;
}

const char* Value::TypeName(Type type) {
  switch (type) {
    case Type::kNull: return "null";
    case Type::kBool: return "boolean";
    case Type::kInt: return "integer";
    case Type::kDouble: return "number";
    case Type::kString: return "string";
    case Type::kBytes: return "blob";
    case Type::kArray: return "list";
    case Type::kMap: return "structure";
    case Type::kTimestamp: return "timestamp";
  }
  return "?";
}

}  // namespace osprey
