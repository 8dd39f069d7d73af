// Crash recovery: torn and corrupt tails are truncated, damage elsewhere is
// Corruption. Files are damaged by hand between a Close and the next Open.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "osprey/streams/file_shard_log.h"
#include "test_util.h"

namespace osprey::streams {
namespace {

namespace fs = std::filesystem;
using testing::Numbered;
using testing::TempDir;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteAll(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

constexpr size_t kDataSize = 40;
// Frame size of Numbered(i, kDataSize): 8 header + 24 fixed + key "kN" + data.
constexpr size_t kFrame = 8 + 24 + 2 + kDataSize;

class RecoveryTest : public ::testing::Test {
 protected:
  // Writes records 1..n into `dir` and closes the log.
  void Build(const std::string& dir, uint64_t n, uint64_t segment_bytes = 64u << 20) {
    LogOptions o;
    o.segment_bytes = segment_bytes;
    auto log = std::move(OpenFileShardLog(dir, o).value());
    for (uint64_t i = 1; i <= n; ++i)
      ASSERT_TRUE(log->AppendAndWait({Numbered(i, kDataSize)}).ok());
    ASSERT_TRUE(log->Close().ok());
  }
  // Opens `dir`, expects exactly records 1..expect, and that appending goes on.
  void ExpectRecovered(const std::string& dir, uint64_t expect, uint64_t dropped) {
    RecoveryReport report;
    auto log = OpenFileShardLog(dir, LogOptions{}, &report);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    EXPECT_EQ(report.bytes_dropped, dropped);
    EXPECT_EQ((*log)->Latest(), expect);
    auto r = (*log)->Read(1, {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->records.size(), expect);
    for (uint64_t i = 0; i < expect; ++i) {
      ASSERT_EQ(r->records[i].data, Numbered(i + 1, kDataSize).data);
    }
    auto a = (*log)->AppendAndWait({Numbered(expect + 1, kDataSize)});
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_EQ(a->first_index, expect + 1);
  }
  TempDir tmp_;
};

TEST_F(RecoveryTest, TruncationAtEveryLengthOfTheLastRecord) {
  Build(tmp_.Sub("orig"), 5);
  auto files = testing::SegmentFiles(tmp_.Sub("orig"));
  ASSERT_EQ(files.size(), 1u);
  const std::string full = ReadAll(files[0]);
  ASSERT_EQ(full.size(), 16 + 5 * kFrame);
  const size_t last_start = full.size() - kFrame;
  for (size_t len = last_start; len <= full.size(); ++len) {
    SCOPED_TRACE("length " + std::to_string(len));
    std::string dir = tmp_.Sub("t" + std::to_string(len));
    fs::create_directories(dir);
    WriteAll(fs::path(dir) / files[0].filename(), full.substr(0, len));
    const bool complete = len == full.size();
    ExpectRecovered(dir, complete ? 5 : 4, complete ? 0 : len - last_start);
    if (HasFatalFailure()) return;
  }
}

TEST_F(RecoveryTest, TornSegmentHeaderRestartsEmpty) {
  Build(tmp_.Sub("orig"), 1);
  auto files = testing::SegmentFiles(tmp_.Sub("orig"));
  const std::string full = ReadAll(files[0]);
  for (size_t len = 0; len < 16; ++len) {
    std::string dir = tmp_.Sub("h" + std::to_string(len));
    fs::create_directories(dir);
    WriteAll(fs::path(dir) / files[0].filename(), full.substr(0, len));
    ExpectRecovered(dir, 0, len);
  }
}

TEST_F(RecoveryTest, FlippedByteInTheTailIsTruncatedThere) {
  Build(tmp_.Sub("orig"), 5);
  auto file = testing::SegmentFiles(tmp_.Sub("orig"))[0];
  const std::string full = ReadAll(file);
  const size_t last_start = full.size() - kFrame;
  for (size_t at = last_start; at < full.size(); ++at) {
    SCOPED_TRACE("byte " + std::to_string(at));
    std::string dir = tmp_.Sub("f" + std::to_string(at));
    fs::create_directories(dir);
    std::string bad = full;
    bad[at] ^= 0x01;
    WriteAll(fs::path(dir) / file.filename(), bad);
    ExpectRecovered(dir, 4, kFrame);
    if (HasFatalFailure()) return;
  }
}

TEST_F(RecoveryTest, CorruptRecordInLastSegmentDropsItAndEverythingAfter) {
  Build(tmp_.path(), 10);
  auto file = testing::SegmentFiles(tmp_.path())[0];
  std::string bad = ReadAll(file);
  bad[16 + 6 * kFrame + 20] ^= 0x40;  // inside record 7
  WriteAll(file, bad);
  ExpectRecovered(tmp_.path(), 6, 4 * kFrame);
}

TEST_F(RecoveryTest, ZeroFilledTailIsTruncated) {
  Build(tmp_.path(), 3);
  auto file = testing::SegmentFiles(tmp_.path())[0];
  WriteAll(file, ReadAll(file) + std::string(4096, '\0'));
  ExpectRecovered(tmp_.path(), 3, 4096);
}

TEST_F(RecoveryTest, CorruptionInASealedSegmentIsAnError) {
  Build(tmp_.path(), 30, 512);
  auto files = testing::SegmentFiles(tmp_.path());
  ASSERT_GT(files.size(), 2u);
  std::string bad = ReadAll(files[1]);
  bad[16 + kFrame + 10] ^= 0x01;
  WriteAll(files[1], bad);

  // A verifying open scans sealed segments and refuses the log.
  LogOptions verify;
  verify.verify_sealed_segments = true;
  auto log = OpenFileShardLog(tmp_.path(), verify);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), Status::Code::kCorruption);
  EXPECT_NE(log.status().message().find(files[1].filename().string()), std::string::npos)
      << log.status().message();

  // A normal open trusts the index file; the read that meets the damage
  // reports it, and records before it stay readable.
  LogOptions o;
  o.tail_cache_bytes = 0;
  auto trusting = OpenFileShardLog(tmp_.path(), o);
  ASSERT_TRUE(trusting.ok()) << trusting.status().ToString();
  auto r = (*trusting)->Read(1, {});
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  auto before = (*trusting)->Read(1, {3, 1 << 20});
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->records.size(), 3u);
  ASSERT_TRUE((*trusting)->Close().ok());

