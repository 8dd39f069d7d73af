#include "osprey/auth/policy.h"

#include <gtest/gtest.h>

#include "osprey/auth/credentials.h"
#include "osprey/auth/rate_limiter.h"

namespace osprey::auth {
namespace {

ResourceRef Video(std::string_view stream) {
  return {"kinesisvideo", "us-east-1", "000000000000", stream};
}
ResourceRef Kinesis(std::string_view stream) {
  return {"kinesis", "us-east-1", "000000000000", stream};
}
ResourceRef Firehose(std::string_view stream) {
  return {"firehose", "us-east-1", "000000000000", stream};
}

Policy Allow(std::vector<std::string> actions, std::vector<std::string> resources) {
  return Policy{{Statement{Effect::kAllow, std::move(actions), std::move(resources)}}};
}

Policy Role(std::string_view role, std::vector<std::string> streams = {}) {
  Result<std::vector<Statement>> s = RoleStatements(role, streams);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return Policy{s.ok() ? *s : std::vector<Statement>{}};
}

TEST(GlobMatchTest, StarAndQuestionMark) {
  EXPECT_TRUE(GlobMatch("*", "", false));
  EXPECT_TRUE(GlobMatch("cam-*", "cam-", false));
  EXPECT_TRUE(GlobMatch("cam-*", "cam-front", false));
  EXPECT_FALSE(GlobMatch("cam-*", "xcam-front", false));
  EXPECT_TRUE(GlobMatch("*-door", "front-door", false));
  EXPECT_TRUE(GlobMatch("a*b*c", "a-bb-b-c", false));
  EXPECT_FALSE(GlobMatch("a*b*c", "a-bb-b-cd", false));
  EXPECT_TRUE(GlobMatch("cam-?", "cam-1", false));
  EXPECT_FALSE(GlobMatch("cam-?", "cam-12", false));
  EXPECT_FALSE(GlobMatch("Front", "front", false));
  EXPECT_TRUE(GlobMatch("kinesisvideo:get*", "kinesisvideo:GetMedia", true));
  // A pathological pattern stays fast (one backtrack point).
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*b", std::string(5000, 'a'), false));
}

TEST(PolicyTest, ActionWildcards) {
  const Policy p = Allow({"kinesisvideo:Get*", "kinesis:*"}, {"*"});
  EXPECT_EQ(Evaluate(p, "kinesisvideo:GetMedia", Video("s")), Decision::kAllow);
  EXPECT_EQ(Evaluate(p, "kinesisvideo:GetHLSStreamingSessionURL", Video("s")), Decision::kAllow);
  EXPECT_EQ(Evaluate(p, "kinesisvideo:PutMedia", Video("s")), Decision::kImplicitDeny);
  EXPECT_EQ(Evaluate(p, "kinesis:PutRecord", Kinesis("s")), Decision::kAllow);
  EXPECT_EQ(Evaluate(p, "firehose:PutRecord", Firehose("s")), Decision::kImplicitDeny);
  // IAM compares actions without regard to case.
  EXPECT_EQ(Evaluate(p, "KINESISVIDEO:getmedia", Video("s")), Decision::kAllow);
  EXPECT_EQ(Evaluate(Allow({"*"}, {"*"}), "firehose:PutRecordBatch", Firehose("s")),
            Decision::kAllow);
  EXPECT_EQ(
      Evaluate(Allow({"firehose:PutRecord*"}, {"*"}), "firehose:PutRecordBatch", Firehose("s")),
      Decision::kAllow);
}

TEST(PolicyTest, NothingAllowedIsDenied) {
  EXPECT_EQ(Evaluate(Policy{}, "kinesis:ListStreams", Kinesis("")), Decision::kImplicitDeny);
}

TEST(PolicyTest, ExplicitDenyWinsWhateverTheOrder) {
  Policy p = Allow({"kinesisvideo:*"}, {"*"});
  p.statements.push_back({Effect::kDeny, {"kinesisvideo:DeleteStream"}, {"front-door"}});
  EXPECT_EQ(Evaluate(p, "kinesisvideo:DeleteStream", Video("front-door")), Decision::kExplicitDeny);
  EXPECT_EQ(Evaluate(p, "kinesisvideo:DeleteStream", Video("back-door")), Decision::kAllow);
  std::swap(p.statements[0], p.statements[1]);
  EXPECT_EQ(Evaluate(p, "kinesisvideo:DeleteStream", Video("front-door")), Decision::kExplicitDeny);
}

TEST(PolicyTest, NamePatternsApplyToEveryService) {
  const Policy p = Allow({"*"}, {"cam-*", "front-door"});
  EXPECT_EQ(Evaluate(p, "kinesisvideo:PutMedia", Video("cam-1")), Decision::kAllow);
  EXPECT_EQ(Evaluate(p, "kinesis:PutRecord", Kinesis("front-door")), Decision::kAllow);
  EXPECT_EQ(Evaluate(p, "firehose:PutRecord", Firehose("cam-x")), Decision::kAllow);
  EXPECT_EQ(Evaluate(p, "kinesisvideo:PutMedia", Video("front-door-2")), Decision::kImplicitDeny);
  // Resources are case-sensitive, as in IAM.
  EXPECT_EQ(Evaluate(p, "kinesisvideo:PutMedia", Video("CAM-1")), Decision::kImplicitDeny);
}

TEST(PolicyTest, AccountLevelCallsNeedStar) {
  EXPECT_EQ(Evaluate(Allow({"kinesisvideo:ListStreams"}, {"cam-*"}), "kinesisvideo:ListStreams",
                     Video("")),
            Decision::kImplicitDeny);
  EXPECT_EQ(
      Evaluate(Allow({"kinesisvideo:ListStreams"}, {"*"}), "kinesisvideo:ListStreams", Video("")),
      Decision::kAllow);
  EXPECT_EQ(Evaluate(Allow({"*"}, {"arn:aws:kinesisvideo:*:*:stream/*"}),
                     "kinesisvideo:ListStreams", Video("")),
            Decision::kImplicitDeny);
}

TEST(PolicyTest, ArnPatterns) {
  const Policy p = Allow({"*"}, {"arn:aws:kinesisvideo:*:*:stream/front-door/*",
                                 "arn:aws:kinesis:us-east-1:000000000000:stream/events",
                                 "arn:aws:firehose:*:*:deliverystream/logs-*"});
  EXPECT_EQ(Evaluate(p, "kinesisvideo:PutMedia", Video("front-door")), Decision::kAllow);
  EXPECT_EQ(Evaluate(p, "kinesisvideo:PutMedia", Video("back-door")), Decision::kImplicitDeny);
  // The service is part of an ARN: the video ARN does not cover a data
  // stream of the same name.
  EXPECT_EQ(Evaluate(p, "kinesis:PutRecord", Kinesis("front-door")), Decision::kImplicitDeny);
  EXPECT_EQ(Evaluate(p, "kinesis:PutRecord", Kinesis("events")), Decision::kAllow);
  EXPECT_EQ(Evaluate(p, "kinesis:PutRecord",
                     ResourceRef{"kinesis", "eu-west-1", "000000000000", "events"}),
            Decision::kImplicitDeny);
  EXPECT_EQ(Evaluate(p, "firehose:PutRecord", Firehose("logs-app")), Decision::kAllow);
  EXPECT_EQ(Evaluate(p, "firehose:PutRecord", Firehose("events")), Decision::kImplicitDeny);
  // A consumer ARN pattern covers its stream.
  EXPECT_EQ(Evaluate(Allow({"*"}, {"arn:aws:kinesis:*:*:stream/events/consumer/*"}),
                     "kinesis:SubscribeToShard", Kinesis("events")),
            Decision::kAllow);
}

TEST(PolicyTest, CapabilityChecksOnlyTheAction) {
  Policy p = Allow({"kinesis:GetRecords"}, {"cam-*"});
  EXPECT_EQ(EvaluateAction(p, "kinesis:GetRecords"), Decision::kAllow);
  EXPECT_EQ(EvaluateAction(p, "kinesis:PutRecord"), Decision::kImplicitDeny);
  p.statements.push_back({Effect::kDeny, {"kinesis:Get*"}, {"cam-1"}});
  EXPECT_EQ(EvaluateAction(p, "kinesis:GetRecords"), Decision::kAllow);
  p.statements.push_back({Effect::kDeny, {"kinesis:Get*"}, {"*"}});
  EXPECT_EQ(EvaluateAction(p, "kinesis:GetRecords"), Decision::kExplicitDeny);
}

TEST(RoleTest, CameraOnItsOwnStream) {
  const Policy camera = Role("camera", {"front-door"});
  for (const char* action : {"kinesisvideo:PutMedia", "kinesisvideo:GetDataEndpoint",
                             "kinesisvideo:DescribeStream", "kinesisvideo:CreateStream"}) {
    EXPECT_EQ(Evaluate(camera, action, Video("front-door")), Decision::kAllow) << action;
    EXPECT_EQ(Evaluate(camera, action, Video("back-door")), Decision::kImplicitDeny) << action;
  }
  for (const char* action :
       {"kinesisvideo:GetMedia", "kinesisvideo:ListFragments", "kinesisvideo:DeleteStream",
        "kinesisvideo:GetHLSStreamingSessionURL", "kinesisvideo:TagStream"}) {
    EXPECT_EQ(Evaluate(camera, action, Video("front-door")), Decision::kImplicitDeny) << action;
  }
  EXPECT_EQ(Evaluate(camera, "kinesisvideo:ListStreams", Video("")), Decision::kImplicitDeny);
  EXPECT_EQ(Evaluate(camera, "kinesis:PutRecord", Kinesis("front-door")), Decision::kImplicitDeny);
}

TEST(RoleTest, ViewerReadsOnly) {
  const Policy viewer = Role("viewer");
  for (const char* action :
       {"kinesisvideo:GetMedia", "kinesisvideo:ListFragments", "kinesisvideo:DescribeStream",
        "kinesisvideo:GetHLSStreamingSessionURL", "kinesisvideo:GetDASHStreamingSessionURL",
        "kinesisvideo:GetClip", "kinesisvideo:GetImages", "kinesisvideo:GetMediaForFragmentList",
        "kinesisvideo:GetDataEndpoint", "kinesisvideo:ListTagsForStream"}) {
    EXPECT_EQ(Evaluate(viewer, action, Video("s")), Decision::kAllow) << action;
  }
  for (const char* action :
       {"kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream",
        "kinesis:ListShards", "kinesis:SubscribeToShard"}) {
    EXPECT_EQ(Evaluate(viewer, action, Kinesis("s")), Decision::kAllow) << action;
  }
  EXPECT_EQ(Evaluate(viewer, "firehose:DescribeDeliveryStream", Firehose("s")), Decision::kAllow);
  for (const char* action :
       {"kinesisvideo:PutMedia", "kinesisvideo:CreateStream", "kinesisvideo:DeleteStream",
        "kinesisvideo:UpdateDataRetention", "kinesisvideo:TagStream"}) {
    EXPECT_EQ(Evaluate(viewer, action, Video("s")), Decision::kImplicitDeny) << action;
  }
  EXPECT_EQ(Evaluate(viewer, "kinesis:PutRecord", Kinesis("s")), Decision::kImplicitDeny);
  EXPECT_EQ(Evaluate(viewer, "kinesis:RegisterStreamConsumer", Kinesis("s")),
            Decision::kImplicitDeny);
  EXPECT_EQ(Evaluate(viewer, "firehose:PutRecord", Firehose("s")), Decision::kImplicitDeny);
}

TEST(RoleTest, ViewerOfSomeStreamsStillLists) {
  const Policy viewer = Role("viewer", {"cam-*"});
  EXPECT_EQ(Evaluate(viewer, "kinesisvideo:ListStreams", Video("")), Decision::kAllow);
  EXPECT_EQ(Evaluate(viewer, "kinesisvideo:GetMedia", Video("cam-1")), Decision::kAllow);
  EXPECT_EQ(Evaluate(viewer, "kinesisvideo:GetMedia", Video("garage")), Decision::kImplicitDeny);
}

TEST(RoleTest, AdminAndUnknownRoles) {
  EXPECT_EQ(Evaluate(Role("admin"), "kinesisvideo:DeleteStream", Video("s")), Decision::kAllow);
  EXPECT_EQ(Evaluate(Role("admin"), "kinesis:ListStreams", Kinesis("")), Decision::kAllow);
  EXPECT_FALSE(RoleStatements("root", {}).ok());
  EXPECT_FALSE(RoleStatements("camera", {"front door"}).ok());
}

TEST(PatternTest, Checks) {
  EXPECT_EQ(CheckActionPattern("*"), "");
  EXPECT_EQ(CheckActionPattern("kinesisvideo:PutMedia"), "");
  EXPECT_EQ(CheckActionPattern("firehose:PutRecord*"), "");
  EXPECT_NE(CheckActionPattern("PutMedia"), "");
  EXPECT_NE(CheckActionPattern("kinesis:"), "");
  EXPECT_NE(CheckActionPattern("kinesis:Put Record"), "");
  EXPECT_EQ(CheckResourcePattern("*"), "");
  EXPECT_EQ(CheckResourcePattern("cam-*"), "");
  EXPECT_EQ(CheckResourcePattern("arn:aws:kinesisvideo:*:*:stream/front-door/*"), "");
  EXPECT_NE(CheckResourcePattern("arn:aws:kinesisvideo:stream/x"), "");
  EXPECT_NE(CheckResourcePattern("cam/1"), "");
  EXPECT_NE(CheckResourcePattern(""), "");
}

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

std::string KeyEntry(std::string_view id, std::string_view extra = "") {
  return "[[keys]]\naccess_key_id = \"" + std::string(id) + "\"\nsecret_access_key = \"" +
         std::string(kSecret) + "\"\n" + std::string(extra);
}

TEST(CredentialPolicyTest, ParsesRolesStatementsAndLimits) {
  Result<CredentialStore> r = CredentialStore::Parse(
      KeyEntry("ADMIN") +
          KeyEntry("CAM",
                   "role = \"camera\"\nstreams = [\"front-door\"]\n"
                   "requests_per_second = 5\nburst = 8\n") +
          KeyEntry("VIEW",
                   "role = \"viewer\"\nrequests_per_second = 2.5\n"
                   "[[keys.statement]]\neffect = \"Deny\"\n"
                   "action = \"kinesisvideo:GetMedia\"\nresource = [\"secret-*\"]\n") +
          KeyEntry("CUSTOM",
                   "[[keys.statement]]\neffect = \"Allow\"\n"
                   "action = [\"kinesis:PutRecord\", \"kinesis:PutRecords\"]\n"
                   "resource = \"events\"\n"),
      "keys.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->Find("ADMIN")->policy.has_value());
  EXPECT_FALSE(r->Find("ADMIN")->rate_limit.has_value());

  const AccessKey* cam = r->Find("CAM");
  ASSERT_TRUE(cam->policy && cam->rate_limit);
  EXPECT_EQ(cam->role, "camera");
  EXPECT_EQ(cam->rate_limit->requests_per_second, 5);
  EXPECT_EQ(cam->rate_limit->burst, 8);
  EXPECT_EQ(Evaluate(*cam->policy, "kinesisvideo:PutMedia", Video("front-door")), Decision::kAllow);
  EXPECT_EQ(Evaluate(*cam->policy, "kinesisvideo:PutMedia", Video("back")),
            Decision::kImplicitDeny);

  const AccessKey* view = r->Find("VIEW");
  EXPECT_EQ(view->rate_limit->burst, 2.5);  // defaults to the rate
  EXPECT_EQ(Evaluate(*view->policy, "kinesisvideo:GetMedia", Video("secret-1")),
            Decision::kExplicitDeny);
  EXPECT_EQ(Evaluate(*view->policy, "kinesisvideo:GetMedia", Video("lobby")), Decision::kAllow);

  const AccessKey* custom = r->Find("CUSTOM");
  EXPECT_EQ(Evaluate(*custom->policy, "kinesis:PutRecords", Kinesis("events")), Decision::kAllow);
  EXPECT_EQ(Evaluate(*custom->policy, "kinesis:GetRecords", Kinesis("events")),
            Decision::kImplicitDeny);
}

std::string ParseError(std::string_view text) {
  Result<CredentialStore> r = CredentialStore::Parse(text, "keys.toml");
  return r.ok() ? "<parsed>" : r.status().message();
}

TEST(CredentialPolicyTest, RejectsMistakesWithTheLine) {
  EXPECT_EQ(ParseError(KeyEntry("A", "role = \"root\"\n")),
            "keys.toml:4: role must be one of admin, camera, viewer");
  EXPECT_EQ(ParseError(KeyEntry("A", "streams = [\"x\"]\n")),
            "keys.toml:1: 'streams' applies to a role: add role = \"...\"");
  EXPECT_EQ(ParseError(KeyEntry("A", "burst = 3\n")),
            "keys.toml:1: 'burst' needs requests_per_second");
  EXPECT_EQ(ParseError(KeyEntry("A", "requests_per_second = 0\n")),
            "keys.toml:4: requests_per_second must be a number from 0.001 to 1e9");
  EXPECT_EQ(ParseError(KeyEntry("A",
                                "[[keys.statement]]\neffect = \"allow\"\n"
                                "action = \"*\"\nresource = \"*\"\n")),
            "keys.toml:5: effect must be \"Allow\" or \"Deny\"");
  EXPECT_EQ(ParseError(KeyEntry("A",
                                "[[keys.statement]]\neffect = \"Allow\"\n"
                                "action = \"*\"\n")),
            "keys.toml:4: [[keys.statement]] needs effect, action and resource");
  EXPECT_EQ(ParseError(KeyEntry("A",
                                "[[keys.statement]]\neffect = \"Allow\"\n"
                                "action = \"PutMedia\"\nresource = \"*\"\n")),
            "keys.toml:6: action 'PutMedia' must be \"*\" or <service>:<operation> "
            "(e.g. \"kinesisvideo:PutMedia\", \"kinesis:Get*\")");
  EXPECT_EQ(ParseError(KeyEntry("A",
                                "[[keys.statement]]\neffect = \"Allow\"\n"
                                "action = []\nresource = \"*\"\n")),
            "keys.toml:6: action must not be empty");
  EXPECT_EQ(ParseError(KeyEntry("A",
                                "[[keys.statement]]\neffect = \"Allow\"\n"
                                "actions = \"*\"\nresource = \"*\"\n")),
            "keys.toml:6: unknown key 'actions' in [[keys.statement]] "
            "(known: effect, action, resource)");
}

TEST(RateLimiterTest, TokenBucketRefillsAtTheRate) {
  const auto t0 = TokenBucket::Clock::time_point{} + std::chrono::hours(1);
  TokenBucket bucket(5, 5, t0);
  int admitted = 0;
  for (int i = 0; i < 30; ++i) admitted += bucket.TryTake(t0);
  EXPECT_EQ(admitted, 5);
  EXPECT_FALSE(bucket.TryTake(t0 + std::chrono::milliseconds(100)));
  EXPECT_TRUE(bucket.TryTake(t0 + std::chrono::milliseconds(200)));
  // A second later the bucket is full again, never fuller.
  admitted = 0;
  for (int i = 0; i < 30; ++i) admitted += bucket.TryTake(t0 + std::chrono::seconds(10));
  EXPECT_EQ(admitted, 5);
}

TEST(RateLimiterTest, OnlyKeysWithALimit) {
  Result<CredentialStore> r = CredentialStore::Parse(
      KeyEntry("FREE") + KeyEntry("SLOW", "requests_per_second = 1\n"), "keys.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  RateLimiter limiter(*r);
  const auto now = TokenBucket::Clock::now();
  EXPECT_TRUE(limiter.Admit("SLOW", now));
  EXPECT_FALSE(limiter.Admit("SLOW", now));
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.Admit("FREE", now));
  EXPECT_TRUE(limiter.Admit("UNKNOWN", now));
}

}  // namespace
}  // namespace osprey::auth
