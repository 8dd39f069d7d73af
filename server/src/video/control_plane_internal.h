// Private to the control-plane files (control_plane*.cc): the operations
// and the checks they share. Each operation reads one request body and
// returns the JSON body of its answer or the Status that explains the error;
// control_plane.cc turns both into HTTP (shared/spec/video-api.md 1.4, 3).
//
// Status codes used here: InvalidArgument (pattern, range, type, missing
// member), NotFound, AlreadyExists (name taken), FailedPrecondition (version
// mismatch) and ResourceExhausted, which in the control plane only ever
// means "more than 50 tags" (TagsPerResourceExceededLimitException).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "osprey/base/json_writer.h"
#include "osprey/base/result.h"
#include "osprey/base/status.h"
#include "osprey/fragments/stream_catalog.h"
#include "video/kvs_json.h"
#include "video/video_routes.h"

namespace osprey::server::video::control_plane {

using Operation = Result<std::string> (*)(const JsonRequest& body, VideoContext* context);

// control_plane_streams.cc
Result<std::string> CreateStream(const JsonRequest& body, VideoContext* context);
Result<std::string> DescribeStream(const JsonRequest& body, VideoContext* context);
Result<std::string> ListStreams(const JsonRequest& body, VideoContext* context);
Result<std::string> DeleteStream(const JsonRequest& body, VideoContext* context);
Result<std::string> UpdateStream(const JsonRequest& body, VideoContext* context);
Result<std::string> UpdateDataRetention(const JsonRequest& body, VideoContext* context);
Result<std::string> GetDataEndpoint(const JsonRequest& body, VideoContext* context);

// control_plane_tags.cc
Result<std::string> TagStream(const JsonRequest& body, VideoContext* context);
Result<std::string> UntagStream(const JsonRequest& body, VideoContext* context);
Result<std::string> ListTagsForStream(const JsonRequest& body, VideoContext* context);
Result<std::string> TagResource(const JsonRequest& body, VideoContext* context);
Result<std::string> UntagResource(const JsonRequest& body, VideoContext* context);
Result<std::string> ListTagsForResource(const JsonRequest& body, VideoContext* context);

// control_plane_checks.cc: the botocore model's patterns and ranges, in
// the ValidationError wording of kvs_json.h.

// ResourceARN: 1-1024, arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+
Status CheckResourceArn(std::string_view member, std::string_view arn);
// Version: 1-64 [a-zA-Z0-9]+
Status CheckVersion(std::string_view member, std::string_view version);
// DeviceName: 1-128 [a-zA-Z0-9_.-]+
Status CheckDeviceName(std::string_view member, std::string_view name);
// MediaType: 1-128 type/subtype[,type/subtype]*, each part [\w.+-]+
Status CheckMediaType(std::string_view member, std::string_view media_type);
// KmsKeyId: 1-2048 .+ (no line breaks)
Status CheckKmsKeyId(std::string_view member, std::string_view key);
// Tags of one request: more than 50 is ResourceExhausted; then keys 1-128
// and values 0-256 characters of [\p{L}\p{Z}\p{N}_.:/=+\-@].
Status CheckTagMap(std::string_view member, const std::map<std::string, std::string>& tags);
// TagKeyList: 1-50 keys, each as above.
Status CheckTagKeyList(std::string_view member, const std::vector<std::string>& keys);
// NextToken: 0-1024 [a-zA-Z0-9+/=]*
Status CheckNextToken(std::string_view member, std::string_view token);

// The stream named by StreamName or StreamARN (ARN checked against the
// full pattern first), via ResolveStream.
Result<fragments::VideoStream> Resolve(const JsonRequest& body, const VideoContext& context);

// Writes the StreamInfo object (video-api.md section 2). Unset DeviceName
// and MediaType are left out: fewer tokens for the producer's parser.
void WriteStreamInfo(JsonWriter* w, const fragments::VideoStream& stream);

// A required member: its value, or MissingMember.
template <typename T>
Result<T> Required(Result<std::optional<T>> member, std::string_view name) {
  if (!member.ok()) return member.status();
  if (!member->has_value()) return MissingMember(name);
  return std::move(**member);
}

}  // namespace osprey::server::video::control_plane
