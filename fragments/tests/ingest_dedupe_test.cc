// Retries after a lost ACK, through IngestSession over the real file store:
// a producer re-sends fragments on a new connection (same producer
// timestamps, same bytes); they are answered with the original
// FragmentNumbers and not stored again, also after a store restart and
// while the original is still in the group commit.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "fragment_store_test_util.h"
#include "ingest_test_util.h"
#include "osprey/fragments/fragment_number.h"

namespace osprey::fragments::testing {
namespace {

constexpr int64_t kCreationMs = 1'600'000'000'000;

// One producer connection: an IngestSession that records its acks.
class Connection {
 public:
  explicit Connection(std::shared_ptr<FragmentLog> log) {
    IngestOptions o;
    o.log = std::move(log);
    o.stream_creation_ms = kCreationMs;
    session_ = std::make_unique<IngestSession>(
        o,
        [this](const Ack& a) {
          std::lock_guard lock(mu_);
          acks_.push_back(a);
          cv_.notify_all();
        },
        [this](const IngestSummary& s) {
          std::lock_guard lock(mu_);
          summary_ = s;
          done_ = true;
          cv_.notify_all();
        });
  }

  IngestSession& session() { return *session_; }

  // Waits for on_done; the summary.
  IngestSummary Wait() {
    std::unique_lock lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, std::chrono::seconds(20), [&] { return done_; }));
    return summary_;
  }
  std::vector<Ack> Acks() {
    std::lock_guard lock(mu_);
    return acks_;
  }
  // The acks as "TYPE number" strings, IDLE left out.
  std::vector<std::string> Lines() {
    std::vector<std::string> out;
    for (const Ack& a : Acks()) out.push_back(TypeName(a.type) + " " + a.fragment_number);
    return out;
  }
  // FragmentNumber of every PERSISTED, in order.
  std::vector<std::string> Persisted() {
    std::vector<std::string> out;
    for (const Ack& a : Acks()) {
      if (a.type == AckType::kPersisted) out.push_back(a.fragment_number);
    }
    return out;
  }

  static std::string TypeName(AckType t) {
    switch (t) {
      case AckType::kBuffering: return "BUFFERING";
      case AckType::kReceived: return "RECEIVED";
      case AckType::kPersisted: return "PERSISTED";
      case AckType::kError: return "ERROR";
      case AckType::kIdle: return "IDLE";
    }
    return "?";
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Ack> acks_;
  IngestSummary summary_;
  bool done_ = false;
  std::unique_ptr<IngestSession> session_;
};

// Sends `body` on a new connection and waits for the session to end.
std::unique_ptr<Connection> Send(std::shared_ptr<FragmentLog> log, const std::string& body) {
  auto c = std::make_unique<Connection>(std::move(log));
  for (size_t at = 0; at < body.size(); at += 1500) {
    c->session().Feed(std::string_view(body).substr(at, 1500));
  }
  c->session().EndOfBody();
  return c;
}

// What a producer sends on a connection: the header (EBML, Segment, Info,
// Tracks), then the chosen Clusters.
std::string Body(const ProducerStream& s, std::vector<std::string> clusters) {
  std::string out = s.bytes.substr(0, s.bytes.find(s.clusters[0]));
  for (const std::string& c : clusters) out += c;
  return out;
}

// Checks that the acks are BUFFERING, RECEIVED, PERSISTED for each of
// `numbers` (in that order of first appearance), one number per fragment;
// acks of neighbouring fragments may interleave (PERSISTED comes later).
void ExpectAckTriples(const std::vector<Ack>& acks, const std::vector<std::string>& numbers) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<AckType>> per;
  for (const Ack& a : acks) {
    if (!per.contains(a.fragment_number)) order.push_back(a.fragment_number);
    per[a.fragment_number].push_back(a.type);
  }
  EXPECT_EQ(order, numbers);
  for (const auto& [number, types] : per) {
    EXPECT_EQ(types, (std::vector<AckType>{AckType::kBuffering, AckType::kReceived,
                                          AckType::kPersisted}))
        << number;
  }
}

