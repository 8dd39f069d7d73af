#include "osprey/base/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace osprey {
namespace {

namespace fs = std::filesystem;

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("osprey_file_util_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Names in dir_ other than `keep`.
  std::vector<std::string> Others(const std::string& keep) const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().filename() != keep) out.push_back(e.path().filename().string());
    }
    return out;
  }

  std::string dir_;
};

TEST_F(FileUtilTest, WriteFileAtomicallyCreatesAndReplaces) {
  const std::string path = dir_ + "/state";
  ASSERT_TRUE(WriteFileAtomically(path, "old").ok());
  EXPECT_EQ(ReadFile(path).value(), "old");
  ASSERT_TRUE(WriteFileAtomically(path, "new content").ok());
  EXPECT_EQ(ReadFile(path).value(), "new content");
  EXPECT_TRUE(Others("state").empty());  // no temporary file left behind
}

TEST_F(FileUtilTest, FailedSyncKeepsOldContentAndRemovesTemp) {
  const std::string path = dir_ + "/state";
  ASSERT_TRUE(WriteFileAtomically(path, "old").ok());
  AtomicWriteOptions options;
  options.sync = [](int) { return Status::IOError("injected"); };
  Status s = WriteFileAtomically(path, "new", options);
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find("injected"), std::string::npos) << s.ToString();
  EXPECT_EQ(ReadFile(path).value(), "old");
  EXPECT_TRUE(Others("state").empty());
}

TEST_F(FileUtilTest, SyncSeamIsCalledOncePerWrite) {
  int calls = 0;
  AtomicWriteOptions options;
  options.sync = [&](int fd) {
    ++calls;
    return ::fdatasync(fd) == 0 ? Status::Ok() : Status::FromErrno("fdatasync", errno);
  };
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/a", "x", options).ok());
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/a", "y", options).ok());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(ReadFile(dir_ + "/a").value(), "y");
}

TEST_F(FileUtilTest, FixedTempSuffixAndMode) {
  const std::string path = dir_ + "/key";
  // A stale temporary file of a crashed writer (mode 0644) is replaced, and
  // the key still gets 0600.
  ASSERT_TRUE(WriteFileAtomically(path + ".tmp", "stale").ok());
  AtomicWriteOptions options;
  options.temp_suffix = ".tmp";
  options.mode = 0600;
  options.sync_directory = false;
  ASSERT_TRUE(WriteFileAtomically(path, "secret", options).ok());
  EXPECT_EQ(ReadFile(path).value(), "secret");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FileUtilTest, WriteIntoMissingDirectoryFails) {
  Status s = WriteFileAtomically(dir_ + "/missing/file", "x");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("missing"), std::string::npos) << s.ToString();
}

TEST_F(FileUtilTest, ReadFileNotFound) {
  auto r = ReadFile(dir_ + "/absent");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
}

TEST_F(FileUtilTest, ReadFileLargerThanOneBuffer) {
  std::string big(200000, 'z');
  big[123456] = 'a';
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/big", big).ok());
  EXPECT_EQ(ReadFile(dir_ + "/big").value(), big);
}

TEST_F(FileUtilTest, WriteFullyAndPreadFully) {
  const std::string path = dir_ + "/data";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(WriteFully(fd, "hello ").ok());
  ASSERT_TRUE(WriteFully(fd, "world").ok());
  std::string out;
  ASSERT_TRUE(PreadFully(fd, 6, 5, &out).ok());
  EXPECT_EQ(out, "world");
  char buf[5];
  ASSERT_TRUE(PreadFully(fd, 0, 5, buf).ok());
  EXPECT_EQ(std::string(buf, 5), "hello");
  Status past = PreadFully(fd, 8, 10, &out);
  EXPECT_EQ(past.code(), Status::Code::kCorruption);
  ::close(fd);
}

TEST_F(FileUtilTest, MakeDirsAndRemoveTree) {
  const std::string deep = dir_ + "/a/b/c";
  ASSERT_TRUE(MakeDirs(deep).ok());
  EXPECT_TRUE(fs::is_directory(deep));
  EXPECT_TRUE(MakeDirs(deep).ok());  // already there
  ASSERT_TRUE(WriteFileAtomically(deep + "/f", "x").ok());
  EXPECT_EQ(MakeDirs(deep + "/f").code(), Status::Code::kIOError);  // a file
  ASSERT_TRUE(SyncDirectory(deep).ok());
  ASSERT_TRUE(RemoveTree(dir_ + "/a").ok());
  EXPECT_FALSE(fs::exists(dir_ + "/a"));
  EXPECT_TRUE(RemoveTree(dir_ + "/a").ok());  // absent is fine
}

TEST_F(FileUtilTest, SyncDirectoryOfMissingDirectoryFails) {
  EXPECT_FALSE(SyncDirectory(dir_ + "/nope").ok());
}

}  // namespace
}  // namespace osprey
