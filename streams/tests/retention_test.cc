#include <gtest/gtest.h>

#include "osprey/streams/file_shard_log.h"
#include "test_util.h"

namespace osprey::streams {
namespace {

using testing::Numbered;

constexpr int64_t kHour = 3600 * 1000;

TEST(Retention, DeletesOnlyWholeOldSegmentsAndHidesExpiredRecords) {
  testing::TempDir dir;
  testing::ManualClock clock(100 * kHour);
  LogOptions o;
  o.segment_bytes = 512;
  o.clock = clock.AsFn();
  auto log = std::move(OpenFileShardLog(dir.path(), o).value());
  // 40 records, one minute apart, 94 bytes each: 5 per segment.
  for (uint64_t i = 1; i <= 40; ++i) {
    ASSERT_TRUE(log->AppendAndWait({Numbered(i, 60)}).ok());
    clock.Advance(60 * 1000);
  }
  const size_t files_before = testing::SegmentFiles(dir.path()).size();
  ASSERT_GT(files_before, 5u);

  // Nothing is old enough yet.
  auto none = log->ApplyRetention(clock.Now(), 24 * kHour);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->segments_deleted, 0u);
  EXPECT_EQ(log->TrimHorizon(), 1u);

  // Expire records 1..10 (arrival 100h + (i-1) min): cutoff just after #10.
  const int64_t cutoff = 100 * kHour + 9 * 60 * 1000 + 1;
  auto r = log->ApplyRetention(cutoff + 24 * kHour, 24 * kHour);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->trim_horizon, 11u);
  EXPECT_EQ(log->TrimHorizon(), 11u);
  EXPECT_GT(r->segments_deleted, 0u);
  // Only segments whose newest record expired went: the first file left
  // must still start at or before the horizon.
  auto files = testing::SegmentFiles(dir.path());
  EXPECT_EQ(files.size(), files_before - r->segments_deleted);
  uint64_t first_base = std::stoull(files.front().stem().string());
  EXPECT_LE(first_base, 11u);
  EXPECT_GT(first_base, 1u);

  // Expired records are invisible even where their segment survives.
  auto read = log->Read(1, {});
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->records.size(), 30u);
  EXPECT_EQ(read->records.front().sequence_index, 11u);
  auto by_time = log->ReadFromTimestamp(0, {1, 1 << 20});
  ASSERT_TRUE(by_time.ok());
  EXPECT_EQ(by_time->records.at(0).sequence_index, 11u);

  // Everything expired: the active segment stays, nothing is visible.
  auto all = log->ApplyRetention(clock.Now() + 48 * kHour, 24 * kHour);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->trim_horizon, 41u);
  EXPECT_EQ(log->Latest(), 40u);
  EXPECT_GE(testing::SegmentFiles(dir.path()).size(), 1u);
  read = log->Read(1, {});
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->records.empty());
  EXPECT_EQ(read->next_index, 41u);

  // New appends continue the numbering and are visible.
  auto a = log->AppendAndWait({Numbered(41)});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first_index, 41u);
  read = log->Read(1, {});
  ASSERT_EQ(read->records.size(), 1u);
}

TEST(Retention, ReopenAfterDeletionKeepsNumbering) {
  testing::TempDir dir;
  testing::ManualClock clock(1000);
  LogOptions o;
  o.segment_bytes = 512;
  o.clock = clock.AsFn();
  {
    auto log = std::move(OpenFileShardLog(dir.path(), o).value());
    for (uint64_t i = 1; i <= 30; ++i) ASSERT_TRUE(log->AppendAndWait({Numbered(i, 50)}).ok());
    clock.Advance(10 * kHour);
    ASSERT_TRUE(log->ApplyRetention(clock.Now(), kHour).ok());
  }
  auto log = std::move(OpenFileShardLog(dir.path(), o).value());
  EXPECT_EQ(log->Latest(), 30u);
  EXPECT_GT(log->TrimHorizon(), 1u);  // the deleted segments stay deleted
  auto a = log->AppendAndWait({Numbered(31)});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first_index, 31u);
}

}  // namespace
}  // namespace osprey::streams
