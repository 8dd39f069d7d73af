// StreamEngine resharding: split, merge, UpdateShardCount, their lineage and
// validation, data across a reshard, the end of a closed shard, ListShards
// filters, and closed shards leaving after retention.
#include <algorithm>

#include "engine_test_util.h"

namespace osprey::streams::testing {
namespace {

constexpr const char* kS0 = "shardId-000000000000";
constexpr const char* kS1 = "shardId-000000000001";
constexpr const char* kS2 = "shardId-000000000002";
constexpr const char* kS3 = "shardId-000000000003";

const ShardDescription& Shard(const StreamDescription& d, const std::string& id) {
  for (const auto& s : d.shards) {
    if (s.shard_id == id) return s;
  }
  static ShardDescription none;
  ADD_FAILURE() << "no shard " << id;
  return none;
}

TEST_F(EngineTest, SplitClosesParentAndChildrenTakeOver) {
  Create("s", 1);
  auto before = Put("s", "a", "before");
  clock_.Advance(5000);
  const std::string mid = "170141183460469231731687303715884105728";  // 2^127
  ASSERT_OK(engine_->SplitShard("s", kS0, mid));
  auto d = engine_->DescribeStream("s").value();
  ASSERT_EQ(d.shards.size(), 3u);
  EXPECT_EQ(d.open_shard_count, 2u);
  const auto& parent = Shard(d, kS0);
  ASSERT_TRUE(parent.ending_sequence_number);
  EXPECT_EQ(parent.closed_ms, clock_.Now());
  EXPECT_EQ(Shard(d, kS1).parent_shard_id, kS0);
  EXPECT_EQ(FormatHashKey(Shard(d, kS1).hash_key_range.end), "170141183460469231731687303715884105727");
  EXPECT_EQ(FormatHashKey(Shard(d, kS2).hash_key_range.start), mid);
  EXPECT_EQ(Shard(d, kS2).hash_key_range.end, kMaxHashKey);

  // New writes go to the children; the parent keeps its data.
  EXPECT_EQ(Put("s", "a", "after").shard_id, kS1);  // MD5("a") < 2^127
  EXPECT_EQ(Put("s", "a", "high", "170141183460469231731687303715884105728").shard_id, kS2);
  GetRecordsResult last;
  auto old = ReadAll("s", kS0, &last);
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0].data, "before");
  EXPECT_EQ(old[0].sequence_number, before.sequence_number);
  EXPECT_TRUE(last.read.shard_end);
  EXPECT_FALSE(last.next_shard_iterator);
  ASSERT_EQ(last.read.child_shards.size(), 2u);
  EXPECT_EQ(last.read.child_shards[0].shard_id, kS1);
  EXPECT_EQ(last.read.child_shards[0].parent_shards, std::vector<std::string>{kS0});
  EXPECT_EQ(last.read.child_shards[1].hash_key_range, Shard(d, kS2).hash_key_range);
  EXPECT_EQ(ReadAll("s", kS1).size(), 1u);
}

TEST_F(EngineTest, ClosedShardWithRecordsLeftGivesIteratorNotChildren) {
  Create("s", 1);
  for (int i = 0; i < 4; ++i) Put("s", "k", std::to_string(i));
  ASSERT_OK(engine_->SplitShard("s", kS0, "1000"));
  auto it = engine_->GetShardIterator("s", kS0, {});
  auto r = engine_->GetRecords(*it, 2);
  EXPECT_EQ(r->read.records.size(), 2u);
  EXPECT_TRUE(r->next_shard_iterator);
  EXPECT_TRUE(r->read.child_shards.empty());
  r = engine_->GetRecords(*r->next_shard_iterator, 2);
  EXPECT_EQ(r->read.records.size(), 2u);
  // The last records and the shard end come together.
  EXPECT_FALSE(r->next_shard_iterator);
  EXPECT_EQ(r->read.child_shards.size(), 2u);
  // LATEST on a closed shard is its end at once.
  auto latest = engine_->GetShardIterator("s", kS0, {IteratorType::kLatest, {}, {}});
  auto end = engine_->GetRecords(*latest, 10);
  EXPECT_TRUE(end->read.shard_end);
  EXPECT_TRUE(end->read.records.empty());
}

