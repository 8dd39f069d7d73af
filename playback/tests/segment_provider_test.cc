// SegmentProvider over a real file fragment store: read, remux, cache.
#include "osprey/playback/segment_provider.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <future>

#include "osprey/fragments/mkv_writer.h"
#include "osprey/playback/mp4_segments.h"

namespace osprey::playback {
namespace {

constexpr int64_t kStart = 1700000000000;

std::string Frame(int type) {
  std::string payload(10, char(0xAB));
  payload[0] = char(0x60 | type);
  return std::string("\x00\x00\x00\x0a", 4) + payload;
}

class SegmentProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/osprey_provider_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fragments::StoreOptions options;
    options.root = dir_;
    Result<std::unique_ptr<fragments::FragmentStore>> store =
        fragments::OpenFileFragmentStore(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    log_ = *store_->OpenStream("cam-1700000000000");

    fragments::TrackEntry t;
    t.number = 1;
    t.type = 1;
    t.codec_id = "V_MPEG4/ISO/AVC";
    t.codec_private = std::string("\x01\x64\x00\x0b\xff\xe0\x00", 7);
    t.pixel_width = 160;
    t.pixel_height = 120;
    fragments::FragmentInput in;
    in.stream_header = fragments::EncodeStreamHeader({}, {t});
    const std::string i = Frame(5), p = Frame(1);
    std::vector<fragments::FrameSpec> frames = {{1, kStart, true, i}, {1, kStart + 40, false, p}};
    in.cluster = *fragments::EncodeCluster(kStart, frames);
    in.meta.index = log_->ReserveIndex();
    in.meta.producer_timestamp_ms = kStart;
    in.meta.server_timestamp_ms = kStart + 5;
    in.meta.duration_ms = 80;
    index_ = in.meta.index;
    std::promise<Status> done;
    log_->AppendAsync(std::move(in), [&done](Status s) { done.set_value(std::move(s)); });
    ASSERT_TRUE(done.get_future().get().ok());
  }
  void TearDown() override {
    log_.reset();
    if (store_) (void)store_->Close();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::unique_ptr<fragments::FragmentStore> store_;
  std::shared_ptr<fragments::FragmentLog> log_;
  uint64_t index_ = 0;
};

TEST_F(SegmentProviderTest, RemuxesOnceThenHits) {
  SegmentCache cache(1 << 20);
  SegmentProvider provider(&cache);
  auto a = provider.Get("cam-1700000000000", *log_, index_, SegmentKind::kMp4Media, 1);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = provider.Get("cam-1700000000000", *log_, index_, SegmentKind::kMp4Media, 1);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->get(), b->get());  // the same cached object
  EXPECT_EQ(cache.Stats().hits, 1u);
  EXPECT_EQ(cache.Stats().misses, 1u);
  // tfdt = producer timestamp at 90 kHz.
  const std::string& m = **a;
  const size_t tfdt = m.find("tfdt");
  ASSERT_NE(tfdt, std::string::npos);
  uint64_t base = 0;
  for (int k = 0; k < 8; ++k) base = (base << 8) | uint8_t(m[tfdt + 8 + k]);
  EXPECT_EQ(base, uint64_t(kStart) * 90);

  auto init = provider.Get("cam-1700000000000", *log_, index_, SegmentKind::kInit, 1);
  ASSERT_TRUE(init.ok());
  EXPECT_EQ((*init)->substr(4, 4), "ftyp");
  auto ts = provider.Get("cam-1700000000000", *log_, index_, SegmentKind::kTs, 7);
  ASSERT_TRUE(ts.ok()) << ts.status().ToString();
  EXPECT_EQ((*ts)->size() % 188, 0u);
}

TEST_F(SegmentProviderTest, Errors) {
  SegmentProvider provider(nullptr);
  auto missing = provider.Get("cam-1700000000000", *log_, index_ + 1, SegmentKind::kMp4Media, 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(provider.Get("cam-1700000000000", *log_, index_, SegmentKind::kMp4Media, 2).ok());
  EXPECT_FALSE(provider.Get("cam-1700000000000", *log_, index_, SegmentKind::kInit, 2).ok());
}

}  // namespace
}  // namespace osprey::playback
