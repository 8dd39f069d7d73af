// The typed view of a delivery stream's destination that the delivery
// worker runs on, parsed from the stored destination description.
//
// The engine stores each destination as the AWS-shaped description document
// (an osprey::Value map: the members of ExtendedS3DestinationDescription,
// with every default filled in), because that is what Describe returns and
// what UpdateDestination merges into; the worker never looks at the
// document, only at the S3Destination parsed from it here.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/base/value.h"

namespace osprey::firehose {

enum class Compression { kUncompressed, kGzip, kZip, kSnappy, kHadoopSnappy };

// "UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY" (spec 3).
std::optional<Compression> ParseCompression(std::string_view name);
std::string_view CompressionName(Compression compression);

// One entry of ProcessingConfiguration.Processors.
struct Processor {
  std::string type;  // "Lambda", "MetadataExtraction", "AppendDelimiterToRecord", ...
  std::vector<std::pair<std::string, std::string>> parameters;
  // The value of parameter `name`, or `fallback`.
  std::string Param(std::string_view name, std::string_view fallback = "") const;
};

// Where failed records go and in which wording (spec 5.4).
inline constexpr std::string_view kProcessingFailed = "processing-failed";
inline constexpr std::string_view kPartitioningFailed = "partitioning-failed";
inline constexpr std::string_view kHttpEndpointFailed = "http-endpoint-failed";

// An (Extended) S3 destination, defaults applied.
struct S3Destination {
  std::string bucket_arn;  // arn:aws:s3:::NAME
  std::string bucket;      // NAME
  std::string prefix;                      // raw, may hold !{...}
  std::optional<std::string> error_prefix; // raw; nullopt = rule 5.3.6 default
  uint64_t buffer_bytes = 5ull << 20;      // SizeInMBs MiB
  int64_t interval_ms = 300'000;           // IntervalInSeconds
  Compression compression = Compression::kUncompressed;
  std::optional<std::string> file_extension;  // replaces the default extension
  std::vector<Processor> processors;       // empty unless processing is enabled
  bool dynamic_partitioning = false;
  // DynamicPartitioningConfiguration.RetryOptions.DurationInSeconds; nullopt
  // = FirehoseOptions::s3_retry_duration_ms.
  std::optional<int64_t> retry_duration_ms;

  // Extension of data objects: file_extension or the compression's default.
  std::string Extension() const;
};

// Parses an ExtendedS3/S3 destination description (the document the engine
// stores). InvalidArgument with the spec's wording for semantic errors:
// malformed BucketARN, bad prefix expressions (spec 5.3 rules 1-4),
// dynamic-partitioning rules (5.5), unsupported processors or CustomTimeZone
// (Osprey v1 evaluates times in UTC only).
Result<S3Destination> ParseS3Destination(const Value& description);

// An HttpEndpoint destination (spec 6), defaults applied. Its
// S3Configuration (failed data, or all data with AllData) is `s3`.
struct HttpEndpointDestination {
  std::string url;
  std::string name;
  std::string access_key;  // sent as X-Amz-Firehose-Access-Key; never described
  uint64_t buffer_bytes = 5ull << 20;
  int64_t interval_ms = 300'000;
  bool gzip = false;  // RequestConfiguration.ContentEncoding GZIP
  std::vector<std::pair<std::string, std::string>> common_attributes;
  std::vector<Processor> processors;
  int64_t retry_duration_ms = 300'000;
  bool backup_all = false;  // S3BackupMode AllData
  S3Destination s3;
};

// Parses an HttpEndpoint description document (the S3 configuration under
// "S3DestinationDescription", the access key kept in
// EndpointConfiguration.AccessKey). InvalidArgument for a URL that is not
// https:// (or http:// when `allow_plain_http`), and what ParseS3Destination
// refuses in the S3 configuration.
Result<HttpEndpointDestination> ParseHttpEndpointDestination(const Value& description,
                                                             bool allow_plain_http);

// The bucket name of an S3 bucket ARN ("arn:aws:s3:::NAME"), or nullopt.
std::optional<std::string> BucketFromArn(std::string_view arn);

}  // namespace osprey::firehose
