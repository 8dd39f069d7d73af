// The S3-compatible ObjectStore against s3rver (npm; deploy/install-deps.sh
// installs it). Skipped when s3rver is not installed: set OSPREY_S3RVER to
// its binary, or install it under /opt/osprey/node.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "http_client.h"
#include "osprey/firehose/object_store.h"
#include "test_util.h"

namespace osprey::firehose {
namespace {

std::string S3rverBinary() {
  if (const char* env = std::getenv("OSPREY_S3RVER"); env != nullptr && *env) return env;
  for (const char* p : {"/opt/osprey/node/node_modules/.bin/s3rver", "/usr/local/bin/s3rver"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "";
}

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string bin = S3rverBinary();
    if (bin.empty()) GTEST_SKIP() << "s3rver not installed (deploy/install-deps.sh)";
    dir_ = testing::MakeTempDir("s3rver");
    port_ = 20000 + static_cast<int>(::getpid() % 20000);
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string port = std::to_string(port_);
      ::execl(bin.c_str(), bin.c_str(), "-d", dir_.c_str(), "-a", "127.0.0.1", "-p", port.c_str(),
              "--silent", "--configure-bucket", "fh-bucket", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    endpoint_ = "http://127.0.0.1:" + std::to_string(port_);
    for (int i = 0; i < 200; ++i) {
      auto r = HttpCall("GET", endpoint_ + "/", {}, "", 1000);
      if (r.ok()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "s3rver did not start";
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<ObjectStore> Store(std::string access_key = "S3RVER") {
    S3StoreOptions o;
    o.endpoint = endpoint_;
    o.access_key_id = std::move(access_key);
    o.secret_access_key = "S3RVER";
    o.multipart_threshold = 6u << 20;
    o.part_size = 5u << 20;
    return OpenS3Store(o);
  }
  std::string Get(const std::string& key) {
    auto r = HttpCall("GET", endpoint_ + "/fh-bucket/" + key, {}, "", 10000);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200) << r->body;
    return r->body;
  }

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string endpoint_;
};

TEST_F(S3StoreTest, PutObjectSigned) {
  auto store = Store();
  ASSERT_TRUE(store->Put("fh-bucket", "meta/dt=2024-05-01/a b.gz", "hello").ok());
  EXPECT_EQ(Get("meta/dt%3D2024-05-01/a%20b.gz"), "hello");
}

TEST_F(S3StoreTest, MultipartAboveThreshold) {
  std::string big(12u << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  ASSERT_TRUE(Store()->Put("fh-bucket", "big/object", big).ok());
  EXPECT_EQ(Get("big/object"), big);
}

TEST_F(S3StoreTest, ErrorsMapToStatus) {
  EXPECT_EQ(Store()->Put("no-such-bucket", "k", "x").code(), Status::Code::kNotFound);
  // s3rver checks the access key but not SigV4 signatures (its V4 check is
  // unimplemented), so a wrong secret cannot be tested here.
  EXPECT_EQ(Store("UNKNOWN")->Put("fh-bucket", "k", "x").code(), Status::Code::kPermissionDenied);
}

TEST_F(S3StoreTest, EngineDeliversToS3) {
  std::string root = testing::MakeTempDir("s3engine");
  testing::ManualClock clock;
  FirehoseOptions o;
  o.root_dir = root + "/firehose";
  o.object_store = std::shared_ptr<ObjectStore>(Store());
  o.clock = clock.Fn();
  o.create_delay_ms = 0;
  o.start_workers = false;
  auto engine = FirehoseEngine::Open(o);
  ASSERT_TRUE(engine.ok());
  testing::DestSpec spec;
  spec.bucket = "fh-bucket";
  spec.prefix = "e2e/";
  spec.interval_s = 0;
  ASSERT_TRUE((*engine)->Create(testing::S3Create("s", spec)).ok());
  ASSERT_TRUE(testing::PutSync(engine->get(), "s", {"x\n", "y\n"}).ok());
  (*engine)->TEST_RunDeliveryOnce();
  EXPECT_EQ((*engine)->TEST_Stats("s")->objects_written, 1u);
  EXPECT_EQ((*engine)->TEST_Stats("s")->checkpoint, 3u);
  ASSERT_TRUE((*engine)->Close().ok());
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace osprey::firehose
