// The client-side signer and presigner, against AWS's published examples
// (see sigv4_test.cc for the sources of the suite values) and the S3
// presigned-URL example of "Authenticating Requests: Using Query Parameters
// (AWS Signature Version 4)" (examplebucket/test.txt, 2013-05-24).
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "osprey/auth/sigv4.h"

namespace osprey::auth {
namespace {

using namespace std::chrono;

const Credentials kSuite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const system_clock::time_point kSuiteTime =
    sys_days{year{2015} / 8 / 30} + hours(12) + minutes(36);

SigningOptions Options(std::string service = "service") {
  return {"us-east-1", std::move(service), kSuiteTime};
}

std::string HeaderValue(const SignedRequest& signed_request, std::string_view name) {
  for (const auto& [n, v] : signed_request.headers_to_add) {
    if (n == name) return v;
  }
  return "<absent>";
}

TEST(SignRequestTest, GetVanillaProducesTheSuiteAuthorization) {
  const std::vector<HeaderField> headers = {{"Host", "example.amazonaws.com"}};
  Result<SignedRequest> r = SignRequest({"GET", "/", headers}, kEmptyPayloadSha256, kSuite, Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->headers_to_add.size(), 2u);
  EXPECT_EQ(r->headers_to_add[0].first, "X-Amz-Date");
  EXPECT_EQ(r->headers_to_add[0].second, "20150830T123600Z");
  EXPECT_EQ(r->headers_to_add[1].first, "Authorization");
  EXPECT_EQ(r->headers_to_add[1].second,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SignRequestTest, IamListUsersExample) {
  const std::vector<HeaderField> headers = {
      {"Host", "iam.amazonaws.com"},
      {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  Result<SignedRequest> r = SignRequest({"GET", "/?Action=ListUsers&Version=2010-05-08", headers},
                                        kEmptyPayloadSha256, kSuite, Options("iam"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(HeaderValue(*r, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SignRequestTest, SessionTokenIsAddedAndSigned) {
  // Suite case post-sts-header-before.
  Credentials creds = kSuite;
  creds.session_token =
      "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSP"
      "fIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQD"
      "YwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+s"
      "cqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
  const std::vector<HeaderField> headers = {{"Host", "example.amazonaws.com"}};
  Result<SignedRequest> r = SignRequest({"POST", "/", headers}, kEmptyPayloadSha256, creds, Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->headers_to_add.size(), 3u);
  EXPECT_EQ(r->headers_to_add[1].first, "X-Amz-Security-Token");
  EXPECT_EQ(r->headers_to_add[1].second, creds.session_token);
  EXPECT_EQ(HeaderValue(*r, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-security-token, "
            "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
}

TEST(SignRequestTest, LeavesOutHeadersThatProxiesRewrite) {
  const std::vector<HeaderField> headers = {{"Host", "example.amazonaws.com"},
                                            {"User-Agent", "osprey-agent/0.1"},
                                            {"Content-Length", "0"},
                                            {"Connection", "keep-alive"},
                                            {"Expect", "100-continue"}};
  Result<SignedRequest> r = SignRequest({"GET", "/", headers}, kEmptyPayloadSha256, kSuite, Options());
  ASSERT_TRUE(r.ok());
  // Same canonical request as get-vanilla, so the same signature.
  EXPECT_EQ(r->signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SignRequestTest, RejectsRequestsItCannotSign) {
  const std::vector<HeaderField> no_host = {{"Content-Type", "application/json"}};
  EXPECT_FALSE(SignRequest({"GET", "/", no_host}, kEmptyPayloadSha256, kSuite, Options()).ok());
  const std::vector<HeaderField> signed_already = {{"Host", "h"}, {"authorization", "x"}};
  EXPECT_FALSE(
      SignRequest({"GET", "/", signed_already}, kEmptyPayloadSha256, kSuite, Options()).ok());
  const std::vector<HeaderField> bad_name = {{"Host", "h"}, {"My Header", "x"}};
  EXPECT_FALSE(SignRequest({"GET", "/", bad_name}, kEmptyPayloadSha256, kSuite, Options()).ok());
  const std::vector<HeaderField> ok = {{"Host", "h"}};
  EXPECT_FALSE(SignRequest({"GET", "/", ok}, kEmptyPayloadSha256, Credentials{}, Options()).ok());
}

TEST(PresignRequestTest, ReproducesTheDocumentedPresignedUrl) {
  const Credentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  const std::vector<HeaderField> headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  PresignOptions options;
  options.region = "us-east-1";
  options.service = "s3";
  options.time = sys_days{year{2013} / 5 / 24};
  options.expires = seconds(86400);
  Result<PresignedQuery> r = PresignRequest({"GET", "/test.txt", headers}, creds, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->query,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
            "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
            "X-Amz-SignedHeaders=host&X-Amz-Signature="
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  ASSERT_EQ(r->params.size(), 6u);
  EXPECT_EQ(r->params[1].first, "X-Amz-Credential");
  EXPECT_EQ(r->params[1].second, "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request");
  EXPECT_EQ(r->params[5].second,
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(PresignRequestTest, KeepsTheExistingQueryAndAddsTheToken) {
  Credentials creds = kSuite;
  creds.session_token = "tok/en+=";
  const std::vector<HeaderField> headers = {{"Host", "example.amazonaws.com"}};
  PresignOptions options;
  options.region = "us-east-1";
  options.service = "kinesisvideo";
  options.time = kSuiteTime;
  Result<PresignedQuery> r =
      PresignRequest({"GET", "/getHLS?SessionToken=abc", headers}, creds, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->query.find("&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-Signature="),
            std::string::npos)
      << r->query;
  EXPECT_EQ(r->params[5].first, "X-Amz-Security-Token");
  EXPECT_EQ(r->params[5].second, "tok/en+=");
}

TEST(PresignRequestTest, RejectsBadExpiryAndExistingAuthParameters) {
  const std::vector<HeaderField> headers = {{"Host", "example.amazonaws.com"}};
  PresignOptions options;
  options.region = "us-east-1";
  options.service = "service";
  options.time = kSuiteTime;
  options.expires = seconds(604801);
  EXPECT_FALSE(PresignRequest({"GET", "/", headers}, kSuite, options).ok());
  options.expires = seconds(0);
  EXPECT_FALSE(PresignRequest({"GET", "/", headers}, kSuite, options).ok());
  options.expires = seconds(604800);
  EXPECT_TRUE(PresignRequest({"GET", "/", headers}, kSuite, options).ok());
  EXPECT_FALSE(PresignRequest({"GET", "/?X-Amz-Date=1", headers}, kSuite, options).ok());
}

}  // namespace
}  // namespace osprey::auth
