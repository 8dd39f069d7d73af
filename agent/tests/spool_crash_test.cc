// Crash test of the spool: a child process appends fragments and
// acknowledges some, printing each one only after the call returned (so it
// is on disk); the parent SIGKILLs it at a random moment, 20 times, and
// after each kill reopens the spool and checks that everything printed is
// there, byte for byte, and that the marker is at least the last printed
// acknowledgement. Covers kill -9 at any point, not power loss (page cache
// survives a process kill); see FORMAT.md for why fdatasync covers that.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "osprey/agent/spool.h"

namespace osprey::agent {
namespace {

namespace fs = std::filesystem;

std::string ClusterFor(uint64_t seq) {
  size_t len = 200 + static_cast<size_t>((seq * 7919) % 30000);
  std::string s(len, '\0');
  for (size_t i = 0; i < len; ++i) s[i] = static_cast<char>((seq * 31 + i) & 0xff);
  return s;
}

SpoolOptions Options(const fs::path& dir) {
  SpoolOptions o;
  o.dir = dir.string();
  o.segment_bytes = 256 << 10;  // many segment rolls and deletions
  return o;
}

void WriteLine(int fd, const std::string& line) {
  // One write() per line: a line is either whole in the pipe or absent.
  (void)!::write(fd, line.data(), line.size());
}

[[noreturn]] void RunChild(const fs::path& dir, int out_fd, uint32_t seed) {
  auto spool = Spool::Open(Options(dir));
  if (!spool.ok()) {
    WriteLine(out_fd, "E open " + spool.status().ToString() + "\n");
    ::_exit(2);
  }
  std::mt19937 rng(seed);
  for (;;) {
    uint64_t seq = (*spool)->Stats().last_seq + 1;
    auto r = (*spool)->Append(static_cast<int64_t>(seq) * 1000, "HEADER", ClusterFor(seq));
    if (!r.ok() || *r != seq) {
      WriteLine(out_fd, "E append\n");
      ::_exit(3);
    }
    WriteLine(out_fd, "A " + std::to_string(seq) + "\n");
    if (rng() % 8 == 0 && seq > 3) {
      uint64_t ack = seq - 3;
      if ((*spool)->Acknowledge(ack).ok()) WriteLine(out_fd, "K " + std::to_string(ack) + "\n");
    }
  }
}

TEST(SpoolCrashTest, EverythingReportedSurvivesSigkill) {
  fs::path dir = fs::temp_directory_path() / ("spool_crash_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::mt19937 rng(12345);
  std::map<uint64_t, bool> written;  // seqs reported appended
  uint64_t max_acked = 0;
  const auto start = std::chrono::steady_clock::now();

  for (int round = 0; round < 20; ++round) {
    int pipefd[2];
    ASSERT_EQ(::pipe(pipefd), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(pipefd[0]);
      RunChild(dir, pipefd[1], static_cast<uint32_t>(round));
    }
    ::close(pipefd[1]);
    const int kill_after_ms = 30 + static_cast<int>(rng() % 600);
    std::string text;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kill_after_ms);
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{pipefd[0], POLLIN, 0};
      if (::poll(&p, 1, 5) > 0) {
        ssize_t n = ::read(pipefd[0], buf, sizeof(buf));
        if (n <= 0) break;
        text.append(buf, static_cast<size_t>(n));
      }
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ssize_t n;
    while ((n = ::read(pipefd[0], buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
    ::close(pipefd[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited on its own: " << text;

    std::istringstream lines(text);
    std::string kind;
    uint64_t value;
    size_t appended = 0;
    while (lines >> kind >> value) {
      ASSERT_NE(kind, "E") << text;
      if (kind == "A") {
        written[value] = true;
        ++appended;
      }
      if (kind == "K") max_acked = std::max(max_acked, value);
    }

    auto spool = Spool::Open(Options(dir));
    ASSERT_TRUE(spool.ok()) << spool.status().ToString();
    EXPECT_GE((*spool)->acked_seq(), max_acked) << "round " << round;
    max_acked = std::max(max_acked, (*spool)->acked_seq());
    for (auto& [seq, _] : written) {
      if (seq <= (*spool)->acked_seq()) continue;
      auto f = (*spool)->ReadFrom(seq);
      ASSERT_TRUE(f.ok()) << f.status().ToString();
      ASSERT_TRUE(f->has_value()) << "round " << round << " lost seq " << seq;
      ASSERT_EQ((*f)->seq, seq) << "round " << round << " lost seq " << seq;
      ASSERT_EQ((*f)->producer_timestamp_ms, static_cast<int64_t>(seq) * 1000);
      ASSERT_EQ((*f)->stream_header, "HEADER");
      ASSERT_TRUE((*f)->cluster == ClusterFor(seq)) << "seq " << seq;
    }
    // Nothing after what was reported is garbage either: any extra record
    // (fsynced but killed before printing) is a whole, valid one.
    uint64_t last = (*spool)->Stats().last_seq;
    if (!written.empty()) {
      EXPECT_GE(last, written.rbegin()->first);
    }
    for (uint64_t s = written.empty() ? 1 : written.rbegin()->first + 1; s <= last; ++s) {
      auto f = (*spool)->ReadFrom(s);
      ASSERT_TRUE(f.ok() && f->has_value());
      ASSERT_TRUE((*f)->cluster == ClusterFor(s));
      written[s] = true;
    }
    std::printf("round %d: killed after %d ms, %zu appended, acked %llu, last %llu\n", round,
                kill_after_ms, appended, static_cast<unsigned long long>(max_acked),
                static_cast<unsigned long long>(last));
    for (auto it = written.begin(); it != written.end() && it->first <= max_acked;) {
      it = written.erase(it);
    }
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(60));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace osprey::agent
