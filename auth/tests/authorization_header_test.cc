#include "osprey/auth/authorization_header.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace osprey::auth {
namespace {

constexpr std::string_view kSig = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
const std::string kBotocore =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + std::string(kSig);

std::string ErrorOf(std::string_view header) {
  Result<SignatureFields> r = ParseAuthorizationHeader(header);
  return r.ok() ? "<parsed>" : r.status().message();
}

TEST(AuthorizationHeaderTest, ParsesWhatBotocoreSends) {
  Result<SignatureFields> r = ParseAuthorizationHeader(kBotocore);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(r->date, "20150830");
  EXPECT_EQ(r->region, "us-east-1");
  EXPECT_EQ(r->service, "service");
  EXPECT_EQ(r->terminator, "aws4_request");
  EXPECT_EQ(r->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(r->signature, kSig);
  EXPECT_EQ(FormatAuthorizationHeader(*r), kBotocore);
}

TEST(AuthorizationHeaderTest, AcceptsAnyOrderAndSpacing) {
  const SignatureFields expected = *ParseAuthorizationHeader(kBotocore);
  const std::string cred = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
  const std::string sh = "SignedHeaders=host;x-amz-date";
  const std::string sig = "Signature=" + std::string(kSig);
  for (const std::string& header : {
           "AWS4-HMAC-SHA256 " + sig + ", " + cred + ", " + sh,
           "AWS4-HMAC-SHA256 " + sh + "," + sig + "," + cred,
           "AWS4-HMAC-SHA256   " + cred + " ,\t" + sh + " , " + sig + "  ",
           "AWS4-HMAC-SHA256\t" + cred + ",  " + sh + ",  " + sig,
       }) {
    Result<SignatureFields> r = ParseAuthorizationHeader(header);
    ASSERT_TRUE(r.ok()) << header << ": " << r.status().ToString();
    EXPECT_EQ(*r, expected) << header;
  }
}

TEST(AuthorizationHeaderTest, ListsEveryMissingPartInAwsWording) {
  EXPECT_EQ(ErrorOf("AWS4-HMAC-SHA256 SignedHeaders=host"),
            "Authorization header requires 'Credential' parameter. Authorization header requires "
            "'Signature' parameter.");
  EXPECT_EQ(ErrorOf("AWS4-HMAC-SHA256"),
            "Authorization header requires 'Credential' parameter. Authorization header requires "
            "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.");
}

TEST(AuthorizationHeaderTest, SaysWhatIsWrong) {
  const std::string cred = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
  const std::string rest = ", SignedHeaders=host;x-amz-date, Signature=" + std::string(kSig);
  auto with_cred = [&](std::string c) { return "AWS4-HMAC-SHA256 Credential=" + c + rest; };
  auto with_sh = [&](std::string sh) {
    return "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=" + sh + ", Signature=" + std::string(kSig);
  };
  auto with_sig = [&](std::string s) {
    return "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=" + s;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "Authorization header is empty"},
      {"   ", "Authorization header is empty"},
      {"AWS4-HMAC-SHA1 " + cred, "Unsupported Authorization type 'AWS4-HMAC-SHA1'"},
      {"Bearer abc", "Unsupported Authorization type 'Bearer'"},
      {"AWS4-HMAC-SHA256 Credential", "Invalid key=value pair (missing equal-sign)"},
      {"AWS4-HMAC-SHA256 Foo=bar", "Unknown parameter 'Foo'"},
      {"AWS4-HMAC-SHA256 credential=x", "Unknown parameter 'credential'"},
      {"AWS4-HMAC-SHA256 " + cred + ", " + cred + rest, "more than one 'Credential' parameter"},
      {"AWS4-HMAC-SHA256 " + cred + ", ," + rest, "empty element (stray ',')"},
      {"AWS4-HMAC-SHA256 " + cred + rest + ",", "empty element (stray ',')"},
      {"AWS4-HMAC-SHA256 ," + cred + rest, "empty element (stray ',')"},
      {with_cred("AKIDEXAMPLE/20150830/us-east-1/service"), "5 slash-separated parts"},
      {with_cred("AKIDEXAMPLE/20150830/us-east-1/service/aws4_request/x"), "not 6"},
      {with_cred("AK-ID/20150830/us-east-1/service/aws4_request"), "invalid access key id 'AK-ID'"},
      {with_cred("/20150830/us-east-1/service/aws4_request"), "invalid access key id ''"},
      {with_cred("AK/20151330/us-east-1/service/aws4_request"), "valid date (YYYYMMDD), not '20151330'"},
      {with_cred("AK/2015083/us-east-1/service/aws4_request"), "valid date"},
      {with_cred("AK/20150830/us east/service/aws4_request"), "valid region, not 'us east'"},
      {with_cred("AK/20150830/us-east-1//aws4_request"), "valid service, not ''"},
      {with_cred("AK/20150830/us-east-1/kinesis/aws4_reques"),
       "valid terminator: 'aws4_request', not 'aws4_reques'"},
      {with_sh(""), "SignedHeaders is empty"},
      {with_sh("Host;x-amz-date"), "'Host' is not a lowercase HTTP header name"},
      {with_sh("host;x amz"), "'x amz' is not a lowercase"},
      {with_sh("x-amz-date;host"), "sorted and without duplicates: 'host' follows 'x-amz-date'"},
      {with_sh("host;host"), "sorted and without duplicates"},
      {with_sh("host;;x-amz-date"), "empty name (stray ';')"},
      {with_sig("abc"), "Signature must be 64 lowercase hexadecimal digits, not 'abc'"},
      {with_sig(std::string(64, 'A')), "64 lowercase hexadecimal"},
      {with_sig(std::string(63, 'a') + "g"), "64 lowercase hexadecimal"},
      {"AWS4-HMAC-SHA256 Foo\x01=1", "Unknown parameter 'Foo\\x01'"},
  };
  for (const auto& [header, expected] : cases) {
    const std::string error = ErrorOf(header);
    EXPECT_NE(error.find(expected), std::string::npos)
        << "header: " << header << "\n error: " << error << "\n wanted: " << expected;
  }
}

TEST(AuthorizationHeaderTest, LimitsWhatItEchoesAndHowManyNames) {
  const std::string long_type(500, 'X');
  const std::string error = ErrorOf(long_type + " Credential=x");
  EXPECT_LT(error.size(), 150u) << error;
  std::string names;
  for (int i = 0; i < 129; ++i) {
    char name[8];
    std::snprintf(name, sizeof(name), "h%03d", i);
    names += (i ? ";" : "") + std::string(name);
  }
  EXPECT_NE(ErrorOf("AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/aws4_request, SignedHeaders=" +
                    names + ", Signature=" + std::string(kSig))
                .find("more than 128"),
            std::string::npos);
}

const std::string kS3Query =
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
    "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
    "X-Amz-SignedHeaders=host&X-Amz-Signature="
    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

TEST(PresignedQueryTest, ParsesAndFormatsTheDocumentedUrl) {
  Result<PresignedFields> r = ParsePresignedQuery("key=v&" + kS3Query);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->fields.access_key_id, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(r->fields.service, "s3");
  EXPECT_EQ(r->fields.signed_headers, std::vector<std::string>{"host"});
  EXPECT_EQ(r->amz_date, "20130524T000000Z");
  EXPECT_EQ(r->expires, 86400);
  EXPECT_FALSE(r->security_token.has_value());
  EXPECT_EQ(FormatPresignedQuery(*r), kS3Query);
}

TEST(PresignedQueryTest, DecodesTheSecurityToken) {
  Result<PresignedFields> r = ParsePresignedQuery(kS3Query + "&X-Amz-Security-Token=a%2Fb%2Bc%3D");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->security_token, "a/b+c=");
  EXPECT_EQ(*ParsePresignedQuery(FormatPresignedQuery(*r)), *r);
}

