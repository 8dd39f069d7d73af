// White-box tests of the registry file format and the resharding edits.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "engine/registry.h"
#include "engine/reshard.h"
#include "test_util.h"

namespace osprey::streams::engine {
namespace {

StreamMeta SampleStream(uint32_t shards) {
  StreamMeta s;
  s.id = 3;
  s.name = "cam-events";
  s.created_ms = 1700000000000;
  auto ranges = EvenSplit(shards);
  for (uint32_t i = 0; i < shards; ++i) s.shards.push_back({i, ranges[i], s.created_ms, {}, {}, {}});
  s.next_shard_index = shards;
  return s;
}

// Open shards must partition 0 .. 2^128-1 exactly.
void ExpectPartition(const StreamMeta& s) {
  std::vector<HashKeyRange> open;
  for (const auto& sh : s.shards) {
    if (sh.open()) open.push_back(sh.range);
  }
  std::sort(open.begin(), open.end(), [](auto& a, auto& b) { return a.start < b.start; });
  ASSERT_FALSE(open.empty());
  EXPECT_EQ(open.front().start, 0u);
  EXPECT_EQ(open.back().end, kMaxHashKey);
  for (size_t i = 1; i < open.size(); ++i) EXPECT_EQ(open[i].start, open[i - 1].end + 1);
}

TEST(Registry, RoundTripsEverything) {
  RegistryMeta m;
  m.next_stream_id = 9;
  StreamMeta s = SampleStream(2);
  s.mode = StreamMode::kOnDemand;
  s.retention_hours = 48;
  s.updating_until_ms = 1700000000500;
  s.max_record_size_kib = 2048;
  s.tags = {{"env", "prod"}, {"with space", ""}, {"pct%", "a\nb\"c"}, {"ü", "✓"}};
  s.consumers = {{"c1", 1700000001000}, {"c.2", 1700000002000}};
  s.shard_count_updates_ms = {1700000003000};
  SplitShardMeta(&s, 0, HashKey{1} << 100, 1700000004000);
  MergeShardsMeta(&s, 3, 1, 1700000005000);
  m.streams.emplace(s.name, s);
  StreamMeta dots = SampleStream(1);
  dots.id = 4;
  dots.name = "..";
  m.streams.emplace(dots.name, dots);

  const std::string text = SerializeRegistry(m);
  auto back = ParseRegistry(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
}

TEST(Registry, DetectsDamage) {
  RegistryMeta m;
  m.next_stream_id = 2;
  StreamMeta s = SampleStream(1);
  s.id = 1;
  m.streams.emplace(s.name, s);
  std::string text = SerializeRegistry(m);
  std::string flipped = text;
  flipped[flipped.find("cam-events")] = 'C';
  EXPECT_EQ(ParseRegistry(flipped).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(ParseRegistry(text.substr(0, text.size() - 3)).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(ParseRegistry("").status().code(), Status::Code::kCorruption);
}

TEST(Registry, SaveIsAtomicAndLoadsBack) {
  testing::TempDir dir;
  const std::string path = dir.Sub("registry");
  auto empty = LoadRegistry(path);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->streams.empty());
  RegistryMeta m;
  m.next_stream_id = 2;
  StreamMeta s = SampleStream(3);
  s.id = 1;
  m.streams.emplace(s.name, s);
  ASSERT_TRUE(SaveRegistry(path, m).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto back = LoadRegistry(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, m);
}

TEST(Reshard, SplitAndMergeLineage) {
  StreamMeta s = SampleStream(2);
  const HashKey mid = s.shards[0].range.end / 2;
  EXPECT_EQ(SplitShardMeta(&s, 0, mid, 1700000010000), 2u);
  EXPECT_TRUE(s.FindShard(0)->closed_ms.has_value());
  EXPECT_EQ(s.FindShard(2)->range.end, mid - 1);
  EXPECT_EQ(s.FindShard(3)->range.start, mid);
  EXPECT_EQ(s.FindShard(3)->parent, 0u);
  EXPECT_EQ(s.FindShard(3)->created_ms, 1700000010000);
  ExpectPartition(s);
  EXPECT_EQ(MergeShardsMeta(&s, 3, 1, 1700000020000), 4u);
  EXPECT_EQ(s.FindShard(4)->parent, 3u);
  EXPECT_EQ(s.FindShard(4)->adjacent_parent, 1u);
  EXPECT_EQ(s.FindShard(4)->range.start, mid);
  EXPECT_EQ(s.FindShard(4)->range.end, kMaxHashKey);
  ExpectPartition(s);
}

TEST(Reshard, ChildIsCreatedInALaterSecondThanItsParent) {
  StreamMeta s = SampleStream(1);
  // Split in the same second the shard was created.
  SplitShardMeta(&s, 0, HashKey{1} << 127, s.created_ms + 200);
  EXPECT_EQ(s.FindShard(1)->created_ms, s.created_ms + 1000);
  EXPECT_EQ(*s.FindShard(0)->closed_ms, s.created_ms + 200);
}

TEST(Reshard, ScaleUniformlyReachesEvenRangesWithAtMostTwoParents) {
  for (uint32_t from = 1; from <= 8; ++from) {
    for (uint32_t to = (from + 1) / 2; to <= 2 * from; ++to) {
      StreamMeta s = SampleStream(from);
      ScaleUniformly(&s, to, 1700000100000);
      std::vector<HashKeyRange> open;
      for (const auto& sh : s.shards) {
        if (sh.open()) open.push_back(sh.range);
        // Every new shard has a known parent, at most two.
        if (sh.index >= from) {
          EXPECT_TRUE(sh.parent.has_value());
        }
      }
      std::sort(open.begin(), open.end(), [](auto& a, auto& b) { return a.start < b.start; });
      EXPECT_EQ(open, EvenSplit(to)) << from << " -> " << to;
      if (from == to) {
        EXPECT_EQ(s.shards.size(), from) << "nothing to do";
      }
    }
  }
}

}  // namespace
}  // namespace osprey::streams::engine
