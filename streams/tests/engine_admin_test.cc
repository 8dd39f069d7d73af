// StreamEngine monitoring and encryption: settings persist across reopen,
// records put before, during and after encryption read back intact, and
// sealed records leave no plaintext in the segment files.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine_test_util.h"

namespace osprey::streams::testing {
namespace {

class EngineAdminTest : public EngineTest {
 protected:
  // True when any segment file under the root contains `needle`.
  bool OnDisk(const std::string& needle) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
      if (e.path().extension() != ".log") continue;
      std::ifstream f(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      if (ss.str().find(needle) != std::string::npos) return true;
    }
    return false;
  }
};

TEST_F(EngineAdminTest, MonitoringAllExpandsAndPersists) {
  Create("s", 1);
  auto on = engine_->EnableMonitoring("s", {"IncomingBytes"});
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_TRUE(on->current.empty());
  EXPECT_EQ(on->desired, std::vector<std::string>{"IncomingBytes"});
  auto all = engine_->EnableMonitoring("s", {"ALL"});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->desired.size(), 7u);
  auto off = engine_->DisableMonitoring("s", {"IncomingBytes", "IteratorAgeMilliseconds"});
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->current.size(), 7u);
  EXPECT_EQ(off->desired.size(), 5u);
  Reopen();
  auto d = engine_->DescribeStream("s");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->shard_level_metrics, off->desired);
  EXPECT_EQ(ErrorOf(engine_->EnableMonitoring("s", {"Bogus"}).status()), StreamError::kInvalidArgument);
  EXPECT_EQ(ErrorOf(engine_->EnableMonitoring("nope", {"ALL"}).status()), StreamError::kResourceNotFound);
}

TEST_F(EngineAdminTest, EncryptedRecordsRoundTripAndStayOffDisk) {
  Create("s", 1);
  Put("s", "k", "PLAIN-BEFORE-MARKER");
  ASSERT_OK(engine_->StartEncryption("s", "alias/aws/kinesis"));
  struct stat st{};
  ASSERT_EQ(::stat((dir_.path() + "/master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Put("s", "k", "SECRET-DURING-MARKER");
  ASSERT_OK(engine_->StartEncryption("s", "alias/other"));  // key change
  Put("s", "k", "SECRET-OTHER-MARKER");
  auto d = engine_->DescribeStream("s");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kms_key_id, "alias/other");
  ASSERT_OK(engine_->StopEncryption("s", "alias/other"));
  Put("s", "k", "PLAIN-AFTER-MARKER");
  EXPECT_FALSE(engine_->DescribeStream("s")->kms_key_id.has_value());

  Reopen();  // from disk, not the tail cache
  auto all = ReadAll("s", "shardId-000000000000");
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].data, "PLAIN-BEFORE-MARKER");
  EXPECT_EQ(all[1].data, "SECRET-DURING-MARKER");
  EXPECT_EQ(all[2].data, "SECRET-OTHER-MARKER");
  EXPECT_EQ(all[3].data, "PLAIN-AFTER-MARKER");
  EXPECT_TRUE(OnDisk("PLAIN-BEFORE-MARKER"));
  EXPECT_FALSE(OnDisk("SECRET-DURING-MARKER"));
  EXPECT_FALSE(OnDisk("SECRET-OTHER-MARKER"));
  EXPECT_TRUE(OnDisk("PLAIN-AFTER-MARKER"));
}

TEST_F(EngineAdminTest, EncryptionNeedsActiveAndKeyId) {
  options_.update_delay_ms = 500;
  Reopen();
  Create("s", 1);
  EXPECT_EQ(ErrorOf(engine_->StartEncryption("s", "")), StreamError::kInvalidArgument);
  ASSERT_OK(engine_->StartEncryption("s", "k"));
  EXPECT_EQ(engine_->DescribeStream("s")->status, StreamStatus::kUpdating);
  EXPECT_EQ(ErrorOf(engine_->StartEncryption("s", "k")), StreamError::kResourceInUse);
  Put("s", "k", "while-updating");  // writes keep working while UPDATING
  clock_.Advance(500);
  EXPECT_EQ(engine_->DescribeStream("s")->status, StreamStatus::kActive);
  EXPECT_EQ(ErrorOf(engine_->StartEncryption("nope", "k")), StreamError::kResourceNotFound);
}

TEST_F(EngineAdminTest, EncryptionChangesAreLimitedPerDay) {
  options_.max_encryption_changes_per_day = 3;
  Reopen();
  Create("s", 1);
  ASSERT_OK(engine_->StartEncryption("s", "k"));
  ASSERT_OK(engine_->StopEncryption("s", "k"));
  ASSERT_OK(engine_->StartEncryption("s", "k"));
  Reopen();  // the count is persisted
  EXPECT_EQ(ErrorOf(engine_->StopEncryption("s", "k")), StreamError::kLimitExceeded);
  clock_.Advance(24 * 3600 * 1000);
  ASSERT_OK(engine_->StopEncryption("s", "k"));
}

TEST_F(EngineAdminTest, MissingMasterKeyIsAReadError) {
  Create("s", 1);
  ASSERT_OK(engine_->StartEncryption("s", "k"));
  Put("s", "k", "secret");
  ASSERT_OK(engine_->Close());
  engine_.reset();
  std::filesystem::remove(dir_.path() + "/master.key");
  Reopen();
  auto it = engine_->GetShardIterator("s", "shardId-000000000000", {IteratorType::kTrimHorizon, {}, {}});
  ASSERT_TRUE(it.ok());
  auto read = engine_->GetRecords(*it, 10);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(ErrorOf(read.status()), StreamError::kInternalFailure);
  // Puts fail too, rather than seal under a fresh key that would orphan
  // the records sealed before.
  auto put = engine_->PutRecords("s", {MakeInput("k", "more")});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(ErrorOf(put.status()), StreamError::kInternalFailure);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/master.key"));
}

}  // namespace
}  // namespace osprey::streams::testing
