// Recovery of the file fragment store from torn tails and damaged bytes,
// and the index high-water mark across retention and restarts.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fragment_store_test_util.h"
#include "osprey/fragments/fragment_store.h"

namespace osprey::fragments {
namespace {

using testing::AppendAndWait;
using testing::MakeFragment;
namespace fs = std::filesystem;

constexpr size_t kIndexEntry = 80;  // FORMAT.md: fixed index entry size (version 2)

StoreOptions Options(const std::string& root) {
  StoreOptions o;
  o.root = root;
  o.clock = [] { return int64_t{1}; };  // indices 1000, 1001, ...
  o.sync = [](int) { return Status::Ok(); };  // page cache is enough here
  return o;
}

// Writes `n` fragments to stream "s" under `root`, closes the store.
std::vector<FragmentInput> Populate(const std::string& root, int n) {
  auto store = OpenFileFragmentStore(Options(root));
  EXPECT_TRUE(store.ok());
  auto log = std::move((*store)->OpenStream("s")).value();
  std::vector<FragmentInput> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(MakeFragment(log->ReserveIndex(), 1000 * i, 1000 * i, "r", 100 + 10 * i));
    EXPECT_TRUE(AppendAndWait(*log, out.back()).ok());
  }
  EXPECT_TRUE((*store)->Close().ok());
  return out;
}

// Opens `root` and checks that exactly `want` is there, byte for byte, and
// that a new fragment can be appended and read back.
void ExpectExactly(const std::string& root, const std::vector<FragmentInput>& want) {
  auto store = OpenFileFragmentStore(Options(root));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto log = std::move((*store)->OpenStream("s")).value();
  auto all = log->ListRange(TimestampKind::kServer, INT64_MIN, INT64_MAX, 0, 1000);
  ASSERT_EQ(all.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    auto r = log->Read(want[i].meta.index);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->meta, want[i].meta);
    EXPECT_EQ(r->cluster, want[i].cluster);
    EXPECT_EQ(r->metadata, want[i].metadata);
  }
  auto next = MakeFragment(log->ReserveIndex(), 99'000, 99'000, "new");
  ASSERT_TRUE(AppendAndWait(*log, next).ok());
  ASSERT_TRUE(log->Read(next.meta.index).ok());
}

TEST(FragmentStoreRecovery, TornMediaTailAtEveryByteOfTheLastRecord) {
  testing::TempDir dir;
  const std::string golden = dir.path() + "/golden";
  auto frags = Populate(golden, 4);
  const fs::path media = testing::FilesWithExt(golden + "/s", ".media").back();
  const uint64_t full = fs::file_size(media);
  // Where the last record starts: the media offset in the last index entry
  // (FORMAT.md: u64 at byte 48 of the entry).
  const std::string work = dir.path() + "/work";
  const fs::path index = testing::FilesWithExt(golden + "/s", ".index").back();
  std::ifstream in(index, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(fs::file_size(index) - kIndexEntry + 48));
  unsigned char raw[8];
  in.read(reinterpret_cast<char*>(raw), 8);
  uint64_t last_start = 0;
  for (int i = 7; i >= 0; --i) last_start = (last_start << 8) | raw[i];
  ASSERT_LT(last_start, full);
  ASSERT_GT(last_start, 32u);
  for (uint64_t len = last_start; len < full; ++len) {
    SCOPED_TRACE("media length " + std::to_string(len));
    fs::copy(golden, work, fs::copy_options::recursive);
    fs::resize_file(work + "/s/" + media.filename().string(), len);
    ExpectExactly(work, {frags.begin(), frags.end() - 1});
    fs::remove_all(work);
  }
}

TEST(FragmentStoreRecovery, TornIndexTailAtEveryByteOfTheLastEntry) {
  testing::TempDir dir;
  const std::string golden = dir.path() + "/golden";
  auto frags = Populate(golden, 4);
  const fs::path index = testing::FilesWithExt(golden + "/s", ".index").back();
  const uint64_t full = fs::file_size(index);
  const std::string work = dir.path() + "/work";
  for (uint64_t len = full - kIndexEntry; len < full; ++len) {
    SCOPED_TRACE("index length " + std::to_string(len));
    fs::copy(golden, work, fs::copy_options::recursive);
    fs::resize_file(work + "/s/" + index.filename().string(), len);
    ExpectExactly(work, {frags.begin(), frags.end() - 1});
    // The unindexed media record was truncated away too.
    fs::remove_all(work);
  }
  ExpectExactly(golden, frags);
}

