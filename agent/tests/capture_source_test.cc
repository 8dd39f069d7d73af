// The --source parser and the pipeline descriptions (pure string code), and
// the GStreamer source on real files: a non-H.264 file (OpenCV's vtest.avi,
// MS-MPEG4v3) re-encoded, an H.264 MP4 passed through, looping, and files
// that cannot be played failing at Open with a reason.
#include "osprey/agent/capture_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "osprey/agent/fragmenter.h"

namespace osprey::agent {
namespace {

bool Has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(ParseSourceTest, AcceptsEachKind) {
  CaptureOptions o;
  ASSERT_TRUE(ParseSource("testsrc", &o).ok());
  EXPECT_EQ(o.kind, SourceKind::kTestPattern);
  ASSERT_TRUE(ParseSource("file:/x/y.mp4", &o).ok());
  EXPECT_EQ(o.kind, SourceKind::kFile);
  EXPECT_EQ(o.location, "/x/y.mp4");
  EXPECT_FALSE(o.loop);
  ASSERT_TRUE(ParseSource("file+loop:/x/y.mp4", &o).ok());
  EXPECT_TRUE(o.loop);
  ASSERT_TRUE(ParseSource("rtsp://cam:554/stream", &o).ok());
  EXPECT_EQ(o.kind, SourceKind::kRtsp);
  EXPECT_EQ(o.location, "rtsp://cam:554/stream");
  ASSERT_TRUE(ParseSource("v4l2:/dev/video0", &o).ok());
  EXPECT_EQ(o.kind, SourceKind::kV4l2);
  EXPECT_EQ(o.location, "/dev/video0");
}

TEST(ParseSourceTest, RejectsOthers) {
  CaptureOptions o;
  for (const char* bad : {"", "file:", "http://x", "v4l2:", "testsrc2"}) {
    EXPECT_EQ(ParseSource(bad, &o).code(), Status::Code::kInvalidArgument) << bad;
  }
}

TEST(PipelineDescriptionTest, TestPatternEncodesOneIdrPerFragment) {
  CaptureOptions o;
  o.fps = 15;
  o.fragment_ms = 2000;
  std::string d = BuildPipelineDescription(o);
  EXPECT_TRUE(Has(d, "videotestsrc is-live=true"));
  EXPECT_TRUE(Has(d, "key-int-max=30 "));
  EXPECT_TRUE(Has(d, "option-string=scenecut=0"));
  EXPECT_TRUE(Has(d, "h264parse config-interval=-1 ! video/x-h264,stream-format=avc,alignment=au"));
  EXPECT_TRUE(Has(d, "appsink name=sink"));
}

TEST(PipelineDescriptionTest, RtspAndFileArePassedThrough) {
  CaptureOptions o;
  ASSERT_TRUE(ParseSource("rtsp://cam/s", &o).ok());
  std::string d = BuildPipelineDescription(o);
  EXPECT_TRUE(Has(d, "rtspsrc location=\"rtsp://cam/s\""));
  EXPECT_TRUE(Has(d, "rtph264depay ! h264parse"));
  EXPECT_FALSE(Has(d, "x264enc"));
  ASSERT_TRUE(ParseSource("file:/a \"b\".mp4", &o).ok());
  d = BuildPipelineDescription(o, FileVideoInfo{.h264 = true, .fps_num = 25, .fps_den = 1});
  EXPECT_TRUE(Has(d, "filesrc location=\"/a \\\"b\\\".mp4\" ! parsebin ! h264parse"));
  EXPECT_FALSE(Has(d, "x264enc"));
  EXPECT_FALSE(Has(d, "decodebin"));
  EXPECT_TRUE(Has(d, "sync=true"));  // paced to real time
}

TEST(PipelineDescriptionTest, NonH264FileIsDecodedAndEncodedAtItsOwnRate) {
  CaptureOptions o;
  ASSERT_TRUE(ParseSource("file:/data/vtest.avi", &o).ok());
  o.fps = 15;  // ignored: the file's 10 fps decides the GOP
  o.fragment_ms = 2000;
  o.bitrate_kbps = 700;
  std::string d =
      BuildPipelineDescription(o, FileVideoInfo{.h264 = false, .fps_num = 10, .fps_den = 1});
  EXPECT_TRUE(Has(d, "filesrc location=\"/data/vtest.avi\" ! decodebin ! videoconvert ! x264enc "));
  EXPECT_TRUE(Has(d, "key-int-max=20 "));
  EXPECT_TRUE(Has(d, "bitrate=700 "));
  EXPECT_TRUE(Has(d, "tune=zerolatency"));
  EXPECT_TRUE(Has(d, "bframes=0"));
  EXPECT_TRUE(Has(d, "option-string=scenecut=0"));
  EXPECT_TRUE(Has(d, "h264parse config-interval=-1 ! video/x-h264,stream-format=avc,alignment=au"));
  EXPECT_FALSE(Has(d, "width="));  // the file keeps its picture size
  EXPECT_FALSE(Has(d, "parsebin"));
  EXPECT_TRUE(Has(d, "sync=true"));
}

TEST(PipelineDescriptionTest, ReencodedGopIsRoundedUpToAWholeFragment) {
  CaptureOptions o;
  ASSERT_TRUE(ParseSource("file:/x.mkv", &o).ok());
  o.fragment_ms = 2000;
  // 29.97 fps: 59.94 frames per fragment -> 60 (59 would be a frame short,
  // and the Fragmenter would wait for the next IDR: two-GOP fragments).
  EXPECT_TRUE(Has(BuildPipelineDescription(o, {.h264 = false, .fps_num = 30000, .fps_den = 1001}),
                  "key-int-max=60 "));
  // Unknown (variable) rate: the configured --fps.
  o.fps = 12;
  EXPECT_TRUE(Has(BuildPipelineDescription(o, {.h264 = false, .fps_num = 0, .fps_den = 1}),
                  "key-int-max=24 "));
}

TEST(PipelineDescriptionTest, V4l2IsEncoded) {
  CaptureOptions o;
  ASSERT_TRUE(ParseSource("v4l2:/dev/video2", &o).ok());
  std::string d = BuildPipelineDescription(o);
  EXPECT_TRUE(Has(d, "v4l2src device=\"/dev/video2\""));
  EXPECT_TRUE(Has(d, "x264enc"));
}

TEST(PipelineDescriptionTest, EachEncoderGetsOneIdrPerFragmentAndTheBitRate) {
  CaptureOptions o;
  ASSERT_TRUE(ParseSource("v4l2:/dev/video0", &o).ok());
  o.fps = 25;
  o.fragment_ms = 2000;
  o.bitrate_kbps = 3000;
  struct Case {
    const char* name;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {"x264", {"x264enc ", "key-int-max=50 ", "bitrate=3000 ", "bframes=0"}},
      {"auto", {"x264enc ", "key-int-max=50 "}},  // unresolved: x264
      {"vaapi", {"vaapih264enc ", "keyframe-period=50 ", "bitrate=3000 ", "max-bframes=0"}},
      {"v4l2", {"v4l2h264enc ", "video_bitrate=3000000,", "h264_i_frame_period=50,"}},
      {"nvenc", {"nvh264enc ", "gop-size=50 ", "bitrate=3000 ", "bframes=0"}},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(ParseVideoEncoder(c.name, &o.encoder).ok()) << c.name;
    EXPECT_STREQ(VideoEncoderName(o.encoder), c.name);
    std::string d = BuildPipelineDescription(o);
    for (const std::string& w : c.want) EXPECT_TRUE(Has(d, w)) << c.name << ": " << w << " in " << d;
    EXPECT_TRUE(Has(d, "h264parse config-interval=-1")) << c.name;
  }
  EXPECT_FALSE(ParseVideoEncoder("x265", &o.encoder).ok());
}

TEST(PipelineDescriptionTest, AutoResolvesToAnEncoderThisMachineHas) {
  Result<VideoEncoder> e = ResolveVideoEncoder(VideoEncoder::kAuto);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_NE(*e, VideoEncoder::kAuto);
  // x264 is always there (deploy/install-deps.sh); a named encoder resolves
  // to itself or names the missing element.
  EXPECT_EQ(*ResolveVideoEncoder(VideoEncoder::kX264), VideoEncoder::kX264);
  for (VideoEncoder hw : {VideoEncoder::kVaapi, VideoEncoder::kV4l2, VideoEncoder::kNvenc}) {
    Result<VideoEncoder> r = ResolveVideoEncoder(hw);
    if (r.ok()) {
      EXPECT_EQ(*r, hw);
    } else {
      EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition);
      EXPECT_NE(r.status().message().find(VideoEncoderElement(hw)), std::string::npos);
    }
  }
}

// --- The GStreamer source on real files -----------------------------------

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Installed by deploy/install-deps.sh (package opencv-doc): a missing file is
// a broken machine, not a reason to skip.
constexpr const char* kVtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Everything a source delivered, with the wall time each unit arrived.
struct RecordingSink : CaptureSink {
  struct Unit {
    AccessUnit unit;
    int64_t arrived_ms;
  };
  void OnFormat(const VideoFormat& f) override {
    std::lock_guard lock(mu);
    formats.push_back(f);
  }
  void OnAccessUnit(AccessUnit u) override {
    std::lock_guard lock(mu);
    units.push_back({std::move(u), NowMs()});
  }
  void OnEnd(const Status& s) override {
    std::lock_guard lock(mu);
    ++ends;
    end = s;
  }
  std::mutex mu;
  std::vector<VideoFormat> formats;
  std::vector<Unit> units;
  int ends = 0;
  Status end;
};

// A scratch directory for files made with the ffmpeg CLI.
class GstFileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("osprey_capture_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs ffmpeg (from install-deps.sh) with `args`, writing dir_/name.
  std::string Ffmpeg(const std::string& args, const std::string& name) {
    const std::string out = (dir_ / name).string();
    const std::string cmd = "ffmpeg -nostdin -loglevel error -y " + args + " '" + out + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return out;
  }

  // Opens `source`, captures for `duration`, stops.
  void Capture(const std::string& source, uint32_t fragment_ms, std::chrono::milliseconds duration,
               RecordingSink* sink) {
    CaptureOptions o;
    ASSERT_TRUE(ParseSource(source, &o).ok());
    o.fragment_ms = fragment_ms;
    auto opened = OpenGstCaptureSource(o);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ASSERT_TRUE((*opened)->Start(sink).ok());
    std::this_thread::sleep_for(duration);
    (*opened)->Stop();
  }

  fs::path dir_;
};

// NAL unit types of one AVCC access unit; fails the test when the lengths
// do not tile the data exactly.
std::vector<int> NalTypes(const std::string& avcc, int length_size) {
  std::vector<int> types;
  size_t at = 0;
  while (at < avcc.size()) {
    if (avcc.size() - at < static_cast<size_t>(length_size)) {
      ADD_FAILURE() << "truncated NAL length at " << at;
      return types;
    }
    size_t len = 0;
    for (int i = 0; i < length_size; ++i) len = (len << 8) | static_cast<uint8_t>(avcc[at + i]);
    at += length_size;
    if (len == 0 || len > avcc.size() - at) {
      ADD_FAILURE() << "bad NAL length " << len << " at " << at;
      return types;
    }
    types.push_back(static_cast<uint8_t>(avcc[at]) & 0x1f);
    at += len;
  }
  return types;
}

// Checks what every real run must give: one avcC format of the expected
// size, well-formed AVCC units, an IDR first and then every `gop` units,
// capture times on the file's frame spacing, and delivery paced in real time
// (capture time and arrival advance together, near now).
void ExpectRealTimeH264(RecordingSink& sink, uint32_t width, uint32_t height, int gop,
                        int64_t frame_ms, int min_units) {
  std::lock_guard lock(sink.mu);
  ASSERT_EQ(sink.formats.size(), 1u);
  const VideoFormat& f = sink.formats[0];
  EXPECT_EQ(f.width, width);
  EXPECT_EQ(f.height, height);
  std::optional<int> length_size = AvccLengthSize(f.codec_private);
  ASSERT_TRUE(length_size.has_value()) << "codec_private is not an avcC";
  ASSERT_GE(static_cast<int>(sink.units.size()), min_units);
  EXPECT_EQ(sink.ends, 0) << sink.end.ToString();

  std::vector<size_t> idrs;
  for (size_t i = 0; i < sink.units.size(); ++i) {
    const std::string& data = sink.units[i].unit.data;
    ASSERT_FALSE(data.empty());
    std::vector<int> types = NalTypes(data, *length_size);
    bool idr = false;
    for (int t : types) idr = idr || t == 5;
    EXPECT_EQ(idr, ContainsIdr({reinterpret_cast<const uint8_t*>(data.data()), data.size()},
                               *length_size));
    EXPECT_EQ(idr, sink.units[i].unit.key_hint) << "unit " << i;
    if (idr) idrs.push_back(i);
  }
  ASSERT_FALSE(idrs.empty());
  EXPECT_EQ(idrs[0], 0u) << "the first unit must be an IDR";
  ASSERT_GE(idrs.size(), 2u);
  for (size_t k = 1; k < idrs.size(); ++k) {
    EXPECT_EQ(static_cast<int>(idrs[k] - idrs[k - 1]), gop) << "IDR " << k;
  }

  const auto& first = sink.units.front();
  const auto& last = sink.units.back();
  for (size_t i = 1; i < sink.units.size(); ++i) {
    const int64_t step =
        sink.units[i].unit.capture_time_ms - sink.units[i - 1].unit.capture_time_ms;
    EXPECT_NEAR(static_cast<double>(step), static_cast<double>(frame_ms), 2.0) << "unit " << i;
  }
  // Real time: as much capture time passed as wall time (a file read as
  // fast as the disk allows would deliver seconds of video at once).
  const int64_t captured = last.unit.capture_time_ms - first.unit.capture_time_ms;
  const int64_t waited = last.arrived_ms - first.arrived_ms;
  EXPECT_NEAR(static_cast<double>(captured), static_cast<double>(waited), 300.0);
  EXPECT_NEAR(static_cast<double>(first.unit.capture_time_ms),
              static_cast<double>(first.arrived_ms), 1000.0);
}

TEST_F(GstFileSourceTest, VtestAviIsDecodedAndReencoded) {
  ASSERT_TRUE(fs::exists(kVtest)) << kVtest
                                  << " is missing: run deploy/install-deps.sh (package opencv-doc)";
  RecordingSink sink;
  // 10 fps, 1 s fragments: an IDR every 10 frames; 3 s of capture.
  const auto start = Clock::now();
  Capture(std::string("file:") + kVtest, 1000, std::chrono::milliseconds(3000), &sink);
  ExpectRealTimeH264(sink, 768, 576, 10, 100, 25);
  std::lock_guard lock(sink.mu);
  EXPECT_LE(static_cast<int>(sink.units.size()), 33) << "faster than 10 fps";
  // The stream is x264enc's: speed-preset=ultrafast is Constrained
  // Baseline (profile_idc 66), whatever the file held.
  EXPECT_EQ(static_cast<uint8_t>(sink.formats[0].codec_private[1]), 66);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
}

TEST_F(GstFileSourceTest, H264Mp4IsPassedThrough) {
  // High profile, an IDR every 7 frames, an audio track: re-encoding would
  // give Constrained Baseline and 25-frame GOPs (25 fps, 1 s fragments).
  const std::string mp4 = Ffmpeg(
      "-f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi -i sine=frequency=440 -t 5 "
      "-c:v libx264 -profile:v high -pix_fmt yuv420p -g 7 -keyint_min 7 -sc_threshold 0 -bf 0 "
      "-c:a aac",
      "clip.mp4");
  RecordingSink sink;
  Capture("file:" + mp4, 1000, std::chrono::milliseconds(3000), &sink);
  ExpectRealTimeH264(sink, 320, 240, 7, 40, 60);
  std::lock_guard lock(sink.mu);
  EXPECT_LE(static_cast<int>(sink.units.size()), 80) << "faster than 25 fps";
  EXPECT_EQ(static_cast<uint8_t>(sink.formats[0].codec_private[1]), 100);  // High, the file's
}

// A 1 s clip looped for 3.5 s: capture times keep increasing across each
// seek back to the start, and units keep coming at the file's rate.
void ExpectLoops(RecordingSink& sink) {
  std::lock_guard lock(sink.mu);
  EXPECT_EQ(sink.ends, 0) << sink.end.ToString();
  ASSERT_GE(sink.units.size(), 28u);  // 3 loops and more of 10 frames
  for (size_t i = 1; i < sink.units.size(); ++i) {
    EXPECT_GT(sink.units[i].unit.capture_time_ms, sink.units[i - 1].unit.capture_time_ms)
        << "unit " << i;
  }
  const int64_t captured =
      sink.units.back().unit.capture_time_ms - sink.units.front().unit.capture_time_ms;
  const int64_t waited = sink.units.back().arrived_ms - sink.units.front().arrived_ms;
  EXPECT_NEAR(static_cast<double>(captured), static_cast<double>(waited), 300.0);
}

TEST_F(GstFileSourceTest, LoopingReencodedFileKeepsTimeIncreasing) {
  const std::string avi =
      Ffmpeg("-f lavfi -i testsrc2=size=320x240:rate=10 -t 1 -c:v mpeg4", "short.avi");
  RecordingSink sink;
  Capture("file+loop:" + avi, 1000, std::chrono::milliseconds(3500), &sink);
  ExpectLoops(sink);
}

TEST_F(GstFileSourceTest, LoopingPassedThroughFileKeepsTimeIncreasing) {
  const std::string mp4 = Ffmpeg(
      "-f lavfi -i testsrc2=size=320x240:rate=10 -t 1 -c:v libx264 -pix_fmt yuv420p -g 5 -bf 0",
      "short.mp4");
  RecordingSink sink;
  Capture("file+loop:" + mp4, 1000, std::chrono::milliseconds(3500), &sink);
  ExpectLoops(sink);
}

TEST_F(GstFileSourceTest, FileEndIsReportedOnce) {
  const std::string avi =
      Ffmpeg("-f lavfi -i testsrc2=size=320x240:rate=10 -t 1 -c:v mpeg4", "short.avi");
  RecordingSink sink;
  Capture("file:" + avi, 1000, std::chrono::milliseconds(2500), &sink);
  std::lock_guard lock(sink.mu);
  EXPECT_EQ(sink.ends, 1);
  EXPECT_TRUE(sink.end.ok()) << sink.end.ToString();
  EXPECT_EQ(sink.units.size(), 10u);
}

// Open must fail at once, naming the file and the reason, for anything it
// could not play (before, a non-H.264 file left the pipeline waiting).
TEST_F(GstFileSourceTest, UnplayableFilesFailAtOpenWithTheReason) {
  const std::string text = (dir_ / "notes.txt").string();
  std::ofstream(text) << "not a video at all\n";
  const std::string wav = Ffmpeg("-f lavfi -i sine=frequency=440 -t 1", "tone.wav");
  struct Case {
    std::string path;
    std::string reason;
  };
  const Case cases[] = {
      {(dir_ / "missing.mp4").string(), "No such file or directory"},
      {dir_.string(), "not a regular file"},
      {text, "not a video GStreamer can read"},
      {wav, "has no video stream"},
  };
  for (const Case& c : cases) {
    CaptureOptions o;
    ASSERT_TRUE(ParseSource("file:" + c.path, &o).ok());
    const auto start = Clock::now();
    auto opened = OpenGstCaptureSource(o);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(5)) << c.path;
    ASSERT_FALSE(opened.ok()) << c.path;
    EXPECT_EQ(opened.status().code(), Status::Code::kInvalidArgument) << opened.status().ToString();
    EXPECT_TRUE(Has(opened.status().message(), c.path)) << opened.status().ToString();
    EXPECT_TRUE(Has(opened.status().message(), c.reason)) << opened.status().ToString();
  }
}

// No decoder for the file's video (here: the MS-MPEG4v3 decoder ranked out
// of autoplugging) is Unavailable, naming the codec. The rank is read at
// gst_init, so this runs in a fresh process ("threadsafe" re-executes the
// binary for the death test) with the variable set before the first use.
TEST(GstFileSourceDeathTest, MissingDecoderIsUnavailableAndNamesTheCodec) {
  ASSERT_TRUE(fs::exists(kVtest)) << kVtest
                                  << " is missing: run deploy/install-deps.sh (package opencv-doc)";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::setenv("GST_PLUGIN_FEATURE_RANK", "avdec_msmpeg4:NONE", 1);
        CaptureOptions o;
        o.kind = SourceKind::kFile;
        o.location = kVtest;
        auto opened = OpenGstCaptureSource(o);
        std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
        std::exit(!opened.ok() && opened.status().code() == Status::Code::kUnavailable ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "vtest.avi'.*DivX MPEG-4 Version 3 decoder");
}

}  // namespace
}  // namespace osprey::agent
