// VideoDecoder against real encodes: ffmpeg makes
// H.264 / H.265 from lavfi sources with known content, the stream is cut
// into stored fragments at key frames (ffmpeg_fragments.h), and every
// fragment is decoded on its own, as the ML process and GetImages will.
#include "osprey/playback/video_decoder.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "ffmpeg_fragments.h"

namespace osprey::playback {
namespace {

using test::EncodedStream;
using test::RunCommand;

constexpr char kH264[] =
    "-c:v libx264 -preset veryfast -pix_fmt yuv420p -g 25 -keyint_min 25 -sc_threshold 0 -bf 2 "
    "-x264-params b-adapt=0";  // B-frames in every GOP, not only where x264 likes them
constexpr char kH265[] =
    "-c:v libx265 -preset veryfast -pix_fmt yuv420p -g 25 "
    "-x265-params log-level=error:min-keyint=25:scenecut=0:bframes=2:b-adapt=0:open-gop=0";
// Codec error on 8-bit 4:2:0 at the default rate control, plus the
// rounding of two colour conversions.
constexpr int kColourTolerance = 12;

struct Bgr {
  int b, g, r;
};

Bgr PixelAt(const DecodedPicture& p, int x, int y) {
  const size_t at = (size_t(y) * size_t(p.width) + size_t(x)) * 3;
  return {uint8_t(p.bgr[at]), uint8_t(p.bgr[at + 1]), uint8_t(p.bgr[at + 2])};
}

void ExpectNear(const Bgr& got, const Bgr& want, const std::string& where) {
  EXPECT_NEAR(got.b, want.b, kColourTolerance) << where;
  EXPECT_NEAR(got.g, want.g, kColourTolerance) << where;
  EXPECT_NEAR(got.r, want.r, kColourTolerance) << where;
}

// The presentation times of a fragment's samples, ascending.
std::vector<int64_t> SortedPts(const TrackSamples& t) {
  std::vector<int64_t> pts;
  for (const Sample& s : t.samples) pts.push_back(s.pts_us);
  std::sort(pts.begin(), pts.end());
  return pts;
}

class VideoDecoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::HaveTool("ffmpeg") && test::HaveTool("ffprobe"))
        << "ffmpeg/ffprobe not installed";
    char tmpl[] = "/tmp/osprey_decoder_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // `seconds` of the lavfi `source` (25 fps) encoded with `codec` and cut
  // into 1 s fragments.
  void Encode(const std::string& source, int seconds, const std::string& codec) {
    const std::string mkv = dir_ + "/src.mkv";
    ASSERT_EQ(RunCommand("ffmpeg -hide_banner -loglevel error -y -f lavfi -i '" + source + "' -t " +
                         std::to_string(seconds) + " " + codec + " -f matroska " + mkv),
              "");
    ASSERT_NO_FATAL_FAILURE(test::SplitMkv(mkv, 40, &stream_));
    ASSERT_EQ(stream_.demuxed.size(), size_t(seconds));
  }
  const TrackSamples& Video(size_t k) const { return stream_.demuxed[k].tracks[0]; }

  std::unique_ptr<VideoDecoder> NewDecoder(const DecodeOptions& options = {}) {
    Result<std::unique_ptr<VideoDecoder>> d = VideoDecoder::Create(Video(0).track, options);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? std::move(*d) : nullptr;
  }

  std::string dir_;
  EncodedStream stream_;
};

TEST_F(VideoDecoderTest, EveryFrameOfEveryFragmentInPresentationOrder) {
  Encode("testsrc=size=160x120:rate=25", 4, kH264);
  auto decoder = NewDecoder();
  ASSERT_NE(decoder, nullptr);
  for (size_t k = 0; k < 4; ++k) {
    // -bf 2 really reorders: some samples decode before they are shown.
    const TrackSamples& t = Video(k);
    EXPECT_TRUE(std::any_of(t.samples.begin(), t.samples.end(), [](const Sample& s) {
      return s.pts_us != s.dts_us;
    })) << k;
    std::vector<DecodedPicture> out;
    ASSERT_TRUE(decoder->DecodeFragment(t, &out).ok()) << k;
    // Drained per fragment: all 25 pictures, exactly the samples' pts.
    ASSERT_EQ(out.size(), 25u) << k;
    const std::vector<int64_t> pts = SortedPts(t);
    for (size_t i = 0; i < out.size(); ++i) {
      EXPECT_EQ(out[i].pts_us, pts[i]) << k << "/" << i;
      EXPECT_EQ(out[i].key, i == 0) << k << "/" << i;
      EXPECT_EQ(out[i].width, 160);
      EXPECT_EQ(out[i].height, 120);  // cropped, not the coded 128
      EXPECT_EQ(out[i].bgr.size(), 160u * 120u * 3u);
    }
    EXPECT_EQ(out[0].pts_us, stream_.fragments[k].start_ms * 1000);
  }
}

