// JSON text <-> osprey::Value, for the engine's own files (the registry) and
// for the Lambda contract's event and response documents.
//
// Thread safety: free functions over values.
#pragma once

#include <string>
#include <string_view>

#include "osprey/base/result.h"
#include "osprey/base/value.h"

namespace osprey::firehose {

// Parses `text` (any JSON value). Corruption on malformed JSON.
Result<Value> ParseJson(std::string_view text);

// Compact JSON for `value`. Bytes are written as base64 text, timestamps as
// integers (epoch ms); map member order is kept.
std::string ToJson(const Value& value);

// Convenience accessors on a map Value: null/absent/mistyped give the fallback.
std::string GetString(const Value& map, std::string_view key, std::string_view fallback = "");
int64_t GetInt(const Value& map, std::string_view key, int64_t fallback);
bool GetBool(const Value& map, std::string_view key, bool fallback);

}  // namespace osprey::firehose
