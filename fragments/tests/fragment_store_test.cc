// The file fragment store's behaviour through its public interface: round
// trips, index rules, lookups by both timestamps, pagination, reopen,
// subscriptions and deletion.

#include "osprey/fragments/fragment_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "fragment_store_test_util.h"

namespace osprey::fragments {
namespace {

using testing::AppendAndWait;
using testing::MakeFragment;

class FragmentStoreTest : public ::testing::Test {
 protected:
  StoreOptions Options() {
    StoreOptions o;
    o.root = dir_.path() + "/store";
    o.clock = [this] { return now_ms_.load(); };
    return o;
  }
  std::unique_ptr<FragmentStore> OpenStore() {
    auto s = OpenFileFragmentStore(Options());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }
  std::shared_ptr<FragmentLog> Stream(FragmentStore& store, const std::string& id = "cam-1") {
    auto log = store.OpenStream(id);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return std::move(log).value();
  }
  // Appends `n` fragments 2 s apart from server time 1'000'000; returns them.
  std::vector<FragmentInput> AppendN(FragmentLog& log, int n) {
    std::vector<FragmentInput> out;
    for (int i = 0; i < n; ++i) {
      uint64_t index = log.ReserveIndex();
      auto f = MakeFragment(index, 1'000'000 + 2000 * i, 5'000'000 + 2000 * i, "s");
      out.push_back(f);
      EXPECT_TRUE(AppendAndWait(log, f).ok());
    }
    return out;
  }