StoreOptions Options(const std::string& root) {
  StoreOptions o;
  o.root = root;
  o.sync = [](int) { return Status::Ok(); };
  return o;
}

std::shared_ptr<FragmentLog> OpenLog(FragmentStore& store) {
  auto log = store.OpenStream("cam-1600000000000");
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return *log;
}

TEST(IngestDedupe, RetriedFragmentsGetTheirOriginalNumbersAndAreNotStoredTwice) {
  TempDir dir;
  auto store = OpenFileFragmentStore(Options(dir.path()));
  ASSERT_TRUE(store.ok());
  auto log = OpenLog(**store);
  const ProducerStream s = MakeProducerStream(Spec(7, false));
  const auto& c = s.clusters;

  auto first = Send(log, Body(s, {c[0], c[1], c[2], c[3], c[4]}));
  EXPECT_EQ(first->Wait().fragments_persisted, 5u);
  const std::vector<std::string> original = first->Persisted();
  ASSERT_EQ(original.size(), 5u);

  // The PERSISTED of 4 and 5 was lost: the producer re-sends them, then
  // goes on with 6 and 7.
  auto second = Send(log, Body(s, {c[3], c[4], c[5], c[6]}));
  const IngestSummary summary = second->Wait();
  EXPECT_EQ(summary.error_id, 0) << summary.error_message;
  EXPECT_EQ(summary.fragments_persisted, 4u);
  EXPECT_EQ(summary.fragments_retried, 2u);
  const std::vector<std::string> numbers = second->Persisted();
  ASSERT_EQ(numbers.size(), 4u);
  EXPECT_EQ(numbers[0], original[3]);
  EXPECT_EQ(numbers[1], original[4]);
  EXPECT_GT(numbers[2], original[4]);
  ExpectAckTriples(second->Acks(), numbers);
  // The retried acks carry the fragments' own timecodes.
  for (const Ack& a : second->Acks()) {
    if (a.fragment_number == original[3]) {
      EXPECT_EQ(a.fragment_timecode, s.timecodes[3]);
    }
  }

  EXPECT_EQ(log->Stats().fragments, 7u);
  EXPECT_EQ(log->Stats().duplicates, 2u);
  auto all = log->ListRange(TimestampKind::kServer, INT64_MIN, INT64_MAX, 0, 100);
  ASSERT_EQ(all.size(), 7u);
  for (size_t i = 0; i < all.size(); ++i) {
    auto f = log->Read(all[i].index);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->cluster, c[i]);  // each once, in order
  }
  ASSERT_TRUE((*store)->Close().ok());
}

TEST(IngestDedupe, SameTimestampWithOtherBytesIsANewFragment) {
  TempDir dir;
  auto store = OpenFileFragmentStore(Options(dir.path()));
  ASSERT_TRUE(store.ok());
  auto log = OpenLog(**store);
  const ProducerStream s = MakeProducerStream(Spec(3, false));
  auto first = Send(log, Body(s, {s.clusters[0], s.clusters[1], s.clusters[2]}));
  EXPECT_EQ(first->Wait().fragments_persisted, 3u);

  // Same producer timestamp, duration and size; one payload byte differs.
  std::string changed = s.clusters[2];
  changed.back() ^= 1;
  auto second = std::make_unique<Connection>(log);
  second->session().Feed(Body(s, {changed}));
  // Its timestamp is known, so BUFFERING waits for the whole Cluster (an
  // unknown-size Cluster ends with the body).
  EXPECT_TRUE(second->Acks().empty());
  second->session().EndOfBody();
  const IngestSummary summary = second->Wait();
  EXPECT_EQ(summary.fragments_retried, 0u);
  const std::vector<std::string> numbers = second->Persisted();
  ASSERT_EQ(numbers.size(), 1u);
  EXPECT_NE(numbers[0], first->Persisted()[2]);
  // All three acks name the new fragment.
  ExpectAckTriples(second->Acks(), numbers);
  EXPECT_EQ(log->Stats().fragments, 4u);
  auto parsed = ParseFragmentNumber(numbers[0]);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(log->Read(parsed->index)->cluster, changed);
  ASSERT_TRUE((*store)->Close().ok());
}