TEST_F(VideoDecoderTest, KeyframesOnlyGivesOnePicturePerGop) {
  Encode("testsrc=size=160x120:rate=25", 3, kH264);
  DecodeOptions options;
  options.keyframes_only = true;
  auto decoder = NewDecoder(options);
  ASSERT_NE(decoder, nullptr);
  std::vector<DecodedPicture> out;
  for (size_t k = 0; k < 3; ++k) ASSERT_TRUE(decoder->DecodeFragment(Video(k), &out).ok());
  ASSERT_EQ(out.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(out[k].pts_us, stream_.fragments[k].start_ms * 1000);
    EXPECT_TRUE(out[k].key);
  }
}

TEST_F(VideoDecoderTest, MaxFpsSubsamplesEvenlyAcrossFragments) {
  Encode("testsrc=size=160x120:rate=25", 4, kH264);
  for (double fps : {5.0, 10.0, 25.0, 7.0}) {
    DecodeOptions options;
    options.max_fps = fps;
    auto decoder = NewDecoder(options);
    ASSERT_NE(decoder, nullptr);
    std::vector<DecodedPicture> all;
    for (size_t k = 0; k < 4; ++k) {
      std::vector<DecodedPicture> out;
      ASSERT_TRUE(decoder->DecodeFragment(Video(k), &out).ok());
      EXPECT_NEAR(double(out.size()), fps, 1.0) << fps << " fps, fragment " << k;
      for (DecodedPicture& p : out) all.push_back(std::move(p));
    }
    EXPECT_NEAR(double(all.size()), 4 * fps, 1.0) << fps;
    // The schedule keeps the average: a gap is the period rounded to whole
    // source frames (7 fps from 25: 120 or 160 ms); where the period is a
    // whole number of frames, exactly that period, fragment boundaries
    // included.
    const int64_t period = std::llround(1e6 / fps);
    for (size_t i = 1; i < all.size(); ++i) {
      const int64_t gap = all[i].pts_us - all[i - 1].pts_us;
      EXPECT_GT(gap, period - 40000) << fps << " fps, picture " << i;
      EXPECT_LT(gap, period + 40000) << fps << " fps, picture " << i;
      if (period % 40000 == 0) {
        EXPECT_EQ(gap, period) << fps << " fps, picture " << i;
      }
    }
  }
}

TEST_F(VideoDecoderTest, ColoursAndOrientationSurviveDecoding) {
  // Blue background, white top-right quadrant, red bottom-left quadrant.
  Encode(
      "color=c=blue:size=160x120:rate=25,"
      "drawbox=x=80:y=0:w=80:h=60:color=white:t=fill,"
      "drawbox=x=0:y=60:w=80:h=60:color=red:t=fill",
      1, kH264);
  auto decoder = NewDecoder();
  ASSERT_NE(decoder, nullptr);
  std::vector<DecodedPicture> out;
  ASSERT_TRUE(decoder->DecodeFragment(Video(0), &out).ok());
  ASSERT_EQ(out.size(), 25u);
  for (size_t i : {size_t(0), size_t(12), size_t(24)}) {
    const std::string at = "picture " + std::to_string(i);
    ExpectNear(PixelAt(out[i], 40, 30), {255, 0, 0}, at + " top-left blue");
    ExpectNear(PixelAt(out[i], 120, 30), {255, 255, 255}, at + " top-right white");
    ExpectNear(PixelAt(out[i], 40, 90), {0, 0, 255}, at + " bottom-left red");
    ExpectNear(PixelAt(out[i], 120, 90), {255, 0, 0}, at + " bottom-right blue");
  }
}