void FlipByte(const fs::path& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

TEST(FragmentStoreRecovery, CorruptMediaBytesAreReportedByRead) {
  testing::TempDir dir;
  auto frags = Populate(dir.path(), 3);
  const fs::path media = testing::FilesWithExt(dir.path() + "/s", ".media").back();
  // Inside the first record's cluster bytes (header 32 + record header 56 +
  // stream header).
  FlipByte(media, 32 + 56 + frags[0].stream_header.size() + 20);
  auto store = OpenFileFragmentStore(Options(dir.path()));
  ASSERT_TRUE(store.ok());
  auto log = std::move((*store)->OpenStream("s")).value();
  EXPECT_EQ(log->Read(frags[0].meta.index).status().code(), Status::Code::kCorruption);
  EXPECT_TRUE(log->Read(frags[1].meta.index).ok());
  EXPECT_TRUE(log->Read(frags[2].meta.index).ok());
}

TEST(FragmentStoreRecovery, CorruptIndexEntryDropsTheRestOfTheTail) {
  testing::TempDir dir;
  auto frags = Populate(dir.path(), 5);
  const fs::path index = testing::FilesWithExt(dir.path() + "/s", ".index").back();
  FlipByte(index, 32 + 2 * kIndexEntry + 30);  // third entry
  ExpectExactly(dir.path(), {frags.begin(), frags.begin() + 2});
}

TEST(FragmentStoreRecovery, SegmentWithoutIndexOrWithTornHeaderIsRemoved) {
  testing::TempDir dir;
  auto frags = Populate(dir.path(), 2);
  // A newest segment whose creation was cut short: torn headers, no entries.
  std::ofstream(dir.path() + "/s/00000000000000999999.media") << "OSPR";
  std::ofstream(dir.path() + "/s/00000000000000999999.index") << "";
  // A media file whose index retention already unlinked.
  std::ofstream(dir.path() + "/s/00000000000000000001.media") << std::string(100, 'x');
  ExpectExactly(dir.path(), frags);
  EXPECT_FALSE(fs::exists(dir.path() + "/s/00000000000000999999.media"));
  EXPECT_FALSE(fs::exists(dir.path() + "/s/00000000000000000001.media"));
}

TEST(FragmentStoreRecovery, HighWaterSurvivesRetentionAndReopen) {
  testing::TempDir dir;
  StoreOptions o = Options(dir.path());
  o.media_file_ms = 1;  // one fragment per media file
  uint64_t reserved = 0;
  uint64_t newest = 0;
  {
    auto store = OpenFileFragmentStore(o);
    ASSERT_TRUE(store.ok());
    auto log = std::move((*store)->OpenStream("s")).value();
    for (int i = 0; i < 5; ++i) {
      newest = log->ReserveIndex();
      ASSERT_TRUE(AppendAndWait(*log, MakeFragment(newest, 10 * i, 10 * i)).ok());
    }
    // Indices handed out (BUFFERING acks) whose fragments never came.
    for (int i = 0; i < 50; ++i) reserved = log->ReserveIndex();
    auto deleted = log->ApplyRetention(1'000'000, RetentionPolicy{1000, 0});
    ASSERT_TRUE(deleted.ok());
    EXPECT_EQ(*deleted, 4u);  // all but the newest
    EXPECT_EQ(log->Earliest()->index, newest);
    ASSERT_TRUE((*store)->Close().ok());
  }
  // Even with every segment gone, the HIGHWATER file keeps indices unique.
  for (const auto& ext : {".media", ".index"}) {
    for (const auto& p : testing::FilesWithExt(dir.path() + "/s", ext)) fs::remove(p);
  }
  auto store = OpenFileFragmentStore(o);
  ASSERT_TRUE(store.ok());
  auto log = std::move((*store)->OpenStream("s")).value();
  EXPECT_FALSE(log->Latest().has_value());
  EXPECT_EQ(log->ReserveIndex(), reserved + 1);
}

}  // namespace
}  // namespace osprey::fragments
