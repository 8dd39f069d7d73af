// Retry recognition in the file fragment store: content hashes in the index
// (version 2), FindOrClaim against acknowledged and in-flight fragments,
// WhenSettled, the window, restarts, and data dirs written with the
// version-1 index (64-byte entries, no hash).
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>

#include "fragment_store_test_util.h"
#include "osprey/base/file_util.h"
#include "osprey/fragments/fragment_store.h"
#include "store/segment.h"
#include "store/store_format.h"

namespace osprey::fragments {
namespace {

using testing::AppendAndWait;
using testing::MakeFragment;
namespace fs = std::filesystem;

StoreOptions Options(const std::string& root) {
  StoreOptions o;
  o.root = root;
  o.clock = [] { return int64_t{1}; };  // indices 1000, 1001, ...
  o.sync = [](int) { return Status::Ok(); };
  return o;
}

// The fragment a producer re-sends: same bytes and timestamps as `f`, under
// the new index its new connection reserved, content hash as the ingest
// session sets it, server time of its own arrival.
FragmentMeta RetryOf(const FragmentInput& f, uint64_t new_index) {
  FragmentMeta m = f.meta;
  m.index = new_index;
  m.server_timestamp_ms += 5000;
  m.content_hash = ContentHash(f.cluster);
  return m;
}

Status WaitSettled(FragmentLog& log, uint64_t index) {
  std::promise<Status> p;
  auto fut = p.get_future();
  log.WhenSettled(index, [&p](Status s) { p.set_value(std::move(s)); });
  return fut.get();
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(FragmentStoreDedupe, ContentHashIsNonZeroAndTellsBytesApart) {
  EXPECT_NE(ContentHash(""), 0u);
  EXPECT_EQ(ContentHash("cluster bytes"), ContentHash(std::string("cluster bytes")));
  EXPECT_NE(ContentHash("cluster bytes"), ContentHash("cluster bytez"));
}

TEST(FragmentStoreDedupe, AppendStoresTheContentHashInTheIndex) {
  testing::TempDir dir;
  auto store = OpenFileFragmentStore(Options(dir.path()));
  ASSERT_TRUE(store.ok());
  auto log = std::move((*store)->OpenStream("s")).value();
  FragmentInput f = MakeFragment(log->ReserveIndex(), 10, 10);
  const uint64_t want = f.meta.content_hash;
  f.meta.content_hash = 0;  // a direct caller leaves it to the store
  ASSERT_TRUE(AppendAndWait(*log, f).ok());
  EXPECT_EQ(log->Find(f.meta.index)->content_hash, want);
  auto read = log->Read(f.meta.index);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->meta.content_hash, want);
  ASSERT_TRUE((*store)->Close().ok());
  // On disk: a version-2 index, 80-byte entries, the hash at byte 64.
  const auto index = testing::FilesWithExt(dir.path() + "/s", ".index");
  ASSERT_EQ(index.size(), 1u);
  const std::string raw = ReadFile(index[0]);
  ASSERT_EQ(raw.size(), 32u + 80u);
  EXPECT_EQ(raw.substr(0, 8), "OSPRFIX2");
  uint64_t stored = 0;
  for (int i = 7; i >= 0; --i) stored = (stored << 8) | static_cast<unsigned char>(raw[32 + 64 + i]);
  EXPECT_EQ(stored, want);
  // Reopened: the hash comes back from the index, and the record still
  // matches its entry.
  auto again = OpenFileFragmentStore(Options(dir.path()));
  ASSERT_TRUE(again.ok());
  auto log2 = std::move((*again)->OpenStream("s")).value();
  EXPECT_EQ(log2->Find(f.meta.index)->content_hash, want);
  ASSERT_TRUE(log2->Read(f.meta.index).ok());
}

TEST(FragmentStoreDedupe, IdenticalFragmentIsFoundOthersAreClaimed) {
  testing::TempDir dir;
  auto store = OpenFileFragmentStore(Options(dir.path()));
  ASSERT_TRUE(store.ok());
  auto log = std::move((*store)->OpenStream("s")).value();
  std::vector<FragmentInput> stored;
  for (int i = 0; i < 5; ++i) {
    stored.push_back(MakeFragment(log->ReserveIndex(), 1000 * i, 1000 * i));
    ASSERT_TRUE(AppendAndWait(*log, stored.back()).ok());
  }
  // The same bytes and timestamps under a new index: the original answers.
  auto found = log->FindOrClaim(RetryOf(stored[3], log->ReserveIndex()));
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, *log->Find(stored[3].meta.index));
  EXPECT_TRUE(WaitSettled(*log, found->index).ok());
  EXPECT_EQ(log->Stats().duplicates, 1u);
  EXPECT_TRUE(log->MayBeDuplicate(stored[3].meta.producer_timestamp_ms));
  EXPECT_FALSE(log->MayBeDuplicate(123'456));

  // Same producer timestamp, duration and size, one byte different: new.
  FragmentInput changed = stored[3];
  changed.meta.index = log->ReserveIndex();
  changed.cluster.back() ^= 1;
  changed.meta.content_hash = ContentHash(changed.cluster);
  EXPECT_FALSE(log->FindOrClaim(changed.meta));
  ASSERT_TRUE(AppendAndWait(*log, changed).ok());
  // Same bytes but another duration: a different fragment too.
  FragmentMeta other = RetryOf(stored[1], log->ReserveIndex());
  other.duration_ms += 1;
  EXPECT_FALSE(log->FindOrClaim(other));
  // An unknown hash never matches (and claims nothing).
  FragmentMeta unknown = RetryOf(stored[2], log->ReserveIndex());
  unknown.content_hash = 0;
  EXPECT_FALSE(log->FindOrClaim(unknown));
  EXPECT_EQ(log->Stats().duplicates, 1u);
  EXPECT_EQ(log->Stats().fragments, 6u);
}

TEST(FragmentStoreDedupe, ClaimedFragmentInFlightIsWaitedFor) {
  testing::TempDir dir;
  StoreOptions o = Options(dir.path());
  // Every sync waits for the gate: appends stay in the group commit until
  // it opens.
  testing::SyncGate gate;
  o.sync = gate.Hook();
  auto store = OpenFileFragmentStore(o);
  ASSERT_TRUE(store.ok());
  auto log = std::move((*store)->OpenStream("s")).value();

  FragmentInput original = MakeFragment(log->ReserveIndex(), 0, 7000);
  ASSERT_FALSE(log->FindOrClaim(original.meta));  // the dying connection claims it
  EXPECT_TRUE(log->MayBeDuplicate(7000));
  std::promise<Status> original_done;
  log->AppendAsync(original, [&](Status s) { original_done.set_value(s); });

  // The new connection re-sends it: it finds the claim, not a stored entry.
  auto found = log->FindOrClaim(RetryOf(original, log->ReserveIndex()));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->index, original.meta.index);
  EXPECT_FALSE(log->Find(original.meta.index));
  std::promise<Status> retry_done;
  log->WhenSettled(found->index, [&](Status s) { retry_done.set_value(s); });
  auto retry_future = retry_done.get_future();
  EXPECT_EQ(retry_future.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);

  gate.Open();
  EXPECT_TRUE(original_done.get_future().get().ok());
  EXPECT_TRUE(retry_future.get().ok());
  EXPECT_EQ(log->Stats().fragments, 1u);
  // Settled: a later retry finds the acknowledged entry.
  auto later = log->FindOrClaim(RetryOf(original, log->ReserveIndex()));
  ASSERT_TRUE(later);
  EXPECT_EQ(later->index, original.meta.index);
  EXPECT_EQ(log->Stats().duplicates, 2u);
}

TEST(FragmentStoreDedupe, FailedOriginalFailsItsWaitersAndEndsTheClaim) {
  testing::TempDir dir;
  auto store = OpenFileFragmentStore(Options(dir.path()));
  ASSERT_TRUE(store.ok());
  auto log = std::move((*store)->OpenStream("s")).value();
  FragmentInput newer = MakeFragment(log->ReserveIndex(), 0, 1000);
  FragmentInput original = MakeFragment(log->ReserveIndex(), 0, 2000);
  std::swap(newer.meta.index, original.meta.index);  // original < newer
  ASSERT_FALSE(log->FindOrClaim(original.meta));
  auto found = log->FindOrClaim(RetryOf(original, log->ReserveIndex()));
  ASSERT_TRUE(found);
  std::promise<Status> retry_done;
  log->WhenSettled(found->index, [&](Status s) { retry_done.set_value(s); });
  // Another connection appended a higher index first: the original's
  // append is refused, and the retry waiting on it hears the same.
  ASSERT_TRUE(AppendAndWait(*log, newer).ok());
  const Status s = AppendAndWait(*log, original);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(retry_done.get_future().get().code(), Status::Code::kInvalidArgument);
  // The claim is gone: the next attempt is a new fragment, and a
  // WhenSettled on the failed index says so.
  EXPECT_FALSE(log->FindOrClaim(RetryOf(original, log->ReserveIndex())));
  EXPECT_EQ(WaitSettled(*log, original.meta.index).code(), Status::Code::kUnavailable);
}

TEST(FragmentStoreDedupe, OnlyTheNewestWindowIsSearched) {
  testing::TempDir dir;
  StoreOptions o = Options(dir.path());
  o.dedupe_window = 3;
  auto store = OpenFileFragmentStore(o);
  ASSERT_TRUE(store.ok());
  auto log = std::move((*store)->OpenStream("s")).value();
  std::vector<FragmentInput> stored;
  for (int i = 0; i < 5; ++i) {
    stored.push_back(MakeFragment(log->ReserveIndex(), 1000 * i, 1000 * i));
    ASSERT_TRUE(AppendAndWait(*log, stored.back()).ok());
  }
  EXPECT_FALSE(log->MayBeDuplicate(stored[1].meta.producer_timestamp_ms));
  EXPECT_TRUE(log->MayBeDuplicate(stored[2].meta.producer_timestamp_ms));
  EXPECT_FALSE(log->FindOrClaim(RetryOf(stored[1], log->ReserveIndex())));
  EXPECT_TRUE(log->FindOrClaim(RetryOf(stored[2], log->ReserveIndex())));
}

TEST(FragmentStoreDedupe, RetryAfterRestartFindsTheOriginal) {
  testing::TempDir dir;
  FragmentInput original;
  {
    auto store = OpenFileFragmentStore(Options(dir.path()));
    ASSERT_TRUE(store.ok());
    auto log = std::move((*store)->OpenStream("s")).value();
    original = MakeFragment(log->ReserveIndex(), 0, 4000);
    ASSERT_TRUE(AppendAndWait(*log, original).ok());
    ASSERT_TRUE((*store)->Close().ok());
  }
  auto store = OpenFileFragmentStore(Options(dir.path()));
  ASSERT_TRUE(store.ok());
  auto log = std::move((*store)->OpenStream("s")).value();
  auto found = log->FindOrClaim(RetryOf(original, log->ReserveIndex()));
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, original.meta);
  EXPECT_TRUE(WaitSettled(*log, found->index).ok());
}

// Writes a version-1 segment (as stores before content hashes wrote it)
// holding `frags` into <root>/s.
void WriteVersion1Segment(const std::string& root, std::vector<FragmentInput>& frags) {
  const std::string sdir = root + "/s";
  fs::create_directories(sdir);
  const uint64_t base = frags.front().meta.index;
  std::string media = store::EncodeFileHeader(store::FileKind::kMedia, base, 0);
  std::string index = store::EncodeFileHeader(store::FileKind::kIndex, base, base, 1);
  for (FragmentInput& f : frags) {
    f.meta.content_hash = 0;  // what a version-1 index gives back
    store::IndexEntry e;
    e.meta = f.meta;
    e.offset = media.size();
    e.length = static_cast<uint32_t>(store::EncodeMediaRecord(f, &media));
    store::EncodeIndexEntry(e, 1, &index);
  }
  ASSERT_EQ(index.size(), 32 + 64 * frags.size());
  std::ofstream(store::MediaPath(sdir, base), std::ios::binary) << media;
  std::ofstream(store::IndexPath(sdir, base), std::ios::binary) << index;
}

TEST(FragmentStoreDedupe, Version1DataDirIsReadAndNewAppendsGoToAVersion2Segment) {
  testing::TempDir dir;
  std::vector<FragmentInput> old;
  for (int i = 0; i < 3; ++i) old.push_back(MakeFragment(1000 + i, 1000 * i, 1000 * i, "v1"));
  WriteVersion1Segment(dir.path(), old);
  // A torn last entry (crash mid-write under the old version): dropped.
  const fs::path v1_index = testing::FilesWithExt(dir.path() + "/s", ".index")[0];
  {
    std::ofstream(v1_index, std::ios::binary | std::ios::app) << std::string(40, '\x07');
  }
  FragmentInput fresh;
  {
    auto store = OpenFileFragmentStore(Options(dir.path()));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto log = std::move((*store)->OpenStream("s")).value();
    EXPECT_EQ(log->Stats().fragments, 3u);
    for (const FragmentInput& f : old) {
      auto r = log->Read(f.meta.index);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->meta, f.meta);  // content_hash 0: unknown
      EXPECT_EQ(r->cluster, f.cluster);
    }
    // Old entries have no hash: a retry of one cannot be recognised and is
    // stored (the behaviour before hashes), never wrongly merged.
    FragmentInput retry = old[2];
    retry.meta = RetryOf(old[2], log->ReserveIndex());
    EXPECT_FALSE(log->FindOrClaim(retry.meta));
    ASSERT_TRUE(AppendAndWait(*log, retry).ok());
    fresh = MakeFragment(log->ReserveIndex(), 9000, 9000, "v2");
    ASSERT_TRUE(AppendAndWait(*log, fresh).ok());
    ASSERT_TRUE((*store)->Close().ok());
  }
  EXPECT_EQ(fs::file_size(v1_index), 32u + 3 * 64u);  // torn tail truncated
  const auto index_files = testing::FilesWithExt(dir.path() + "/s", ".index");
  ASSERT_EQ(index_files.size(), 2u);
  EXPECT_EQ(ReadFile(index_files[0]).substr(0, 8), "OSPRFIX1");
  EXPECT_EQ(ReadFile(index_files[1]).substr(0, 8), "OSPRFIX2");
  EXPECT_EQ(fs::file_size(index_files[1]), 32u + 2 * 80u);

  auto store = OpenFileFragmentStore(Options(dir.path()));
  ASSERT_TRUE(store.ok());
  auto log = std::move((*store)->OpenStream("s")).value();
  EXPECT_EQ(log->Stats().fragments, 5u);  // 3 old + the unrecognised retry + fresh
  for (const FragmentInput& f : old) ASSERT_TRUE(log->Read(f.meta.index).ok());
  auto r = log->Read(fresh.meta.index);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->meta, fresh.meta);
  EXPECT_TRUE(log->FindOrClaim(RetryOf(fresh, log->ReserveIndex())));
}

}  // namespace
}  // namespace osprey::fragments
