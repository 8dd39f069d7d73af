// Delivery of a backlog (issue 7, delivery throughput): a buffer is cut as
// soon as the log holds SizeInMBs, within one step, whatever the record
// size; several full batches are cut and compressed at once, and are still
// delivered and checkpointed in log order. Workers are off and the clock is
// manual, so "within one step" is exact.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "osprey/firehose/compression.h"
#include "osprey/firehose/engine.h"
#include "test_util.h"

namespace osprey::firehose {
namespace {

using testing::DestSpec;

class BacklogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("backlog");
    ASSERT_FALSE(dir_.empty());
    FirehoseOptions o = testing::ManualOptions(dir_, clock_);
    auto e = FirehoseEngine::Open(std::move(o));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
  }
  void TearDown() override {
    if (engine_) (void)engine_->Close();
    std::filesystem::remove_all(dir_);
  }
  void Create(const std::string& compression) {
    DestSpec spec;
    spec.size_mb = 1;
    spec.interval_s = 900;  // never due by time in these tests
    spec.compression = compression;
    ASSERT_TRUE(engine_->Create(testing::S3Create("s", spec)).ok());
  }
  // Object bodies, decompressed when `gzip`.
  std::vector<std::string> Bodies(bool gzip) {
    std::vector<std::string> out;
    for (auto& [key, body] : testing::ReadTree(dir_ + "/s3/bucket")) {
      if (!gzip) {
        out.push_back(body);
        continue;
      }
      auto plain = Decompress(Compression::kGzip, body);
      EXPECT_TRUE(plain.ok()) << key;
      out.push_back(plain.ok() ? *plain : "");
    }
    return out;
  }

  std::string dir_;
  testing::ManualClock clock_;
  std::unique_ptr<FirehoseEngine> engine_;
};

constexpr size_t kMiB = 1 << 20;

// 300 KiB records: three fit in 1 MiB, the fourth straddles the size and
// completes the buffer in the same step (it used to wait for the next poll).
TEST_F(BacklogTest, StraddlingRecordCompletesTheBufferInOneStep) {
  Create("UNCOMPRESSED");
  std::vector<std::string> records;
  for (char c = 'a'; c < 'h'; ++c) records.push_back(std::string(300 * 1024, c));
  ASSERT_TRUE(testing::PutSync(engine_.get(), "s", records).ok());
  engine_->TEST_RunDeliveryOnce();
  auto bodies = Bodies(false);
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0], records[0] + records[1] + records[2] + records[3]);
  // e, f, g (900 KiB) stay buffered: not full, interval not reached.
  engine_->TEST_RunDeliveryOnce();
  EXPECT_EQ(Bodies(false).size(), 1u);
  EXPECT_EQ(engine_->TEST_Stats("s")->checkpoint, 5u);
}

// 50-byte records: one log read stops at 10 000 records (500 KB); the
// buffer must still reach 1 MiB within the step.
TEST_F(BacklogTest, SmallRecordsFillTheBufferInOneStep) {
  Create("UNCOMPRESSED");
  for (int put = 0; put < 3; ++put) {
    std::vector<std::string> records;
    for (int i = 0; i < 10'000; ++i) {
      char line[64];
      std::snprintf(line, sizeof line, "%06d-%-42s\n", put * 10'000 + i, "small");
      records.emplace_back(line);
      ASSERT_EQ(records.back().size(), 50u);
    }
    ASSERT_TRUE(testing::PutSync(engine_.get(), "s", std::move(records)).ok());
  }
  engine_->TEST_RunDeliveryOnce();
  auto bodies = Bodies(false);
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_GE(bodies[0].size(), kMiB);
  EXPECT_LT(bodies[0].size(), kMiB + 50);
  EXPECT_EQ(bodies[0].substr(0, 7), "000000-");
  EXPECT_EQ(engine_->TEST_Stats("s")->checkpoint, 1 + bodies[0].size() / 50);
}

// 10 MiB of 64 KiB GZIP records: every step delivers at least one full
// batch (several when the machine has cores to compress them in parallel),
// what is delivered is always a prefix of the log, each object holds 16
// consecutive records, and the checkpoint follows the objects.
TEST_F(BacklogTest, BacklogIsDeliveredInLogOrderWithoutWaiting) {
  Create("GZIP");
  constexpr int kRecords = 160;
  std::vector<std::string> records;
  for (int i = 0; i < kRecords; ++i) {
    char head[16];
    std::snprintf(head, sizeof head, "%05d ", i);
    std::string r = head;
    // Varied, compressible text so that compression does real work.
    while (r.size() < 64 * 1024 - 1) r += "frame " + std::to_string(i * 7919 + r.size()) + ' ';
    r.resize(64 * 1024 - 1);
    r += '\n';
    records.push_back(std::move(r));
  }
  ASSERT_TRUE(testing::PutSync(engine_.get(), "s", records).ok());
  size_t steps = 0;
  size_t delivered_objects = 0;
  while (delivered_objects < 10 && steps < 10) {
    engine_->TEST_RunDeliveryOnce();
    ++steps;
    auto bodies = Bodies(true);
    ASSERT_GT(bodies.size(), delivered_objects) << "step " << steps << " delivered nothing";
    delivered_objects = bodies.size();
    std::set<int> seen;
    for (const std::string& body : bodies) {
      ASSERT_EQ(body.size(), 16u * 64 * 1024);
      int first = std::stoi(body.substr(0, 5));
      EXPECT_EQ(first % 16, 0);
      for (int k = 0; k < 16; ++k) {
        EXPECT_EQ(body.substr(static_cast<size_t>(k) * 64 * 1024, 64 * 1024),
                  records[static_cast<size_t>(first + k)]);
        EXPECT_TRUE(seen.insert(first + k).second) << "record " << first + k << " twice";
      }
    }
    // A prefix of the log, and the checkpoint right after it.
    ASSERT_EQ(seen.size(), delivered_objects * 16);
    EXPECT_EQ(*seen.rbegin(), static_cast<int>(seen.size()) - 1);
    EXPECT_EQ(engine_->TEST_Stats("s")->checkpoint, 1 + seen.size());
  }
  EXPECT_EQ(delivered_objects, 10u);
  EXPECT_EQ(engine_->TEST_Stats("s")->objects_written, 10u);
}

}  // namespace
}  // namespace osprey::firehose
