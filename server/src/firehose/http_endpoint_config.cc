#include "firehose/firehose_common.h"
#include "firehose/http_endpoint_config.h"

#include "firehose/destination_config.h"

namespace osprey::server::firehose {
namespace {

std::string Join(std::string_view path, std::string_view member) {
  return std::string(path) + "." + std::string(member);
}

constexpr std::string_view kOrder[] = {"EndpointConfiguration", "BufferingHints",
                                       "CloudWatchLoggingOptions", "RequestConfiguration",
                                       "ProcessingConfiguration", "RoleARN", "RetryOptions",
                                       "S3BackupMode", "SecretsManagerConfiguration"};

void Set(Value::Map* m, std::string_view key, Value v) {
  for (auto& [k, x] : *m) {
    if (k == key) {
      x = std::move(v);
      return;
    }
  }
  m->emplace_back(std::string(key), std::move(v));
}

}  // namespace

Status ValidateHttpEndpointConfig(const Input& c, std::string_view path, bool is_update, Validation* v) {
  OSPREY_ASSIGN_OR_RETURN(auto endpoint, c.Object("EndpointConfiguration"));
  OSPREY_ASSIGN_OR_RETURN(auto hints, c.Object("BufferingHints"));
  OSPREY_ASSIGN_OR_RETURN(auto request, c.Object("RequestConfiguration"));
  OSPREY_ASSIGN_OR_RETURN(auto retry, c.Object("RetryOptions"));
  OSPREY_ASSIGN_OR_RETURN(auto backup, c.String("S3BackupMode"));
  std::string s3_member = is_update ? "S3Update" : "S3Configuration";
  OSPREY_ASSIGN_OR_RETURN(auto s3, c.Object(s3_member));
  if (!is_update) {
    v->Required(Join(path, "EndpointConfiguration"), endpoint.has_value());
    v->Required(Join(path, "S3Configuration"), s3.has_value());
  }
  if (endpoint) {
    OSPREY_ASSIGN_OR_RETURN(auto url, endpoint->String("Url"));
    OSPREY_ASSIGN_OR_RETURN(auto name, endpoint->String("Name"));
    OSPREY_ASSIGN_OR_RETURN(auto key, endpoint->String("AccessKey"));
    v->Required(Join(path, "EndpointConfiguration.Url"), url.has_value());
    v->Length(Join(path, "EndpointConfiguration.Url"), url, 1, 1000);
    v->Length(Join(path, "EndpointConfiguration.Name"), name, 1, 256);
    v->Length(Join(path, "EndpointConfiguration.AccessKey"), key, 0, 4096);
  }
  std::optional<int64_t> size, interval;
  if (hints) {
    OSPREY_ASSIGN_OR_RETURN(size, hints->Int("SizeInMBs"));
    OSPREY_ASSIGN_OR_RETURN(interval, hints->Int("IntervalInSeconds"));
    v->Range(Join(path, "BufferingHints.SizeInMBs"), size, 1, 64);
    v->Range(Join(path, "BufferingHints.IntervalInSeconds"), interval, 0, 900);
  }
  if (request) {
    OSPREY_ASSIGN_OR_RETURN(auto encoding, request->String("ContentEncoding"));
    v->Enum(Join(path, "RequestConfiguration.ContentEncoding"), encoding, {"NONE", "GZIP"});
    OSPREY_ASSIGN_OR_RETURN(auto attrs, request->ObjectList("CommonAttributes"));
    if (attrs && attrs->size() > 50) {
      v->Add(Join(path, "RequestConfiguration.CommonAttributes"), "[...]",
             "Member must have length less than or equal to 50");
    }
    for (size_t i = 0; attrs && i < attrs->size(); ++i) {
      std::string p = Join(path, "RequestConfiguration.CommonAttributes." + std::to_string(i + 1));
      OSPREY_ASSIGN_OR_RETURN(auto n, (*attrs)[i].String("AttributeName"));
      OSPREY_ASSIGN_OR_RETURN(auto val, (*attrs)[i].String("AttributeValue"));
      v->Required(p + ".AttributeName", n.has_value());
      v->Length(p + ".AttributeName", n, 1, 256);
      v->Required(p + ".AttributeValue", val.has_value());
      v->Length(p + ".AttributeValue", val, 0, 1024);
    }
  }
  if (retry) {
    OSPREY_ASSIGN_OR_RETURN(auto seconds, retry->Int("DurationInSeconds"));
    v->Range(Join(path, "RetryOptions.DurationInSeconds"), seconds, 0, 7200);
  }
  v->Enum(Join(path, "S3BackupMode"), backup, {"FailedDataOnly", "AllData"});
  Status semantic;
  if (s3) semantic = ValidateS3Config(*s3, Join(path, s3_member), is_update, v);
  if (!v->ok()) return Status::Ok();
  OSPREY_RETURN_IF_ERROR(semantic);
  if (hints && size.has_value() != interval.has_value()) {
    return Status::InvalidArgument(
        "BufferingHints must specify both SizeInMBs and IntervalInSeconds, or neither.");
  }
  return Status::Ok();
}

Value HttpEndpointDocument(const Value& config) {
  Value::Map out;
  for (std::string_view key : kOrder) {
    const Value* member = config.Find(key);
    if (key == "BufferingHints") {
      out.emplace_back(key, BufferingHintsDescription(member));
    } else if (member != nullptr && !member->is_null()) {
      out.emplace_back(key, *member);
    } else if (key == "CloudWatchLoggingOptions") {
      out.emplace_back(key, Value::MakeMap({{"Enabled", Value::Bool(false)}}));
    } else if (key == "RequestConfiguration") {
      out.emplace_back(key, Value::MakeMap({{"ContentEncoding", Value::String("NONE")}}));
    } else if (key == "RetryOptions") {
      out.emplace_back(key, Value::MakeMap({{"DurationInSeconds", Value::Int(300)}}));
    } else if (key == "S3BackupMode") {
      out.emplace_back(key, Value::String("FailedDataOnly"));
    }
  }
  const Value* s3 = config.Find("S3Configuration");
  if (s3 == nullptr) s3 = config.Find("S3DestinationDescription");
  out.emplace_back("S3DestinationDescription", S3Description(s3 ? *s3 : Value::MakeMap(), false));
  return Value::MakeMap(std::move(out));
}

Value HttpEndpointDescription(const Value& document) {
  Value d = document;
  for (auto& [k, v] : d.as_map()) {
    if (k != "EndpointConfiguration" || v.type() != Value::Type::kMap) continue;
    Value::Map kept;
    for (auto& [ek, ev] : v.as_map()) {
      if (ek != "AccessKey") kept.emplace_back(ek, ev);
    }
    v = Value::MakeMap(std::move(kept));
  }
  return d;
}

Result<Value> MergeHttpEndpointUpdate(const Value& document, const Value& update) {
  Value::Map merged = document.as_map();
  for (const auto& [key, member] : update.as_map()) {
    if (member.is_null()) continue;
    if (key == "S3Update") {
      const Value* current = document.Find("S3DestinationDescription");
      OSPREY_ASSIGN_OR_RETURN(Value s3, MergeS3Update(current ? *current : Value::MakeMap(), member, false));
      Set(&merged, "S3DestinationDescription", std::move(s3));
      continue;
    }
    for (std::string_view k : kOrder) {
      if (k == key) Set(&merged, key, member);
    }
  }
  return HttpEndpointDocument(Value::MakeMap(std::move(merged)));
}

}  // namespace osprey::server::firehose
