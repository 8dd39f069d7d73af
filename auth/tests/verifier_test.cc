#include "osprey/auth/verifier.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace osprey::auth {
namespace {

using namespace std::chrono;

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const system_clock::time_point kT = sys_days{year{2015} / 8 / 30} + hours(12) + minutes(36);
constexpr std::string_view kSuiteAuthorization =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
    "SignedHeaders=host;x-amz-date, "
    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

// A request that owns its strings; view() hands the verifier a RequestView.
struct Request {
  std::string method = "POST";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers = {};

  RequestView view() {
    fields.clear();
    for (const auto& [n, v] : headers) fields.push_back({n, v});
    return {method, target, fields};
  }
  std::vector<HeaderField> fields = {};
};

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest()
      : store_(CredentialStore::FromKeys({{"AKIDEXAMPLE", std::string(kSecret)},
                                          {"OSPR3K7Q9Z2M4X8C1V6B", "other/secret"}})
                   .value()) {}

  VerifyResult Verify(Request& r, std::string_view body_hash = kEmptyPayloadSha256,
                      std::string_view service = "service", VerifierOptions options = {}) {
    if (!options.clock) options.clock = [this] { return now_; };
    return Verifier(&store_, std::move(options)).Verify(r.view(), body_hash, service);
  }

  // Signs `r` in place with our signer at time `at` for `service`.
  void Sign(Request& r, std::string_view payload_hash = kEmptyPayloadSha256,
            system_clock::time_point at = kT, std::string service = "service") {
    Result<SignedRequest> s = SignRequest(r.view(), payload_hash,
                                          {"AKIDEXAMPLE", std::string(kSecret), ""},
                                          {"us-east-1", std::move(service), at});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    for (auto& h : s->headers_to_add) r.headers.push_back(h);
  }

  void Presign(Request& r, seconds expires, std::string payload_hash,
               std::string token = "") {
    PresignOptions options;
    options.region = "us-east-1";
    options.service = "service";
    options.time = kT;
    options.expires = expires;
    options.payload_hash = std::move(payload_hash);
    Result<PresignedQuery> p =
        PresignRequest(r.view(), {"AKIDEXAMPLE", std::string(kSecret), std::move(token)}, options);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    r.target += (r.target.find('?') == std::string::npos ? "?" : "&") + p->query;
  }

  static void ExpectFailure(const VerifyResult& result, std::string_view exception,
                            std::string_view message) {
    ASSERT_FALSE(result.ok()) << "verified, expected " << exception;
    EXPECT_EQ(result.failure().exception_name(), exception) << result.failure().message;
    EXPECT_EQ(result.failure().message, message);
    EXPECT_EQ(result.failure().http_status(), 403);
  }

  CredentialStore store_;
  system_clock::time_point now_ = kT;
};

Request SuiteGetVanilla() {
  return {"GET", "/", {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"},
                       {"Authorization", std::string(kSuiteAuthorization)}}};
}

TEST_F(VerifierTest, AcceptsTheSuiteRequestSignedByAws) {
  Request r = SuiteGetVanilla();
  VerifyResult result = Verify(r);
  ASSERT_TRUE(result.ok()) << result.failure().message << "\n" << result.failure().detail;
  EXPECT_EQ(result.identity().access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(result.identity().region, "us-east-1");
  EXPECT_EQ(result.identity().service, "service");
  EXPECT_EQ(result.identity().date, "20150830");
  EXPECT_EQ(result.identity().amz_date, "20150830T123600Z");
  EXPECT_FALSE(result.identity().presigned);
  EXPECT_TRUE(Verify(r, kEmptyPayloadSha256, "").ok());  // no expected service: any
}

TEST_F(VerifierTest, HeaderNamesInAnyCase) {
  Request r = {"GET", "/", {{"HOST", "example.amazonaws.com"}, {"x-AMZ-date", "20150830T123600Z"},
                            {"authorization", std::string(kSuiteAuthorization)}}};
  EXPECT_TRUE(Verify(r).ok());
}

TEST_F(VerifierTest, AcceptsTheSuitePresignedRequest) {
  // aws-c-auth get-vanilla-query-order-key-case, query form (no X-Amz-Expires,
  // so the usual skew window applies; the unsigned X-Amz-Date header is ignored).
  Request r = {"GET",
               "/?Param2=value2&Param1=value1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
               "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date="
               "20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature="
               "99fe619ddc7883a0738f7e90dc36a30badef2b551412ad283fd7338128bc73ac",
               {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}}};
  VerifyResult result = Verify(r);
  ASSERT_TRUE(result.ok()) << result.failure().message;
  EXPECT_TRUE(result.identity().presigned);
  now_ = kT + minutes(5) + seconds(1);
  EXPECT_FALSE(Verify(r).ok());
}

