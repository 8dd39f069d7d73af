#include "osprey/server/router.h"

#include <gtest/gtest.h>

namespace osprey::server {
namespace {

TEST(RouterTest, TargetsPathsAndFamilies) {
  Router router;
  Route put;
  put.api = "PutRecord";
  router.AddTarget("Kinesis_20131202.PutRecord", put);
  Route health;
  health.api = "healthz";
  router.AddPath("GET", "/healthz", health);
  router.AddTargetFamily("Kinesis_20131202.", "kinesis", "application/x-amz-json-1.1");
  router.AddTargetFamily("Firehose_20150804.", "firehose", "application/x-amz-json-1.1");

  Unrouted u;
  const Route* r = router.Find("POST", "/", "Kinesis_20131202.PutRecord", &u);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->api, "PutRecord");
  r = router.Find("GET", "/healthz", "", &u);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->api, "healthz");

  EXPECT_EQ(router.Find("POST", "/", "Firehose_20150804.PutRecord", &u), nullptr);
  EXPECT_EQ(u.error.status, 400);
  EXPECT_EQ(u.error.type, "UnknownOperationException");
  EXPECT_EQ(u.service, "firehose");
  EXPECT_EQ(u.content_type, "application/x-amz-json-1.1");

  // Paths are case-sensitive (video spec 1.2).
  EXPECT_EQ(router.Find("GET", "/Healthz", "", &u), nullptr);
  EXPECT_EQ(u.error.status, 404);
  EXPECT_EQ(u.service, "");

  EXPECT_EQ(router.Find("POST", "/GetHLSStreamingSessionURL", "", &u), nullptr);
  EXPECT_EQ(u.error.status, 404);
  EXPECT_EQ(u.error.type, "UnknownOperationException");
  EXPECT_EQ(u.service, "kinesisvideo");

  EXPECT_EQ(router.Find("POST", "/", "Nonsense.Op", &u), nullptr);
  EXPECT_EQ(u.error.type, "UnknownOperationException");
}

}  // namespace
}  // namespace osprey::server
