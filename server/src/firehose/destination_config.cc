#include "firehose/firehose_common.h"
#include "firehose/destination_config.h"

#include <regex>

namespace osprey::server::firehose {
namespace {

bool IsRoleArn(std::string_view s) {
  static const std::regex re(R"(arn:.*:iam::\d{12}:role/[a-zA-Z_0-9+=,.@\-_/]+)");
  return std::regex_match(s.begin(), s.end(), re);
}

bool IsBucketArn(std::string_view s) {
  static const std::regex re(R"(arn:.*:s3:::[\w\.\-]{1,255})");
  return std::regex_match(s.begin(), s.end(), re);
}

bool IsFileExtension(std::string_view s) {
  static const std::regex re(R"(^$|\.[0-9a-z!\-_.*'()]+)");
  return std::regex_match(s.begin(), s.end(), re);
}

bool IsTimeZone(std::string_view s) {
  static const std::regex re(R"(^$|[a-zA-Z/_]+)");
  return std::regex_match(s.begin(), s.end(), re);
}

std::string Join(std::string_view path, std::string_view member) {
  return std::string(path) + "." + std::string(member);
}

// Member order of the description (AWS's shape order).
constexpr std::string_view kOrder[] = {
    "RoleARN", "BucketARN", "Prefix", "ErrorOutputPrefix", "BufferingHints", "CompressionFormat",
    "EncryptionConfiguration", "CloudWatchLoggingOptions", "ProcessingConfiguration",
    "S3BackupMode", "DynamicPartitioningConfiguration", "FileExtension", "CustomTimeZone",
    "DataFormatConversionConfiguration"};

constexpr std::string_view kS3Only[] = {"RoleARN", "BucketARN", "Prefix", "ErrorOutputPrefix",
                                        "BufferingHints", "CompressionFormat",
                                        "EncryptionConfiguration", "CloudWatchLoggingOptions"};

bool DynamicEnabled(const Value& d) {
  const Value* dp = d.Find("DynamicPartitioningConfiguration");
  if (dp == nullptr) return false;
  const Value* e = dp->Find("Enabled");
  return e != nullptr && e->type() == Value::Type::kBool && e->as_bool();
}

}  // namespace

Status ValidateS3Config(const Input& c, std::string_view path, bool is_update, Validation* v) {
  OSPREY_ASSIGN_OR_RETURN(auto role, c.String("RoleARN"));
  OSPREY_ASSIGN_OR_RETURN(auto bucket, c.String("BucketARN"));
  OSPREY_ASSIGN_OR_RETURN(auto prefix, c.String("Prefix"));
  OSPREY_ASSIGN_OR_RETURN(auto error_prefix, c.String("ErrorOutputPrefix"));
  OSPREY_ASSIGN_OR_RETURN(auto compression, c.String("CompressionFormat"));
  OSPREY_ASSIGN_OR_RETURN(auto extension, c.String("FileExtension"));
  OSPREY_ASSIGN_OR_RETURN(auto tz, c.String("CustomTimeZone"));
  OSPREY_ASSIGN_OR_RETURN(auto backup, c.String("S3BackupMode"));
  OSPREY_ASSIGN_OR_RETURN(auto hints, c.Object("BufferingHints"));
  if (!is_update) {
    v->Required(Join(path, "RoleARN"), role.has_value());
    v->Required(Join(path, "BucketARN"), bucket.has_value());
  }
  v->Length(Join(path, "RoleARN"), role, 1, 512);
  if (role && !role->empty()) v->Pattern(Join(path, "RoleARN"), role, "arn:.*:iam::\\d{12}:role/[a-zA-Z_0-9+=,.@\\-_/]+", &IsRoleArn);
  v->Length(Join(path, "BucketARN"), bucket, 1, 2048);
  if (bucket && !bucket->empty()) v->Pattern(Join(path, "BucketARN"), bucket, "arn:.*:s3:::[\\w\\.\\-]{1,255}", &IsBucketArn);
  v->Length(Join(path, "Prefix"), prefix, 0, 1024);
  v->Length(Join(path, "ErrorOutputPrefix"), error_prefix, 0, 1024);
  v->Enum(Join(path, "CompressionFormat"), compression,
          {"UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"});
  v->Length(Join(path, "FileExtension"), extension, 0, 128);
  if (extension) v->Pattern(Join(path, "FileExtension"), extension, "^$|\\.[0-9a-z!\\-_.*'()]+", &IsFileExtension);
  v->Length(Join(path, "CustomTimeZone"), tz, 0, 50);
  if (tz) v->Pattern(Join(path, "CustomTimeZone"), tz, "^$|[a-zA-Z/_]+", &IsTimeZone);
  v->Enum(Join(path, "S3BackupMode"), backup, {"Disabled", "Enabled"});
  std::optional<int64_t> size, interval;
  if (hints) {
    OSPREY_ASSIGN_OR_RETURN(size, hints->Int("SizeInMBs"));
    OSPREY_ASSIGN_OR_RETURN(interval, hints->Int("IntervalInSeconds"));
    v->Range(Join(path, "BufferingHints.SizeInMBs"), size, 1, 128);
    v->Range(Join(path, "BufferingHints.IntervalInSeconds"), interval, 0, 900);
  }
  OSPREY_ASSIGN_OR_RETURN(auto processing, c.Object("ProcessingConfiguration"));
  if (processing) {
    OSPREY_ASSIGN_OR_RETURN(auto processors, processing->ObjectList("Processors"));
    if (processors) {
      for (size_t i = 0; i < processors->size(); ++i) {
        const Input& p = (*processors)[i];
        std::string pp = Join(path, "ProcessingConfiguration.Processors." + std::to_string(i + 1));
        OSPREY_ASSIGN_OR_RETURN(auto type, p.String("Type"));
        v->Required(pp + ".Type", type.has_value());
        v->Enum(pp + ".Type", type,
                {"RecordDeAggregation", "Decompression", "CloudWatchLogProcessing", "Lambda",
                 "MetadataExtraction", "AppendDelimiterToRecord"});
        OSPREY_ASSIGN_OR_RETURN(auto params, p.ObjectList("Parameters"));
        for (size_t j = 0; params && j < params->size(); ++j) {
          std::string pj = pp + ".Parameters." + std::to_string(j + 1);
          OSPREY_ASSIGN_OR_RETURN(auto name, (*params)[j].String("ParameterName"));
          OSPREY_ASSIGN_OR_RETURN(auto value, (*params)[j].String("ParameterValue"));
          v->Required(pj + ".ParameterName", name.has_value());
          v->Required(pj + ".ParameterValue", value.has_value());
          v->Length(pj + ".ParameterValue", value, 1, 5120);
        }
      }
    }
  }
  if (!v->ok()) return Status::Ok();  // the caller reports the ValidationException first
  if (hints && size.has_value() != interval.has_value()) {
    return Status::InvalidArgument(
        "BufferingHints must specify both SizeInMBs and IntervalInSeconds, or neither.");
  }
  if (backup && *backup == "Enabled") {
    return Status::InvalidArgument("S3BackupMode Enabled is not supported yet by Osprey");
  }
  return Status::Ok();
}

Value S3Description(const Value& config, bool extended) {
  Value::Map out;
  for (std::string_view key : kOrder) {
    const Value* member = config.Find(key);
    if (key == "BufferingHints") {
      out.emplace_back(key, BufferingHintsDescription(member));
      continue;
    }
    if (member != nullptr && !member->is_null()) {
      out.emplace_back(key, *member);
      continue;
    }
    if (key == "CompressionFormat") out.emplace_back(key, Value::String("UNCOMPRESSED"));
    if (key == "EncryptionConfiguration") {
      out.emplace_back(key, Value::MakeMap({{"NoEncryptionConfig", Value::String("NoEncryption")}}));
    }
    if (key == "CloudWatchLoggingOptions") out.emplace_back(key, Value::MakeMap({{"Enabled", Value::Bool(false)}}));
    if (key == "S3BackupMode" && extended) out.emplace_back(key, Value::String("Disabled"));
  }
  return Value::MakeMap(std::move(out));
}

Result<Value> MergeS3Update(const Value& current, const Value& update, bool extended) {
  Value merged = current;
  for (const auto& [key, member] : update.as_map()) {
    bool known = false;
    for (std::string_view k : kOrder) known = known || k == key;
    if (!known || member.is_null()) continue;
    bool replaced = false;
    for (auto& [k, v] : merged.as_map()) {
      if (k == key) {
        v = member;
        replaced = true;
      }
    }
    if (!replaced) merged.as_map().emplace_back(key, member);
  }
  if (DynamicEnabled(current) && !DynamicEnabled(merged)) {
    return Status::InvalidArgument("Dynamic partitioning cannot be disabled once enabled.");
  }
  if (!DynamicEnabled(current) && DynamicEnabled(merged)) {
    return Status::InvalidArgument(
        "Dynamic partitioning can only be enabled when the delivery stream is created.");
  }
  return S3Description(merged, extended);
}

Value FlattenToS3(const Value& d) {
  Value::Map out;
  for (std::string_view key : kS3Only) {
    if (const Value* member = d.Find(key)) out.emplace_back(key, *member);
  }
  return Value::MakeMap(std::move(out));
}

}  // namespace osprey::server::firehose