TEST_F(VerifierTest, PresignedWithUnsignedPayloadOrBodyHash) {
  for (std::string payload : {std::string(kUnsignedPayload), std::string(kEmptyPayloadSha256)}) {
    Request r = {"GET", "/getHLSMasterPlaylist.m3u8?SessionToken=x", {{"Host", "osprey:9470"}}};
    Presign(r, seconds(300), payload, "session/token+1");
    VerifyResult result = Verify(r);
    EXPECT_TRUE(result.ok()) << payload << ": " << result.failure().message;
  }
  Request tampered = {"GET", "/getHLSMasterPlaylist.m3u8?SessionToken=x", {{"Host", "osprey:9470"}}};
  Presign(tampered, seconds(300), std::string(kUnsignedPayload));
  tampered.target.replace(tampered.target.find("SessionToken=x"), 14, "SessionToken=y");
  ExpectFailure(Verify(tampered), "InvalidSignatureException", kMismatch);
}

TEST_F(VerifierTest, PresignedExpiry) {
  Request r = {"GET", "/x", {{"Host", "osprey"}}};
  Presign(r, seconds(60), std::string(kUnsignedPayload));
  now_ = kT + seconds(60);
  EXPECT_TRUE(Verify(r).ok());
  now_ = kT + seconds(61);
  ExpectFailure(Verify(r), "AccessDeniedException", "Request has expired");
  now_ = kT - minutes(5);
  EXPECT_TRUE(Verify(r).ok());
  now_ = kT - minutes(5) - seconds(1);
  ExpectFailure(Verify(r), "InvalidSignatureException",
                "Signature not yet current: 20150830T123600Z is still later than "
                "20150830T123559Z (20150830T123059Z + 5 min.)");

  Request hour = {"GET", "/x", {{"Host", "osprey"}}};
  Presign(hour, seconds(3600), std::string(kUnsignedPayload));
  now_ = kT + minutes(59);  // far outside the skew window, inside X-Amz-Expires
  EXPECT_TRUE(Verify(hour).ok());
}

TEST_F(VerifierTest, SkewBoundaries) {
  Request r = SuiteGetVanilla();
  now_ = kT + minutes(5);
  EXPECT_TRUE(Verify(r).ok());
  now_ = kT + minutes(5) + seconds(1);
  ExpectFailure(Verify(r), "InvalidSignatureException",
                "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
                "(20150830T124101Z - 5 min.)");
  now_ = kT - minutes(5);
  EXPECT_TRUE(Verify(r).ok());
  now_ = kT - minutes(5) - seconds(1);
  ExpectFailure(Verify(r), "InvalidSignatureException",
                "Signature not yet current: 20150830T123600Z is still later than "
                "20150830T123559Z (20150830T123059Z + 5 min.)");
  now_ = kT + minutes(14);
  VerifierOptions wide;
  wide.allowed_skew = minutes(15);
  EXPECT_TRUE(Verify(r, kEmptyPayloadSha256, "service", wide).ok());
}

TEST_F(VerifierTest, MissingAuthentication) {
  Request r = {"GET", "/?Action=ListStreams", {{"Host", "osprey"}}};
  ExpectFailure(Verify(r), "MissingAuthenticationTokenException", "Missing Authentication Token");
  EXPECT_EQ(Verify(r).failure().ToStatus().code(), Status::Code::kPermissionDenied);
}

