// The --source parser and the pipeline descriptions (pure string code).
#include "osprey/agent/capture_source.h"

#include <gtest/gtest.h>

namespace osprey::agent {
namespace {

bool Has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

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
  d = BuildPipelineDescription(o);
  EXPECT_TRUE(Has(d, "filesrc location=\"/a \\\"b\\\".mp4\""));
  EXPECT_FALSE(Has(d, "x264enc"));
  EXPECT_TRUE(Has(d, "sync=true"));  // paced to real time
}

TEST(PipelineDescriptionTest, V4l2IsEncoded) {
  CaptureOptions o;
  ASSERT_TRUE(ParseSource("v4l2:/dev/video2", &o).ok());
  std::string d = BuildPipelineDescription(o);
  EXPECT_TRUE(Has(d, "v4l2src device=\"/dev/video2\""));
  EXPECT_TRUE(Has(d, "x264enc"));
}

}  // namespace
}  // namespace osprey::agent
