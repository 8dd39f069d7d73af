// Tag operations of the control plane: TagStream, UntagStream,
// ListTagsForStream (by StreamName or StreamARN, video-api.md section 3) and
// TagResource, UntagResource, ListTagsForResource (by ResourceARN; Tags as a
// list of {Key, Value}, as the botocore model has them). Streams are the
// only taggable resources: any other ARN is ResourceNotFound.
//
// Tags never change a stream's Version (FORMAT.md "Stream catalog").
#include "video/control_plane_internal.h"

namespace osprey::server::video::control_plane {

namespace {

std::string WriteTags(const std::map<std::string, std::string>& tags) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("Tags").BeginObject();
  for (const auto& [k, v] : tags) w.Key(k).String(v);
  w.EndObject().EndObject();
  return out;
}

// The stream a ResourceARN names.
Result<fragments::VideoStream> ResolveResource(const JsonRequest& body,
                                               const VideoContext& context) {
  if (context.catalog == nullptr) return Status::Internal("the stream catalog is not configured");
  OSPREY_ASSIGN_OR_RETURN(auto arn, Required(body.String("ResourceARN"), "ResourceARN"));
  OSPREY_RETURN_IF_ERROR(CheckResourceArn("ResourceARN", arn));
  return context.catalog->GetByArn(arn);
}

// Every ListTags* answer holds all of a stream's tags (at most 50), so a
// NextToken is only checked, never needed.
Status CheckOptionalNextToken(const JsonRequest& body) {
  OSPREY_ASSIGN_OR_RETURN(auto token, body.String("NextToken"));
  if (token) OSPREY_RETURN_IF_ERROR(CheckNextToken("NextToken", *token));
  return Status::Ok();
}

}  // namespace

Result<std::string> TagStream(const JsonRequest& body, VideoContext* context) {
  OSPREY_ASSIGN_OR_RETURN(auto tags, Required(body.StringMap("Tags"), "Tags"));
  OSPREY_RETURN_IF_ERROR(CheckTagMap("Tags", tags));
  OSPREY_ASSIGN_OR_RETURN(auto stream, Resolve(body, *context));
  OSPREY_RETURN_IF_ERROR(context->catalog->Tag(stream.name, tags));
  return std::string("{}");
}

Result<std::string> UntagStream(const JsonRequest& body, VideoContext* context) {
  OSPREY_ASSIGN_OR_RETURN(auto keys, Required(body.StringList("TagKeyList"), "TagKeyList"));
  OSPREY_RETURN_IF_ERROR(CheckTagKeyList("TagKeyList", keys));
  OSPREY_ASSIGN_OR_RETURN(auto stream, Resolve(body, *context));
  OSPREY_RETURN_IF_ERROR(context->catalog->Untag(stream.name, keys));
  return std::string("{}");
}

Result<std::string> ListTagsForStream(const JsonRequest& body, VideoContext* context) {
  OSPREY_RETURN_IF_ERROR(CheckOptionalNextToken(body));
  OSPREY_ASSIGN_OR_RETURN(auto stream, Resolve(body, *context));
  return WriteTags(stream.tags);
}

Result<std::string> TagResource(const JsonRequest& body, VideoContext* context) {
  OSPREY_ASSIGN_OR_RETURN(auto list, Required(body.ObjectList("Tags"), "Tags"));
  if (list.empty()) {
    return ValidationError("Tags", "[]", "Member must have length greater than or equal to 1");
  }
  std::map<std::string, std::string> tags;
  for (const JsonRequest& tag : list) {
    OSPREY_ASSIGN_OR_RETURN(auto key, Required(tag.String("Key"), "Tags.member.Key"));
    OSPREY_ASSIGN_OR_RETURN(auto value, Required(tag.String("Value"), "Tags.member.Value"));
    tags[key] = value;  // a repeated key: the last one wins
  }
  if (list.size() > 50) {
    return Status::ResourceExhausted("A resource can have at most 50 tags; the request has " +
                                     std::to_string(list.size()));
  }
  OSPREY_RETURN_IF_ERROR(CheckTagMap("Tags", tags));
  OSPREY_ASSIGN_OR_RETURN(auto stream, ResolveResource(body, *context));
  OSPREY_RETURN_IF_ERROR(context->catalog->Tag(stream.name, tags));
  return std::string("{}");
}

Result<std::string> UntagResource(const JsonRequest& body, VideoContext* context) {
  OSPREY_ASSIGN_OR_RETURN(auto keys, Required(body.StringList("TagKeyList"), "TagKeyList"));
  OSPREY_RETURN_IF_ERROR(CheckTagKeyList("TagKeyList", keys));
  OSPREY_ASSIGN_OR_RETURN(auto stream, ResolveResource(body, *context));
  OSPREY_RETURN_IF_ERROR(context->catalog->Untag(stream.name, keys));
  return std::string("{}");
}

Result<std::string> ListTagsForResource(const JsonRequest& body, VideoContext* context) {
  OSPREY_RETURN_IF_ERROR(CheckOptionalNextToken(body));
  OSPREY_ASSIGN_OR_RETURN(auto stream, ResolveResource(body, *context));
  return WriteTags(stream.tags);
}

}  // namespace osprey::server::video::control_plane
