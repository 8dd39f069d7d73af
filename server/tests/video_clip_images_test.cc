// GetClip selection and GetImages planning (get_clip.h, get_images_plan.h):
// request validation against the spec's limits, sampling times, picture
// choice, output size, BGR scaling, clip cuts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "video/get_clip.h"
#include "video/get_images_plan.h"

namespace osprey::server::video {
namespace {

using fragments::FragmentMeta;
using fragments::TimestampKind;

JsonRequest Body(const std::string& json) {
  auto r = JsonRequest::Parse(json);
  EXPECT_TRUE(r.ok()) << json;
  return std::move(r).value();
}

std::string ImagesJson(const std::string& extra) {
  return R"({"StreamName":"cam","ImageSelectorType":"PRODUCER_TIMESTAMP",)"
         R"("StartTimestamp":1700000000,"EndTimestamp":1700000010,"Format":"JPEG")" +
         extra + "}";
}

TEST(ImagesRequest, DefaultsAndValues) {
  auto r = ParseImagesRequest(Body(ImagesJson("")));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->range.kind, TimestampKind::kProducer);
  EXPECT_EQ(r->range.start_ms, 1'700'000'000'000);
  EXPECT_EQ(r->range.end_ms, 1'700'000'010'000);
  EXPECT_EQ(r->interval_ms, kDefaultSamplingIntervalMs);
  EXPECT_EQ(r->jpeg_quality, 80);
  EXPECT_EQ(r->page_size, 25u);
  EXPECT_FALSE(r->png);

  r = ParseImagesRequest(Body(
      ImagesJson(R"(,"SamplingInterval":200,"FormatConfig":{"JPEGQuality":"55"},"HeightPixels":90,)"
                 R"("MaxResults":7,"NextToken":"abc")")));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->interval_ms, 200);
  EXPECT_EQ(r->jpeg_quality, 55);
  EXPECT_EQ(r->height, 90);
  EXPECT_EQ(r->width, 0);
  EXPECT_EQ(r->page_size, 7u);
  EXPECT_EQ(*r->next_token, "abc");

  r = ParseImagesRequest(Body(ImagesJson(R"(,"MaxResults":100)")));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->page_size, 25u);  // at most 25 per page
}

TEST(ImagesRequest, RejectsOutOfLimits) {
  const char* bad[] = {
      R"(,"SamplingInterval":199)",
      R"(,"FormatConfig":{"JPEGQuality":"0"})",
      R"(,"FormatConfig":{"JPEGQuality":"101"})",
      R"(,"FormatConfig":{"JPEGQuality":"high"})",
      R"(,"FormatConfig":{"Quality":"50"})",
      R"(,"WidthPixels":100)",  // width alone
      R"(,"WidthPixels":3841,"HeightPixels":100)",
      R"(,"WidthPixels":100,"HeightPixels":2161)",
      R"(,"HeightPixels":0)",
      R"(,"MaxResults":0)",
      R"(,"MaxResults":101)",
      R"(,"NextToken":"")",
  };
  for (const char* extra : bad) {
    auto r = ParseImagesRequest(Body(ImagesJson(extra)));
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << extra;
  }
  // Image selector JSON with the given members.
  auto sel = [](const std::string& type, const std::string& members) {
    return R"({"ImageSelectorType":")" + type + "\"," + members + "}";
  };
  const std::string bad_ranges[] = {
      sel("SERVER_TIMESTAMP", R"("StartTimestamp":5,"EndTimestamp":5,"Format":"PNG")"),  // empty
      sel("SERVER_TIMESTAMP", R"("StartTimestamp":6,"EndTimestamp":5,"Format":"PNG")"),  // reversed
      sel("SERVER_TIMESTAMP", R"("StartTimestamp":0,"EndTimestamp":300.001,"Format":"PNG")"),
      sel("SERVER_TIMESTAMP", R"("EndTimestamp":5,"Format":"PNG")"),
      sel("SERVER", R"("StartTimestamp":0,"EndTimestamp":5,"Format":"PNG")"),
      sel("SERVER_TIMESTAMP", R"("StartTimestamp":0,"EndTimestamp":5,"Format":"GIF")"),
      sel("SERVER_TIMESTAMP", R"("StartTimestamp":0,"EndTimestamp":5)"),
  };
  for (const std::string& json : bad_ranges) {
    EXPECT_EQ(ParseImagesRequest(Body(json)).status().code(), Status::Code::kInvalidArgument)
        << json;
  }
  const std::string longest =
      sel("SERVER_TIMESTAMP", R"("StartTimestamp":0,"EndTimestamp":300,"Format":"PNG")");
  EXPECT_TRUE(ParseImagesRequest(Body(longest)).ok());
}