  // Without its index file the segment is scanned, and open fails.
  fs::path idx = files[1];
  idx.replace_extension(".idx");
  ASSERT_TRUE(fs::remove(idx));
  EXPECT_EQ(OpenFileShardLog(tmp_.path(), o).status().code(), Status::Code::kCorruption);
}

TEST_F(RecoveryTest, IndexFilesAreWrittenRebuiltAndDistrusted) {
  Build(tmp_.path(), 40, 512);
  auto files = testing::SegmentFiles(tmp_.path());
  ASSERT_GT(files.size(), 3u);
  for (size_t i = 0; i < files.size(); ++i) {
    fs::path idx = files[i];
    idx.replace_extension(".idx");
    EXPECT_EQ(fs::exists(idx), i + 1 < files.size()) << idx;  // all but the active one
  }
  fs::path idx0 = files[0];
  idx0.replace_extension(".idx");
  fs::path idx1 = files[1];
  idx1.replace_extension(".idx");
  fs::remove(idx0);                 // missing: rebuilt by a scan
  std::string bad = ReadAll(idx1);  // damaged: ignored, rebuilt
  bad[30] ^= 0x01;
  WriteAll(idx1, bad);
  for (int pass = 0; pass < 2; ++pass) {
    RecoveryReport report;
    LogOptions o;
    o.tail_cache_bytes = 0;
    auto log = OpenFileShardLog(tmp_.path(), o, &report);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    EXPECT_EQ(report.records, 40u);
    for (uint64_t from : {1u, 5u, 9u, 23u, 40u}) {
      auto r = (*log)->Read(from, {});
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->records.size(), 41 - from);
      EXPECT_EQ(r->records[0].data, Numbered(from, kDataSize).data);
    }
    auto t = (*log)->ReadFromTimestamp(0, {1, 1 << 20});
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->records.at(0).sequence_index, 1u);
  }
  EXPECT_TRUE(fs::exists(idx0));
  EXPECT_NE(ReadAll(idx1), bad);
}

TEST_F(RecoveryTest, TruncatedSealedSegmentIsAnError) {
  Build(tmp_.path(), 30, 512);
  auto files = testing::SegmentFiles(tmp_.path());
  fs::resize_file(files[0], fs::file_size(files[0]) - 3);
  auto log = OpenFileShardLog(tmp_.path(), LogOptions{});
  EXPECT_EQ(log.status().code(), Status::Code::kCorruption);
}

TEST_F(RecoveryTest, MissingMiddleSegmentIsAnError) {
  Build(tmp_.path(), 30, 512);
  auto files = testing::SegmentFiles(tmp_.path());
  ASSERT_GT(files.size(), 2u);
  fs::remove(files[1]);
  auto log = OpenFileShardLog(tmp_.path(), LogOptions{});
  EXPECT_EQ(log.status().code(), Status::Code::kCorruption);
}

TEST_F(RecoveryTest, ReadReportsDamageFoundAfterOpen) {
  Build(tmp_.path(), 30, 512);
  LogOptions o;
  o.tail_cache_bytes = 0;
  auto log = std::move(OpenFileShardLog(tmp_.path(), o).value());
  auto files = testing::SegmentFiles(tmp_.path());
  std::string bad = ReadAll(files[0]);
  bad[16 + 2 * kFrame + 30] ^= 0x01;  // record 3
  WriteAll(files[0], bad);
  auto r = log->Read(1, {});
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace osprey::streams
