#include "osprey/agent/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace osprey::agent {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spool_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Spool> OpenSpool(uint64_t max_bytes = 1 << 30,
                                   SpoolOverflowPolicy policy = SpoolOverflowPolicy::kDropOldest,
                                   uint64_t segment_bytes = 0) {
    SpoolOptions o;
    o.dir = dir_.string();
    o.max_bytes = max_bytes;
    o.policy = policy;
    o.segment_bytes = segment_bytes;
    auto r = Spool::Open(o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }
  static std::string Cluster(uint64_t i, size_t n = 100) {
    return std::string(n, static_cast<char>('a' + i % 26));
  }
  std::vector<fs::path> Segments() const {
    std::vector<fs::path> out;
    for (auto& e : fs::directory_iterator(dir_)) {
      if (e.path().extension() == ".osp") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
};

TEST_F(SpoolTest, AppendAndReadBack) {
  auto spool = OpenSpool();
  for (uint64_t i = 1; i <= 5; ++i) {
    auto seq = spool->Append(1000 + static_cast<int64_t>(i), "HDR", Cluster(i));
    ASSERT_TRUE(seq.ok());
    EXPECT_EQ(*seq, i);
  }
  auto f = spool->ReadFrom(3);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->has_value());
  EXPECT_EQ((*f)->seq, 3u);
  EXPECT_EQ((*f)->producer_timestamp_ms, 1003);
  EXPECT_EQ((*f)->stream_header, "HDR");
  EXPECT_EQ((*f)->cluster, Cluster(3));
  auto none = spool->ReadFrom(6);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(spool->LastProducerTimestamp(), 1005);
}

TEST_F(SpoolTest, ReopenKeepsRecordsAndMarker) {
  {
    auto spool = OpenSpool();
    for (int i = 1; i <= 4; ++i) ASSERT_TRUE(spool->Append(i * 10, "H", Cluster(i)).ok());
    ASSERT_TRUE(spool->Acknowledge(2).ok());
  }
  auto spool = OpenSpool();
  EXPECT_EQ(spool->acked_seq(), 2u);
  auto f = spool->ReadFrom(spool->acked_seq() + 1);
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->seq, 3u);
  auto seq = spool->Append(50, "H", Cluster(5));
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 5u);  // numbering continues
  EXPECT_EQ(spool->LastProducerTimestamp(), 50);
}

TEST_F(SpoolTest, AcknowledgingEverythingDeletesSegmentsButKeepsNumbering) {
  {
    auto spool = OpenSpool();
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(spool->Append(i, "H", Cluster(i)).ok());
    ASSERT_TRUE(spool->Acknowledge(3).ok());
    EXPECT_TRUE(Segments().empty());
  }
  auto spool = OpenSpool();
  EXPECT_EQ(spool->LastProducerTimestamp(), 3);
  auto seq = spool->Append(4, "H", Cluster(4));
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 4u);
}

TEST_F(SpoolTest, AcknowledgeBeyondLastIsInvalid) {
  auto spool = OpenSpool();
  ASSERT_TRUE(spool->Append(1, "H", "c").ok());
  EXPECT_EQ(spool->Acknowledge(2).code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(spool->Acknowledge(0).ok());
}

TEST_F(SpoolTest, TornTailIsCutOnReopen) {
  {
    auto spool = OpenSpool();
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(spool->Append(i, "H", Cluster(i)).ok());
  }
  auto segs = Segments();
  ASSERT_EQ(segs.size(), 1u);
  auto size = fs::file_size(segs[0]);
  fs::resize_file(segs[0], size - 7);  // a torn last record
  auto spool = OpenSpool();
  EXPECT_EQ(spool->Stats().last_seq, 2u);
  EXPECT_GT(spool->Stats().truncated_bytes, 0u);
  auto seq = spool->Append(4, "H", Cluster(4));
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 3u);  // the torn record never counted
  auto f = spool->ReadFrom(3);
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->cluster, Cluster(4));
}

TEST_F(SpoolTest, CorruptByteInTailIsCut) {
  {
    auto spool = OpenSpool();
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(spool->Append(i, "H", Cluster(i)).ok());
  }
  auto seg = Segments().at(0);
  auto size = fs::file_size(seg);
  int fd = ::open(seg.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, "X", 1, static_cast<off_t>(size - 3)), 1);
  ::close(fd);
  auto spool = OpenSpool();
  EXPECT_EQ(spool->Stats().last_seq, 2u);
}

