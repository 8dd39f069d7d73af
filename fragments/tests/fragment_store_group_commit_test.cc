// Group commit and storage failures of the file fragment store: one syncer
// for all streams shares syncs between concurrent appends; a failed sync
// sticks to its stream only.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "fragment_store_test_util.h"
#include "osprey/fragments/fragment_store.h"

namespace osprey::fragments {
namespace {

using testing::AppendAndWait;
using testing::MakeFragment;

struct CountingSync {
  std::atomic<int> calls{0};
  std::atomic<bool> fail_all{false};
  Status operator()(int /*fd*/) {
    ++calls;
    // Slow enough that appends pile up behind each batch, as they do
    // behind a real disk.
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    if (fail_all) return Status::IOError("injected sync failure");
    return Status::Ok();
  }
};

TEST(FragmentStoreGroupCommit, ConcurrentAppendsShareSyncs) {
  testing::TempDir dir;
  CountingSync sync;
  StoreOptions o;
  o.root = dir.path();
  o.sync = [&sync](int fd) { return sync(fd); };
  auto store = OpenFileFragmentStore(o);
  ASSERT_TRUE(store.ok());
  constexpr int kStreams = 16;
  constexpr int kPerStream = 40;
  std::vector<std::shared_ptr<FragmentLog>> logs;
  for (int s = 0; s < kStreams; ++s) {
    logs.push_back(std::move((*store)->OpenStream("cam-" + std::to_string(s))).value());
  }
  std::atomic<int> acked{0};
  std::vector<std::thread> threads;
  for (int s = 0; s < kStreams; ++s) {
    threads.emplace_back([&, s] {
      for (int i = 0; i < kPerStream; ++i) {
        auto& log = *logs[s];
        log.AppendAsync(MakeFragment(log.ReserveIndex(), i, i, std::to_string(s), 2000),
                        [&](Status st) {
                          EXPECT_TRUE(st.ok()) << st.ToString();
                          ++acked;
                        });
      }
    });
  }
  for (auto& t : threads) t.join();
  while (acked.load() < kStreams * kPerStream) std::this_thread::yield();
  // Without group commit: 2 syncs (media, index) per append, 1280 calls.
  const int appends = kStreams * kPerStream;
  std::printf("appends=%d sync_calls=%d\n", appends, sync.calls.load());
  EXPECT_LT(sync.calls.load(), appends);
  uint64_t batches = 0;
  for (auto& log : logs) {
    StreamStats st = log->Stats();
    EXPECT_EQ(st.appends, static_cast<uint64_t>(kPerStream));
    EXPECT_EQ(st.fragments, static_cast<uint64_t>(kPerStream));
    EXPECT_LE(st.syncs, st.appends);
    batches += st.syncs;
  }
  EXPECT_LT(batches, static_cast<uint64_t>(appends));
}

TEST(FragmentStoreGroupCommit, RealSyncsWithAndWithoutSyncfs) {
  for (size_t syncfs_min_files : {size_t{0}, size_t{1}}) {
    SCOPED_TRACE("syncfs_min_files " + std::to_string(syncfs_min_files));
    testing::TempDir dir;
    StoreOptions o;
    o.root = dir.path();
    o.syncfs_min_files = syncfs_min_files;
    auto store = OpenFileFragmentStore(o);
    ASSERT_TRUE(store.ok());
    std::vector<std::shared_ptr<FragmentLog>> logs;
    for (int s = 0; s < 8; ++s) {
      logs.push_back(std::move((*store)->OpenStream("cam-" + std::to_string(s))).value());
    }
    std::atomic<int> acked{0};
    for (int i = 0; i < 5; ++i) {
      for (auto& log : logs) {
        log->AppendAsync(MakeFragment(log->ReserveIndex(), i, i, "", 64 << 10), [&](Status st) {
          EXPECT_TRUE(st.ok()) << st.ToString();
          ++acked;
        });
      }
    }
    while (acked.load() < 40) std::this_thread::yield();
    for (auto& log : logs) EXPECT_EQ(log->Stats().fragments, 5u);
  }
}

TEST(FragmentStoreGroupCommit, SyncErrorSticksToTheStream) {
  testing::TempDir dir;
  CountingSync sync;
  StoreOptions o;
  o.root = dir.path();
  o.sync = [&sync](int fd) { return sync(fd); };
  auto store = OpenFileFragmentStore(o);
  ASSERT_TRUE(store.ok());
  auto log = std::move((*store)->OpenStream("a")).value();
  auto good = MakeFragment(log->ReserveIndex(), 1, 1);
  ASSERT_TRUE(AppendAndWait(*log, good).ok());

  sync.fail_all = true;
  Status s = AppendAndWait(*log, MakeFragment(log->ReserveIndex(), 2, 2));
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  sync.fail_all = false;  // the disk "recovers": the stream stays failed
  Status later = AppendAndWait(*log, MakeFragment(log->ReserveIndex(), 3, 3));
  EXPECT_EQ(later.code(), Status::Code::kIOError);
  EXPECT_EQ(later.message(), s.message());
  // Acknowledged fragments stay readable; the failed one never appears.
  auto r = log->Read(good.meta.index);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cluster, good.cluster);
  EXPECT_EQ(log->Latest()->index, good.meta.index);
  // Another stream is unaffected.
  auto other = std::move((*store)->OpenStream("b")).value();
  EXPECT_TRUE(AppendAndWait(*other, MakeFragment(other->ReserveIndex(), 1, 1)).ok());
}

}  // namespace
}  // namespace osprey::fragments