// The stream's signalled range and matrix are honoured: full-range 4:2:0
// (what many IP cameras send) and BT.709 (HD) would otherwise come out with
// shifted colours. Range shows most in light and dark greys (saturated
// colours clip to the same values either way), the matrix in yellow and
// cyan.
TEST_F(VideoDecoderTest, FullRangeAndBt709StreamsKeepTheirColours) {
  struct Case {
    std::string tagging, left, right;
    Bgr left_bgr, right_bgr;
  };
  for (const Case& c :
       {Case{"-pix_fmt yuvj420p", "0xE0E0E0", "0x101010", {224, 224, 224}, {16, 16, 16}},
        Case{"-vf scale=out_color_matrix=bt709 -colorspace bt709 -color_primaries bt709 "
             "-color_trc bt709",
             "yellow",
             "cyan",
             {0, 255, 255},
             {255, 255, 0}}}) {
    stream_ = {};
    // The later -pix_fmt wins over kH264's.
    Encode("color=c=" + c.left +
               ":size=160x120:rate=25,drawbox=x=80:y=0:w=80:h=120:color=" + c.right + ":t=fill",
           1, kH264 + (" " + c.tagging));
    auto decoder = NewDecoder();
    ASSERT_NE(decoder, nullptr);
    std::vector<DecodedPicture> out;
    ASSERT_TRUE(decoder->DecodeFragment(Video(0), &out).ok());
    ASSERT_EQ(out.size(), 25u);
    ExpectNear(PixelAt(out[3], 40, 60), c.left_bgr, c.tagging + ": " + c.left);
    ExpectNear(PixelAt(out[3], 120, 60), c.right_bgr, c.tagging + ": " + c.right);
  }
}

TEST_F(VideoDecoderTest, H265DecodesEveryFrameWithColours) {
  Encode("color=c=red:size=160x120:rate=25", 2, kH265);
  ASSERT_EQ(Video(0).track.codec, Codec::kH265);
  auto decoder = NewDecoder();
  ASSERT_NE(decoder, nullptr);
  for (size_t k = 0; k < 2; ++k) {
    std::vector<DecodedPicture> out;
    ASSERT_TRUE(decoder->DecodeFragment(Video(k), &out).ok()) << k;
    ASSERT_EQ(out.size(), 25u) << k;
    const std::vector<int64_t> pts = SortedPts(Video(k));
    for (size_t i = 0; i < out.size(); ++i) {
      EXPECT_EQ(out[i].pts_us, pts[i]) << k << "/" << i;
      ASSERT_EQ(out[i].width, 160);
      ASSERT_EQ(out[i].height, 120);
    }
    ExpectNear(PixelAt(out[7], 80, 60), {0, 0, 255}, "red centre");
    ExpectNear(PixelAt(out[7], 0, 0), {0, 0, 255}, "red corner");
  }
}

TEST_F(VideoDecoderTest, ScalesDownKeepingAspectNeverUp) {
  Encode("color=c=red:size=320x240:rate=25", 1, kH264);
  struct Case {
    int max_w, max_h, want_w, want_h;
  };
  for (const Case& c : {Case{100, 0, 100, 75}, Case{0, 60, 80, 60}, Case{200, 100, 133, 100},
                        Case{1000, 1000, 320, 240}, Case{0, 0, 320, 240}}) {
    DecodeOptions options;
    options.max_width = c.max_w;
    options.max_height = c.max_h;
    options.keyframes_only = true;
    auto decoder = NewDecoder(options);
    ASSERT_NE(decoder, nullptr);
    std::vector<DecodedPicture> out;
    ASSERT_TRUE(decoder->DecodeFragment(Video(0), &out).ok());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].width, c.want_w) << c.max_w << "x" << c.max_h;
    EXPECT_EQ(out[0].height, c.want_h) << c.max_w << "x" << c.max_h;
    ASSERT_EQ(out[0].bgr.size(), size_t(c.want_w) * size_t(c.want_h) * 3);
    ExpectNear(PixelAt(out[0], c.want_w / 2, c.want_h / 2), {0, 0, 255}, "scaled red");
  }
}

