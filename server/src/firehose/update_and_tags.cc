// UpdateDestination (version checks, merge) and the tag actions (spec 3).

#include "firehose/control_plane.h"
#include "firehose/destination_config.h"
#include "firehose/http_endpoint_config.h"

namespace osprey::server::firehose {
namespace fh = osprey::firehose;
namespace {

constexpr std::string_view kDestinationId = "destinationId-000000000001";

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Status UpdateImpl(FirehoseContext* ctx, const Input& in, std::string* body) {
  Validation v;
  OSPREY_ASSIGN_OR_RETURN(auto name, in.String("DeliveryStreamName"));
  OSPREY_ASSIGN_OR_RETURN(auto version, in.String("CurrentDeliveryStreamVersionId"));
  OSPREY_ASSIGN_OR_RETURN(auto destination_id, in.String("DestinationId"));
  OSPREY_ASSIGN_OR_RETURN(auto extended, in.Object("ExtendedS3DestinationUpdate"));
  OSPREY_ASSIGN_OR_RETURN(auto plain, in.Object("S3DestinationUpdate"));
  OSPREY_ASSIGN_OR_RETURN(auto http, in.Object("HttpEndpointDestinationUpdate"));
  ValidateStreamName(&v, name);
  v.Required("CurrentDeliveryStreamVersionId", version.has_value());
  v.Length("CurrentDeliveryStreamVersionId", version, 1, 50);
  if (version && !version->empty()) {
    v.Pattern("CurrentDeliveryStreamVersionId", version, "[0-9]+", &IsDigits);
  }
  v.Required("DestinationId", destination_id.has_value());
  v.Length("DestinationId", destination_id, 1, 100);
  Status semantic;
  if (extended) semantic = ValidateS3Config(*extended, "ExtendedS3DestinationUpdate", true, &v);
  if (plain && semantic.ok()) semantic = ValidateS3Config(*plain, "S3DestinationUpdate", true, &v);
  if (http && semantic.ok()) {
    semantic = ValidateHttpEndpointConfig(*http, "HttpEndpointDestinationUpdate", true, &v);
  }
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  OSPREY_RETURN_IF_ERROR(semantic);
  for (std::string_view other : {"RedshiftDestinationUpdate",
                                 "ElasticsearchDestinationUpdate", "SplunkDestinationUpdate",
                                 "AmazonopensearchserviceDestinationUpdate", "SnowflakeDestinationUpdate",
                                 "IcebergDestinationUpdate", "AmazonOpenSearchServerlessDestinationUpdate"}) {
    const Value* member = in.root().Find(other);
    if (member != nullptr && !member->is_null()) {
      return Status::InvalidArgument(std::string(other) + " is not supported yet by Osprey.");
    }
  }
  if ((extended ? 1 : 0) + (plain ? 1 : 0) + (http ? 1 : 0) != 1) {
    return Status::InvalidArgument("Exactly one destination update must be provided.");
  }
  int64_t expected = std::strtoll(version->c_str(), nullptr, 10);
  Value update = http ? http->root() : extended ? extended->root() : plain->root();
  std::string id = *destination_id;
  Status st = ctx->engine->UpdateDestination(
      *name, expected, [&](const fh::DeliveryStreamInfo& info) -> Result<std::pair<std::string, Value>> {
        if (id != kDestinationId) {
          return Status::InvalidArgument("Destination Id " + id + " not found.");
        }
        if (http.has_value() != (info.destination_kind == fh::kHttpEndpoint)) {
          return Status::InvalidArgument(
              "Changing the destination type is not supported yet by Osprey.");
        }
        if (http) {
          OSPREY_ASSIGN_OR_RETURN(Value merged, MergeHttpEndpointUpdate(info.destination, update));
          return std::make_pair(std::string(fh::kHttpEndpoint), std::move(merged));
        }
        // S3 and ExtendedS3 are one family: an S3 update of an ExtendedS3
        // stream merges the members they share, and keeps it ExtendedS3.
        bool extended_result = info.destination_kind == fh::kExtendedS3 || extended.has_value();
        OSPREY_ASSIGN_OR_RETURN(Value merged, MergeS3Update(info.destination, update, extended_result));
        return std::make_pair(std::string(extended_result ? fh::kExtendedS3 : fh::kS3), std::move(merged));
      });
  OSPREY_RETURN_IF_ERROR(st);
  *body = EmptyBody(in.codec());
  return Status::Ok();
}

bool IsTagKey(std::string_view s) { return s.substr(0, 4) != "aws:"; }

Status TagImpl(FirehoseContext* ctx, const Input& in, std::string* body) {
  Validation v;
  OSPREY_ASSIGN_OR_RETURN(auto name, in.String("DeliveryStreamName"));
  OSPREY_ASSIGN_OR_RETURN(auto tags, in.ObjectList("Tags"));
  ValidateStreamName(&v, name);
  v.Required("Tags", tags.has_value());
  std::map<std::string, std::string> map;
  if (tags) {
    if (tags->empty()) v.Add("Tags", "[]", "Member must have length greater than or equal to 1");
    if (tags->size() > 50) v.Add("Tags", "[...]", "Member must have length less than or equal to 50");
    for (size_t i = 0; i < tags->size(); ++i) {
      std::string p = "Tags." + std::to_string(i + 1);
      OSPREY_ASSIGN_OR_RETURN(auto key, (*tags)[i].String("Key"));
      OSPREY_ASSIGN_OR_RETURN(auto value, (*tags)[i].String("Value"));
      v.Required(p + ".Key", key.has_value());
      v.Length(p + ".Key", key, 1, 128);
      if (key && !key->empty()) v.Pattern(p + ".Key", key, "^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$", &IsTagKey);
      v.Length(p + ".Value", value, 0, 256);
      if (key) map[*key] = value.value_or("");
    }
  }
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  OSPREY_RETURN_IF_ERROR(ctx->engine->Tag(*name, map));
  *body = EmptyBody(in.codec());
  return Status::Ok();
}

Status UntagImpl(FirehoseContext* ctx, const Input& in, std::string* body) {
  Validation v;
  OSPREY_ASSIGN_OR_RETURN(auto name, in.String("DeliveryStreamName"));
  OSPREY_ASSIGN_OR_RETURN(auto keys, in.StringList("TagKeys"));
  ValidateStreamName(&v, name);
  v.Required("TagKeys", keys.has_value());
  if (keys && keys->empty()) v.Add("TagKeys", "[]", "Member must have length greater than or equal to 1");
  if (keys && keys->size() > 50) v.Add("TagKeys", "[...]", "Member must have length less than or equal to 50");
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  OSPREY_RETURN_IF_ERROR(ctx->engine->Untag(*name, *keys));
  *body = EmptyBody(in.codec());
  return Status::Ok();
}

Status ListTagsImpl(FirehoseContext* ctx, const Input& in, std::string* body) {
  Validation v;
  OSPREY_ASSIGN_OR_RETURN(auto name, in.String("DeliveryStreamName"));
  OSPREY_ASSIGN_OR_RETURN(auto start, in.String("ExclusiveStartTagKey"));
  OSPREY_ASSIGN_OR_RETURN(auto limit, in.Int("Limit"));
  ValidateStreamName(&v, name);
  v.Length("ExclusiveStartTagKey", start, 1, 128);
  v.Range("Limit", limit, 1, 50);
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  OSPREY_ASSIGN_OR_RETURN(fh::DeliveryStreamInfo info, ctx->engine->Describe(*name));
  size_t max = static_cast<size_t>(limit.value_or(50));
  auto out = Output::For(in.codec(), body);
  out->BeginObject().Key("Tags").BeginArray();
  size_t written = 0;
  bool more = false;
  for (const auto& [k, val] : info.tags) {
    if (start && k <= *start) continue;
    if (written == max) {
      more = true;
      break;
    }
    out->BeginObject().Key("Key").String(k).Key("Value").String(val).EndObject();
    ++written;
  }
  out->EndArray().Key("HasMoreTags").Bool(more).EndObject();
  return Status::Ok();
}

}  // namespace

void RegisterUpdateAndTagRoutes(Router* router, FirehoseContext* ctx) {
  router->AddTarget("Firehose_20150804.UpdateDestination",
                    MakeRoute(ctx, "UpdateDestination", WrapSync(ctx, &UpdateImpl)));
  router->AddTarget("Firehose_20150804.TagDeliveryStream",
                    MakeRoute(ctx, "TagDeliveryStream", WrapSync(ctx, &TagImpl)));
  router->AddTarget("Firehose_20150804.UntagDeliveryStream",
                    MakeRoute(ctx, "UntagDeliveryStream", WrapSync(ctx, &UntagImpl)));
  router->AddTarget("Firehose_20150804.ListTagsForDeliveryStream",
                    MakeRoute(ctx, "ListTagsForDeliveryStream", WrapSync(ctx, &ListTagsImpl)));
}

}  // namespace osprey::server::firehose
