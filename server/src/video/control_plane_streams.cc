// Stream operations of the control plane (video-api.md section 3):
// CreateStream, DescribeStream, ListStreams, DeleteStream, UpdateStream,
// UpdateDataRetention, GetDataEndpoint.
#include <array>

#include "osprey/base/base64.h"
#include "video/control_plane_internal.h"

namespace osprey::server::video::control_plane {

namespace {

constexpr int64_t kDefaultMaxResults = 10000;

constexpr std::array<std::string_view, 8> kApiNames = {
    "PUT_MEDIA",
    "GET_MEDIA",
    "LIST_FRAGMENTS",
    "GET_MEDIA_FOR_FRAGMENT_LIST",
    "GET_HLS_STREAMING_SESSION_URL",
    "GET_DASH_STREAMING_SESSION_URL",
    "GET_CLIP",
    "GET_IMAGES",
};

Status NoCatalog() { return Status::Internal("the stream catalog is not configured"); }

Status EnumError(std::string_view member, std::string_view value, std::string_view values) {
  return ValidationError(member, value,
                         "Member must satisfy enum value set: [" + std::string(values) + "]");
}

std::string Empty() { return "{}"; }

}  // namespace

Result<std::string> CreateStream(const JsonRequest& body, VideoContext* context) {
  if (context->catalog == nullptr) return NoCatalog();
  fragments::CreateStreamInput in;
  OSPREY_ASSIGN_OR_RETURN(in.name, Required(body.String("StreamName"), "StreamName"));
  OSPREY_RETURN_IF_ERROR(CheckStreamName("StreamName", in.name));
  OSPREY_ASSIGN_OR_RETURN(auto device, body.String("DeviceName"));
  if (device) {
    OSPREY_RETURN_IF_ERROR(CheckDeviceName("DeviceName", *device));
    in.device_name = *device;
  }
  OSPREY_ASSIGN_OR_RETURN(auto media_type, body.String("MediaType"));
  if (media_type) {
    OSPREY_RETURN_IF_ERROR(CheckMediaType("MediaType", *media_type));
    in.media_type = *media_type;
  }
  OSPREY_ASSIGN_OR_RETURN(auto kms, body.String("KmsKeyId"));
  if (kms) {
    OSPREY_RETURN_IF_ERROR(CheckKmsKeyId("KmsKeyId", *kms));
    in.kms_key_id = *kms;
  }
  OSPREY_ASSIGN_OR_RETURN(auto retention, body.Int("DataRetentionInHours"));
  if (retention) {
    if (*retention < 0 || *retention > 87600) {
      return ValidationError("DataRetentionInHours", std::to_string(*retention),
                             "Member must have value between 0 and 87600");
    }
    in.retention_hours = *retention;
  }
  OSPREY_ASSIGN_OR_RETURN(auto tags, body.StringMap("Tags"));
  // An empty map is accepted here (some SDKs send one for "no tags").
  if (tags && !tags->empty()) {
    OSPREY_RETURN_IF_ERROR(CheckTagMap("Tags", *tags));
    in.tags = *tags;
  }
  OSPREY_ASSIGN_OR_RETURN(auto storage, body.Object("StreamStorageConfiguration"));
  if (storage) {
    OSPREY_ASSIGN_OR_RETURN(
        auto tier, Required(storage->String("DefaultStorageTier"),
                            "StreamStorageConfiguration.DefaultStorageTier"));
    if (tier != "HOT" && tier != "WARM") {
      return EnumError("StreamStorageConfiguration.DefaultStorageTier", tier, "HOT, WARM");
    }
    in.storage_tier = tier;
  }
  OSPREY_ASSIGN_OR_RETURN(auto stream, context->catalog->Create(in));
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("StreamARN").String(stream.arn).EndObject();
  return out;
}

Result<std::string> DescribeStream(const JsonRequest& body, VideoContext* context) {
  OSPREY_ASSIGN_OR_RETURN(auto stream, Resolve(body, *context));
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("StreamInfo");
  WriteStreamInfo(&w, stream);
  w.EndObject();
  return out;
}

Result<std::string> ListStreams(const JsonRequest& body, VideoContext* context) {
  if (context->catalog == nullptr) return NoCatalog();
  OSPREY_ASSIGN_OR_RETURN(auto max_results, body.Int("MaxResults"));
  int64_t limit = max_results.value_or(kDefaultMaxResults);
  if (limit < 1 || limit > 10000) {
    return ValidationError("MaxResults", std::to_string(limit),
                           "Member must have value between 1 and 10000");
  }
  std::string after;
  OSPREY_ASSIGN_OR_RETURN(auto token, body.String("NextToken"));
  if (token && !token->empty()) {
    OSPREY_RETURN_IF_ERROR(CheckNextToken("NextToken", *token));
    // The token is the standard base64 of the last name returned.
    std::optional<std::string> name = base64::Decode(*token);
    if (!name || !CheckStreamName("NextToken", *name).ok()) {
      return Status::InvalidArgument("The NextToken is not one this server issued");
    }
    after = *name;
  }
  std::string prefix;
  OSPREY_ASSIGN_OR_RETURN(auto condition, body.Object("StreamNameCondition"));
  if (condition) {
    OSPREY_ASSIGN_OR_RETURN(auto op, condition->String("ComparisonOperator"));
    if (op && *op != "BEGINS_WITH") {
      return EnumError("StreamNameCondition.ComparisonOperator", *op, "BEGINS_WITH");
    }
    OSPREY_ASSIGN_OR_RETURN(auto value, condition->String("ComparisonValue"));
    if (value) {
      OSPREY_RETURN_IF_ERROR(CheckStreamName("StreamNameCondition.ComparisonValue", *value));
      prefix = *value;
    }
  }
  // One more than asked tells whether another page follows.
  std::vector<fragments::VideoStream> streams =
      context->catalog->List(prefix, after, static_cast<size_t>(limit) + 1);
  bool more = streams.size() > static_cast<size_t>(limit);
  if (more) streams.pop_back();
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("StreamInfoList").BeginArray();
  for (const auto& s : streams) WriteStreamInfo(&w, s);
  w.EndArray();
  if (more) w.Key("NextToken").String(base64::Encode(streams.back().name));
  w.EndObject();
  return out;
}

Result<std::string> DeleteStream(const JsonRequest& body, VideoContext* context) {
  if (context->catalog == nullptr) return NoCatalog();
  OSPREY_ASSIGN_OR_RETURN(auto arn, Required(body.String("StreamARN"), "StreamARN"));
  OSPREY_RETURN_IF_ERROR(CheckResourceArn("StreamARN", arn));
  OSPREY_ASSIGN_OR_RETURN(auto version, body.String("CurrentVersion"));
  if (version) OSPREY_RETURN_IF_ERROR(CheckVersion("CurrentVersion", *version));
  OSPREY_RETURN_IF_ERROR(context->catalog->Delete(arn, version).status());
  return Empty();
}

Result<std::string> UpdateStream(const JsonRequest& body, VideoContext* context) {
  OSPREY_ASSIGN_OR_RETURN(auto version, Required(body.String("CurrentVersion"), "CurrentVersion"));
  OSPREY_RETURN_IF_ERROR(CheckVersion("CurrentVersion", version));
  OSPREY_ASSIGN_OR_RETURN(auto device, body.String("DeviceName"));
  if (device) OSPREY_RETURN_IF_ERROR(CheckDeviceName("DeviceName", *device));
  OSPREY_ASSIGN_OR_RETURN(auto media_type, body.String("MediaType"));
  if (media_type) OSPREY_RETURN_IF_ERROR(CheckMediaType("MediaType", *media_type));
  OSPREY_ASSIGN_OR_RETURN(auto stream, Resolve(body, *context));
  OSPREY_RETURN_IF_ERROR(
      context->catalog->Update(stream.name, version, device, media_type).status());
  return Empty();
}

Result<std::string> UpdateDataRetention(const JsonRequest& body, VideoContext* context) {
  OSPREY_ASSIGN_OR_RETURN(auto version, Required(body.String("CurrentVersion"), "CurrentVersion"));
  OSPREY_RETURN_IF_ERROR(CheckVersion("CurrentVersion", version));
  OSPREY_ASSIGN_OR_RETURN(auto op, Required(body.String("Operation"), "Operation"));
  if (op != "INCREASE_DATA_RETENTION" && op != "DECREASE_DATA_RETENTION") {
    return EnumError("Operation", op, "INCREASE_DATA_RETENTION, DECREASE_DATA_RETENTION");
  }
  OSPREY_ASSIGN_OR_RETURN(auto change, Required(body.Int("DataRetentionChangeInHours"),
                                                "DataRetentionChangeInHours"));
  if (change < 1) {
    return ValidationError("DataRetentionChangeInHours", std::to_string(change),
                           "Member must have value greater than or equal to 1");
  }
  OSPREY_ASSIGN_OR_RETURN(auto stream, Resolve(body, *context));
  // The catalog rejects a result outside 0..87600 (InvalidArgument).
  int64_t signed_change = op == "INCREASE_DATA_RETENTION" ? change : -change;
  OSPREY_RETURN_IF_ERROR(
      context->catalog->UpdateRetention(stream.name, version, signed_change).status());
  return Empty();
}

Result<std::string> GetDataEndpoint(const JsonRequest& body, VideoContext* context) {
  OSPREY_ASSIGN_OR_RETURN(auto api_name, Required(body.String("APIName"), "APIName"));
  bool known = false;
  for (std::string_view n : kApiNames) known = known || n == api_name;
  if (!known) {
    return EnumError("APIName", api_name,
                     "PUT_MEDIA, GET_MEDIA, LIST_FRAGMENTS, GET_MEDIA_FOR_FRAGMENT_LIST, "
                     "GET_HLS_STREAMING_SESSION_URL, GET_DASH_STREAMING_SESSION_URL, GET_CLIP, "
                     "GET_IMAGES");
  }
  OSPREY_RETURN_IF_ERROR(Resolve(body, *context).status());  // 404 for an unknown stream
  // Copied raw by the producer: JsonWriter never escapes '/'.
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("DataEndpoint").String(context->data_endpoint).EndObject();
  return out;
}

}  // namespace osprey::server::video::control_plane
