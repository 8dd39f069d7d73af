// Group commit: concurrent appenders share fsyncs, and every acknowledged
// record is readable exactly once, in acknowledgement-consistent order.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "osprey/streams/file_shard_log.h"
#include "test_util.h"

namespace osprey::streams {
namespace {

TEST(GroupCommit, ConcurrentAppendersShareSyncs) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 100;
  testing::TempDir dir;
  std::atomic<uint64_t> syncs{0};
  LogOptions o;
  o.segment_bytes = 64 * 1024;  // rolls happen while threads append
  o.sync = [&](int fd) {
    ++syncs;
    return ::fdatasync(fd) == 0 ? Status::Ok() : Status::FromErrno("fdatasync", errno);
  };
  auto log = std::move(OpenFileShardLog(dir.path(), o).value());
  const uint64_t syncs_at_open = syncs.load();

  std::vector<std::vector<uint64_t>> acked(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kPerThread; ++n) {
        std::string data = "t" + std::to_string(t) + "-" + std::to_string(n);
        auto r = log->AppendAndWait({testing::MakeInput("p" + std::to_string(t), data)});
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        // Acknowledged means readable right now.
        auto read = log->Read(r->first_index, {1, 1 << 20});
        ASSERT_TRUE(read.ok());
        ASSERT_EQ(read->records.size(), 1u);
        ASSERT_EQ(read->records[0].data, data);
        acked[t].push_back(r->first_index);
      }
    });
  }
  for (auto& th : threads) th.join();

  const uint64_t appends = kThreads * kPerThread;
  const uint64_t used = syncs.load() - syncs_at_open;
  std::printf("appends=%llu fsyncs=%llu\n", static_cast<unsigned long long>(appends),
              static_cast<unsigned long long>(used));
  EXPECT_LT(used, appends);
  EXPECT_EQ(log->Stats().appends, appends);
  EXPECT_EQ(log->Latest(), appends);

  // Every record exactly once, indices 1..N in order, each thread's records
  // in the order that thread appended them.
  auto all = log->Read(1, {100000, 1 << 30});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->records.size(), appends);
  std::map<std::string, int> next_per_thread;
  for (size_t i = 0; i < all->records.size(); ++i) {
    const Record& r = all->records[i];
    ASSERT_EQ(r.sequence_index, i + 1);
    int& next = next_per_thread[r.partition_key];
    ASSERT_EQ(r.data, r.partition_key.substr(1).insert(0, "t") + "-" + std::to_string(next));
    ++next;
  }
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(next_per_thread["p" + std::to_string(t)], kPerThread);
    for (size_t k = 1; k < acked[t].size(); ++k) EXPECT_LT(acked[t][k - 1], acked[t][k]);
  }
}

TEST(GroupCommit, PipelinedAsyncAppendsFromOneThread) {
  testing::TempDir dir;
  auto log = std::move(OpenFileShardLog(dir.path(), LogOptions{}).value());
  const uint64_t syncs_at_open = log->Stats().syncs;
  constexpr int kAppends = 2000;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  uint64_t last_acked = 0;
  bool in_order = true;
  for (int i = 0; i < kAppends; ++i) {
    log->AppendAsync({testing::Numbered(i + 1)}, [&](Result<AppendResult> r) {
      std::lock_guard lock(mu);
      if (!r.ok() || r->first_index <= last_acked) in_order = false;
      if (r.ok()) last_acked = r->first_index;
      if (++done == kAppends) cv.notify_one();
    });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done == kAppends; });
  EXPECT_TRUE(in_order);  // callbacks run in index order
  EXPECT_EQ(last_acked, static_cast<uint64_t>(kAppends));
  EXPECT_LT(log->Stats().syncs - syncs_at_open, static_cast<uint64_t>(kAppends) / 4);
}

TEST(GroupCommit, LiveReadersSeeAContiguousPrefix) {
  // Small segments and tail so readers hit disk, the tail and rolls while
  // writers append.
  testing::TempDir dir;
  LogOptions o;
  o.segment_bytes = 16 * 1024;
  o.tail_cache_bytes = 4 * 1024;
  auto log = std::move(OpenFileShardLog(dir.path(), o).value());
  constexpr uint64_t kTotal = 3000;
  std::atomic<uint64_t> issued{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      while (issued.fetch_add(1) < kTotal) {
        ASSERT_TRUE(log->AppendAndWait({testing::Numbered(0, 64)}).ok());
      }
    });
  }
  auto reader = [&] {
    uint64_t next = 1;
    while (next <= kTotal) {
      const uint64_t latest_before = log->Latest();
      auto r = log->Read(next, {37, 1 << 20});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      for (const Record& rec : r->records) {
        ASSERT_EQ(rec.sequence_index, next);  // no gaps, no repeats
        ASSERT_EQ(rec.data, testing::Numbered(0, 64).data);
        ++next;
      }
      // Never behind what was acknowledged before the read started.
      if (r->records.empty()) {
        ASSERT_GT(next, latest_before);
      }
      ASSERT_LE(next - 1, log->Latest());  // never ahead of acknowledged
    }
  };
  std::thread r1(reader);
  std::thread r2(reader);
  for (auto& w : writers) w.join();
  r1.join();
  r2.join();
  EXPECT_EQ(log->Latest(), kTotal);
}

}  // namespace
}  // namespace osprey::streams