TEST_F(EngineTest, SplitValidation) {
  Create("s", 2);
  auto split = [&](const char* shard, const char* key) { return engine_->SplitShard("s", shard, key); };
  EXPECT_EQ(split(kS0, "1").message(),
            "NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000000 in stream s under "
            "account 000000000000 is not both greater than one plus the shard's StartingHashKey 0 and "
            "less than the shard's EndingHashKey 170141183460469231731687303715884105727.");
  EXPECT_EQ(ErrorOf(split(kS0, "170141183460469231731687303715884105727")), StreamError::kInvalidArgument);
  EXPECT_OK(split(kS0, "2"));  // the smallest valid key for a range starting at 0
  EXPECT_EQ(split("shardId-000000000009", "5").message(),
            "Could not find shard shardId-000000000009 in stream s under account 000000000000.");
  EXPECT_EQ(ErrorOf(split(kS0, "5")), StreamError::kResourceNotFound);  // closed now
  EXPECT_EQ(ErrorOf(engine_->SplitShard("nope", kS0, "5")), StreamError::kResourceNotFound);
  CreateStreamOptions od;
  od.mode = StreamMode::kOnDemand;
  ASSERT_OK(engine_->CreateStream("od", od));
  EXPECT_EQ(ErrorOf(engine_->SplitShard("od", kS0, "5")), StreamError::kValidation);
  EXPECT_EQ(ErrorOf(engine_->MergeShards("od", kS0, kS1)), StreamError::kValidation);
  EXPECT_EQ(ErrorOf(engine_->UpdateShardCount("od", 2).status()), StreamError::kValidation);
}

TEST_F(EngineTest, MergeLineageAndValidation) {
  Create("s", 3);
  EXPECT_EQ(engine_->MergeShards("s", kS0, kS2).message(),
            "Shards shardId-000000000000 and shardId-000000000002 in stream s under account "
            "000000000000 are not an adjacent pair of shards eligible for merging");
  EXPECT_EQ(ErrorOf(engine_->MergeShards("s", kS0, "shardId-000000000007")), StreamError::kResourceNotFound);
  Put("s", "a", "in-0");
  ASSERT_OK(engine_->MergeShards("s", kS1, kS0));  // either order is adjacent
  auto d = engine_->DescribeStream("s").value();
  const auto& child = Shard(d, kS3);
  EXPECT_EQ(child.parent_shard_id, kS1);
  EXPECT_EQ(child.adjacent_parent_shard_id, kS0);
  EXPECT_EQ(child.hash_key_range.start, 0u);
  EXPECT_EQ(child.hash_key_range.end, Shard(d, kS1).hash_key_range.end);
  EXPECT_EQ(d.open_shard_count, 2u);
  EXPECT_EQ(Put("s", "a", "merged").shard_id, kS3);
  GetRecordsResult last;
  ReadAll("s", kS0, &last);
  ASSERT_EQ(last.read.child_shards.size(), 1u);
  EXPECT_EQ(last.read.child_shards[0].parent_shards, (std::vector<std::string>{kS1, kS0}));
  EXPECT_EQ(ErrorOf(engine_->MergeShards("s", kS0, kS2)), StreamError::kResourceNotFound);  // closed
}

TEST_F(EngineTest, UpdateShardCountScalesUniformly) {
  Create("s", 2);
  auto up = engine_->UpdateShardCount("s", 3);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->current_shard_count, 2u);
  EXPECT_EQ(up->target_shard_count, 3u);
  auto open = engine_->ListShards("s", {ShardFilter::Type::kAtLatest, {}, {}}).value();
  ASSERT_EQ(open.size(), 3u);
  std::sort(open.begin(), open.end(), [](const ShardDescription& a, const ShardDescription& b) {
    return a.hash_key_range.start < b.hash_key_range.start;
  });
  const auto even = EvenSplit(3);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(open[i].hash_key_range, even[i]);
  for (const auto& s : open) EXPECT_TRUE(s.parent_shard_id.has_value());
  // Data keeps flowing.
  Put("s", "a", "x");

  EXPECT_EQ(ErrorOf(engine_->UpdateShardCount("s", 7).status()), StreamError::kInvalidArgument);
  EXPECT_EQ(ErrorOf(engine_->UpdateShardCount("s", 1).status()), StreamError::kInvalidArgument);
  ASSERT_TRUE(engine_->UpdateShardCount("s", 6).ok());
  ASSERT_TRUE(engine_->UpdateShardCount("s", 3).ok());
  EXPECT_EQ(engine_->DescribeStream("s")->open_shard_count, 3u);
  Reopen();
  EXPECT_EQ(engine_->DescribeStream("s")->open_shard_count, 3u);
}

TEST_F(EngineTest, UpdateShardCountQuotaPerDay) {
  options_.max_shard_count_updates_per_day = 2;
  Reopen();
  Create("s", 2);
  ASSERT_TRUE(engine_->UpdateShardCount("s", 4).ok());
  ASSERT_TRUE(engine_->UpdateShardCount("s", 2).ok());
  EXPECT_EQ(ErrorOf(engine_->UpdateShardCount("s", 4).status()), StreamError::kLimitExceeded);
  clock_.Advance(24 * 3600 * 1000 + 1);
  EXPECT_TRUE(engine_->UpdateShardCount("s", 4).ok());
}

