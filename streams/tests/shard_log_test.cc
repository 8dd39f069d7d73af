#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>
#include <vector>

#include "osprey/streams/file_shard_log.h"
#include "test_util.h"

namespace osprey::streams {
namespace {

using testing::MakeInput;
using testing::Numbered;
using testing::TempDir;

// Parameterised over the tail cache: on, every read may come from memory;
// off, every read goes to disk. Both must give identical answers.
class ShardLogTest : public ::testing::TestWithParam<bool> {
 protected:
  LogOptions Options() {
    LogOptions o;
    o.tail_cache_bytes = GetParam() ? (8u << 20) : 0;
    o.clock = clock_.AsFn();
    return o;
  }
  std::unique_ptr<ShardLog> Open(LogOptions o) {
    auto log = OpenFileShardLog(dir_.path(), o);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(log).value() : nullptr;
  }
  void AppendNumbered(ShardLog* log, uint64_t from, uint64_t to, size_t size = 16) {
    for (uint64_t i = from; i <= to; ++i) {
      auto r = log->AppendAndWait({Numbered(i, size)});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(r->first_index, i);
    }
  }
  TempDir dir_;
  testing::ManualClock clock_{1700000000000};
};

TEST_P(ShardLogTest, EmptyLogBounds) {
  auto log = Open(Options());
  EXPECT_EQ(log->Latest(), 0u);
  EXPECT_EQ(log->TrimHorizon(), 1u);
  auto r = log->Read(1, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->records.empty());
  EXPECT_EQ(r->next_index, 1u);
}

TEST_P(ShardLogTest, AppendReadRoundTrip) {
  auto log = Open(Options());
  auto a = log->AppendAndWait({MakeInput("a", "one"),
                               MakeInput("b", "two", "340282366920938463463374607431768211455"),
                               MakeInput("c", "")});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->first_index, 1u);
  EXPECT_EQ(a->last_index, 3u);
  EXPECT_EQ(a->arrival_ms, 1700000000000);
  EXPECT_EQ(log->Latest(), 3u);
  auto r = log->Read(0, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->records.size(), 3u);
  EXPECT_EQ(r->records[0].data, "one");
  EXPECT_EQ(r->records[1].partition_key, "b");
  EXPECT_EQ(r->records[1].explicit_hash_key, "340282366920938463463374607431768211455");
  EXPECT_FALSE(r->records[0].explicit_hash_key.has_value());
  EXPECT_EQ(r->records[2].data, "");
  EXPECT_EQ(r->records[2].sequence_index, 3u);
  EXPECT_EQ(r->next_index, 4u);
}

TEST_P(ShardLogTest, ReadFromMiddleAndLimits) {
  auto log = Open(Options());
  AppendNumbered(log.get(), 1, 100);
  auto r = log->Read(40, {5, 1 << 20});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 5u);
  EXPECT_EQ(r->records.front().sequence_index, 40u);
  EXPECT_EQ(r->next_index, 45u);
  EXPECT_EQ(r->records[2].data, Numbered(42).data);
  // Byte limit: each record is 16 data + 2 key bytes.
  r = log->Read(1, {1000, 18 * 3});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), 3u);
  // At least one record even when it exceeds max_bytes.
  r = log->Read(7, {1000, 1});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].sequence_index, 7u);
  // Past the end: nothing, next stays put.
  r = log->Read(101, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->records.empty());
  EXPECT_EQ(r->next_index, 101u);
}

TEST_P(ShardLogTest, ReadByTimestamp) {
  auto log = Open(Options());
  for (uint64_t i = 1; i <= 50; ++i) {
    clock_.Set(1000 * static_cast<int64_t>(i));
    ASSERT_TRUE(log->AppendAndWait({Numbered(i)}).ok());
  }
  auto r = log->ReadFromTimestamp(20500, {3, 1 << 20});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 3u);
  EXPECT_EQ(r->records[0].sequence_index, 21u);
  EXPECT_EQ(r->records[0].arrival_ms, 21000);
  r = log->ReadFromTimestamp(21000, {1, 1 << 20});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.at(0).sequence_index, 21u);
  r = log->ReadFromTimestamp(0, {1, 1 << 20});
  EXPECT_EQ(r->records.at(0).sequence_index, 1u);
  r = log->ReadFromTimestamp(999999, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->records.empty());
  EXPECT_EQ(r->next_index, 51u);
}