TEST(PresignedQueryTest, SaysWhatIsWrong) {
  EXPECT_EQ(ParsePresignedQuery("").status().message(),
            "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string "
            "parameters must include 'X-Amz-Credential'. AWS query-string parameters must include "
            "'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
            "AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string "
            "parameters.");
  auto replace = [](std::string_view param, std::string_view value) {
    std::string q = kS3Query;
    const size_t at = q.find(std::string(param) + "=") + param.size() + 1;
    const size_t end = q.find('&', at);
    q.replace(at, (end == std::string::npos ? q.size() : end) - at, value);
    return q;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {kS3Query + "&X-Amz-Date=20130524T000000Z", "'X-Amz-Date' appears more than once"},
      {replace("X-Amz-Algorithm", "AWS4-HMAC-SHA1"), "only supports 'AWS4-HMAC-SHA256'"},
      {replace("X-Amz-Expires", "1h"), "X-Amz-Expires should be a number, not '1h'"},
      {replace("X-Amz-Expires", ""), "X-Amz-Expires should be a number"},
      {replace("X-Amz-Expires", "604801"), "must be less than a week"},
      {replace("X-Amz-Expires", "99999999999999999999999"), "must be less than a week"},
      {replace("X-Amz-Date", "2013-05-24T00:00:00Z"), "ISO-8601 'basic format'"},
      {replace("X-Amz-Credential", "AK%2F20130524%2Fus-east-1%2Fs3"), "5 slash-separated parts"},
      {replace("X-Amz-SignedHeaders", "Host"), "not a lowercase HTTP header name"},
      {replace("X-Amz-Signature", "zz"), "64 lowercase hexadecimal"},
  };
  for (const auto& [query, expected] : cases) {
    Result<PresignedFields> r = ParsePresignedQuery(query);
    ASSERT_FALSE(r.ok()) << query;
    EXPECT_NE(r.status().message().find(expected), std::string::npos)
        << query << "\n error: " << r.status().message();
  }
  EXPECT_EQ(ParsePresignedQuery(replace("X-Amz-Expires", "604800"))->expires, 604800);
  EXPECT_EQ(ParsePresignedQuery(replace("X-Amz-Expires", "0060"))->expires, 60);
}

}  // namespace
}  // namespace osprey::auth
