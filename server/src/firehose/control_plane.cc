// CreateDeliveryStream, DescribeDeliveryStream, ListDeliveryStreams,
// DeleteDeliveryStream (spec 3).
#include "firehose/control_plane.h"

#include "firehose/destination_config.h"
#include "firehose/http_endpoint_config.h"

#include <regex>

namespace osprey::server::firehose {
namespace fh = osprey::firehose;
namespace {

constexpr std::string_view kUnsupportedDestinations[] = {
    "RedshiftDestinationConfiguration", "ElasticsearchDestinationConfiguration",
    "AmazonopensearchserviceDestinationConfiguration",
    "AmazonOpenSearchServerlessDestinationConfiguration", "SplunkDestinationConfiguration",
    "SnowflakeDestinationConfiguration", "IcebergDestinationConfiguration"};

bool IsKinesisStreamArn(std::string_view s) {
  static const std::regex re(R"(arn:.*:kinesis:[a-zA-Z0-9\-]+:\d{12}:stream/[a-zA-Z0-9_.-]+)");
  return std::regex_match(s.begin(), s.end(), re);
}

bool IsRoleArn(std::string_view s) {
  static const std::regex re(R"(arn:.*:iam::\d{12}:role/[a-zA-Z_0-9+=,.@\-_/]+)");
  return std::regex_match(s.begin(), s.end(), re);
}

// KinesisStreamSourceConfiguration{KinesisStreamARN*, RoleARN*} (spec 3).
Status ParseKinesisSource(const Input& c, fh::CreateRequest* req, Validation* v) {
  constexpr std::string_view kPath = "KinesisStreamSourceConfiguration";
  OSPREY_ASSIGN_OR_RETURN(auto arn, c.String("KinesisStreamARN"));
  OSPREY_ASSIGN_OR_RETURN(auto role, c.String("RoleARN"));
  const std::string arn_path = std::string(kPath) + ".KinesisStreamARN";
  const std::string role_path = std::string(kPath) + ".RoleARN";
  v->Required(arn_path, arn.has_value());
  v->Length(arn_path, arn, 1, 512);
  if (arn && !arn->empty()) {
    v->Pattern(arn_path, arn, "arn:.*:kinesis:[a-zA-Z0-9\\-]+:\\d{12}:stream/[a-zA-Z0-9_.-]+",
               &IsKinesisStreamArn);
  }
  v->Required(role_path, role.has_value());
  v->Length(role_path, role, 1, 512);
  if (role && !role->empty()) {
    v->Pattern(role_path, role, "arn:.*:iam::\\d{12}:role/[a-zA-Z_0-9+=,.@\\-_/]+", &IsRoleArn);
  }
  req->source_stream_arn = arn.value_or("");
  req->source_role_arn = role.value_or("");
  return Status::Ok();
}

Status ParseTags(const Input& in, std::map<std::string, std::string>* out, Validation* v) {
  OSPREY_ASSIGN_OR_RETURN(auto tags, in.ObjectList("Tags"));
  if (!tags) return Status::Ok();
  if (tags->empty() || tags->size() > 50) {
    v->Add("Tags", "[...]", tags->empty() ? "Member must have length greater than or equal to 1"
                                          : "Member must have length less than or equal to 50");
  }
  for (size_t i = 0; i < tags->size(); ++i) {
    std::string p = "Tags." + std::to_string(i + 1);
    OSPREY_ASSIGN_OR_RETURN(auto key, (*tags)[i].String("Key"));
    OSPREY_ASSIGN_OR_RETURN(auto value, (*tags)[i].String("Value"));
    v->Required(p + ".Key", key.has_value());
    v->Length(p + ".Key", key, 1, 128);
    v->Length(p + ".Value", value, 0, 256);
    if (key) (*out)[*key] = value.value_or("");
  }
  return Status::Ok();
}

Status CreateImpl(FirehoseContext* ctx, const Input& in, std::string* body) {
  Validation v;
  OSPREY_ASSIGN_OR_RETURN(auto name, in.String("DeliveryStreamName"));
  OSPREY_ASSIGN_OR_RETURN(auto type, in.String("DeliveryStreamType"));
  OSPREY_ASSIGN_OR_RETURN(auto direct, in.Object("DirectPutSourceConfiguration"));
  OSPREY_ASSIGN_OR_RETURN(auto kinesis_source, in.Object("KinesisStreamSourceConfiguration"));
  OSPREY_ASSIGN_OR_RETURN(auto extended, in.Object("ExtendedS3DestinationConfiguration"));
  OSPREY_ASSIGN_OR_RETURN(auto plain, in.Object("S3DestinationConfiguration"));
  OSPREY_ASSIGN_OR_RETURN(auto http, in.Object("HttpEndpointDestinationConfiguration"));
  ValidateStreamName(&v, name);
  v.Enum("DeliveryStreamType", type,
         {"DirectPut", "KinesisStreamAsSource", "MSKAsSource", "DatabaseAsSource"});
  std::optional<int64_t> hint;
  if (direct) {
    OSPREY_ASSIGN_OR_RETURN(hint, direct->Int("ThroughputHintInMBs"));
    v.Required("DirectPutSourceConfiguration.ThroughputHintInMBs", hint.has_value());
    v.Range("DirectPutSourceConfiguration.ThroughputHintInMBs", hint, 1, 100);
  }
  fh::CreateRequest req;
  OSPREY_RETURN_IF_ERROR(ParseTags(in, &req.tags, &v));
  if (kinesis_source) OSPREY_RETURN_IF_ERROR(ParseKinesisSource(*kinesis_source, &req, &v));
  Status semantic;
  if (extended) semantic = ValidateS3Config(*extended, "ExtendedS3DestinationConfiguration", false, &v);
  if (plain && semantic.ok()) semantic = ValidateS3Config(*plain, "S3DestinationConfiguration", false, &v);
  if (http && semantic.ok()) {
    semantic = ValidateHttpEndpointConfig(*http, "HttpEndpointDestinationConfiguration", false, &v);
  }
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  OSPREY_RETURN_IF_ERROR(semantic);

  req.name = *name;
  req.type = type.value_or("DirectPut");
  if (req.type == "MSKAsSource" || req.type == "DatabaseAsSource") {
    return Status::InvalidArgument("DeliveryStreamType " + req.type + " is not supported.");
  }
  if ((req.type == "KinesisStreamAsSource") != kinesis_source.has_value()) {
    return Status::InvalidArgument(
        "KinesisStreamSourceConfiguration must be provided exactly when DeliveryStreamType is "
        "KinesisStreamAsSource.");
  }
  int destinations = (extended ? 1 : 0) + (plain ? 1 : 0) + (http ? 1 : 0);
  for (std::string_view other : kUnsupportedDestinations) {
    if (in.root().Find(other) != nullptr && !in.root().Find(other)->is_null()) {
      return Status::InvalidArgument(std::string(other) + " is not supported by Osprey.");
    }
  }
  if (destinations != 1) {
    return Status::InvalidArgument("Exactly one destination configuration must be provided.");
  }
  req.throughput_hint_mbs = hint.value_or(0);
  if (http) {
    req.destination_kind = std::string(fh::kHttpEndpoint);
    req.destination = HttpEndpointDocument(http->root());
  } else if (extended) {
    req.destination_kind = std::string(fh::kExtendedS3);
    req.destination = S3Description(extended->root(), true);
  } else {
    req.destination_kind = std::string(fh::kS3);
    req.destination = S3Description(plain->root(), false);
  }
  OSPREY_RETURN_IF_ERROR(ctx->engine->Create(req));
  auto out = Output::For(in.codec(), body);
  out->BeginObject();
  out->Key("DeliveryStreamARN").String("arn:aws:firehose:" + ctx->region + ":" + ctx->account +
                                       ":deliverystream/" + req.name);
  out->EndObject();
  return Status::Ok();
}

Status DescribeImpl(FirehoseContext* ctx, const Input& in, std::string* body) {
  Validation v;
  OSPREY_ASSIGN_OR_RETURN(auto name, in.String("DeliveryStreamName"));
  OSPREY_ASSIGN_OR_RETURN(auto limit, in.Int("Limit"));
  OSPREY_ASSIGN_OR_RETURN(auto start, in.String("ExclusiveStartDestinationId"));
  ValidateStreamName(&v, name);
  v.Range("Limit", limit, 1, 10000);
  v.Length("ExclusiveStartDestinationId", start, 1, 100);
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  OSPREY_ASSIGN_OR_RETURN(fh::DeliveryStreamInfo info, ctx->engine->Describe(*name));
  auto out = Output::For(in.codec(), body);
  out->BeginObject().Key("DeliveryStreamDescription").BeginObject();
  out->Key("DeliveryStreamName").String(info.name);
  out->Key("DeliveryStreamARN").String(info.arn);
  out->Key("DeliveryStreamStatus").String(fh::StatusName(info.status));
  out->Key("DeliveryStreamEncryptionConfiguration").BeginObject().Key("Status").String("DISABLED").EndObject();
  out->Key("DeliveryStreamType").String(info.type);
  out->Key("VersionId").String(std::to_string(info.version_id));
  out->Key("CreateTimestamp").TimestampMs(info.create_ms);
  if (info.update_ms > 0) out->Key("LastUpdateTimestamp").TimestampMs(info.update_ms);
  if (!info.failure_type.empty()) {
    out->Key("FailureDescription").BeginObject().Key("Type").String(info.failure_type);
    out->Key("Details").String(info.failure_details).EndObject();
  }
  if (!info.source_stream_arn.empty()) {
    out->Key("Source").BeginObject().Key("KinesisStreamSourceDescription").BeginObject();
    out->Key("KinesisStreamARN").String(info.source_stream_arn);
    out->Key("RoleARN").String(info.source_role_arn);
    out->Key("DeliveryStartTimestamp").TimestampMs(info.delivery_start_ms);
    out->EndObject().EndObject();
  } else if (info.throughput_hint_mbs > 0) {
    out->Key("Source").BeginObject().Key("DirectPutSourceDescription").BeginObject();
    out->Key("ThroughputHintInMBs").Int64(info.throughput_hint_mbs);
    out->EndObject().EndObject();
  }
  out->Key("Destinations").BeginArray();
  // One destination per stream: an ExclusiveStartDestinationId (any) means
  // nothing is left after it.
  if (!start) {
    out->BeginObject().Key("DestinationId").String("destinationId-000000000001");
    if (info.destination_kind == fh::kExtendedS3) {
      out->Key("S3DestinationDescription");
      WriteValue(FlattenToS3(info.destination), out.get());
      out->Key("ExtendedS3DestinationDescription");
      WriteValue(info.destination, out.get());
    } else if (info.destination_kind == fh::kHttpEndpoint) {
      out->Key("HttpEndpointDestinationDescription");
      WriteValue(HttpEndpointDescription(info.destination), out.get());
    } else {
      out->Key("S3DestinationDescription");
      WriteValue(info.destination, out.get());
    }
    out->EndObject();
  }
  out->EndArray();
  out->Key("HasMoreDestinations").Bool(false);
  out->EndObject().EndObject();
  return Status::Ok();
}

Status ListImpl(FirehoseContext* ctx, const Input& in, std::string* body) {
  Validation v;
  OSPREY_ASSIGN_OR_RETURN(auto limit, in.Int("Limit"));
  OSPREY_ASSIGN_OR_RETURN(auto type, in.String("DeliveryStreamType"));
  OSPREY_ASSIGN_OR_RETURN(auto start, in.String("ExclusiveStartDeliveryStreamName"));
  v.Range("Limit", limit, 1, 10000);
  v.Enum("DeliveryStreamType", type,
         {"DirectPut", "KinesisStreamAsSource", "MSKAsSource", "DatabaseAsSource"});
  if (start) ValidateStreamName(&v, start, "ExclusiveStartDeliveryStreamName");
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  std::vector<std::string> names = ctx->engine->List(type.value_or(""));
  size_t max = static_cast<size_t>(limit.value_or(10));
  auto out = Output::For(in.codec(), body);
  out->BeginObject().Key("DeliveryStreamNames").BeginArray();
  size_t written = 0;
  bool more = false;
  for (const std::string& n : names) {
    if (start && n <= *start) continue;
    if (written == max) {
      more = true;
      break;
    }
    out->String(n);
    ++written;
  }
  out->EndArray().Key("HasMoreDeliveryStreams").Bool(more).EndObject();
  return Status::Ok();
}

Status DeleteImpl(FirehoseContext* ctx, const Input& in, std::string* body) {
  Validation v;
  OSPREY_ASSIGN_OR_RETURN(auto name, in.String("DeliveryStreamName"));
  OSPREY_ASSIGN_OR_RETURN(auto force, in.Bool("AllowForceDelete"));
  (void)force;  // nothing to force: Osprey deletes at once
  ValidateStreamName(&v, name);
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  OSPREY_RETURN_IF_ERROR(ctx->engine->Delete(*name));
  *body = EmptyBody(in.codec());
  return Status::Ok();
}

}  // namespace

void RegisterControlPlaneRoutes(Router* router, FirehoseContext* ctx) {
  router->AddTarget("Firehose_20150804.CreateDeliveryStream",
                    MakeRoute(ctx, "CreateDeliveryStream", WrapSync(ctx, &CreateImpl)));
  router->AddTarget("Firehose_20150804.DescribeDeliveryStream",
                    MakeRoute(ctx, "DescribeDeliveryStream", WrapSync(ctx, &DescribeImpl)));
  router->AddTarget("Firehose_20150804.ListDeliveryStreams",
                    MakeRoute(ctx, "ListDeliveryStreams", WrapSync(ctx, &ListImpl)));
  router->AddTarget("Firehose_20150804.DeleteDeliveryStream",
                    MakeRoute(ctx, "DeleteDeliveryStream", WrapSync(ctx, &DeleteImpl)));
}

}  // namespace osprey::server::firehose