TEST_F(SpoolTest, GarbageAfterLastRecordIsCut) {
  {
    auto spool = OpenSpool();
    ASSERT_TRUE(spool->Append(1, "H", Cluster(1)).ok());
  }
  auto seg = Segments().at(0);
  auto size = fs::file_size(seg);
  fs::resize_file(seg, size + 4096);  // zeros, as after a crash with preallocation
  auto spool = OpenSpool();
  EXPECT_EQ(spool->Stats().last_seq, 1u);
  EXPECT_EQ(fs::file_size(seg), size);
}

TEST_F(SpoolTest, DropOldestStaysWithinBound) {
  auto spool = OpenSpool(256 << 10, SpoolOverflowPolicy::kDropOldest, 64 << 10);
  for (int i = 1; i <= 100; ++i) {
    ASSERT_TRUE(spool->Append(i, "H", Cluster(static_cast<uint64_t>(i), 10000)).ok()) << i;
    EXPECT_LE(spool->Stats().bytes, 256u << 10);
  }
  auto st = spool->Stats();
  EXPECT_GT(st.dropped_fragments, 0u);
  EXPECT_EQ(st.last_seq, 100u);
  auto first = spool->ReadFrom(1);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->seq, st.first_seq);
  EXPECT_GT(st.first_seq, 1u);
  // The newest records always survive.
  auto last = spool->ReadFrom(100);
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->producer_timestamp_ms, 100);
}

TEST_F(SpoolTest, RefuseNewWhenFull) {
  auto spool = OpenSpool(128 << 10, SpoolOverflowPolicy::kRefuseNew, 64 << 10);
  Status last;
  int appended = 0;
  for (int i = 1; i <= 50; ++i) {
    auto r = spool->Append(i, "H", Cluster(static_cast<uint64_t>(i), 10000));
    if (!r.ok()) {
      last = r.status();
      break;
    }
    ++appended;
  }
  EXPECT_EQ(last.code(), Status::Code::kResourceExhausted);
  EXPECT_GT(appended, 5);
  // Acknowledging frees whole segments, and appends work again.
  ASSERT_TRUE(spool->Acknowledge(static_cast<uint64_t>(appended)).ok());
  EXPECT_TRUE(spool->Append(1000, "H", Cluster(1, 10000)).ok());
}

TEST_F(SpoolTest, OversizedFragmentIsInvalid) {
  auto spool = OpenSpool(128 << 10, SpoolOverflowPolicy::kDropOldest, 64 << 10);
  auto r = spool->Append(1, "H", std::string(70 << 10, 'x'));
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(SpoolTest, SecondOpenOfSameDirIsRefused) {
  auto spool = OpenSpool();
  SpoolOptions o;
  o.dir = dir_.string();
  auto second = Spool::Open(o);
  EXPECT_EQ(second.status().code(), Status::Code::kUnavailable);
}

TEST_F(SpoolTest, WaitForWakesOnAppendAndClose) {
  auto spool = OpenSpool();
  EXPECT_FALSE(spool->WaitFor(1, std::chrono::milliseconds(10)));
  std::thread t([&] { (void)spool->Append(1, "H", "c"); });
  EXPECT_TRUE(spool->WaitFor(1, std::chrono::seconds(5)));
  t.join();
  spool->Close();
  EXPECT_FALSE(spool->WaitFor(2, std::chrono::seconds(5)));  // returns at once
}

TEST_F(SpoolTest, SegmentsRollAndAckDeletesOldOnes) {
  auto spool = OpenSpool(1 << 20, SpoolOverflowPolicy::kDropOldest, 64 << 10);
  for (int i = 1; i <= 30; ++i) ASSERT_TRUE(spool->Append(i, "H", Cluster(1, 10000)).ok());
  auto before = Segments().size();
  EXPECT_GT(before, 3u);
  ASSERT_TRUE(spool->Acknowledge(20).ok());
  EXPECT_LT(Segments().size(), before);
  auto f = spool->ReadFrom(21);
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->seq, 21u);
}

}  // namespace
}  // namespace osprey::agent
