// Fragment selection per playback mode over a real file fragment store.
#include "osprey/playback/hls_session.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <future>

#include "osprey/fragments/mkv_writer.h"

namespace osprey::playback {
namespace {

constexpr int64_t kStart = 1700000000000;

class HlsSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/osprey_hls_session_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fragments::StoreOptions options;
    options.root = dir_;
    store_ = fragments::OpenFileFragmentStore(options).value();
    log_ = *store_->OpenStream("cam-1");
    for (int k = 0; k < 10; ++k) {
      fragments::FragmentInput in;
      in.stream_header = fragments::EncodeStreamHeader({}, {});
      std::vector<fragments::FrameSpec> frames = {{1, kStart + 2000 * k, true, "x"}};
      in.cluster = *fragments::EncodeCluster(uint64_t(kStart + 2000 * k), frames);
      in.meta.index = log_->ReserveIndex();
      in.meta.producer_timestamp_ms = kStart + 2000 * k;
      in.meta.server_timestamp_ms = kStart + 2000 * k + 300;
      in.meta.duration_ms = 2000;
      indices_.push_back(in.meta.index);
      std::promise<Status> done;
      log_->AppendAsync(std::move(in), [&done](Status s) { done.set_value(std::move(s)); });
      ASSERT_TRUE(done.get_future().get().ok());
    }
  }
  void TearDown() override {
    log_.reset();
    (void)store_->Close();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::unique_ptr<fragments::FragmentStore> store_;
  std::shared_ptr<fragments::FragmentLog> log_;
  std::vector<uint64_t> indices_;
};

TEST_F(HlsSessionTest, LiveNewestWithStableSequence) {
  SessionClaims c;
  c.mode = PlaybackMode::kLive;
  c.max_results = 3;
  const int64_t now = kStart + 20000;
  Result<PlaylistSelection> s = SelectFragments(*log_, c, now);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->fragments.size(), 3u);
  EXPECT_EQ(s->fragments[0].index, indices_[7]);
  EXPECT_EQ(s->fragments[2].index, indices_[9]);
  EXPECT_EQ(s->media_sequence, 1u);  // no anchor
  c.anchor_index = indices_[5];
  EXPECT_EQ(SelectFragments(*log_, c, now)->media_sequence, 3u);  // 5, 6, then 7
  EXPECT_FALSE(s->ended);
  // Nothing for 30 s: 404.
  Result<PlaylistSelection> stale = SelectFragments(*log_, c, kStart + 18300 + 30001);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().message(), kNoFragmentsMessage);
}

TEST_F(HlsSessionTest, OnDemandOldestInInclusiveRange) {
  SessionClaims c;
  c.mode = PlaybackMode::kOnDemand;
  c.selector = FragmentSelectorType::kProducerTimestamp;
  c.start_ms = kStart + 2000;
  c.end_ms = kStart + 8000;  // inclusive: fragment 4 starts exactly here
  c.max_results = 1000;
  Result<PlaylistSelection> s = SelectFragments(*log_, c, kStart + 99999);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->fragments.size(), 4u);
  EXPECT_EQ(s->fragments[0].index, indices_[1]);
  EXPECT_EQ(s->fragments[3].index, indices_[4]);
  EXPECT_TRUE(s->ended);
  c.max_results = 2;
  EXPECT_EQ(SelectFragments(*log_, c, 0)->fragments.back().index, indices_[2]);
  c.start_ms = kStart + 50000;
  c.end_ms = kStart + 60000;
  EXPECT_EQ(SelectFragments(*log_, c, 0).status().code(), Status::Code::kNotFound);
}

TEST_F(HlsSessionTest, LiveReplayPacesByDuration) {
  SessionClaims c;
  c.mode = PlaybackMode::kLiveReplay;
  c.selector = FragmentSelectorType::kProducerTimestamp;
  c.start_ms = kStart;
  c.end_ms = kStart + 6000;  // fragments 0..3
  c.max_results = 2;
  c.created_ms = 5'000'000;
  Result<PlaylistSelection> s = SelectFragments(*log_, c, c.created_ms);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->fragments.size(), 1u);  // only the first at t = 0
  EXPECT_FALSE(s->ended);
  s = SelectFragments(*log_, c, c.created_ms + 4000);  // 0, 1, 2 visible
  ASSERT_EQ(s->fragments.size(), 2u);
  EXPECT_EQ(s->fragments[0].index, indices_[1]);
  EXPECT_EQ(s->media_sequence, 2u);
  EXPECT_FALSE(s->ended);
  s = SelectFragments(*log_, c, c.created_ms + 6000);
  EXPECT_EQ(s->fragments.back().index, indices_[3]);
  EXPECT_TRUE(s->ended);
}

}  // namespace
}  // namespace osprey::playback