TEST_F(VerifierTest, IncompleteSignatures) {
  Request no_parts = {"POST", "/", {{"Host", "osprey"}, {"Authorization",
                                                         "AWS4-HMAC-SHA256 SignedHeaders=host"}}};
  ExpectFailure(Verify(no_parts), "IncompleteSignatureException",
                "Authorization header requires 'Credential' parameter. Authorization header "
                "requires 'Signature' parameter. Authorization header requires existence of "
                "either a 'X-Amz-Date' or a 'Date' header.");
  Request no_date = SuiteGetVanilla();
  no_date.headers.erase(no_date.headers.begin() + 1);
  ExpectFailure(Verify(no_date), "IncompleteSignatureException",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                "header.");
  Request bad_date = SuiteGetVanilla();
  bad_date.headers[1].second = "2015-08-30T12:36:00Z";
  ExpectFailure(Verify(bad_date), "IncompleteSignatureException",
                "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See "
                "http://en.wikipedia.org/wiki/ISO_8601");
  Request two = SuiteGetVanilla();
  two.headers.push_back(two.headers[2]);
  EXPECT_EQ(Verify(two).failure().exception_name(), "IncompleteSignatureException");
  Request query = {"GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z",
                   {{"Host", "osprey"}}};
  ExpectFailure(Verify(query), "IncompleteSignatureException",
                "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string "
                "parameters must include 'X-Amz-Signature'. AWS query-string parameters must "
                "include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.");
}

TEST_F(VerifierTest, BothFormsAtOnce) {
  Request r = SuiteGetVanilla();
  r.target = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256";
  ExpectFailure(Verify(r), "InvalidSignatureException",
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as "
                "HTTP header.");
}

TEST_F(VerifierTest, UnknownKey) {
  Request r = SuiteGetVanilla();
  r.headers[2].second.replace(r.headers[2].second.find("AKIDEXAMPLE"), 11, "AKIDUNKNOWN");
  ExpectFailure(Verify(r), "UnrecognizedClientException",
                "The security token included in the request is invalid.");
}

