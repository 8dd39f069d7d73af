// Convenience accessors on map Values for the engine's JSON documents (the
// registry, the Lambda contract's event and response). JSON text <-> Value
// itself is osprey/base/json_value.h.
//
// Thread safety: free functions over values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "osprey/base/json_value.h"
#include "osprey/base/value.h"

namespace osprey::firehose {

// Null/absent/mistyped give the fallback.
std::string GetString(const Value& map, std::string_view key, std::string_view fallback = "");
int64_t GetInt(const Value& map, std::string_view key, int64_t fallback);
bool GetBool(const Value& map, std::string_view key, bool fallback);

}  // namespace osprey::firehose