TEST_F(EngineTest, ShardLimitCountsOpenShardsOnly) {
  options_.shard_limit = 4;
  Reopen();
  Create("s", 3);
  ASSERT_OK(engine_->SplitShard("s", kS0, "1000"));  // 4 open
  EXPECT_EQ(ErrorOf(engine_->SplitShard("s", kS1, "113427455640312821154458202477256071000")),
            StreamError::kLimitExceeded);
  ASSERT_OK(engine_->MergeShards("s", kS3, "shardId-000000000004"));  // back to 3 open
  EXPECT_EQ(engine_->DescribeLimits().open_shard_count, 3u);
  ASSERT_OK(engine_->SplitShard("s", kS1, "113427455640312821154458202477256071000"));
}

TEST_F(EngineTest, ListShardsFilters) {
  Create("s", 2);
  clock_.Advance(10000);
  ASSERT_OK(engine_->SplitShard("s", kS0, "1000"));  // 2, 3 created at +10 s
  const int64_t split_at = clock_.Now();
  clock_.Advance(10000);
  auto ids = [&](ShardFilter f) {
    std::vector<std::string> out;
    auto r = engine_->ListShards("s", f);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) for (const auto& s : *r) out.push_back(s.shard_id);
    return out;
  };
  using V = std::vector<std::string>;
  using T = ShardFilter::Type;
  EXPECT_EQ(ids({}), (V{kS0, kS1, kS2, kS3}));
  EXPECT_EQ(ids({T::kAtLatest, {}, {}}), (V{kS1, kS2, kS3}));
  EXPECT_EQ(ids({T::kAtTrimHorizon, {}, {}}), (V{kS0, kS1}));
  EXPECT_EQ(ids({T::kAfterShardId, std::string(kS1), {}}), (V{kS2, kS3}));
  EXPECT_EQ(ids({T::kAtTimestamp, {}, kStartMs + 5000}), (V{kS0, kS1}));
  EXPECT_EQ(ids({T::kAtTimestamp, {}, split_at + 1}), (V{kS1, kS2, kS3}));
  EXPECT_EQ(ids({T::kFromTimestamp, {}, split_at + 1}), (V{kS1, kS2, kS3}));
  EXPECT_EQ(ids({T::kFromTimestamp, {}, split_at}), (V{kS0, kS1, kS2, kS3}));
  EXPECT_EQ(ErrorOf(engine_->ListShards("s", {T::kAfterShardId, {}, {}}).status()), StreamError::kInvalidArgument);
  EXPECT_EQ(ErrorOf(engine_->ListShards("s", {T::kAtLatest, {}, 5}).status()), StreamError::kInvalidArgument);
}

TEST_F(EngineTest, ClosedShardsDisappearAfterRetention) {
  Create("s", 1);
  Put("s", "a", "old");
  ASSERT_OK(engine_->SplitShard("s", kS0, "1000"));
  clock_.Advance(24 * 3600 * 1000 - 1);
  auto sweep = engine_->ApplyRetention(clock_.Now());
  ASSERT_TRUE(sweep.ok());
  EXPECT_EQ(sweep->shards_removed, 0u);
  EXPECT_EQ(engine_->DescribeStream("s")->shards.size(), 3u);
  clock_.Advance(1);
  EXPECT_EQ(engine_->DescribeStream("s")->shards.size(), 2u) << "hidden before the sweep";
  sweep = engine_->ApplyRetention(clock_.Now());
  ASSERT_TRUE(sweep.ok());
  EXPECT_EQ(sweep->shards_removed, 1u);
  EXPECT_EQ(ErrorOf(engine_->GetShardIterator("s", kS0, {}).status()), StreamError::kResourceNotFound);
  auto d = engine_->DescribeStream("s").value();
  ASSERT_EQ(d.shards.size(), 2u);
  EXPECT_EQ(d.shards[0].parent_shard_id, kS0);  // lineage still names it, as AWS
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("streams/1-s/shardId-000000000000")));
  Reopen();
  EXPECT_EQ(engine_->DescribeStream("s")->shards.size(), 2u);
}

TEST_F(EngineTest, ConcurrentPutsAcrossASplitLoseNothing) {
  options_.clock = nullptr;
  Reopen();
  Create("s", 1);
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !stop.load() && i < 400; ++i) {
        auto r = engine_->PutRecords("s", {MakeInput("k" + std::to_string(t * 1000 + i), "d")});
        if (r.ok() && (*r)[0].status.ok()) acked.fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_OK(engine_->SplitShard("s", kS0, "170141183460469231731687303715884105728"));
  for (auto& w : writers) w.join();
  size_t total = 0;
  GetRecordsResult last;
  total += ReadAll("s", kS0, &last).size();
  EXPECT_TRUE(last.read.shard_end);
  total += ReadAll("s", kS1).size();
  total += ReadAll("s", kS2).size();
  EXPECT_EQ(total, static_cast<size_t>(acked.load()));
}

}  // namespace
}  // namespace osprey::streams::testing
