// S3 object naming (spec 5.2 and 5.3): prefix expressions, the default time
// prefix, and the object-name suffix.
//
// Supported expressions: !{timestamp:PATTERN} (Java DateTimeFormatter
// letters y yy yyyy M MM d dd D DDD H HH m mm s ss and 'quoted' literals),
// !{firehose:random-string}, !{firehose:error-output-type},
// !{partitionKeyFromQuery:KEY}, !{partitionKeyFromLambda:KEY}. Times are UTC.
//
// Thread safety: pure functions (NewUuid uses a thread-local generator).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "osprey/base/result.h"
#include "osprey/base/status.h"

namespace osprey::firehose {

// Create/update-time checks of spec 5.3 rules 1-4 and 5.5 (InvalidArgument
// with the message the API returns).
Status ValidatePrefixes(std::string_view prefix, const std::optional<std::string>& error_prefix,
                        bool dynamic_partitioning);

// What a prefix is evaluated against.
struct PrefixContext {
  int64_t time_ms = 0;               // arrival of the oldest record in the object
  std::string_view error_output_type;  // for ErrorOutputPrefix
  const std::map<std::string, std::string>* query_keys = nullptr;   // partitionKeyFromQuery
  const std::map<std::string, std::string>* lambda_keys = nullptr;  // partitionKeyFromLambda
};

// Evaluates `prefix`. With `default_time`, a prefix without any timestamp
// expression gets "yyyy/MM/dd/HH/" appended (rule 5). InvalidArgument when a
// partition key is missing, or the result is longer than 512 characters.
Result<std::string> EvaluatePrefix(std::string_view prefix, const PrefixContext& context,
                                   bool default_time);

// The error-output prefix: the evaluated ErrorOutputPrefix, or (rule 6)
// "{Prefix}{error-output-type}/yyyy/MM/dd/HH/" when there is none.
Result<std::string> EvaluateErrorPrefix(std::string_view prefix,
                                        const std::optional<std::string>& error_prefix,
                                        const PrefixContext& context);

// Formats `time_ms` (UTC) with the Java pattern subset above; InvalidArgument
// for other letters or an unclosed quote.
Result<std::string> FormatJavaTime(std::string_view pattern, int64_t time_ms);

// "{name}-{version}-{yyyy}-{MM}-{dd}-{HH}-{mm}-{ss}-{uuid}{extension}".
std::string ObjectSuffix(std::string_view stream_name, int64_t version_id, int64_t write_ms,
                         std::string_view uuid, std::string_view extension);

// A random lowercase v4 UUID.
std::string NewUuid();

}  // namespace osprey::firehose
