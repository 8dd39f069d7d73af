// IngestSession over the real file store (OpenFileFragmentStore): PERSISTED
// comes from real group-committed appends on the store's thread, and what is
// read back (also after reopening the store) is the Cluster bytes as sent.
#include <stdlib.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include <gtest/gtest.h>

#include "ingest_test_util.h"
#include "osprey/fragments/fragment_number.h"

namespace osprey::fragments::testing {
namespace {

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "osprey_ingest_XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct IngestRun {
  std::vector<Ack> acks;
  IngestSummary summary;
};

IngestRun Ingest(std::shared_ptr<FragmentLog> log, const std::string& bytes, size_t chunk) {
  std::mutex mu;
  std::condition_variable cv;
  IngestRun run;
  bool done = false;
  IngestOptions o;
  o.log = std::move(log);
  o.stream_creation_ms = 1'600'000'000'000;
  IngestSession session(
      o,
      [&](const Ack& a) {
        std::lock_guard lock(mu);
        run.acks.push_back(a);
      },
      [&](const IngestSummary& s) {
        std::lock_guard lock(mu);
        run.summary = s;
        done = true;
        cv.notify_all();
      });
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    session.Feed(std::string_view(bytes).substr(at, chunk));
  }
  session.EndOfBody();
  std::unique_lock lock(mu);
  EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return done; }));
  return run;
}

TEST(IngestStoreTest, FragmentsReadBackAsSentAfterPersisted) {
  ScratchDir dir;
  StreamSpec spec = Spec(5);
  spec.tracks = 2;
  spec.metadata_before = {{2, {{"motion", "yes"}}}};
  ProducerStream s = MakeProducerStream(spec);
  std::vector<uint64_t> indices;
  {
    StoreOptions options;
    options.root = dir.path();
    auto store = OpenFileFragmentStore(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto log = (*store)->OpenStream("cam-1600000000000");
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    IngestRun run = Ingest(*log, s.bytes, 4096);
    EXPECT_EQ(run.summary.error_id, 0) << run.summary.error_message;
    EXPECT_EQ(run.summary.fragments_persisted, 5u);
    size_t persisted = 0;
    for (const Ack& a : run.acks) {
      if (a.type != AckType::kPersisted) continue;
      auto parsed = ParseFragmentNumber(a.fragment_number);
      ASSERT_TRUE(parsed.ok());
      indices.push_back(parsed->index);
      // PERSISTED means readable.
      auto f = (*log)->Read(parsed->index);
      ASSERT_TRUE(f.ok()) << f.status().ToString();
      EXPECT_EQ(f->cluster, s.clusters[persisted]);
      EXPECT_EQ(f->stream_header, s.stream_header);
      ++persisted;
    }
    EXPECT_EQ(persisted, 5u);
    ASSERT_TRUE((*store)->Close().ok());
  }
  // Reopened: the same bytes, metadata and timestamps.
  StoreOptions options;
  options.root = dir.path();
  auto store = OpenFileFragmentStore(options);
  ASSERT_TRUE(store.ok());
  auto log = (*store)->OpenStream("cam-1600000000000");
  ASSERT_TRUE(log.ok());
  for (size_t i = 0; i < indices.size(); ++i) {
    auto f = (*log)->Read(indices[i]);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_EQ(f->cluster, s.clusters[i]);
    EXPECT_EQ(f->meta.cluster_timecode, s.timecodes[i]);
    EXPECT_EQ(f->meta.producer_timestamp_ms, static_cast<int64_t>(s.timecodes[i]));
    EXPECT_EQ(f->meta.size_bytes, s.clusters[i].size());
    EXPECT_EQ(f->metadata.size(), i == 2 ? 1u : 0u);
  }
  EXPECT_TRUE((*store)->Close().ok());
}

TEST(IngestStoreTest, ErroredFragmentLeavesStoredOnesUnchanged) {
  ScratchDir dir;
  StoreOptions options;
  options.root = dir.path();
  auto store = OpenFileFragmentStore(options);
  ASSERT_TRUE(store.ok());
  auto log = (*store)->OpenStream("cam-1600000000000");
  ASSERT_TRUE(log.ok());
  ProducerStream s = MakeProducerStream(Spec(2, false));
  // Cut inside the last block: 4006, the first fragment stays.
  IngestRun run = Ingest(*log, s.bytes.substr(0, s.bytes.size() - 3), 1000);
  EXPECT_EQ(run.summary.error_id, 4006);
  EXPECT_EQ((*log)->Stats().fragments, 1u);
  auto latest = (*log)->Latest();
  ASSERT_TRUE(latest);
  auto f = (*log)->Read(latest->index);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->cluster, s.clusters[0]);
  EXPECT_TRUE((*store)->Close().ok());
}

}  // namespace
}  // namespace osprey::fragments::testing
