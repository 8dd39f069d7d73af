// JSON text <-> Value: the one converter between JSON documents and the
// Value tree (value.h). The Kinesis JSON protocol decodes request bodies with
// it; firehose uses it for its registry file and the Lambda and HTTP endpoint
// documents.
//
// Mapping, JSON -> Value: objects become maps (member order and duplicates
// kept), arrays arrays, strings strings; integers that fit int64 stay
// integers, larger ones (uint64) and fractions become doubles. Nesting deeper
// than 1024 levels is malformed.
// Value -> JSON: bytes are written as base64 text, timestamps as integers
// (epoch ms); map member order is kept; output is compact (json_writer.h).
//
// Thread safety: free functions, safe from any thread. ParseJson keeps one
// parser per thread so its buffers are reused across calls.
#pragma once

#include <string>
#include <string_view>

#include "osprey/base/result.h"
#include "osprey/base/value.h"

namespace osprey {

// Parses `text` (any JSON value). Corruption("malformed JSON") when it is not
// valid JSON.
Result<Value> ParseJson(std::string_view text);

// Compact JSON for `value`.
std::string ToJson(const Value& value);

}  // namespace osprey