TEST_P(ShardLogTest, ArrivalTimeNeverGoesBackwards) {
  auto log = Open(Options());
  clock_.Set(5000);
  ASSERT_TRUE(log->AppendAndWait({Numbered(1)}).ok());
  clock_.Set(4000);  // wall clock stepped back
  auto a = log->AppendAndWait({Numbered(2)});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->arrival_ms, 5000);
}

TEST_P(ShardLogTest, SegmentsRollAndReadsCrossThem) {
  LogOptions o = Options();
  o.segment_bytes = 4096;
  o.index_interval_bytes = 512;
  o.tail_cache_bytes = GetParam() ? 2048 : 0;  // small: older reads hit disk
  auto log = Open(o);
  AppendNumbered(log.get(), 1, 300, 100);
  EXPECT_GT(testing::SegmentFiles(dir_.path()).size(), 5u);
  EXPECT_GT(log->Stats().segments_rolled, 5u);
  for (uint64_t from : {1u, 2u, 37u, 38u, 39u, 150u, 299u, 300u}) {
    auto r = log->Read(from, {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->records.size(), 301 - from) << from;
    for (size_t i = 0; i < r->records.size(); ++i) {
      ASSERT_EQ(r->records[i].sequence_index, from + i);
      ASSERT_EQ(r->records[i].data, Numbered(from + i, 100).data);
    }
  }
}

TEST_P(ShardLogTest, ReopenContinuesNumbering) {
  LogOptions o = Options();
  o.segment_bytes = 2048;
  {
    auto log = Open(o);
    AppendNumbered(log.get(), 1, 60, 64);
    ASSERT_TRUE(log->Close().ok());
  }
  RecoveryReport report;
  auto log = OpenFileShardLog(dir_.path(), o, &report);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(report.records, 60u);
  EXPECT_EQ(report.bytes_dropped, 0u);
  EXPECT_EQ((*log)->Latest(), 60u);
  AppendNumbered(log->get(), 61, 80, 64);
  auto r = (*log)->Read(1, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 80u);
  EXPECT_EQ(r->records[70].data, Numbered(71, 64).data);
}

TEST_P(ShardLogTest, RejectsEmptyBatchAndAppendsAfterClose) {
  auto log = Open(Options());
  EXPECT_EQ(log->AppendAndWait({}).status().code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(log->Close().ok());
  EXPECT_EQ(log->AppendAndWait({Numbered(1)}).status().code(), Status::Code::kFailedPrecondition);
}

TEST_P(ShardLogTest, DirectoryIsLockedWhileOpen) {
  auto log = Open(Options());
  auto second = OpenFileShardLog(dir_.path(), Options());
  EXPECT_EQ(second.status().code(), Status::Code::kFailedPrecondition);
  ASSERT_TRUE(log->Close().ok());
  EXPECT_TRUE(OpenFileShardLog(dir_.path(), Options()).ok());  // Close released it
}

TEST_P(ShardLogTest, SyncFailureSticksAndHidesUnsyncedRecords) {
  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};
  LogOptions o = Options();
  o.sync = [&](int) {
    ++calls;
    return fail ? Status::IOError("injected fsync failure") : Status::Ok();
  };
  auto log = Open(o);
  AppendNumbered(log.get(), 1, 3);
  fail = true;
  auto a = log->AppendAndWait({Numbered(4)});
  EXPECT_EQ(a.status().code(), Status::Code::kIOError);
  fail = false;  // even if the disk recovers, the error sticks
  EXPECT_EQ(log->AppendAndWait({Numbered(5)}).status().code(), Status::Code::kIOError);
  EXPECT_EQ(log->Latest(), 3u);
  auto r = log->Read(1, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), 3u);  // record 4 was never acknowledged
  EXPECT_EQ(log->Close().code(), Status::Code::kIOError);
}

TEST_P(ShardLogTest, CallbackRunsAfterSync) {
  std::atomic<int> syncs{0};
  LogOptions o = Options();
  o.sync = [&](int) {
    ++syncs;
    return Status::Ok();
  };
  auto log = Open(o);
  int before = syncs.load();
  std::promise<int> seen;
  log->AppendAsync({Numbered(1)}, [&](Result<AppendResult> r) {
    EXPECT_TRUE(r.ok());
    seen.set_value(syncs.load());
  });
  EXPECT_GT(seen.get_future().get(), before);
}

INSTANTIATE_TEST_SUITE_P(TailCache, ShardLogTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Tail" : "DiskOnly"; });

}  // namespace
}  // namespace osprey::streams