// Overwrites the last two thirds of sample `i` with pseudo-random bytes,
// leaving its NAL headers (and length prefix) in place.
TrackSamples Garble(TrackSamples t, size_t i) {
  std::string& data = t.samples[i].data;
  uint32_t x = 12345;
  for (size_t j = data.size() / 3; j < data.size(); ++j) {
    x = x * 1103515245u + 12345u;
    data[j] = char(x >> 24);
  }
  return t;
}

TEST_F(VideoDecoderTest, CorruptSampleFailsAndNextFragmentDecodes) {
  Encode("testsrc=size=160x120:rate=25", 4, kH264);
  auto decoder = NewDecoder();
  ASSERT_NE(decoder, nullptr);

  // A truncated sample: its length prefix claims more than it holds.
  TrackSamples truncated = Video(0);
  std::string& data = truncated.samples[5].data;
  data.resize(data.size() - 3);
  std::vector<DecodedPicture> out;
  Status s = decoder->DecodeFragment(truncated, &out);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_LT(out.size(), 5u);  // only what came out before sample 5 went in

  // Garbage in the key frame's slice data: libavcodec notices, and nothing
  // of the fragment is returned since every picture depends on it.
  out.clear();
  s = decoder->DecodeFragment(Garble(Video(1), 0), &out);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_TRUE(out.empty());

  // Garbage in a later reference frame: the pictures before it survive.
  out.clear();
  s = decoder->DecodeFragment(Garble(Video(2), 10), &out);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_LT(out.size(), 10u);
  const std::vector<int64_t> pts = SortedPts(Video(2));
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].pts_us, pts[i]);

  out.clear();
  ASSERT_TRUE(decoder->DecodeFragment(Video(3), &out).ok());
  EXPECT_EQ(out.size(), 25u);
  EXPECT_EQ(out[0].pts_us, stream_.fragments[3].start_ms * 1000);
}

TEST_F(VideoDecoderTest, CorruptH265SampleFailsAndNextFragmentDecodes) {
  Encode("testsrc=size=160x120:rate=25", 2, kH265);
  auto decoder = NewDecoder();
  ASSERT_NE(decoder, nullptr);
  std::vector<DecodedPicture> out;
  Status s = decoder->DecodeFragment(Garble(Video(0), 0), &out);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_TRUE(out.empty());
  out.clear();
  ASSERT_TRUE(decoder->DecodeFragment(Video(1), &out).ok());
  EXPECT_EQ(out.size(), 25u);
}

TEST_F(VideoDecoderTest, FrameThreadsGiveTheSamePictures) {
  Encode("testsrc=size=320x240:rate=25", 2, kH264);
  std::vector<DecodedPicture> one, many;
  DecodeOptions threaded;
  threaded.threads = 4;
  auto a = NewDecoder();
  auto b = NewDecoder(threaded);
  ASSERT_TRUE(a && b);
  for (size_t k = 0; k < 2; ++k) {
    ASSERT_TRUE(a->DecodeFragment(Video(k), &one).ok());
    ASSERT_TRUE(b->DecodeFragment(Video(k), &many).ok());
    ASSERT_EQ(one.size(), 25u * (k + 1));
    ASSERT_EQ(many.size(), one.size());
  }
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(many[i].pts_us, one[i].pts_us) << i;
    EXPECT_TRUE(many[i].bgr == one[i].bgr) << i;
  }
}

