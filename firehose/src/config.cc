#include "osprey/firehose/config.h"

#include "json_value.h"
#include "osprey/firehose/compression.h"
#include "osprey/firehose/naming.h"
#include "osprey/firehose/processor.h"

namespace osprey::firehose {
namespace {

bool IsBucketChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

Result<std::vector<Processor>> ParseProcessors(const Value& description) {
  std::vector<Processor> out;
  const Value* pc = description.Find("ProcessingConfiguration");
  if (pc == nullptr || pc->type() != Value::Type::kMap || !GetBool(*pc, "Enabled", false)) return out;
  const Value* list = pc->Find("Processors");
  if (list == nullptr || list->type() != Value::Type::kArray) return out;
  for (const Value& p : list->as_array()) {
    if (p.type() != Value::Type::kMap) continue;
    Processor proc;
    proc.type = GetString(p, "Type");
    const Value* params = p.Find("Parameters");
    if (params != nullptr && params->type() == Value::Type::kArray) {
      for (const Value& kv : params->as_array()) {
        if (kv.type() != Value::Type::kMap) continue;
        proc.parameters.emplace_back(GetString(kv, "ParameterName"), GetString(kv, "ParameterValue"));
      }
    }
    if (proc.type == "Decompression" || proc.type == "CloudWatchLogProcessing") {
      return Status::InvalidArgument("Processor type " + proc.type + " is not supported");
    }
    if (proc.type == "Lambda" && proc.Param("LambdaArn").empty()) {
      return Status::InvalidArgument("Lambda processor requires the LambdaArn parameter");
    }
    if (proc.type == "MetadataExtraction") {
      OSPREY_RETURN_IF_ERROR(ValidateMetadataQuery(proc.Param("MetadataExtractionQuery")));
    }
    if (proc.type != "Lambda" && proc.type != "MetadataExtraction" &&
        proc.type != "AppendDelimiterToRecord" && proc.type != "RecordDeAggregation") {
      return Status::InvalidArgument("Unknown processor type " + proc.type);
    }
    out.push_back(std::move(proc));
  }
  return out;
}

}  // namespace

std::optional<Compression> ParseCompression(std::string_view name) {
  if (name == "UNCOMPRESSED") return Compression::kUncompressed;
  if (name == "GZIP") return Compression::kGzip;
  if (name == "ZIP") return Compression::kZip;
  if (name == "Snappy") return Compression::kSnappy;
  if (name == "HADOOP_SNAPPY") return Compression::kHadoopSnappy;
  return std::nullopt;
}

std::string_view CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kUncompressed: return "UNCOMPRESSED";
    case Compression::kGzip: return "GZIP";
    case Compression::kZip: return "ZIP";
    case Compression::kSnappy: return "Snappy";
    case Compression::kHadoopSnappy: return "HADOOP_SNAPPY";
  }
  return "UNCOMPRESSED";
}

std::string Processor::Param(std::string_view name, std::string_view fallback) const {
  for (const auto& [k, v] : parameters) {
    if (k == name) return v;
  }
  return std::string(fallback);
}

std::string S3Destination::Extension() const {
  if (file_extension) return *file_extension;
  return std::string(DefaultExtension(compression));
}