TEST_F(VerifierTest, ScopeChecks) {
  Request r = SuiteGetVanilla();
  ExpectFailure(Verify(r, kEmptyPayloadSha256, "kinesis"), "InvalidSignatureException",
                "Credential should be scoped to correct service: 'kinesis'. ");
  VerifierOptions regions;
  regions.allowed_regions = {"eu-west-1"};
  ExpectFailure(Verify(r, kEmptyPayloadSha256, "service", regions), "InvalidSignatureException",
                "Credential should be scoped to a valid region, not 'us-east-1'. ");
  regions.allowed_regions = {"eu-west-1", "us-east-1"};
  EXPECT_TRUE(Verify(r, kEmptyPayloadSha256, "service", regions).ok());

  Request other_day = SuiteGetVanilla();
  other_day.headers[2].second.replace(other_day.headers[2].second.find("20150830"), 8, "20150831");
  ExpectFailure(Verify(other_day), "InvalidSignatureException",
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                "from HTTP: '20150831' != '20150830', from '20150830T123600Z'.");

  Request no_host = SuiteGetVanilla();
  no_host.headers[2].second.replace(no_host.headers[2].second.find("host;"), 5, "");
  ExpectFailure(Verify(no_host), "InvalidSignatureException",
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST_F(VerifierTest, SignatureMismatch) {
  Request r = SuiteGetVanilla();
  r.headers[0].second = "evil.example.com";
  VerifyResult result = Verify(r);
  ExpectFailure(result, "InvalidSignatureException", kMismatch);
  EXPECT_NE(result.failure().detail.find("host:evil.example.com"), std::string::npos);

  Request body = {"POST", "/", {{"Host", "osprey"}}};
  Sign(body, Sha256Hex("{\"StreamName\":\"a\"}"));
  EXPECT_TRUE(Verify(body, Sha256Hex("{\"StreamName\":\"a\"}")).ok());
  ExpectFailure(Verify(body, Sha256Hex("{\"StreamName\":\"b\"}")), "InvalidSignatureException",
                kMismatch);
  // The header form never falls back to UNSIGNED-PAYLOAD.
  Request unsigned_body = {"POST", "/", {{"Host", "osprey"}}};
  Sign(unsigned_body, kUnsignedPayload);
  EXPECT_FALSE(Verify(unsigned_body, Sha256Hex("x")).ok());
}

TEST_F(VerifierTest, RepeatedHeadersAreSignedInOrder) {
  Request r = {"POST", "/", {{"Host", "osprey"}, {"X-Tag", "a"}, {"x-tag", "b  c"}}};
  Sign(r);
  EXPECT_TRUE(Verify(r).ok());
  std::swap(r.headers[1].second, r.headers[2].second);
  ExpectFailure(Verify(r), "InvalidSignatureException", kMismatch);
}

TEST_F(VerifierTest, ContentSha256MustDescribeTheBody) {
  const std::string body_hash = Sha256Hex("{}");
  Request r = {"POST", "/", {{"Host", "osprey"}, {"X-Amz-Content-Sha256", body_hash}}};
  Sign(r, body_hash);
  EXPECT_TRUE(Verify(r, body_hash).ok());
  ExpectFailure(Verify(r, Sha256Hex("{\"a\":1}")), "InvalidSignatureException",
                "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

TEST_F(VerifierTest, PutMediaIsSignedWithTheEmptyHash) {
  // The KVS producer signs PutMedia over the empty string and streams the
  // MKV body; the caller passes the empty hash instead of hashing it.
  Request r = {"POST", "/putMedia", {{"Host", "127.0.0.1"}, {"user-agent", "AWS-SDK-KVS"},
                                     {"x-amzn-stream-name", "front-door"},
                                     {"transfer-encoding", "chunked"}}};
  Sign(r, kEmptyPayloadSha256, kT, "kinesisvideo");
  EXPECT_TRUE(Verify(r, kEmptyPayloadSha256, "kinesisvideo").ok());
}

TEST_F(VerifierTest, DateHeaderInsteadOfXAmzDate) {
  // Signed by hand: SigV4 allows Date, and the string to sign then carries
  // it in ISO 8601 basic form.
  Request r = {"GET", "/", {{"Host", "example.amazonaws.com"},
                            {"Date", "Sun, 30 Aug 2015 12:36:00 GMT"}}};
  const std::vector<std::string> signed_headers = {"date", "host"};
  const std::string canonical =
      CanonicalRequest(r.view(), signed_headers, kEmptyPayloadSha256, AuthLocation::kHeader);
  const std::string sts = StringToSign(
      "20150830T123600Z", CredentialScope("20150830", "us-east-1", "service"), canonical);
  const std::string signature =
      SignatureHex(SigningKey(kSecret, "20150830", "us-east-1", "service"), sts);
  r.headers.push_back({"Authorization",
                       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                       "aws4_request, SignedHeaders=date;host, Signature=" + signature});
  VerifyResult result = Verify(r);
  ASSERT_TRUE(result.ok()) << result.failure().message;
  EXPECT_EQ(result.identity().amz_date, "20150830T123600Z");
  r.headers[1].second = "Sun, 30 Aug 2015 12:36:00 -0000";  // email.utils.formatdate style
  EXPECT_FALSE(Verify(r).ok());  // the canonical header changed, so the signature does
}

TEST_F(VerifierTest, RealClockByDefault) {
  Request r = {"POST", "/", {{"Host", "osprey"}}};
  Sign(r, kEmptyPayloadSha256, system_clock::now());
  EXPECT_TRUE(Verifier(&store_).Verify(r.view(), kEmptyPayloadSha256, "service").ok());
}

}  // namespace
}  // namespace osprey::auth

namespace osprey::auth {
namespace {

// The AWS SDK for JavaScript v3 over HTTP/2 signs the ":authority"
// pseudo-header instead of "host" (observed with @aws-sdk/client-kinesis
// 3.1142). The HTTP/2 layer presents it under that name; it must verify.
TEST_F(VerifierTest, AcceptsSignedAuthorityPseudoHeader) {
  Request r{"POST", "/", {{":authority", "127.0.0.1:9470"}, {"host", "127.0.0.1:9470"},
                          {"x-amz-date", "20150830T123600Z"}}};
  std::vector<std::string> signed_headers = {":authority", "x-amz-date"};
  std::string canonical = CanonicalRequest(r.view(), signed_headers, kEmptyPayloadSha256,
                                           AuthLocation::kHeader);
  std::string scope = CredentialScope("20150830", "us-east-1", "service");
  std::string signature = SignatureHex(SigningKey(kSecret, "20150830", "us-east-1", "service"),
                                       StringToSign("20150830T123600Z", scope, canonical));
  r.headers.push_back({"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/" + scope +
                                            ", SignedHeaders=:authority;x-amz-date, Signature=" +
                                            signature});
  VerifyResult ok = Verify(r);
  ASSERT_TRUE(ok.ok()) << ok.failure().message;
  // Without the pseudo-header (an HTTP/1.1 request) the same signature fails.
  r.headers.erase(r.headers.begin());
  EXPECT_FALSE(Verify(r).ok());
}

}  // namespace
}  // namespace osprey::auth