TEST_F(VideoDecoderTest, FollowsACodecPrivateChange) {
  // A producer restarted at another size: same track, new avcC.
  Encode("testsrc=size=160x120:rate=25", 1, kH264);
  const TrackSamples small = Video(0);
  stream_ = {};
  Encode("testsrc=size=320x240:rate=25", 1, kH264);
  const TrackSamples large = Video(0);
  ASSERT_NE(small.track.codec_private, large.track.codec_private);
  Result<std::unique_ptr<VideoDecoder>> decoder = VideoDecoder::Create(small.track, {});
  ASSERT_TRUE(decoder.ok());
  for (const TrackSamples* t : {&small, &large, &small}) {
    std::vector<DecodedPicture> out;
    ASSERT_TRUE((*decoder)->DecodeFragment(*t, &out).ok());
    ASSERT_EQ(out.size(), 25u);
    EXPECT_EQ(out[0].width, t == &small ? 160 : 320);
    EXPECT_EQ(out[24].height, t == &small ? 120 : 240);
  }
  // An unusable one fails that fragment only.
  TrackSamples broken = large;
  broken.track.codec_private = "\x01garbage";
  std::vector<DecodedPicture> out;
  EXPECT_EQ((*decoder)->DecodeFragment(broken, &out).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE((*decoder)->DecodeFragment(large, &out).ok());
  EXPECT_EQ(out.size(), 25u);
}

TEST_F(VideoDecoderTest, FragmentWithoutSyncSampleAndEmptyFragment) {
  Encode("testsrc=size=160x120:rate=25", 1, kH264);
  auto decoder = NewDecoder();
  ASSERT_NE(decoder, nullptr);
  TrackSamples tail = Video(0);
  tail.samples.erase(tail.samples.begin());
  std::vector<DecodedPicture> out;
  EXPECT_EQ(decoder->DecodeFragment(tail, &out).code(), Status::Code::kInvalidArgument);
  tail.samples.clear();
  EXPECT_TRUE(decoder->DecodeFragment(tail, &out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(decoder->DecodeFragment(Video(0), &out).ok());
  EXPECT_EQ(out.size(), 25u);
}

TEST_F(VideoDecoderTest, CreateRejectsWhatItCannotDecode) {
  Encode("testsrc=size=160x120:rate=25", 1, kH264);
  Track audio;
  audio.codec = Codec::kAac;
  audio.codec_id = "A_AAC";
  EXPECT_EQ(VideoDecoder::Create(audio, {}).status().code(), Status::Code::kInvalidArgument);
  Track garbage = Video(0).track;
  garbage.codec_private = "\x01\x02\x03";
  EXPECT_EQ(VideoDecoder::Create(garbage, {}).status().code(), Status::Code::kInvalidArgument);
  Track as_hevc = Video(0).track;  // an avcC is no hvcC
  as_hevc.codec = Codec::kH265;
  EXPECT_EQ(VideoDecoder::Create(as_hevc, {}).status().code(), Status::Code::kInvalidArgument);
  DecodeOptions negative;
  negative.max_fps = -1;
  EXPECT_EQ(VideoDecoder::Create(Video(0).track, negative).status().code(),
            Status::Code::kInvalidArgument);
}

// Prints what one second of 1080p25 costs the decoder in each mode (for
// sizing osprey-ml); asserts only the picture counts.
TEST_F(VideoDecoderTest, DecodeCost1080p) {
  Encode("testsrc2=size=1920x1080:rate=25", 2, kH264 + std::string(" -b:v 4M"));
  struct Mode {
    const char* name;
    DecodeOptions options;
    size_t pictures;
  };
  DecodeOptions keys, fps5, small, small_fps5;
  keys.keyframes_only = true;
  fps5.max_fps = 5;
  small.max_width = 640;
  small_fps5.max_width = 640;
  small_fps5.max_fps = 5;
  for (const Mode& m : {Mode{"all frames, 1920x1080 BGR", {}, 25}, Mode{"keyframes only", keys, 1},
                        Mode{"max_fps 5", fps5, 5}, Mode{"all frames, 640x360", small, 25},
                        Mode{"max_fps 5, 640x360", small_fps5, 5}}) {
    auto decoder = NewDecoder(m.options);
    ASSERT_NE(decoder, nullptr);
    std::vector<DecodedPicture> warm;
    ASSERT_TRUE(decoder->DecodeFragment(Video(0), &warm).ok());
    const auto start = std::chrono::steady_clock::now();
    std::vector<DecodedPicture> out;
    ASSERT_TRUE(decoder->DecodeFragment(Video(1), &out).ok());
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(out.size(), m.pictures) << m.name;
    std::printf("decode 1 s of 1080p25 H.264 (4 Mbit/s), %-28s %7.1f ms\n", m.name, ms);
  }
}

}  // namespace
}  // namespace osprey::playback
