// Retention of the file fragment store: by age, by bytes, and what it never
// deletes.

#include <gtest/gtest.h>

#include <filesystem>

#include "fragment_store_test_util.h"
#include "osprey/fragments/fragment_store.h"

namespace osprey::fragments {
namespace {

using testing::AppendAndWait;
using testing::MakeFragment;

class FragmentStoreRetention : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.root = dir_.path();
    o.clock = [] { return int64_t{1}; };
    o.sync = [](int) { return Status::Ok(); };
    o.media_file_ms = 10'000;  // 5 fragments (2 s apart) per media file
    auto store = OpenFileFragmentStore(o);
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    log_ = std::move(store_->OpenStream("s")).value();
  }
  // Fragments with server time 2000 * i, i in [from, to).
  void Append(int from, int to) {
    for (int i = from; i < to; ++i) {
      indices_.push_back(log_->ReserveIndex());
      ASSERT_TRUE(AppendAndWait(*log_, MakeFragment(indices_.back(), 2000 * i, 2000 * i)).ok());
    }
  }
  size_t MediaFiles() { return testing::FilesWithExt(dir_.path() + "/s", ".media").size(); }

  testing::TempDir dir_;
  std::unique_ptr<FragmentStore> store_;
  std::shared_ptr<FragmentLog> log_;
  std::vector<uint64_t> indices_;
};

TEST_F(FragmentStoreRetention, ByTimeDeletesWholeOldFiles) {
  Append(0, 20);  // 4 files: [0,10 s) [10,20) [20,30) [30,40)
  ASSERT_EQ(MediaFiles(), 4u);
  // Cutoff 18 s: file 1 (newest 8 s) is all older; file 2's newest
  // fragment starts exactly at the cutoff, so it stays.
  auto r = log_->ApplyRetention(28'000, RetentionPolicy{10'000, 0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 5u);
  EXPECT_EQ(log_->Earliest()->index, indices_[5]);
  EXPECT_EQ(MediaFiles(), 3u);
  EXPECT_EQ(log_->Read(indices_[0]).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(log_->Read(indices_[5]).ok());
  EXPECT_EQ(log_->Stats().fragments, 15u);
  // Nothing more is old enough.
  EXPECT_EQ(*log_->ApplyRetention(28'000, RetentionPolicy{10'000, 0}), 0u);
  // One millisecond later file 2 goes too.
  EXPECT_EQ(*log_->ApplyRetention(28'001, RetentionPolicy{10'000, 0}), 5u);
}

TEST_F(FragmentStoreRetention, NeverDeletesTheNewestFragment) {
  Append(0, 11);  // 3 files, the last holding only fragment 10
  ASSERT_EQ(MediaFiles(), 3u);
  auto r = log_->ApplyRetention(1'000'000'000, RetentionPolicy{1, 1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 10u);
  EXPECT_EQ(MediaFiles(), 1u);
  EXPECT_EQ(log_->Earliest()->index, indices_[10]);
  EXPECT_EQ(log_->Latest()->index, indices_[10]);
  EXPECT_TRUE(log_->Read(indices_[10]).ok());
  EXPECT_EQ(*log_->ApplyRetention(2'000'000'000, RetentionPolicy{1, 1}), 0u);
  // Appends go on after it.
  Append(11, 12);
  EXPECT_TRUE(log_->Read(indices_[11]).ok());
}

TEST_F(FragmentStoreRetention, ByBytesEvictsOldestFiles) {
  Append(0, 20);
  const uint64_t total = log_->Stats().bytes;
  const uint64_t per_file = total / 4;
  // Room for a little over two files: the two oldest go.
  auto r = log_->ApplyRetention(0, RetentionPolicy{0, 2 * per_file + per_file / 2});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 10u);
  EXPECT_EQ(MediaFiles(), 2u);
  EXPECT_LE(log_->Stats().bytes, 2 * per_file + per_file / 2);
  EXPECT_EQ(log_->Earliest()->index, indices_[10]);
}

TEST_F(FragmentStoreRetention, ZeroPolicyKeepsEverything) {
  Append(0, 20);
  EXPECT_EQ(*log_->ApplyRetention(1'000'000'000, RetentionPolicy{}), 0u);
  EXPECT_EQ(log_->Stats().fragments, 20u);
}

TEST_F(FragmentStoreRetention, SurvivesReopen) {
  Append(0, 20);
  ASSERT_TRUE(log_->ApplyRetention(100'000, RetentionPolicy{75'000, 0}).ok());
  EXPECT_EQ(log_->Earliest()->index, indices_[10]);
  ASSERT_TRUE(store_->Close().ok());
  StoreOptions o;
  o.root = dir_.path();
  o.clock = [] { return int64_t{1}; };
  auto store = OpenFileFragmentStore(o);
  ASSERT_TRUE(store.ok());
  auto log = std::move((*store)->OpenStream("s")).value();
  EXPECT_EQ(log->Earliest()->index, indices_[10]);
  EXPECT_EQ(log->Stats().fragments, 10u);
  EXPECT_EQ(log->ReserveIndex(), indices_.back() + 1);
}

}  // namespace
}  // namespace osprey::fragments
