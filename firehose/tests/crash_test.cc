// Crash consistency (label crash): a child process puts records through the
// engine, with its delivery worker running, and prints the data of every
// acknowledged record; the parent SIGKILLs it at a random moment, many
// times. Afterwards the engine is reopened and drained: every acknowledged
// record must be in the delivered objects (at-least-once), whatever moment
// the kills hit (mid-append, mid-object write, mid-checkpoint). The second
// test puts 1 MiB batches so that a backlog forms and the worker cuts and
// compresses several full batches at once (delivery_worker.h).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <set>

#include "osprey/firehose/compression.h"
#include "test_util.h"

namespace osprey::firehose {
namespace {

FirehoseOptions Options(const std::string& dir, bool workers) {
  FirehoseOptions o;
  o.root_dir = dir + "/firehose";
  o.s3_root = dir + "/s3";
  o.create_delay_ms = 0;
  o.start_workers = workers;
  o.poll_interval_ms = 5;
  return o;
}

// Small: 1-20 records of a few bytes per put, without end. Big: 8 puts of
// 256 records of 4 KiB (1 MiB each), then the child idles while its worker
// delivers. Records are "TOKEN[ padding]\n"; the pipe gets "TOKEN\n".
[[noreturn]] void Child(const std::string& dir, int round, int out_fd, bool big) {
  auto engine = FirehoseEngine::Open(Options(dir, true));
  if (!engine.ok()) ::_exit(3);
  std::mt19937 rng(static_cast<unsigned>(round * 7919 + 1));
  for (int k = 0;; ) {
    if (big && k >= 8 * 256) ::pause();
    int n = big ? 256 : 1 + static_cast<int>(rng() % 20);
    std::vector<std::string> batch;
    std::string line;
    for (int i = 0; i < n; ++i, ++k) {
      std::string token = (big ? "b" : "r") + std::to_string(round) + "-" + std::to_string(k);
      line += token + "\n";
      if (big) token += " " + std::string(4095 - token.size() - 1, 'x');
      batch.push_back(token + "\n");
    }
    auto ids = testing::PutSync(engine->get(), "crash", std::move(batch));
    if (!ids.ok()) ::_exit(4);
    // Printed only after the acknowledgement; one write, < PIPE_BUF.
    if (::write(out_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(5);
  }
}

std::string ReadAvailable(int fd, int timeout_ms) {
  std::string out;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    until - std::chrono::steady_clock::now()).count());
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, left) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void KillRounds(bool big, int rounds) {
  std::string dir = testing::MakeTempDir("crash");
  {
    auto engine = FirehoseEngine::Open(Options(dir, false));
    ASSERT_TRUE(engine.ok());
    testing::DestSpec spec;
    spec.bucket = "crash";
    spec.interval_s = 0;
    spec.size_mb = 1;
    spec.compression = "GZIP";
    ASSERT_TRUE((*engine)->Create(testing::S3Create("crash", spec)).ok());
    ASSERT_TRUE((*engine)->Close().ok());
  }
  std::set<std::string> acked;
  std::mt19937 rng(12345);
  for (int round = 0; round < rounds; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      Child(dir, round, fds[1], big);
    }
    ::close(fds[1]);
    std::string text = ReadAvailable(fds[0], 150 + static_cast<int>(rng() % 400));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    text += ReadAvailable(fds[0], 50);  // what it wrote before dying
    ::close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited on its own with " << WEXITSTATUS(status);
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
      acked.insert(text.substr(start, nl - start + 1));
    }
  }
  ASSERT_GT(acked.size(), 100u);

  auto engine = FirehoseEngine::Open(Options(dir, false));
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  // Drain: until the checkpoint stops moving (a big backlog takes a step per
  // few MiB).
  uint64_t last = 0;
  for (int still = 0, i = 0; still < 5 && i < 5000; ++i) {
    (*engine)->TEST_RunDeliveryOnce();
    uint64_t now = (*engine)->TEST_Stats("crash")->checkpoint;
    still = now == last ? still + 1 : 0;
    last = now;
  }
  std::multiset<std::string> delivered;
  for (auto& [key, body] : testing::ReadTree(dir + "/s3/crash")) {
    ASSERT_EQ(key.substr(key.size() - 3), ".gz") << key;
    auto plain = Decompress(Compression::kGzip, body);
    ASSERT_TRUE(plain.ok()) << key << " is not a complete gzip object";
    size_t start = 0;
    for (size_t nl; (nl = plain->find('\n', start)) != std::string::npos; start = nl + 1) {
      size_t end = std::min(nl, plain->find(' ', start));  // the token, without padding
      delivered.insert(plain->substr(start, end - start) + "\n");
    }
  }
  size_t missing = 0;
  for (const std::string& token : acked) missing += delivered.count(token) == 0;
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged records";
  size_t unique = std::set<std::string>(delivered.begin(), delivered.end()).size();
  std::printf("acked=%zu delivered=%zu unique=%zu duplicates=%zu\n", acked.size(), delivered.size(),
              unique, delivered.size() - unique);
  ASSERT_TRUE((*engine)->Close().ok());
  std::filesystem::remove_all(dir);
}

TEST(FirehoseCrash, AcknowledgedRecordsSurviveKill9) { KillRounds(/*big=*/false, 20); }

TEST(FirehoseCrash, BacklogOfFullBatchesSurvivesKill9) { KillRounds(/*big=*/true, 12); }

}  // namespace
}  // namespace osprey::firehose
