// Crash test: runs fragment_store_crash_child (real fdatasync/syncfs, several
// streams), SIGKILLs it at a random moment, reopens the store and checks
// that every acknowledged fragment is readable byte for byte, that every
// fragment the index lists is intact, and that index and media files agree
// in size. Every other round also leaves what a power cut could: garbage or
// zeros after the last write of a media or index file.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "fragment_store_crash_common.h"

namespace osprey::fragments {
namespace {

namespace fs = std::filesystem;

constexpr int kRounds = 24;
constexpr int kStreams = 5;

// Reads what is available on `fd` into *buf; false at EOF.
bool Drain(int fd, std::string* buf, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return true;
  char tmp[65536];
  ssize_t n = ::read(fd, tmp, sizeof(tmp));
  if (n <= 0) return false;
  buf->append(tmp, static_cast<size_t>(n));
  return true;
}

void AppendJunk(const fs::path& path, std::mt19937& rng, bool random_bytes) {
  std::string junk(1 + rng() % 700, '\0');
  if (random_bytes) {
    for (char& c : junk) c = static_cast<char>(rng());
  }
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

TEST(FragmentStoreCrash, KilledWriterLosesNoAcknowledgedFragment) {
  testing::TempDir dir;
  const std::string root = dir.path() + "/store";
  std::mt19937 rng(std::random_device{}());
  std::map<std::string, std::set<uint64_t>> acked;  // every round's acks
  uint64_t total_acked = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      const std::string streams = std::to_string(kStreams);
      ::execl(OSPREY_FRAGMENT_STORE_CRASH_CHILD, OSPREY_FRAGMENT_STORE_CRASH_CHILD, root.c_str(),
              streams.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    std::string out;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(100 + rng() % 500);
    while (std::chrono::steady_clock::now() < deadline) Drain(fds[0], &out, 5);
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    while (Drain(fds[0], &out, 100)) {
    }
    ::close(fds[0]);
    std::istringstream lines(out);
    std::string id;
    uint64_t index;
    while (lines >> id >> index) {
      acked[id].insert(index);
      ++total_acked;
    }

    if (round % 2 == 1) {
      const std::string sdir = root + "/" + testing::CrashStreamId(static_cast<int>(rng() % kStreams));
      const char* ext = round % 4 == 1 ? ".media" : ".index";
      auto files = testing::FilesWithExt(sdir, ext);
      if (!files.empty()) AppendJunk(files.back(), rng, round % 8 < 4);
    }

    auto store = OpenFileFragmentStore(testing::CrashStoreOptions(root));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int s = 0; s < kStreams; ++s) {
      const std::string sid = testing::CrashStreamId(s);
      auto log = (*store)->OpenStream(sid);
      ASSERT_TRUE(log.ok());
      auto listed = (*log)->ListRange(TimestampKind::kServer, INT64_MIN, INT64_MAX, 0, SIZE_MAX);
      std::set<uint64_t> present;
      for (const auto& m : listed) {
        present.insert(m.index);
        auto r = (*log)->Read(m.index);
        ASSERT_TRUE(r.ok()) << sid << " " << m.index << ": " << r.status().ToString();
        const FragmentInput want = testing::CrashFragment(sid, m.index);
        ASSERT_EQ(r->meta, want.meta);
        ASSERT_EQ(r->cluster, want.cluster);
        ASSERT_EQ(r->stream_header, want.stream_header);
        ASSERT_EQ(r->metadata, want.metadata);
      }
      for (uint64_t a : acked[sid]) ASSERT_TRUE(present.count(a)) << sid << " lost " << a;
      // Index and media agree: media files end where their last record ends,
      // index files hold exactly one entry per fragment.
      uint64_t media_bytes = 0;
      uint64_t index_bytes = 0;
      const auto media = testing::FilesWithExt(root + "/" + sid, ".media");
      const auto index_files = testing::FilesWithExt(root + "/" + sid, ".index");
      ASSERT_EQ(media.size(), index_files.size());
      for (const auto& p : media) media_bytes += fs::file_size(p);
      for (const auto& p : index_files) index_bytes += fs::file_size(p);
      StreamStats st = (*log)->Stats();
      EXPECT_EQ(st.bytes, media_bytes);
      EXPECT_EQ(index_bytes, 32 * index_files.size() + 80 * listed.size());  // version 2 entries
      EXPECT_EQ(st.fragments, listed.size());
    }
    ASSERT_TRUE((*store)->Close().ok());
  }
  std::printf("rounds=%d acked=%llu\n", kRounds, static_cast<unsigned long long>(total_acked));
  EXPECT_GT(total_acked, 0u);
}

}  // namespace
}  // namespace osprey::fragments
