// Recorder: one file per fragment, pruning by size and age, reopen, and the
// split back into stream header + Cluster; RecordedSpool reads them back.
#include "osprey/agent/recorder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "daemon/recorded_spool.h"

namespace osprey::agent {
namespace {

namespace fs = std::filesystem;

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("recorder_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A Cluster (unknown size, Timecode 0, payload) after header_.
  Fragment MakeFragment(int64_t ts, size_t payload = 1000) {
    Fragment f;
    f.producer_timestamp_ms = ts;
    f.stream_header = header_;
    f.cluster = std::string("\x1F\x43\xB6\x75\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 12) +
                std::string("\xE7\x81\x00", 3) + std::string(payload, 'x');
    return f;
  }
  fs::path dir_;
  // EBML header (empty body) + Segment (unknown size) + Info (3 bytes).
  const std::string header_ = std::string("\x1A\x45\xDF\xA3\x80", 5) +
                              std::string("\x18\x53\x80\x67\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 12) +
                              std::string("\x15\x49\xA9\x66\x83\xAA\xBB\xCC", 8);
};

TEST_F(RecorderTest, OneFilePerFragmentSplitBack) {
  auto r = Recorder::Open({dir_.string(), 3600 * 1000, 1 << 20});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Fragment f = MakeFragment(1'700'000'000'000);
  ASSERT_TRUE((*r)->Add(f, 1'700'000'001'000).ok());
  ASSERT_TRUE((*r)->Add(f, 1'700'000'001'000).ok());  // same timestamp: skipped
  const fs::path file = dir_ / "0001700000000000.mkv";
  EXPECT_EQ(RecordedFileName(1'700'000'000'000), "0001700000000000.mkv");
  ASSERT_TRUE(fs::exists(file));
  std::ifstream in(file, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(data, f.stream_header + f.cluster);
  std::string_view header, cluster;
  ASSERT_TRUE(SplitRecordedFragment(data, &header, &cluster).ok());
  EXPECT_EQ(header, f.stream_header);
  EXPECT_EQ(cluster, f.cluster);
  EXPECT_EQ((*r)->Stats().files, 1u);
  EXPECT_EQ((*r)->Stats().written, 1u);
  EXPECT_FALSE(SplitRecordedFragment(f.stream_header, &header, &cluster).ok());
  EXPECT_FALSE(SplitRecordedFragment("garbage", &header, &cluster).ok());
}

TEST_F(RecorderTest, PrunesOldestBySizeAndAge) {
  const int64_t t0 = 1'700'000'000'000;
  {
    // Each file is ~1 KiB: a 4 KiB bound keeps the newest 3.
    auto r = Recorder::Open({dir_.string(), 3600 * 1000, 4096});
    ASSERT_TRUE(r.ok());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE((*r)->Add(MakeFragment(t0 + i * 1000), t0 + i * 1000).ok());
    RecorderStats st = (*r)->Stats();
    EXPECT_EQ(st.files, 3u);
    EXPECT_LE(st.bytes, 4096u);
    EXPECT_EQ(st.pruned, 7u);
    std::vector<RecordedFile> all = (*r)->List(0, INT64_MAX);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].producer_timestamp_ms, t0 + 7000);
    EXPECT_EQ((*r)->List(t0 + 8000, t0 + 8000).size(), 1u);
    EXPECT_EQ((*r)->List(t0, t0 + 7500).size(), 1u);
  }
  // Reopened with an age bound: files older than 2.5 s (against the wall
  // clock, i.e. all of them, being from 2023) go, except the newest.
  std::ofstream(dir_ / "0001700000099999.mkv.tmp") << "torn";
  auto r = Recorder::Open({dir_.string(), 2500, 1 << 20});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->Stats().files, 1u);
  EXPECT_FALSE(fs::exists(dir_ / "0001700000099999.mkv.tmp"));
  // By age on Add: now = t0 + 20 s keeps only what is younger than 2.5 s.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*r)->Add(MakeFragment(t0 + 16000 + i * 1000), t0 + 20000).ok());
  std::vector<RecordedFile> kept = (*r)->List(0, INT64_MAX);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept.front().producer_timestamp_ms, t0 + 18000);
}

TEST_F(RecorderTest, RecordedSpoolServesTheFilesInOrder) {
  const int64_t t0 = 1'700'000'000'000;
  auto r = Recorder::Open({dir_.string(), INT64_MAX / 4, 1 << 20});
  ASSERT_TRUE(r.ok());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE((*r)->Add(MakeFragment(t0 + i * 1000), t0).ok());
  RecordedSpool spool((*r)->List(t0 + 1000, t0 + 2000));
  EXPECT_EQ(spool.Stats().last_seq, 2u);
  EXPECT_TRUE(spool.WaitFor(2, std::chrono::milliseconds(0)));
  EXPECT_FALSE(spool.WaitFor(3, std::chrono::milliseconds(10)));
  auto first = spool.ReadFrom(1);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->producer_timestamp_ms, t0 + 1000);
  EXPECT_EQ((*first)->stream_header, header_);
  EXPECT_FALSE(spool.Append(1, "", "").ok());
  ASSERT_TRUE(spool.Acknowledge(1).ok());
  EXPECT_FALSE(spool.done());
  fs::remove(dir_ / RecordedFileName(t0 + 2000));  // pruned meanwhile
  EXPECT_EQ(spool.ReadFrom(2).status().code(), Status::Code::kCorruption);
  ASSERT_TRUE(spool.Acknowledge(2).ok());
  EXPECT_TRUE(spool.done());
  EXPECT_FALSE(spool.ReadFrom(3)->has_value());
  EXPECT_FALSE(spool.Acknowledge(3).ok());
}

}  // namespace
}  // namespace osprey::agent
