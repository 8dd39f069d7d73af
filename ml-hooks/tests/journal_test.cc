// The checkpoint journal: resumes at the last complete line, repairs a torn
// tail, compacts without losing the last entry.
#include "pipeline/journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "osprey/base/file_util.h"

namespace osprey::ml_hooks::pipeline {
namespace {

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ml_journal_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "cam.journal").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static JournalEntry Entry(int n) {
    JournalEntry e;
    e.fragment_number = "9100" + std::to_string(n);
    e.continuation_token = e.fragment_number;
    e.producer_ms = 1700000000000 + n * 1000;
    e.server_ms = e.producer_ms + 7;
    e.frames = 5;
    e.dropped = n % 2;
    e.events = n;
    e.next_track_id = 10 + n;
    return e;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(JournalTest, ReopenResumesAtTheLastEntry) {
  {
    auto j = FragmentJournal::Open(path_);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    EXPECT_FALSE((*j)->last().has_value());
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE((*j)->Append(Entry(i)).ok());
  }
  auto j = FragmentJournal::Open(path_);
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE((*j)->last().has_value());
  EXPECT_EQ((*j)->last()->continuation_token, "91003");
  EXPECT_EQ((*j)->last()->next_track_id, 13u);
  EXPECT_EQ((*j)->last()->server_ms, Entry(3).server_ms);
  // Appending after a reopen continues the file.
  ASSERT_TRUE((*j)->Append(Entry(4)).ok());
  auto text = ReadFile(path_);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(std::count(text->begin(), text->end(), '\n'), 4);
}

TEST_F(JournalTest, TornTailIsCutAndThatFragmentIsRedone) {
  {
    auto j = FragmentJournal::Open(path_);
    ASSERT_TRUE((*j)->Append(Entry(1)).ok());
    ASSERT_TRUE((*j)->Append(Entry(2)).ok());
  }
  // A crash in the middle of writing entry 3.
  const std::string line = FragmentJournal::Render(Entry(3));
  {
    std::ofstream out(path_, std::ios::app | std::ios::binary);
    out << line.substr(0, line.size() / 2);
  }
  auto j = FragmentJournal::Open(path_);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)->last()->continuation_token, "91002");
  ASSERT_TRUE((*j)->Append(Entry(3)).ok());
  auto again = FragmentJournal::Open(path_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->last()->continuation_token, "91003");
}

TEST_F(JournalTest, GarbageLastLineIsCorruptionNotASilentRestart) {
  {
    std::ofstream out(path_, std::ios::binary);
    out << "not json\n";
  }
  auto j = FragmentJournal::Open(path_);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), Status::Code::kCorruption);
}

TEST_F(JournalTest, CompactionKeepsTheLastEntry) {
  auto j = FragmentJournal::Open(path_);
  ASSERT_TRUE(j.ok());
  // ~200 bytes a line: 4 MiB is passed after ~20k lines.
  for (int i = 1; i <= 25000; ++i) ASSERT_TRUE((*j)->Append(Entry(i)).ok());
  auto size = std::filesystem::file_size(path_);
  EXPECT_LT(size, 4u * 1024 * 1024);
  j->reset();
  auto again = FragmentJournal::Open(path_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->last()->continuation_token, "9100" + std::to_string(25000));
}

}  // namespace
}  // namespace osprey::ml_hooks::pipeline
