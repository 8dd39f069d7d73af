// SegmentCache: LRU order, byte bound, counters, and the heap it really uses.
#include "osprey/playback/segment_cache.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <thread>
#include <vector>

namespace osprey::playback {
namespace {

SegmentKey Key(uint64_t fragment, SegmentKind kind = SegmentKind::kMp4Media) {
  return SegmentKey{"stream-1700000000000", fragment, kind, 1};
}

TEST(SegmentCache, HitMissAndLruOrder) {
  const size_t entry = SegmentCache::Charge(Key(0), 1000);
  SegmentCache cache(entry * 4 + 10);  // room for 4 entries
  EXPECT_EQ(cache.Get(Key(1)), nullptr);
  for (uint64_t i = 1; i <= 4; ++i) cache.Put(Key(i), std::string(1000, char('a' + i)));
  ASSERT_NE(cache.Get(Key(1)), nullptr);  // 1 is now the most recent
  cache.Put(Key(5), std::string(1000, 'z'));  // evicts 2, the least recent
  EXPECT_EQ(cache.Get(Key(2)), nullptr);
  EXPECT_EQ(*cache.Get(Key(1)), std::string(1000, 'b'));
  EXPECT_NE(cache.Get(Key(3)), nullptr);
  EXPECT_NE(cache.Get(Key(5)), nullptr);
  // Kinds and tracks are distinct keys.
  EXPECT_EQ(cache.Get(Key(1, SegmentKind::kTs)), nullptr);
  const SegmentCacheStats s = cache.Stats();
  EXPECT_EQ(s.hits, 4u);
  EXPECT_EQ(s.misses, 3u);
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.entries, 4u);
  EXPECT_EQ(s.bytes, 4 * entry);
}

TEST(SegmentCache, ReplaceEraseAndTooLarge) {
  SegmentCache cache(100'000);
  cache.Put(Key(1), std::string(100, 'a'));
  cache.Put(Key(1), std::string(200, 'b'));
  EXPECT_EQ(cache.Get(Key(1))->size(), 200u);
  EXPECT_EQ(cache.Stats().bytes, SegmentCache::Charge(Key(1), 200));
  // Over a quarter of the bound: handed back, not kept.
  auto big = cache.Put(Key(2), std::string(30'000, 'x'));
  EXPECT_EQ(big->size(), 30'000u);
  EXPECT_EQ(cache.Get(Key(2)), nullptr);
  EXPECT_EQ(cache.Stats().rejected, 1u);
  // A value handed out stays valid after eviction.
  std::shared_ptr<const std::string> held = cache.Get(Key(1));
  cache.EraseStream("stream-1700000000000");
  EXPECT_EQ(cache.Get(Key(1)), nullptr);
  EXPECT_EQ(held->size(), 200u);
  EXPECT_EQ(cache.Stats().bytes, 0u);
  EXPECT_EQ(cache.Stats().entries, 0u);
}

TEST(SegmentCache, BoundHoldsUnderChurnFromThreads) {
  const size_t bound = 4u << 20;
  SegmentCache cache(bound);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t, bound] {
      for (uint64_t i = 0; i < 2000; ++i) {
        const SegmentKey k = Key(uint64_t(t) * 100000 + i % 700);
        if (!cache.Get(k)) cache.Put(k, std::string(1000 + (i * 7919) % 60000, 'v'));
        EXPECT_LE(cache.Stats().bytes, bound);
      }
    });
  }
  for (auto& th : threads) th.join();
  const SegmentCacheStats s = cache.Stats();
  EXPECT_LE(s.bytes, bound);
  EXPECT_GT(s.evictions, 0u);
  EXPECT_EQ(s.hits + s.misses, 8000u);
}

// Measures the heap a full cache really holds against its charged bytes,
// for small (1 KB) and typical (200 KB fMP4 of 2 s at 800 kbit/s) segments.
TEST(SegmentCache, HeapUseMatchesChargedBytes) {
  for (size_t value_size : {size_t(1024), size_t(200'000)}) {
    const size_t bound = 64u << 20;
    malloc_trim(0);
    const size_t before = mallinfo2().uordblks;
    {
      SegmentCache cache(bound);
      for (uint64_t i = 0; i < 3 * bound / value_size; ++i) {
        cache.Put(Key(i), std::string(value_size, 'x'));
      }
      const size_t used = mallinfo2().uordblks - before;
      const SegmentCacheStats s = cache.Stats();
      std::printf("value %zu B: %llu entries, charged %llu B, heap %zu B (%.3f of charged)\n",
                  value_size, static_cast<unsigned long long>(s.entries),
                  static_cast<unsigned long long>(s.bytes), used,
                  double(used) / double(s.bytes));
      EXPECT_LE(s.bytes, bound);
      // The charge covers the real heap use within 5%.
      EXPECT_LE(double(used), double(s.bytes) * 1.05);
    }
  }
}

}  // namespace
}  // namespace osprey::playback
