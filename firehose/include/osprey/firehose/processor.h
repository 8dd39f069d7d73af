// Record processing before S3 delivery (spec 5.5, 5.6): Lambda (the
// transformation contract), MetadataExtraction (partition keys from JSON
// fields), RecordDeAggregation and AppendDelimiterToRecord, in the spec's
// order.
//
// A Lambda is reached through a LambdaInvoker. The engine's default
// (MakeMappedInvoker) looks the LambdaArn up in a table given in
// FirehoseOptions: "exec:COMMAND" runs COMMAND with /bin/sh -c, the event
// JSON on stdin and the response JSON read from stdout (exit status != 0 is a
// Lambda.FunctionError); "http://HOST:PORT/PATH" POSTs the event there and
// reads the response body (a non-2xx status or an X-Amz-Function-Error header
// is a Lambda.FunctionError).
//
// MetadataExtraction supports the jq subset Osprey v1 needs:
// "{KEY:.a.b, KEY2:.c}" (object constructor of field paths); string values
// are taken as they are, numbers and booleans in their JSON text.
//
// Thread safety: Invoke may be called from several workers at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/firehose/config.h"

namespace osprey::firehose {

class LambdaInvoker {
 public:
  virtual ~LambdaInvoker() = default;
  // Invokes `function_arn` with `event_json`; returns the response body.
  // Failures are Status whose message starts with the spec's error code
  // ("Lambda.FunctionError: ...", "Lambda.ResourceNotFound: ...").
  virtual Result<std::string> Invoke(const std::string& function_arn,
                                     const std::string& event_json) = 0;
};

// See the file comment. An ARN not in `functions` is Lambda.ResourceNotFound.
std::shared_ptr<LambdaInvoker> MakeMappedInvoker(std::map<std::string, std::string> functions);

// One record entering the processors.
struct SourceRecord {
  std::string record_id;  // unique within a batch (the RecordId)
  int64_t arrival_ms = 0;
  std::string data;
};

struct ProcessedRecord {
  size_t source = 0;  // index into the input
  std::string data;
  std::map<std::string, std::string> query_keys;
  std::map<std::string, std::string> lambda_keys;
};

struct FailedRecord {
  size_t source = 0;
  std::string output_type;  // kProcessingFailed or kPartitioningFailed
  std::string error_code;   // "Lambda.FunctionError", ...
  std::string error_message;
  int attempts = 1;
  std::string lambda_arn;   // empty unless a Lambda was involved
};

struct ProcessResult {
  std::vector<ProcessedRecord> ok;  // in input order (Dropped records absent)
  std::vector<FailedRecord> failed;
};

struct ProcessContext {
  std::string delivery_stream_arn;
  std::string region;
  LambdaInvoker* invoker = nullptr;  // required when a Lambda processor is configured
};

// Runs `destination.processors` over `records`. Never fails as a whole:
// every record ends up in ok (possibly transformed), dropped, or failed.
ProcessResult RunProcessors(const S3Destination& destination, const std::vector<SourceRecord>& records,
                            const ProcessContext& context);

// Evaluates a MetadataExtractionQuery on one JSON record; InvalidArgument
// when the record is not JSON, a field is missing, or the query is outside
// the supported subset.
Result<std::map<std::string, std::string>> ExtractMetadata(const std::string& query,
                                                           std::string_view record);

// Checks a query at create/update time (InvalidArgument when unsupported).
Status ValidateMetadataQuery(const std::string& query);

}  // namespace osprey::firehose