TEST(ImagesSampling, CountsEndExclusiveWithOneForShortRanges) {
  EXPECT_EQ(SampleCount({TimestampKind::kServer, 0, 10'000}, 1'000), 10u);
  EXPECT_EQ(SampleCount({TimestampKind::kServer, 0, 10'001}, 1'000), 11u);
  EXPECT_EQ(SampleCount({TimestampKind::kServer, 0, 500}, 1'000), 1u);  // the image at Start
  EXPECT_EQ(SampleCount({TimestampKind::kServer, 0, 300'000}, 200), 1500u);
  EXPECT_EQ(SampleTime({TimestampKind::kServer, 1'000, 5'000}, 200, 3), 1'600);
}

TEST(ImagesSampling, PicksFirstPictureInsideTheWindow) {
  const std::vector<int64_t> t = {0, 66'000, 133'000, 200'000, 266'000};
  EXPECT_EQ(PickPicture(t, 0, 200'000), 0u);
  EXPECT_EQ(PickPicture(t, 1, 200'000), 1u);  // at or after, never before
  EXPECT_EQ(PickPicture(t, 200'000, 200'000), 3u);
  EXPECT_EQ(PickPicture(t, 267'000, 200'000), std::nullopt);   // past the last picture
  EXPECT_EQ(PickPicture(t, -300'000, 200'000), std::nullopt);  // window ends before the first
  EXPECT_EQ(PickPicture({}, 0, 200'000), std::nullopt);
}

TEST(ImagesSize, StretchKeepAspectOrSource) {
  EXPECT_EQ(OutputSize(320, 240, 100, 300).width, 100);
  EXPECT_EQ(OutputSize(320, 240, 100, 300).height, 300);
  EXPECT_EQ(OutputSize(320, 240, 0, 120).width, 160);
  EXPECT_EQ(OutputSize(1920, 1080, 0, 101).width, 180);  // 179.56 rounded
  EXPECT_EQ(OutputSize(320, 240, 0, 0).width, 320);
  EXPECT_EQ(OutputSize(320, 240, 0, 0).height, 240);
}

TEST(ImagesSize, DecodeBoundsNeverGoBelowTheOutput) {
  auto b = DecodeBounds(1920, 1080, 0, 0);
  EXPECT_EQ(b.width, 0);
  EXPECT_EQ(b.height, 0);
  b = DecodeBounds(1920, 1080, 0, 180);  // height alone: bound the height
  EXPECT_EQ(b.width, 0);
  EXPECT_EQ(b.height, 180);
  b = DecodeBounds(1920, 1080, 640, 100);  // wide output: width decides (640x360)
  EXPECT_EQ(b.width, 640);
  EXPECT_EQ(b.height, 0);
  b = DecodeBounds(1920, 1080, 100, 540);  // tall output: height decides (960x540)
  EXPECT_EQ(b.width, 0);
  EXPECT_EQ(b.height, 540);
  b = DecodeBounds(320, 240, 640, 100);  // enlarging in one dimension: decode at full size
  EXPECT_EQ(b.width, 0);
  EXPECT_EQ(b.height, 0);
  b = DecodeBounds(320, 240, 0, 480);
  EXPECT_EQ(b.height, 0);
}

FragmentMeta Meta(uint64_t index, int64_t start, uint64_t size = 1000) {
  FragmentMeta m;
  m.index = index;
  m.producer_timestamp_ms = start;
  m.server_timestamp_ms = start + 500;
  m.duration_ms = 1000;
  m.size_bytes = size;
  return m;
}

TEST(ClipSelection, OrdersByStartAndKeepsTheLatestOfEqualStarts) {
  std::vector<FragmentMeta> in = {Meta(1, 2000), Meta(2, 1000), Meta(3, 2000), Meta(4, 3000)};
  bool truncated = true;
  auto out = SelectClipFragments(in, TimestampKind::kProducer, &truncated);
  EXPECT_FALSE(truncated);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].index, 2u);
  EXPECT_EQ(out[1].index, 3u);  // the resend wins
  EXPECT_EQ(out[2].index, 4u);
}

TEST(ClipSelection, CutsAtTwoHundredFragmentsOrTheByteLimit) {
  std::vector<FragmentMeta> many;
  for (uint64_t i = 1; i <= 201; ++i) many.push_back(Meta(i, int64_t(i) * 1000));
  bool truncated = false;
  EXPECT_EQ(SelectClipFragments(many, TimestampKind::kServer, &truncated).size(), 200u);
  EXPECT_TRUE(truncated);

  std::vector<FragmentMeta> big = {Meta(1, 0, 60ull << 20), Meta(2, 1000, 40ull << 20),
                                   Meta(3, 2000, 1)};
  auto out = SelectClipFragments(big, TimestampKind::kServer, &truncated);
  EXPECT_EQ(out.size(), 2u);  // exactly 100 MiB fits, one more byte does not
  EXPECT_TRUE(truncated);
  std::vector<FragmentMeta> huge = {Meta(1, 0, 200ull << 20)};
  EXPECT_EQ(SelectClipFragments(huge, TimestampKind::kServer, &truncated).size(), 1u);
}

// A GetClip body; `range` is the TimestampRange members, or none when empty.
std::string ClipJson(const std::string& type, const std::string& range) {
  std::string selector = type.empty() ? "" : R"("FragmentSelectorType":")" + type + "\"";
  if (!range.empty()) {
    selector += std::string(selector.empty() ? "" : ",") + R"("TimestampRange":{)" + range + "}";
  }
  return R"({"ClipFragmentSelector":{)" + selector + "}}";
}

TEST(ClipSelector, OnDemandRangeRules) {
  const int64_t now = 1'700'000'100'000;
  auto ok = ParseClipSelector(
      Body(ClipJson("SERVER_TIMESTAMP",
                    R"("StartTimestamp":1700000000,"EndTimestamp":1700000060.5)")),
      now);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->kind, TimestampKind::kServer);
  EXPECT_EQ(ok->end_ms, 1'700'000'060'500);
  const std::string bad[] = {
      "{}",
      ClipJson("", R"("StartTimestamp":1,"EndTimestamp":2)"),
      ClipJson("PRODUCER_TIMESTAMP", ""),
      ClipJson("PRODUCER_TIMESTAMP", R"("StartTimestamp":2,"EndTimestamp":2)"),
      ClipJson("PRODUCER_TIMESTAMP", R"("StartTimestamp":0,"EndTimestamp":86400.001)"),
      // SERVER_TIMESTAMP must end in the past
      ClipJson("SERVER_TIMESTAMP", R"("StartTimestamp":1700000000,"EndTimestamp":1700000200)"),
  };
  for (const std::string& json : bad) {
    EXPECT_EQ(ParseClipSelector(Body(json), now).status().code(), Status::Code::kInvalidArgument)
        << json;
  }
  // A producer range may end in the future (a camera clock ahead of ours).
  const std::string ahead =
      ClipJson("PRODUCER_TIMESTAMP", R"("StartTimestamp":1700000000,"EndTimestamp":1700000200)");
  EXPECT_TRUE(ParseClipSelector(Body(ahead), now).ok());
}

TEST(PlaybackJobs, RefusesBeyondTheLimitAndRecovers) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> ran{0};
  auto blocking = [&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
    ++ran;
  };
  for (int i = 0; i < kMaxPlaybackJobs; ++i) ASSERT_TRUE(TryPostPlaybackJob(blocking));
  EXPECT_FALSE(TryPostPlaybackJob([] {}));  // ClientLimitExceededException
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  for (int i = 0; i < 500 && ran < kMaxPlaybackJobs; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(ran, kMaxPlaybackJobs);
  std::atomic<bool> done{false};
  // The counter drops after each job: wait until a new one is accepted.
  bool accepted = false;
  for (int i = 0; i < 500 && !accepted; ++i) {
    accepted = TryPostPlaybackJob([&] { done = true; });
    if (!accepted) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(accepted);
  for (int i = 0; i < 500 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace osprey::server::video
