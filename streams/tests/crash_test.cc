// Crash test: a child process appends in a loop from several threads and
// reports every acknowledged batch through a pipe; the parent SIGKILLs it at
// a random moment, recovers the log, and checks that every acknowledged
// record is present, in order, and that no partial record appears.

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "osprey/streams/file_shard_log.h"
#include "test_util.h"

namespace osprey::streams {
namespace {

constexpr int kRounds = 25;
constexpr int kWriters = 4;

struct Ack {
  uint64_t index;  // last index of the acknowledged batch
  uint32_t writer;
  uint32_t n;  // the writer's counter for that record
};

LogOptions ChildOptions() {
  LogOptions o;
  o.segment_bytes = 32 * 1024;  // many rolls, so kills land around them too
  o.tail_cache_bytes = 64 * 1024;
  return o;
}

std::string Key(int round, uint32_t writer) {
  return "r" + std::to_string(round) + "w" + std::to_string(writer);
}

// The payload of writer's n-th record: self-describing so that any record
// can be checked alone.
std::string Payload(const std::string& key, uint32_t n) {
  std::string s = key + "-" + std::to_string(n) + "-";
  s.append(20 + n % 300, static_cast<char>('a' + n % 26));
  return s;
}

[[noreturn]] void RunChild(const std::string& dir, int round, int fd) {
  auto log = OpenFileShardLog(dir, ChildOptions());
  if (!log.ok()) _exit(2);
  std::vector<std::thread> threads;
  for (uint32_t w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(round * 100 + w);
      const std::string key = Key(round, w);
      for (uint32_t n = 0;;) {
        std::vector<RecordInput> batch;
        const uint32_t size = 1 + rng() % 5;
        for (uint32_t k = 0; k < size; ++k, ++n) {
          batch.push_back(testing::MakeInput(key, Payload(key, n)));
        }
        auto r = (*log)->AppendAndWait(std::move(batch));
        if (!r.ok()) _exit(3);
        Ack ack{r->last_index, w, n - 1};
        if (::write(fd, &ack, sizeof(ack)) != sizeof(ack)) _exit(4);
      }
    });
  }
  for (auto& t : threads) t.join();
  _exit(0);
}

void DrainInto(int fd, std::vector<Ack>* acks, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, timeout_ms) > 0) {
    Ack buf[256];
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) return;
    // Writes of one Ack are atomic (< PIPE_BUF), so reads see whole ones.
    acks->insert(acks->end(), buf, buf + n / static_cast<ssize_t>(sizeof(Ack)));
    if (timeout_ms > 0) return;
  }
}

TEST(Crash, KilledAppenderLosesNoAcknowledgedRecord) {
  testing::TempDir dir;
  std::mt19937 rng(std::random_device{}());
  uint64_t total_acked = 0;
  uint64_t total_dropped = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunChild(dir.path(), round, fds[1]);
    }
    ::close(fds[1]);
    std::vector<Ack> acks;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(30 + rng() % 350);
    while (std::chrono::steady_clock::now() < deadline) DrainInto(fds[0], &acks, 5);
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    DrainInto(fds[0], &acks, 0);  // to EOF
    ::close(fds[0]);

    // SIGKILL never tears a write(2) already in the page cache, so every
    // other round also leaves what a power cut could: a torn frame (garbage
    // or a zeroed block) after the last write.
    if (round % 2 == 1) {
      auto files = testing::SegmentFiles(dir.path());
      std::ofstream out(files.back(), std::ios::binary | std::ios::app);
      std::string junk(1 + rng() % 600, '\0');
      if (round % 4 == 1) {
        for (char& c : junk) c = static_cast<char>(rng());
      }
      out.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    RecoveryReport report;
    auto log = OpenFileShardLog(dir.path(), ChildOptions(), &report);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    total_dropped += report.bytes_dropped;
    uint64_t max_acked = 0;
    for (const Ack& a : acks) max_acked = std::max(max_acked, a.index);
    ASSERT_GE((*log)->Latest(), max_acked);
    total_acked += acks.size();

    auto all = (*log)->Read(1, {1u << 30, 1u << 30});
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_EQ(all->records.size(), (*log)->Latest());
    // Per writer (of every round so far): counters 0, 1, 2, ... without
    // gaps, each record intact.
    std::map<std::string, uint32_t> next;
    for (size_t i = 0; i < all->records.size(); ++i) {
      const Record& r = all->records[i];
      ASSERT_EQ(r.sequence_index, i + 1);
      uint32_t& n = next[r.partition_key];
      ASSERT_EQ(r.data, Payload(r.partition_key, n)) << "index " << r.sequence_index;
      ++n;
    }
    for (const Ack& a : acks) {
      const Record& r = all->records[a.index - 1];
      ASSERT_EQ(r.partition_key, Key(round, a.writer));
      ASSERT_EQ(r.data, Payload(r.partition_key, a.n));
    }
    ASSERT_TRUE((*log)->Close().ok());
  }
  std::printf("rounds=%d acked_batches=%llu bytes_dropped=%llu\n", kRounds,
              static_cast<unsigned long long>(total_acked),
              static_cast<unsigned long long>(total_dropped));
  EXPECT_GT(total_acked, 0u);
}

}  // namespace
}  // namespace osprey::streams