std::optional<std::string> BucketFromArn(std::string_view arn) {
  constexpr std::string_view kPrefix = "arn:";
  if (arn.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  size_t s3 = arn.find(":s3:::");
  if (s3 == std::string_view::npos) return std::nullopt;
  std::string_view name = arn.substr(s3 + 6);
  if (name.empty() || name.size() > 255) return std::nullopt;
  for (char c : name) {
    if (!IsBucketChar(c)) return std::nullopt;
  }
  if (name == "." || name == "..") return std::nullopt;
  return std::string(name);
}

Result<S3Destination> ParseS3Destination(const Value& d) {
  if (d.type() != Value::Type::kMap) return Status::InvalidArgument("destination must be an object");
  S3Destination out;
  out.bucket_arn = GetString(d, "BucketARN");
  auto bucket = BucketFromArn(out.bucket_arn);
  if (!bucket) return Status::InvalidArgument("BucketARN '" + out.bucket_arn + "' is not a valid S3 bucket ARN");
  out.bucket = *bucket;
  out.prefix = GetString(d, "Prefix");
  if (const Value* e = d.Find("ErrorOutputPrefix"); e != nullptr && e->type() == Value::Type::kString &&
                                                     !e->as_string().empty()) {
    out.error_prefix = e->as_string();
  }
  if (const Value* b = d.Find("BufferingHints"); b != nullptr && b->type() == Value::Type::kMap) {
    out.buffer_bytes = static_cast<uint64_t>(GetInt(*b, "SizeInMBs", 5)) << 20;
    out.interval_ms = GetInt(*b, "IntervalInSeconds", 300) * 1000;
  }
  std::string compression = GetString(d, "CompressionFormat", "UNCOMPRESSED");
  auto c = ParseCompression(compression);
  if (!c) return Status::InvalidArgument("CompressionFormat " + compression + " is not supported");
  out.compression = *c;
  if (const Value* f = d.Find("FileExtension"); f != nullptr && f->type() == Value::Type::kString &&
                                                 !f->as_string().empty()) {
    out.file_extension = f->as_string();
  }
  std::string tz = GetString(d, "CustomTimeZone");
  if (!tz.empty() && tz != "UTC" && tz != "Etc/UTC") {
    return Status::InvalidArgument("CustomTimeZone " + tz + " is not supported (Osprey v1: UTC only)");
  }
  OSPREY_ASSIGN_OR_RETURN(out.processors, ParseProcessors(d));
  if (const Value* dp = d.Find("DynamicPartitioningConfiguration");
      dp != nullptr && dp->type() == Value::Type::kMap) {
    out.dynamic_partitioning = GetBool(*dp, "Enabled", false);
    if (const Value* r = dp->Find("RetryOptions"); r != nullptr && r->type() == Value::Type::kMap) {
      out.retry_duration_ms = GetInt(*r, "DurationInSeconds", 300) * 1000;
    } else if (out.dynamic_partitioning) {
      out.retry_duration_ms = 300'000;
    }
  }
  if (const Value* conv = d.Find("DataFormatConversionConfiguration");
      conv != nullptr && conv->type() == Value::Type::kMap && GetBool(*conv, "Enabled", true)) {
    return Status::InvalidArgument("DataFormatConversionConfiguration is not supported yet");
  }
  OSPREY_RETURN_IF_ERROR(ValidatePrefixes(out.prefix, out.error_prefix, out.dynamic_partitioning));
  return out;
}

Result<HttpEndpointDestination> ParseHttpEndpointDestination(const Value& d, bool allow_plain_http) {
  if (d.type() != Value::Type::kMap) return Status::InvalidArgument("destination must be an object");
  HttpEndpointDestination out;
  const Value* endpoint = d.Find("EndpointConfiguration");
  if (endpoint == nullptr || endpoint->type() != Value::Type::kMap) {
    return Status::InvalidArgument("EndpointConfiguration is required");
  }
  out.url = GetString(*endpoint, "Url");
  out.name = GetString(*endpoint, "Name");
  out.access_key = GetString(*endpoint, "AccessKey");
  bool https = out.url.rfind("https://", 0) == 0;
  bool http = out.url.rfind("http://", 0) == 0;
  if (!https && !(http && allow_plain_http)) {
    return Status::InvalidArgument("Url " + out.url + " must use https://" +
                                   std::string(http ? " (plain http:// is off: firehose.allow_plain_http)" : ""));
  }
  if (const Value* b = d.Find("BufferingHints"); b != nullptr && b->type() == Value::Type::kMap) {
    out.buffer_bytes = static_cast<uint64_t>(GetInt(*b, "SizeInMBs", 5)) << 20;
    out.interval_ms = GetInt(*b, "IntervalInSeconds", 300) * 1000;
  }
  if (const Value* rc = d.Find("RequestConfiguration"); rc != nullptr && rc->type() == Value::Type::kMap) {
    out.gzip = GetString(*rc, "ContentEncoding", "NONE") == "GZIP";
    if (const Value* attrs = rc->Find("CommonAttributes"); attrs && attrs->type() == Value::Type::kArray) {
      for (const Value& a : attrs->as_array()) {
        out.common_attributes.emplace_back(GetString(a, "AttributeName"), GetString(a, "AttributeValue"));
      }
    }
  }
  if (const Value* r = d.Find("RetryOptions"); r != nullptr && r->type() == Value::Type::kMap) {
    out.retry_duration_ms = GetInt(*r, "DurationInSeconds", 300) * 1000;
  }
  out.backup_all = GetString(d, "S3BackupMode", "FailedDataOnly") == "AllData";
  OSPREY_ASSIGN_OR_RETURN(out.processors, ParseProcessors(d));
  const Value* s3 = d.Find("S3DestinationDescription");
  if (s3 == nullptr) return Status::InvalidArgument("S3Configuration is required");
  OSPREY_ASSIGN_OR_RETURN(out.s3, ParseS3Destination(*s3));
  return out;
}

}  // namespace osprey::firehose