  testing::TempDir dir_;
  std::atomic<int64_t> now_ms_{1'700'000'000'000};
};

void ExpectSame(const StoredFragment& got, const FragmentInput& want) {
  EXPECT_EQ(got.meta, want.meta);
  EXPECT_EQ(got.stream_header, want.stream_header);
  EXPECT_EQ(got.cluster, want.cluster);
  EXPECT_EQ(got.metadata, want.metadata);
}

TEST_F(FragmentStoreTest, AppendReadRoundTrip) {
  auto store = OpenStore();
  auto log = Stream(*store);
  auto frags = AppendN(*log, 5);
  for (const auto& f : frags) {
    auto r = log->Read(f.meta.index);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectSame(*r, f);
  }
  EXPECT_EQ(log->Earliest()->index, frags.front().meta.index);
  EXPECT_EQ(log->Latest()->index, frags.back().meta.index);
  EXPECT_EQ(log->Find(frags[2].meta.index), frags[2].meta);
  EXPECT_EQ(log->After(frags[2].meta.index)->index, frags[3].meta.index);
  EXPECT_FALSE(log->After(frags[4].meta.index).has_value());
  EXPECT_FALSE(log->Find(frags[4].meta.index + 1).has_value());
  EXPECT_EQ(log->Read(12345).status().code(), Status::Code::kNotFound);
  StreamStats st = log->Stats();
  EXPECT_EQ(st.fragments, 5u);
  EXPECT_EQ(st.appends, 5u);
  EXPECT_GT(st.bytes, 5u * 200);
}

TEST_F(FragmentStoreTest, ReserveIndexIsMaxOfNextAndMicroseconds) {
  auto store = OpenStore();
  auto log = Stream(*store);
  const uint64_t a = log->ReserveIndex();
  EXPECT_EQ(a, static_cast<uint64_t>(now_ms_.load()) * 1000);
  EXPECT_EQ(log->ReserveIndex(), a + 1);  // clock did not move
  now_ms_ += 5;
  EXPECT_EQ(log->ReserveIndex(), a + 5000);
}

TEST_F(FragmentStoreTest, RejectsBadAppends) {
  auto store = OpenStore();
  auto log = Stream(*store);
  auto f = MakeFragment(100, 1, 1);
  ASSERT_TRUE(AppendAndWait(*log, f).ok());
  EXPECT_EQ(AppendAndWait(*log, MakeFragment(100, 2, 2)).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(AppendAndWait(*log, MakeFragment(99, 2, 2)).code(), Status::Code::kInvalidArgument);
  auto empty = MakeFragment(200, 3, 3);
  empty.cluster.clear();
  EXPECT_EQ(AppendAndWait(*log, empty).code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(AppendAndWait(*log, MakeFragment(101, 4, 4)).ok());
  EXPECT_EQ(store->OpenStream("bad/id").status().code(), Status::Code::kInvalidArgument);
}

TEST_F(FragmentStoreTest, LookupsByServerTimestamp) {
  auto store = OpenStore();
  auto log = Stream(*store);
  auto frags = AppendN(*log, 10);  // server 1'000'000, 1'002'000, ... duration 2000
  auto at = [&](int64_t t) { return log->FindByTimestamp(TimestampKind::kServer, t); };
  EXPECT_EQ(at(1'000'000)->index, frags[0].meta.index);
  EXPECT_EQ(at(1'003'999)->index, frags[1].meta.index);
  EXPECT_EQ(at(1'004'000)->index, frags[2].meta.index);
  EXPECT_EQ(at(0)->index, frags[0].meta.index);  // before everything: the first
  EXPECT_EQ(at(1'019'999)->index, frags[9].meta.index);
  EXPECT_FALSE(at(1'020'000).has_value());
}

TEST_F(FragmentStoreTest, ProducerTimestampsNeedNotBeMonotonic) {
  auto store = OpenStore();
  auto log = Stream(*store);
  // Session 1 at producer time 10'000.., session 2 restarted with a clock
  // 100 s behind: producer times go back while indices go on.
  std::vector<uint64_t> idx;
  for (int i = 0; i < 4; ++i) {
    idx.push_back(log->ReserveIndex());
    ASSERT_TRUE(AppendAndWait(*log, MakeFragment(idx.back(), 500'000 + 2000 * i,
                                                 110'000 + 2000 * i)).ok());
  }
  for (int i = 0; i < 4; ++i) {
    idx.push_back(log->ReserveIndex());
    ASSERT_TRUE(AppendAndWait(*log, MakeFragment(idx.back(), 508'000 + 2000 * i,
                                                 10'000 + 2000 * i)).ok());
  }
  auto at = [&](int64_t t) { return log->FindByTimestamp(TimestampKind::kProducer, t); };
  EXPECT_EQ(at(113'000)->index, idx[1]);
  EXPECT_EQ(at(12'500)->index, idx[5]);
  EXPECT_EQ(at(0)->index, idx[4]);       // nothing contains it: starts soonest after
  EXPECT_EQ(at(50'000)->index, idx[0]);  // in the gap between the sessions
  EXPECT_FALSE(at(200'000).has_value());

  // Range by producer time: index order, matching starts only.
  auto r = log->ListRange(TimestampKind::kProducer, 10'000, 112'000, 0, 100);
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0].index, idx[0]);
  EXPECT_EQ(r[1].index, idx[1]);
  EXPECT_EQ(r[2].index, idx[4]);
  EXPECT_EQ(r[5].index, idx[7]);
  // Server times are still ordered.
  auto s = log->ListRange(TimestampKind::kServer, 502'000, 510'000, 0, 100);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s.front().index, idx[1]);
}

TEST_F(FragmentStoreTest, ListRangePagination) {
  auto store = OpenStore();
  auto log = Stream(*store);
  auto frags = AppendN(*log, 25);
  for (auto kind : {TimestampKind::kServer, TimestampKind::kProducer}) {
    const int64_t base = kind == TimestampKind::kServer ? 1'000'000 : 5'000'000;
    std::vector<uint64_t> seen;
    uint64_t after = 0;
    for (;;) {
      auto page = log->ListRange(kind, base + 4000, base + 40'000, after, 7);
      if (page.empty()) break;
      EXPECT_LE(page.size(), 7u);
      for (const auto& m : page) seen.push_back(m.index);
      after = page.back().index;
    }
    ASSERT_EQ(seen.size(), 19u);  // fragments 2..20
    for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], frags[i + 2].meta.index);
  }
  EXPECT_TRUE(log->ListRange(TimestampKind::kServer, 0, 1, 0, 10).empty());
  EXPECT_TRUE(log->ListRange(TimestampKind::kServer, 0, INT64_MAX, 0, 0).empty());
}

TEST_F(FragmentStoreTest, ReopenKeepsEverythingAndIndicesGoOn) {
  std::vector<FragmentInput> frags;
  {
    auto store = OpenStore();
    auto log = Stream(*store);
    frags = AppendN(*log, 6);
    ASSERT_TRUE(Stream(*store, "cam-2") != nullptr);
    ASSERT_TRUE(store->Close().ok());
    EXPECT_EQ(AppendAndWait(*log, MakeFragment(frags.back().meta.index + 1, 1, 1)).code(),
              Status::Code::kFailedPrecondition);
  }
  now_ms_ = 1000;  // clock stepped back: indices must still grow
  auto store = OpenStore();
  EXPECT_EQ(store->StreamIds(), (std::vector<std::string>{"cam-1", "cam-2"}));
  auto log = Stream(*store);
  for (const auto& f : frags) {
    auto r = log->Read(f.meta.index);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectSame(*r, f);
  }
  EXPECT_EQ(log->ReserveIndex(), frags.back().meta.index + 1);
}

TEST_F(FragmentStoreTest, SecondStoreOnSameRootIsRefused) {
  auto store = OpenStore();
  auto again = OpenFileFragmentStore(Options());
  EXPECT_EQ(again.status().code(), Status::Code::kFailedPrecondition);
}

TEST_F(FragmentStoreTest, SubscribersSeeAcknowledgedFragmentsInOrder) {
  auto store = OpenStore();
  auto log = Stream(*store);
  std::mutex mu;
  std::vector<uint64_t> seen;
  std::vector<uint64_t> acked;
  const uint64_t id = log->Subscribe([&](const FragmentMeta& m) {
    std::lock_guard lock(mu);
    // Acked before subscribers hear of it, and readable by then.
    EXPECT_TRUE(log->Find(m.index).has_value());
    seen.push_back(m.index);
  });
  std::atomic<int> done{0};
  constexpr int kN = 200;
  std::vector<uint64_t> want;
  for (int i = 0; i < kN; ++i) {
    uint64_t index = log->ReserveIndex();
    want.push_back(index);
    log->AppendAsync(MakeFragment(index, i, i), [&, index](Status s) {
      EXPECT_TRUE(s.ok());
      std::lock_guard lock(mu);
      acked.push_back(index);
      ++done;
    });
  }
  while (done.load() < kN) std::this_thread::yield();
  log->Unsubscribe(id);
  ASSERT_TRUE(AppendAndWait(*log, MakeFragment(log->ReserveIndex(), 1, 1)).ok());
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, want);
  EXPECT_EQ(acked, want);
}

TEST_F(FragmentStoreTest, DeleteStream) {
  auto store = OpenStore();
  auto log = Stream(*store);
  auto other = Stream(*store, "cam-2");
  auto frags = AppendN(*log, 3);
  AppendN(*other, 1);
  ASSERT_TRUE(store->DeleteStream("cam-1").ok());
  EXPECT_EQ(AppendAndWait(*log, MakeFragment(log->ReserveIndex(), 1, 1)).code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(log->Read(frags[0].meta.index).status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(log->Find(frags[0].meta.index).has_value());
  EXPECT_FALSE(log->Latest().has_value());
  EXPECT_FALSE(std::filesystem::exists(Options().root + "/cam-1"));
  EXPECT_EQ(store->StreamIds(), std::vector<std::string>{"cam-2"});
  EXPECT_EQ(store->DeleteStream("cam-1").code(), Status::Code::kNotFound);
  EXPECT_TRUE(other->Latest().has_value());
}

TEST_F(FragmentStoreTest, DeleteStreamWaitsForInFlightAppends) {
  auto store = OpenStore();
  auto log = Stream(*store);
  std::atomic<int> ok{0};
  std::atomic<int> refused{0};
  std::atomic<int> calls{0};
  std::thread appender([&] {
    for (int i = 0; i < 300; ++i) {
      log->AppendAsync(MakeFragment(log->ReserveIndex(), i, i), [&](Status s) {
        (s.ok() ? ok : refused)++;
        calls++;
      });
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_TRUE(store->DeleteStream("cam-1").ok());
  appender.join();
  while (calls.load() < 300) std::this_thread::yield();
  EXPECT_EQ(ok + refused, 300);
  EXPECT_FALSE(std::filesystem::exists(Options().root + "/cam-1"));
}

TEST_F(FragmentStoreTest, RollsMediaFilesBySizeAndSpan) {
  StoreOptions o = Options();
  o.media_file_bytes = 2000;  // ~6 fragments of ~300 bytes
  o.media_file_ms = 10'000;   // or 5 fragments 2 s apart
  auto store = OpenFileFragmentStore(o);
  ASSERT_TRUE(store.ok());
  auto log = Stream(**store);
  auto frags = AppendN(*log, 30);
  const auto files = testing::FilesWithExt(o.root + "/cam-1", ".media");
  EXPECT_EQ(files.size(), 6u);  // span rolls first: 5 fragments per file
  EXPECT_EQ(testing::FilesWithExt(o.root + "/cam-1", ".index").size(), files.size());
  for (const auto& f : frags) ExpectSame(*log->Read(f.meta.index), f);
}

}  // namespace
}  // namespace osprey::fragments
