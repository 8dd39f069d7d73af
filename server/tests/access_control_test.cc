// AccessControl (server/src/access): the AWS-worded refusal, what counts as
// a stream, capabilities, and the audit lines it writes.
#include "access/access_control.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "access/audit_log.h"

namespace osprey::server::access {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kKeys =
    "[[keys]]\naccess_key_id = \"ADMIN\"\nsecret_access_key = \"s\"\n"
    "[[keys]]\naccess_key_id = \"CAM\"\nsecret_access_key = \"s\"\n"
    "role = \"camera\"\nstreams = [\"front-door\"]\n"
    "[[keys]]\naccess_key_id = \"READER\"\nsecret_access_key = \"s\"\n"
    "[[keys.statement]]\neffect = \"Allow\"\naction = \"kinesis:GetRecords\"\n"
    "resource = \"cam-*\"\n";

class AccessControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "osprey-access-XXXXXX").string();
    dir_ = ::mkdtemp(templ.data());
    auto store = auth::CredentialStore::Parse(kKeys, "keys.toml");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::make_shared<const auth::CredentialStore>(std::move(store).value());
    auto audit = AuditLog::Open(dir_ + "/audit.log", 400);
    ASSERT_TRUE(audit.ok());
    audit_ = std::move(audit).value();
    AccessControl::Options options;
    options.credentials = [this] { return store_; };
    options.audit = audit_.get();
    access_ = std::make_unique<AccessControl>(std::move(options));
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Request As(std::string key) {
    Request r;
    r.access_key_id = std::move(key);
    r.remote = "192.0.2.7:40000";
    r.request_id = "req-1";
    return r;
  }

  std::string ReadAudit(std::string_view name = "audit.log") const {
    std::ifstream in(dir_ + "/" + std::string(name));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_;
  std::shared_ptr<const auth::CredentialStore> store_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<AccessControl> access_;
};

TEST_F(AccessControlTest, KeysWithoutPolicyAndAuthNoneMayDoEverything) {
  EXPECT_TRUE(access_->Authorize(As("ADMIN"), {"kinesisvideo", "DeleteStream", {"x"}}).ok());
  EXPECT_TRUE(access_->Authorize(As(""), {"kinesis", "DeleteStream", {"x"}}).ok());
  AccessControl none({});
  EXPECT_TRUE(none.Authorize(As("CAM"), {"kinesis", "DeleteStream", {"x"}}).ok());
}

TEST_F(AccessControlTest, RefusalIsWordedAsAws) {
  Status s = access_->Authorize(As("CAM"), {"kinesisvideo", "PutMedia", {"back-door"}});
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "User: CAM is not authorized to perform: kinesisvideo:PutMedia on resource: "
            "arn:aws:kinesisvideo:us-east-1:000000000000:stream/back-door because no "
            "identity-based policy allows the kinesisvideo:PutMedia action");
  EXPECT_TRUE(access_->Authorize(As("CAM"), {"kinesisvideo", "PutMedia", {"front-door"}}).ok());
  // An unknown key (removed by a reload mid-request) is refused.
  EXPECT_FALSE(access_->Authorize(As("GONE"), {"kinesisvideo", "PutMedia", {"front-door"}}).ok());
}

TEST_F(AccessControlTest, EveryNamedStreamMustBeAllowed) {
  const std::string arn = "arn:aws:kinesisvideo:us-east-1:000000000000:stream/back-door/1";
  Status s = access_->Authorize(As("CAM"), {"kinesisvideo", "PutMedia", {"front-door", arn}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("on resource: " + arn + " because"), std::string::npos);
  EXPECT_TRUE(access_
                  ->Authorize(As("CAM"), {"kinesisvideo",
                                          "DescribeStream",
                                          {"arn:aws:kinesisvideo:us-east-1:000000000000:stream/"
                                           "front-door/1795958273065"}})
                  .ok());
  // No stream named: the account, which only "*" covers.
  EXPECT_FALSE(access_->Authorize(As("CAM"), {"kinesisvideo", "DescribeStream", {}}).ok());
}

TEST_F(AccessControlTest, CapabilitiesCheckTheActionOnly) {
  EXPECT_TRUE(access_->Authorize(As("READER"), {"kinesis", "GetRecords", {}, true}).ok());
  EXPECT_FALSE(access_->Authorize(As("READER"), {"kinesis", "GetRecords", {}, false}).ok());
  EXPECT_FALSE(access_->Authorize(As("CAM"), {"kinesis", "GetRecords", {}, true}).ok());
}

TEST(StreamNameOfTest, Arns) {
  EXPECT_EQ(StreamNameOf("front-door"), "front-door");
  EXPECT_EQ(StreamNameOf("arn:aws:kinesisvideo:us-east-1:0:stream/front-door/17"), "front-door");
  EXPECT_EQ(StreamNameOf("arn:aws:kinesis:us-east-1:0:stream/events/consumer/c:1"), "events");
  EXPECT_EQ(StreamNameOf("arn:aws:firehose:us-east-1:0:deliverystream/logs"), "logs");
  EXPECT_EQ(StreamNameOf("arn:aws:kinesis:us-east-1"), "arn:aws:kinesis:us-east-1");
}

TEST_F(AccessControlTest, AuditsControlPlaneAnswersOnly) {
  EXPECT_TRUE(AccessControl::IsAudited("kinesisvideo", "DeleteStream"));
  EXPECT_TRUE(AccessControl::IsAudited("kinesis", "RegisterStreamConsumer"));
  EXPECT_TRUE(AccessControl::IsAudited("firehose", "UpdateDestination"));
  EXPECT_FALSE(AccessControl::IsAudited("kinesis", "PutRecord"));
  EXPECT_FALSE(AccessControl::IsAudited("kinesisvideo", "PutMedia"));
  EXPECT_FALSE(AccessControl::IsAudited("kinesis", "CreateStreamX"));

  Response sent;
  Responder respond = access_->Audited(As("CAM"), {"kinesisvideo", "DeleteStream", {"x"}},
                                       [&](Response r) { sent = std::move(r); });
  respond(ErrorResponse({403, "AccessDeniedException", "no"}));
  EXPECT_EQ(sent.status, 403);
  const std::string line = ReadAudit();
  EXPECT_NE(line.find("\"request_id\":\"req-1\",\"access_key_id\":\"CAM\",\"source\":"
                      "\"192.0.2.7\",\"action\":\"kinesisvideo:DeleteStream\",\"resource\":"
                      "\"arn:aws:kinesisvideo:us-east-1:000000000000:stream/x\",\"status\":403,"
                      "\"result\":\"error\",\"error\":\"AccessDeniedException\"}\n"),
            std::string::npos)
      << line;

  // A data-plane call goes straight through, unrecorded.
  access_->Audited(As("CAM"), {"kinesis", "PutRecord", {"x"}}, [](Response) {})(Response{});
  EXPECT_EQ(ReadAudit(), line);
}

TEST_F(AccessControlTest, AuditLogRotatesBySize) {
  // 400 bytes: the second line would pass it.
  for (int i = 0; i < 3; ++i) {
    access_->Audited(As("ADMIN"), {"kinesis", "CreateStream", {"s" + std::to_string(i)}},
                     [](Response) {})(Response{});
  }
  const std::string current = ReadAudit(), previous = ReadAudit("audit.log.1");
  EXPECT_NE(current.find("stream/s2"), std::string::npos) << current;
  EXPECT_NE(previous.find("stream/s1"), std::string::npos) << previous;
  EXPECT_EQ(previous.find("stream/s0"), std::string::npos);  // only one old file is kept
}

}  // namespace
}  // namespace osprey::server::access
