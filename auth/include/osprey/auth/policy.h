// Policy: what one access key may do, as a small subset of an IAM
// identity-based policy. Statements have an Effect, Action patterns in AWS
// form ("kinesisvideo:PutMedia", "kinesisvideo:Get*", "kinesis:*", "*") and
// Resource patterns over streams: "*", a stream-name pattern ("front-door",
// "cam-*") or an ARN pattern as AWS writes it
// ("arn:aws:kinesisvideo:*:*:stream/front-door/*").
//
// Evaluation follows IAM: an explicit Deny wins; otherwise an Allow is
// needed; nothing allowed means denied. `*` matches any run of characters
// and `?` one character. Actions compare case-insensitively (as IAM does),
// resources case-sensitively.
//
// The resource of a request is a stream of one service (kinesisvideo,
// kinesis, firehose) or the account itself, for calls that name no stream
// (ListStreams). The account matches only the Resource "*". A name pattern
// matches the stream name in any of the three services; an ARN pattern
// compares partition, service, region, account, resource type ("stream",
// or "deliverystream" for Firehose) and name, and ignores what follows the
// name (KVS ARNs end in a creation time; Kinesis consumer ARNs in
// "/consumer/<name>:<time>": a consumer is covered by its stream).
//
// Thread safety: values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "osprey/base/result.h"

namespace osprey::auth {

enum class Effect { kAllow, kDeny };

struct Statement {
  Effect effect = Effect::kAllow;
  std::vector<std::string> actions;
  std::vector<std::string> resources;
};

struct Policy {
  std::vector<Statement> statements;
};

// What a request acts on. Views: the caller keeps the strings alive.
struct ResourceRef {
  std::string_view service;  // "kinesisvideo", "kinesis" or "firehose"
  std::string_view region;   // the server's region
  std::string_view account;  // the server's account id
  std::string_view stream;   // empty: the account (no stream named)

  bool is_account() const { return stream.empty(); }
};

enum class Decision { kAllow, kImplicitDeny, kExplicitDeny };

// Decides `action` ("kinesisvideo:PutMedia") on `resource`.
Decision Evaluate(const Policy& policy, std::string_view action, const ResourceRef& resource);

// For requests that present a capability instead of naming a stream (a
// shard iterator, a pagination token), issued earlier to a caller that was
// authorised on the stream: only the action is checked. An Allow for the
// action on any resource allows; a Deny for it applies when its resources
// include "*".
Decision EvaluateAction(const Policy& policy, std::string_view action);

// Pattern checks for policy authors: an empty string when valid, otherwise
// what is wrong. Actions: "*" or "<service>:<operation>", each part of
// [A-Za-z0-9-*?]. Resources: "*", a stream-name pattern of [A-Za-z0-9_.-*?]
// (1 to 256 characters), or "arn:<partition>:<service>:<region>:<account>:
// <type>/<name>[/<anything>]".
std::string CheckActionPattern(std::string_view pattern);
std::string CheckResourcePattern(std::string_view pattern);

// Named shortcuts (README.md lists what each allows):
//   admin   everything, everywhere
//   camera  kinesisvideo:PutMedia, GetDataEndpoint, DescribeStream and
//           CreateStream on `streams` (a producer creates its stream when
//           DescribeStream says it is missing)
//   viewer  read-only: kinesisvideo List*/Describe*/Get* (GetMedia, HLS and
//           DASH sessions, clips, images, ListFragments...), kinesis
//           List*/Describe*/Get* and SubscribeToShard, firehose
//           List*/Describe* on `streams`, plus the account-level
//           ListStreams / ListDeliveryStreams
// `streams`: resource patterns, checked with CheckResourcePattern; empty
// means "*". InvalidArgument for an unknown role or a bad pattern.
Result<std::vector<Statement>> RoleStatements(std::string_view role,
                                              const std::vector<std::string>& streams);
// "admin, camera, viewer", for messages.
std::string_view RoleNames();

// Glob match with `*` (any run) and `?` (one character).
bool GlobMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace osprey::auth