TEST(IngestDedupe, RetryAfterStoreRestartFindsTheOriginal) {
  TempDir dir;
  const ProducerStream s = MakeProducerStream(Spec(4, false));
  const auto& c = s.clusters;
  std::vector<std::string> original;
  {
    // The server stored 1..3 and died before the acks left.
    auto store = OpenFileFragmentStore(Options(dir.path()));
    ASSERT_TRUE(store.ok());
    auto first = Send(OpenLog(**store), Body(s, {c[0], c[1], c[2]}));
    first->Wait();
    original = first->Persisted();
    ASSERT_TRUE((*store)->Close().ok());
  }
  auto store = OpenFileFragmentStore(Options(dir.path()));
  ASSERT_TRUE(store.ok());
  auto log = OpenLog(**store);
  auto second = Send(log, Body(s, {c[1], c[2], c[3]}));
  EXPECT_EQ(second->Wait().fragments_retried, 2u);
  const std::vector<std::string> numbers = second->Persisted();
  ASSERT_EQ(numbers.size(), 3u);
  EXPECT_EQ(numbers[0], original[1]);
  EXPECT_EQ(numbers[1], original[2]);
  ExpectAckTriples(second->Acks(), numbers);
  EXPECT_EQ(log->Stats().fragments, 4u);
  ASSERT_TRUE((*store)->Close().ok());
}

TEST(IngestDedupe, RetryOfAFragmentStillInTheGroupCommitWaitsForIt) {
  TempDir dir;
  StoreOptions o = Options(dir.path());
  // Every sync waits for the gate: appends stay in the group commit until
  // it opens.
  testing::SyncGate gate;
  o.sync = gate.Hook();
  auto store = OpenFileFragmentStore(o);
  ASSERT_TRUE(store.ok());
  auto log = OpenLog(**store);
  const ProducerStream s = MakeProducerStream(Spec(4, false));
  const auto& c = s.clusters;

  // The dying connection: 1..3 received, then the line drops (Shutdown
  // seals the last Cluster); nothing is PERSISTED yet.
  Connection dying(log);
  dying.session().Feed(Body(s, {c[0], c[1], c[2]}));
  dying.session().Shutdown();
  std::vector<std::string> received;
  for (const Ack& a : dying.Acks()) {
    if (a.type == AckType::kReceived) received.push_back(a.fragment_number);
  }
  ASSERT_EQ(received.size(), 3u);
  EXPECT_TRUE(dying.Persisted().empty());

  // The new connection re-sends 3, then 4.
  auto retry = Send(log, Body(s, {c[2], c[3]}));
  std::vector<std::string> lines = retry->Lines();
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], "BUFFERING " + received[2]);
  EXPECT_EQ(lines[1], "RECEIVED " + received[2]);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(retry->Persisted().empty());  // the original is not durable yet

  gate.Open();
  EXPECT_EQ(dying.Wait().fragments_persisted, 3u);
  EXPECT_EQ(retry->Wait().fragments_retried, 1u);
  EXPECT_EQ(dying.Persisted(), received);
  const std::vector<std::string> numbers = retry->Persisted();
  ASSERT_EQ(numbers.size(), 2u);
  EXPECT_EQ(numbers[0], received[2]);
  ExpectAckTriples(retry->Acks(), numbers);
  EXPECT_EQ(log->Stats().fragments, 4u);
  ASSERT_TRUE((*store)->Close().ok());
}

}  // namespace
}  // namespace osprey::fragments::testing
